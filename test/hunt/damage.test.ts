import assert from "node:assert/strict";
import { test } from "node:test";
import { sumCounts } from "../../src/hunt/digest.js";

test("damage of a file read in ranges: counts summed, repeated sentences once, specifics kept", () => {
  assert.deepEqual(
    sumCounts([
      "7 records not decoded",
      "chunk 16: record 5 at offset 0x10 not decoded (bad token)",
      "1 record not decoded",
      "further problems not listed",
      "1 chunk with checksum mismatch (records read anyway)",
      "chunk 201: record 5 at offset 0x10 not decoded (bad token)",
      "further problems not listed",
      "2 chunks with checksum mismatch (records read anyway)",
    ]),
    [
      "8 records not decoded",
      "chunk 16: record 5 at offset 0x10 not decoded (bad token)",
      "further problems not listed",
      "3 chunks with checksum mismatch (records read anyway)",
      "chunk 201: record 5 at offset 0x10 not decoded (bad token)",
    ],
  );
  assert.deepEqual(sumCounts(["1 record not decoded"]), ["1 record not decoded"]);
  assert.deepEqual(sumCounts([]), []);
});
