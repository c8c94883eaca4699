// Format parity: the same events delivered as .evtx (one file per channel, as Windows keeps them) and
// in each export format give the same findings, the same coverage per channel and the same verdict.
// What a format cannot carry is named per format below, with the reason; everything else is equal.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { scan } from "../../../src/index.js";
import type { ServerResult } from "../../../src/model/types.js";
import { scenarioRecords } from "../../events-scenario.js";
import { writeEvtx } from "../../evtx-writer.js";
import {
  chainsawJson,
  chainsawSearchYaml,
  chainsawV1Json,
  ecsNdjson,
  evtxDumpJsonl,
  evtxecmdCsv,
  flatNxlogJson,
  hayabusaCsv,
  hayabusaJsonl,
  powershellClixml,
  powershellJson,
  type Rec,
  sentinelCsv,
  sentinelJson,
  velociraptorJsonl,
} from "../../export-writers.js";
import { tempDir } from "../../helpers.js";

const HAVE_EVTXEXPORT = spawnSync("evtxexport", ["-V"]).error === undefined;

function place(root: string, rel: string, data: string | Buffer): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

interface Format {
  name: string;
  files: (evs: Rec[]) => [string, string | Buffer][];
  /** Evidence this format cannot carry (keys, or values that differ by nature), per check, and why. */
  missing?: { keys: string[]; checks: RegExp; why: string }[];
  /** Findings this format cannot give at all, and why. */
  absent?: { checks: RegExp; why: string };
}

const evtxFiles = (evs: Rec[]): [string, Buffer][] => {
  const byChannel = new Map<string, Rec[]>();
  for (const e of evs) byChannel.set(e.channel, [...(byChannel.get(e.channel) ?? []), e]);
  return [...byChannel].map(([ch, list]) => [
    `Windows/System32/winevt/Logs/${ch.replaceAll("/", "%4")}.evtx`,
    writeEvtx(list),
  ]);
};

const FORMATS: Format[] = [
  { name: "evtx_dump JSON lines", files: (e) => [["exports/events.jsonl", evtxDumpJsonl(e)]] },
  { name: "Chainsaw 2 hunt JSON", files: (e) => [["chainsaw/hits.json", chainsawJson(e)]] },
  {
    name: "Chainsaw 2 hunt JSON, events repeated per rule and an aggregate detection",
    files: (e) => [["chainsaw/hits.json", chainsawJson(e, { repeats: true })]],
  },
  { name: "Chainsaw search YAML", files: (e) => [["chainsaw/search.yml", chainsawSearchYaml(e)]] },
  {
    name: "Chainsaw 1 hunt -j (#attributes)",
    files: (e) => [["chainsaw1/hunt.json", chainsawV1Json(e, "#attributes")]],
  },
  {
    name: "Chainsaw 1 hunt -j (separate _attributes)",
    files: (e) => [["chainsaw1/hunt.json", chainsawV1Json(e, "_attributes")]],
  },
  { name: "Winlogbeat ECS", files: (e) => [["siem/winlogbeat.ndjson", ecsNdjson(e)]] },
  {
    name: "flat NXLog JSON",
    files: (e) => [["nxlog/events.json", flatNxlogJson(e)]],
    missing: [
      {
        keys: ["User"],
        checks: /vdir|export|role/,
        why: "the cmdlet log's caller is an event parameter, not part of the rendered message NXLog keeps",
      },
      {
        keys: ["Message", "Match"],
        checks: /26857/,
        why: "an event without parameter names reaches NXLog as its rendered message, which the evidence quotes",
      },
      {
        keys: ["Text"],
        checks: /sigma/,
        why: "Sigma keyword rules quote the record's text: NXLog keeps the rendered message, without the caller and session parameters that follow the cmdlet in the event",
      },
    ],
  },
  { name: "Velociraptor JSON lines", files: (e) => [["velociraptor/EventLogs.json", velociraptorJsonl(e)]] },
  {
    name: "PowerShell ConvertTo-Json (UTF-16)",
    files: (e) => [
      [
        "ps/events.json",
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(powershellJson(e), "utf16le")]),
      ],
    ],
  },
  { name: "PowerShell Export-Clixml", files: (e) => [["ps/events.xml", powershellClixml(e)]] },
  { name: "EvtxECmd CSV", files: (e) => [["kape/EvtxECmd_Output.csv", evtxecmdCsv(e)]] },
  {
    name: "Hayabusa JSON lines",
    files: (e) => [["hayabusa/timeline.jsonl", hayabusaJsonl(e)]],
    absent: {
      checks: /26857/,
      why: "Hayabusa's timeline names no provider; it is implied from the channel only where that is unambiguous (Security, Sysmon, MSExchange Management), not for Application",
    },
  },
  {
    name: "Hayabusa CSV timeline (default output)",
    files: (e) => [["hayabusa/timeline.csv", hayabusaCsv(e)]],
    absent: {
      checks: /26857/,
      why: "Hayabusa's timeline names no provider; it is implied from the channel only where that is unambiguous (Security, Sysmon, MSExchange Management), not for Application",
    },
  },
  {
    name: "Sentinel JSON",
    files: (e) => [["sentinel/export.json", sentinelJson(e)]],
    missing: [{ keys: ["RecordId"], checks: /./, why: "Log Analytics tables keep no EventRecordID" }],
  },
  {
    name: "Sentinel CSV",
    files: (e) => [
      ["sentinel/SecurityEvent.csv", sentinelCsv(e, "SecurityEvent")],
      ["sentinel/Event.csv", sentinelCsv(e, "Event")],
    ],
    missing: [{ keys: ["RecordId"], checks: /./, why: "Log Analytics tables keep no EventRecordID" }],
  },
];

