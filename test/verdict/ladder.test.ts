// docs/verdict.md is the code: its ladder table must equal LADDER, and each row must decide as it says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildCoverage } from "../../src/evidence/coverage.js";
import type { Finding } from "../../src/model/finding.js";
import type { Confidence, Effect, Severity } from "../../src/model/types.js";
import { LADDER } from "../../src/verdict/ladder.js";
import { decideVerdict } from "../../src/verdict/verdict.js";
import { ROOT } from "../helpers.js";

const ALL_CONF = ["high", "medium", "low"];
const ALL_SEV = ["critical", "high", "medium", "low", "info"];

function docTable(): string[][] {
  const text = readFileSync(join(ROOT, "docs/verdict.md"), "utf8");
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| Rule | Effect |"));
  assert.ok(start >= 0, "docs/verdict.md has the ladder table");
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith("|")) break;
    rows.push(
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const list = (cell: string, all: string[]) => (cell === "any" ? all : cell.split(/,\s*/));

export function finding(
  check: string,
  effect: Effect,
  confidence: Confidence = "medium",
  severity: Severity = "high",
  time = "2021-03-01T10:00:00.000Z",
): Finding {
  return {
    id: `${check}-${effect}-${confidence}-${time}`,
    check,
    effect,
    severity,
    confidence,
    cves: [],
    title: check,
    server: "EX1",
    subject: { kind: "evidence" },
    source: { file: "x", excerpt: "" },
    time,
    rule: { id: check, title: check, references: [] },
    evidence: {},
  } as unknown as Finding;
}

const covered = buildCoverage([
  {
    source: "HttpProxy/Ecp",
    kind: "httpproxy",
    files: 1,
    bytes: 1,
    oldest: "2020-12-01T00:00:00.000Z",
    newest: "2021-04-01T00:00:00.000Z",
  },
]);

describe("the evidence ladder", () => {
  it("docs/verdict.md's table equals LADDER row by row", () => {
    const doc = docTable();
    assert.equal(doc.length, LADDER.length);
    doc.forEach((cells, i) => {
      const r = LADDER[i];
      assert.equal(cells[0], r.id);
      assert.equal(cells[1], r.effect, r.id);
      assert.deepEqual(list(cells[2], ALL_CONF), [...r.confidence], r.id);
      assert.deepEqual(list(cells[3], ALL_SEV), [...r.severity], r.id);
      assert.equal(cells[4], r.alone, r.id);
      assert.equal(cells[5], r.withExploitation, r.id);
      assert.equal(cells[6], r.evidence, r.id);
    });
  });

  it("proof alone decides compromised; its trap: a path-only IOC (context, low) alone stays clean", () => {
    assert.equal(
      decideVerdict([finding("webshell-content", "compromise", "high")], covered).verdict,
      "compromised",
    );
    const ioc = decideVerdict([finding("ioc-file-path", "context", "low")], covered);
    assert.equal(ioc.verdict, "clean");
    assert.ok(ioc.reasons.some((r) => /single weak signal/.test(r)));
  });

  it("weak-proof alone is suspicious, with an attempt compromised", () => {
    assert.equal(decideVerdict([finding("x", "compromise", "low")], covered).verdict, "suspicious");
    const both = decideVerdict([finding("x", "compromise", "low"), finding("probe", "attempt")], covered);
    assert.equal(both.verdict, "compromised");
    assert.deepEqual(both.basis.rules, ["weak-proof"]);
  });

  it("attempts alone are attempted; its trap: an archive (weak context) with attempts is not compromised", () => {
    assert.equal(decideVerdict([finding("probe", "attempt")], covered).verdict, "attempted");
    const r = decideVerdict(
      [finding("probe", "attempt"), finding("suspicious-archive", "context", "medium", "medium")],
      covered,
    );
    assert.equal(r.verdict, "attempted");
  });

  it("strong context (proven LSASS dump outside the windows) is suspicious, never clean; with attempts compromised", () => {
    const dump = finding("event-lsass-dump", "context", "high", "high", "2025-10-24T23:45:00.000Z");
    const alone = decideVerdict([dump], covered);
    assert.equal(alone.verdict, "suspicious");
    assert.match(alone.reasons[0], /2025-10-24/);
    assert.equal(decideVerdict([dump, finding("probe", "attempt")], covered).verdict, "compromised");
    // Trap: the same check with medium confidence (an lsass*.dmp file on disk) is listed only.
    assert.equal(decideVerdict([finding("lsass-dump", "context", "medium")], covered).verdict, "clean");
  });

  it("exposure is vulnerable; coverage and info findings never raise", () => {
    assert.equal(decideVerdict([finding("build", "exposure")], covered).verdict, "vulnerable");
    const cleared = decideVerdict([finding("event-log-cleared", "coverage")], covered);
    assert.equal(cleared.verdict, "clean");
    assert.ok(cleared.reasons.some((r) => /gap in the evidence/.test(r)));
    assert.ok(!cleared.reasons.some((r) => /backup and antivirus/.test(r)));
    assert.equal(decideVerdict([finding("process-dump-not-lsass", "info")], covered).verdict, "clean");
  });

  it("every verdict says what decided it and what would change it", () => {
    for (const fs of [[finding("w", "compromise", "high")], [finding("p", "attempt")], []]) {
      const r = decideVerdict(fs, covered);
      assert.ok(r.basis.decidedBy.length > 0 && r.basis.wouldChange.length > 0, r.verdict);
    }
  });

  it("logs of 2023 are clean within coverage for the later waves, not unknown; logs of 2019 unknown", () => {
    const later = buildCoverage([
      {
        source: "IIS W3SVC1",
        kind: "iis-w3c",
        files: 1,
        bytes: 1,
        oldest: "2023-02-01T00:00:00.000Z",
        newest: "2023-03-01T00:00:00.000Z",
      },
    ]);
    const r = decideVerdict([], later);
    assert.equal(r.verdict, "clean");
    assert.ok(
      r.reasons.some((x) => /ProxyShell \(partial\), ProxyNotShell \(partial\) only/.test(x)),
      r.reasons.join("\n"),
    );
    const old = buildCoverage([
      {
        source: "IIS W3SVC1",
        kind: "iis-w3c",
        files: 1,
        bytes: 1,
        oldest: "2019-02-01T00:00:00.000Z",
        newest: "2019-03-01T00:00:00.000Z",
      },
    ]);
    assert.equal(decideVerdict([], old).verdict, "unknown");
  });
});
