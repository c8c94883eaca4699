// Files are digested as their batches come back, in whatever order the threads finish; the server's
// result is folded in plan order. So which findings a check's cap keeps, and everything else in the
// result, is the same with a worker as in one thread.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { targetFor } from "../../src/evidence/targets.js";
import { scanServer } from "../../src/hunt/engine.js";
import { WorkerPool } from "../../src/hunt/pool.js";
import { tempDir } from "../helpers.js";
import { iisLog, iisLogLine } from "../iis-helpers.js";

const FILES = 700;

test("with a worker, the capped findings and the rest of the evidence are those of one thread", async (t) => {
  const root = join(tempDir(t), "EXCH01");
  const logs = join(root, "C/inetpub/logs/LogFiles/W3SVC1");
  mkdirSync(logs, { recursive: true });
  // More than the 16 MiB below which a scan reads in one thread; one planted request per file.
  const benign = Array.from({ length: 160 }, (_, i) =>
    iisLogLine({ stem: "/owa/service.svc", query: `action=GetItem&n=${i}`, ip: "10.1.2.3" }, i),
  );
  for (let f = 0; f < FILES; f++) {
    const planted = { method: "POST", stem: `/aspnet_client/x${f}.aspx`, status: 200, ip: "203.0.113.77" };
    const text = iisLog([planted]).replace(/\r\n$/, `\r\n${benign.join("\r\n")}\r\n`);
    writeFileSync(join(logs, `u_ex21${String(f).padStart(4, "0")}.log`), text);
  }
  const target = await targetFor(root);
  const opts = { maxFindingsPerCheck: 5, workers: 1 };
  const one = await scanServer(target, { ...opts, workers: 0 }, createHuntContext());
  const hunt = createHuntContext();
  const pool = new WorkerPool(1, hunt);
  let two: Awaited<ReturnType<typeof scanServer>>;
  try {
    two = await scanServer(target, opts, hunt, pool);
    assert.equal(pool.started, 1, "the worker read some of the files");
  } finally {
    await pool.close();
  }
  const shown = (e: typeof one.evidence) => ({
    findings: e.findings.map((f) => `${f.id} ${f.check} ${f.source.file}:${f.source.line}`),
    omitted: e.omittedFindings,
    coverage: e.coverage,
    skipped: e.skipped,
    files: e.files,
    records: e.stats.records,
  });
  const script = one.evidence.findings.filter((f) => f.check === "iis-request-to-unexpected-script");
  assert.equal(script.length, 5, "the cap keeps five");
  assert.equal(one.evidence.omittedFindings["iis-request-to-unexpected-script"], FILES - 5);
  // The first five files of the walk, in its order.
  assert.deepEqual(
    script.map((f) => f.source.file).sort(),
    [0, 1, 2, 3, 4].map((f) => `C/inetpub/logs/LogFiles/W3SVC1/u_ex21${String(f).padStart(4, "0")}.log`),
  );
  assert.deepEqual(shown(two.evidence), shown(one.evidence));
});