/** A finding without where it was read from (file, line, and the id they feed). */
function comparable(s: ServerResult) {
  return s.findings
    .filter((f) => f.check !== "log-coverage")
    .map((f) => ({
      check: f.check,
      severity: f.severity,
      title: f.title,
      time: f.time,
      evidence: f.evidence,
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function coverageOf(s: ServerResult) {
  return s.coverage.sources
    .map((c) => ({ source: c.source, oldest: c.oldest, newest: c.newest }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

async function scanTree(t: { after(fn: () => void): void }, files: [string, string | Buffer][]) {
  const dir = tempDir(t);
  for (const [rel, data] of files) place(join(dir, "EXCH01"), rel, data);
  const r = await scan([join(dir, "EXCH01")], { workers: 0 });
  return r.servers[0];
}

describe("format parity: the same events as .evtx and as every export", () => {
  const evs = scenarioRecords();
  let base: ServerResult;
  before(async () => {
    const holder: (() => void)[] = [];
    base = await scanTree({ after: (f) => holder.push(f) }, evtxFiles(evs));
    process.on("exit", () => {
      for (const f of holder) f();
    });
  });

  it("the .evtx baseline finds the scenario", () => {
    const checks = new Set(base.findings.map((f) => f.check));
    for (const c of [
      "cve-2021-27065-vdir-cmdlet",
      "proxyshell-mailbox-export-webshell",
      "proxyshell-import-export-role",
      "proxyshell-export-cleanup",
      "w3wp-spawned-shell",
      "webshell-file-created",
      "cve-2021-26857-um",
      "event-log-cleared",
    ])
      assert.ok(checks.has(c), `${c} in ${[...checks].join(", ")}`);
    assert.equal(base.verdict, "compromised");
    // The benign look-alikes stay silent: csc.exe under w3wp, a URL without script, a PST to a share.
    assert.equal(base.findings.filter((f) => f.check === "w3wp-spawned-shell").length, 2);
    assert.equal(base.findings.filter((f) => f.check === "cve-2021-27065-vdir-cmdlet").length, 1);
    assert.equal(base.findings.filter((f) => f.check === "proxyshell-mailbox-export-webshell").length, 1);
    assert.equal(base.skipped.length, 0, JSON.stringify(base.skipped));
  });

  for (const fmt of FORMATS) {
    it(`${fmt.name}: same findings, coverage and verdict`, async (t) => {
      const got = await scanTree(t, fmt.files(evs));
      assert.equal(got.skipped.length, 0, JSON.stringify(got.skipped));
      assert.equal(got.stats.records, evs.length);
      const strip = (fs: ReturnType<typeof comparable>) =>
        fs
          .filter((f) => !fmt.absent?.checks.test(f.check))
          .map((f) => {
            const drop = (fmt.missing ?? []).filter((m) => m.checks.test(f.check)).flatMap((m) => m.keys);
            return {
              ...f,
              evidence: Object.fromEntries(Object.entries(f.evidence).filter(([k]) => !drop.includes(k))),
            };
          })
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const mine = comparable(got);
      assert.deepEqual(strip(mine), strip(comparable(base)));
      // What is stripped is really missing, not hidden: the format gives exactly the rest.
      for (const f of mine) {
        assert.ok(!fmt.absent?.checks.test(f.check), `${f.check} was expected absent`);
        for (const m of fmt.missing ?? [])
          if (
            m.checks.test(f.check) &&
            m.keys.some((k) => k in f.evidence && k !== "Message" && k !== "Match" && k !== "Text")
          )
            assert.fail(`${f.check}: ${m.keys} present though declared missing`);
      }
      assert.deepEqual(coverageOf(got), coverageOf(base));
      assert.equal(got.verdict, base.verdict);
      if (!fmt.absent) assert.deepEqual(got.reasons, base.reasons);
    });
  }

  it("wevtutil-style XML (evtxexport -f xml of the same .evtx): same findings and verdict", {
    skip: HAVE_EVTXEXPORT ? false : "evtxexport not installed (apt-get install libevtx-utils)",
  }, async (t) => {
    const dir = tempDir(t);
    const files = evtxFiles(evs);
    const xml: string[] = [];
    for (const [rel, data] of files) {
      const p = join(dir, rel.replaceAll("/", "_"));
      writeFileSync(p, data);
      const r = spawnSync("evtxexport", ["-f", "xml", p], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      xml.push(r.stdout);
    }
    const got = await scanTree(t, [["wevtutil/all.xml", xml.join("\n")]]);
    assert.deepEqual(comparable(got), comparable(base));
    assert.equal(got.verdict, base.verdict);
  });
});
