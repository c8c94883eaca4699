// `exhunt events` against Debian's evtxexport (libevtx) on every corpus file, through
// scripts/evtx-conformance.ts. Every difference is one of the explained kinds below.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { conformance } from "../../../scripts/evtx-conformance.js";
import { parseEvtxFile, toEventRecord } from "../../../src/readers/evtx/index.js";
import { CORPUS, NO_CORPUS } from "../../helpers.js";

const HAVE_EVTXEXPORT = spawnSync("evtxexport", ["-V"]).error === undefined;

/**
 * Files libevtx 20181227 cannot export to the end: it stops at the first record it cannot read.
 * CAPI2: an entity reference inside an attribute value (token 0x49); the WEC-forwarded Exchange
 * record: a plain element stream (it reads a dependency id that is not there, then token 0x05).
 */
const LIBEVTX_STOPS: Record<string, string> = {
  "E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx": "0x49",
  "E_ShadowCopy6_windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx": "0x49",
  "MSExchange_Management_wec.evtx": "0x05",
  "issue_201.evtx": "0x05",
};

test("exhunt events agrees with evtxexport on every corpus file", {
  skip: NO_CORPUS || (HAVE_EVTXEXPORT ? false : "evtxexport not installed (apt-get install libevtx-utils)"),
}, () => {
  const results = conformance([join(CORPUS, "evtx")]);
  assert.equal(results.length, 23 + 202);
  for (const r of results) {
    const name = basename(r.file);
    assert.deepEqual(r.diffs, [], `${name}: values differ`);
    assert.deepEqual(r.onlyLibevtx, [], `${name}: records only libevtx reads`);
    // Records only we read are exactly the half-written ones (size copy at the end is wrong),
    // which libevtx rejects and the Rust crate, like us, renders.
    const torn: number[] = [];
    parseEvtxFile(r.file, statSync(r.file).size, (x) => {
      if (x.torn) torn.push(toEventRecord(x.root, x.id).recordId ?? -1);
    });
    const stop = LIBEVTX_STOPS[name];
    if (stop) {
      assert.ok(r.libevtxFailed?.includes(stop), `${name}: libevtx stops on ${stop}`);
      assert.ok(r.libevtx < r.exhunt, name);
      continue;
    }
    assert.equal(r.libevtxFailed, null, name);
    assert.deepEqual(r.onlyExhunt, torn, `${name}: records only exhunt reads`);
    assert.equal(r.libevtx, r.exhunt - torn.length, name);
  }
  const extra = results.flatMap((r) => r.onlyExhunt.map((id) => `${basename(r.file)}:${id}`));
  assert.deepEqual(extra, [
    "Microsoft-Windows-HelloForBusiness%4Operational.evtx:0",
    "Microsoft-Windows-LanguagePackSetup%4Operational.evtx:17",
    "sample_with_a_bad_chunk_magic.evtx:46741",
    "sample_with_a_bad_chunk_magic.evtx:47640",
    "sample_with_a_bad_chunk_magic.evtx:45933",
  ]);
});
