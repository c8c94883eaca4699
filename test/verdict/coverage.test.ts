// Coverage against the campaign window: logs that end before it, start after it (and its month of mass
// exploitation) or have a gap across it make a would-be clean verdict "unknown", with the dates, per
// source and for the server; logs inside the window give clean within their coverage.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { coverageDrafts } from "../../src/detections/correlation/log-coverage.js";
import { buildCoverage, type Span } from "../../src/evidence/coverage.js";
import { scan } from "../../src/index.js";
import type { SourceCoverage } from "../../src/model/types.js";
import { decideVerdict } from "../../src/verdict/verdict.js";
import { tempDir } from "../helpers.js";

function source(name: string, oldest: string, newest: string): SourceCoverage {
  return { source: name, kind: "iis-w3c", files: 1, bytes: 100, oldest, newest };
}

function judge(sources: SourceCoverage[], spans?: Map<string, Span[]>) {
  const coverage = buildCoverage(sources, { inetpub: false }, spans);
  return { coverage, ...decideVerdict([], coverage) };
}

describe("coverage of the campaign window", () => {
  it("an IIS log of 2019 only: unknown, with the dates, and a log-coverage finding for the source", () => {
    const r = judge([source("IIS W3SVC1", "2019-05-01T00:00:00.000Z", "2019-05-01T23:59:00.000Z")]);
    assert.equal(r.coverage.windowCoverage, "none");
    assert.equal(r.coverage.coversWindow, false);
    assert.equal(r.verdict, "unknown");
    assert.match(r.reasons[0], /do not cover the campaign window \(2021-01-03 to 2021-03-02\)/);
    assert.ok(r.reasons.some((x) => x.includes("IIS W3SVC1 2019-05-01 to 2019-05-01")));
    const gaps = coverageDrafts(r.coverage).map((d) => d.title);
    assert.ok(
      gaps.includes("IIS W3SVC1 ends 2019-05-01, before exploitation began (2021-01-03)"),
      gaps.join(),
    );
  });

  it("an event log of 2016-07 to 2017-04: unknown", () => {
    const r = judge([source("Event log: Security", "2016-07-01T00:00:00.000Z", "2017-04-30T00:00:00.000Z")]);
    assert.equal(r.verdict, "unknown");
  });

  it("logs that start months after the patches: unknown", () => {
    const r = judge([source("HttpProxy/Ecp", "2021-06-01T00:00:00.000Z", "2021-07-01T00:00:00.000Z")]);
    assert.equal(r.verdict, "unknown");
    assert.ok(
      coverageDrafts(r.coverage).some((d) => /starts 2021-06-01, after the patches/.test(d.title ?? "")),
    );
  });

  it("a gap across the window (files before and after it, none in it): unknown", () => {
    const s = source("HttpProxy/Ecp", "2020-12-01T00:00:00.000Z", "2021-05-31T00:00:00.000Z");
    const spans = new Map([
      [
        s.source,
        [
          { oldest: "2020-12-01T00:00:00.000Z", newest: "2020-12-31T00:00:00.000Z" },
          { oldest: "2021-05-01T00:00:00.000Z", newest: "2021-05-31T00:00:00.000Z" },
        ],
      ],
    ]);
    const r = judge([s], spans);
    assert.equal(r.coverage.sources[0].window, "none");
    assert.equal(r.verdict, "unknown");
    // The same span without the gap covers the window (so the gap is what decided it).
    assert.equal(judge([s]).verdict, "clean");
  });

  it("logs of the mass-exploitation days after the patches: clean within coverage, partial (trap)", () => {
    const r = judge([source("HttpProxy/Ecp", "2021-03-03T00:00:00.000Z", "2021-03-05T00:00:00.000Z")]);
    assert.equal(r.coverage.windowCoverage, "partial");
    assert.equal(r.verdict, "clean");
    assert.match(r.reasons[0], /start after exploitation began/);
  });

  it("logs from before exploitation to after the patches: full; short pauses between files are no gap", () => {
    const s = source("HttpProxy/Ecp", "2020-12-20T00:00:00.000Z", "2021-03-14T00:00:00.000Z");
    const spans = new Map([
      [
        s.source,
        [
          { oldest: "2020-12-20T00:00:00.000Z", newest: "2021-02-01T00:00:00.000Z" },
          { oldest: "2021-02-03T00:00:00.000Z", newest: "2021-03-14T00:00:00.000Z" },
        ],
      ],
    ]);
    const r = judge([s], spans);
    assert.equal(r.coverage.windowCoverage, "full");
    assert.equal(r.coverage.coversWindow, true);
    assert.equal(r.verdict, "clean");
    // Only the sources the evidence lacks are gaps; the source read has none.
    assert.deepEqual(
      coverageDrafts(r.coverage).filter((d) => d.evidence.Source === s.source),
      [],
    );
  });

  it("scan: one export file with two channels is one log file in the headline; a record without a channel joins the file's channel", async (t) => {
    const dir = tempDir(t);
    const ev = (channel: string | null, i: number) =>
      JSON.stringify({
        "@timestamp": `2021-0${1 + (i % 3)}-1${i}T10:00:00.000Z`,
        winlog: {
          ...(channel ? { channel } : {}),
          computer_name: "EXCH03",
          event_id: 4624,
          provider_name: "Microsoft-Windows-Security-Auditing",
          record_id: i,
          event_data: { LogonType: "3" },
        },
      });
    mkdirSync(join(dir, "siem"), { recursive: true });
    const lines = [
      ...Array.from({ length: 4 }, (_, i) => ev("Security", i)),
      ...Array.from({ length: 3 }, (_, i) => ev("Application", i + 4)),
      ev(null, 8),
    ];
    writeFileSync(join(dir, "siem", "events.ndjson"), `${lines.join("\n")}\n`);
    const r = await scan([dir], { workers: 0 });
    const s = r.servers[0];
    assert.equal(s.stats.logFiles, 1);
    assert.deepEqual(
      s.coverage.sources.map((x) => x.source),
      ["Event log: Application", "Event log: Security"],
    );
    const head = s.reasons[0];
    assert.match(head, /1 log file from 2 sources/);
  });

  it("with nothing read (an empty folder), the missing list names every source, IIS logs too", () => {
    const c = buildCoverage([]);
    assert.deepEqual(c.missing, [
      "HttpProxy logs",
      "ECP Server logs",
      "OABGeneratorLog",
      "Event log: Application",
      "Event log: MSExchange Management",
      "IIS logs",
    ]);
  });
});
