// runBatchHere (results kept on the thread that read them) gives the same results as runBatch, with
// copies of what is kept to the end of the scan (a slice of a file's text keeps the whole text alive).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { type ReadTask, runBatch, runBatchHere } from "../../src/hunt/task.js";

test("runBatchHere: the same results as runBatch, with its own drafts and collected items", () => {
  const dir = mkdtempSync(join(tmpdir(), "exhunt-here-"));
  try {
    const abs = join(dir, "u_ex210302.log");
    writeFileSync(
      abs,
      [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        "#Date: 2021-03-02 00:00:00",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
        "2021-03-02 02:10:11 10.0.0.5 POST /ecp/y.js - 443 - 203.0.113.77 Mozilla/5.0 - 241 0 0 15",
        "2021-03-02 02:11:12 10.0.0.5 GET /owa/healthcheck.htm - 443 - 10.0.0.9 AMProbe/Local/ClientAccess - 200 0 0 1",
        "",
      ].join("\r\n"),
    );
    const size = statSync(abs).size;
    const task: ReadTask = {
      id: 0,
      abs,
      rel: "C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log",
      size,
      ctx: { server: "s", file: "C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log", installPath: null },
      maxDraftsPerCheck: 100,
      fileKind: null,
      start: 0,
      end: size,
      rangeHeaderFields: null,
    };
    const hunt = createHuntContext();
    const [a] = runBatch([task], hunt);
    const [b] = runBatchHere([task], hunt);
    assert.deepEqual(b, a);
    assert.ok(a.drafts.length > 0, "the planted row makes a finding");
    assert.equal(b.fileKind?.preamble?.software, "Microsoft Internet Information Services 10.0");
    // A whole file's result carries no columns back (only ranges of a split file need them).
    assert.equal(b.fileKind?.headerFields, null);
    assert.equal(b.stats?.lastHeaderFields, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
