// No hidden state: the options of a scan travel in its hunt context. Two scans with different options
// at the same time in one process give exactly what two separate processes give; a detection that
// throws becomes a visible finding and the scan goes on.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { exampleIocFeed, writeCompromised } from "../../examples/generate.js";
import { createHuntContext, EMPTY_SETUP } from "../../src/detections/context.js";
import { detections } from "../../src/detections/registry.js";
import type { ContentDetection, FindingsDetection, RowDetection } from "../../src/detections/types.js";
import { targetFor } from "../../src/evidence/targets.js";
import { scanServer } from "../../src/hunt/engine.js";
import { scan } from "../../src/index.js";
import type { ScanResult } from "../../src/model/types.js";
import { runCli, tempDir } from "../helpers.js";

/** What a scan found, without the times that differ between runs. */
function essence(r: ScanResult) {
  return r.servers.map((s) => ({
    name: s.name,
    verdict: s.verdict,
    reasons: s.reasons,
    findings: s.findings.map((f) => `${f.id} ${f.check}`),
    plan: s.plan.map((p) => p.id),
    timeline: s.timeline.entries.length,
  }));
}

describe("hunt context", () => {
  it("two scans with different --ioc at once in one process equal two separate processes", async (t) => {
    const dir = tempDir(t);
    const ev = join(dir, "EXCH01");
    writeCompromised(ev, {
      rowsPerHour: 6,
      from: new Date("2021-03-01T00:00:00Z"),
      to: new Date("2021-03-05T00:00:00Z"),
    });
    const feed = join(dir, "feed.txt");
    writeFileSync(feed, exampleIocFeed());
    const [withFeed, without] = await Promise.all([
      scan([ev], { workers: 1, iocFiles: [feed] }),
      scan([ev], { workers: 1 }),
    ]);
    const a = runCli(["scan", ev, "--workers", "1", "--ioc", feed, "--json", "-", "--no-progress"]);
    const b = runCli(["scan", ev, "--workers", "1", "--json", "-", "--no-progress"]);
    assert.deepEqual(essence(withFeed), essence(JSON.parse(a.stdout) as ScanResult));
    assert.deepEqual(essence(without), essence(JSON.parse(b.stdout) as ScanResult));
    // The feed made a difference (so the test can fail): its IP and hash hit only with it.
    const checks = (r: ScanResult) => new Set(r.servers[0].findings.map((f) => f.check));
    assert.ok(checks(withFeed).has("ioc-client-ip"));
    assert.ok(!checks(without).has("ioc-client-ip"));
  });

  it("a detection that throws becomes a detection-failed finding; every other detection still runs", async (t) => {
    const dir = tempDir(t);
    const ev = join(dir, "EXCH01");
    writeCompromised(ev, {
      rowsPerHour: 2,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-04T00:00:00Z"),
    });
    const boom = (): never => {
      throw new Error("boom");
    };
    const row: RowDetection = {
      type: "row",
      id: "test-throwing-row",
      checks: [],
      kinds: ["httpproxy"],
      literals: ["ServerInfo~"],
      match: boom,
    };
    const content: ContentDetection = {
      type: "content",
      id: "test-throwing-content",
      checks: [],
      select: () => true,
      match: boom,
    };
    const findings: FindingsDetection = {
      type: "findings",
      id: "test-throwing-findings",
      checks: [],
      run: boom,
    };
    const hunt = createHuntContext(EMPTY_SETUP, [row, ...detections, content, findings]);
    const target = await targetFor(ev);
    const { evidence } = await scanServer(target, { workers: 0 }, hunt);
    const failed = evidence.findings.filter((f) => f.check === "detection-failed");
    const ids = new Set(failed.map((f) => f.evidence.Detection));
    assert.deepEqual([...ids].sort(), [
      "test-throwing-content",
      "test-throwing-findings",
      "test-throwing-row",
    ]);
    assert.ok(failed.every((f) => f.evidence.Error === "boom" && f.effect === "coverage"));
    // Bounded: one bug on every row does not flood the result.
    assert.ok(failed.length < 50, `${failed.length} detection-failed findings`);
    // The real detections, before and after the throwing ones in the table, still found the attack.
    const checks = new Set(evidence.findings.map((f) => f.check));
    for (const c of ["cve-2021-26855-ssrf", "webshell-oab-settings", "log-coverage", "webshell-used"])
      assert.ok(checks.has(c), c);
  });
});
