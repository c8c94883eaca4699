// The one-pass search's bucketing: every literal in exactly one bucket, and literals that would widen
// the others' fingerprints (a one-byte `%`) kept apart while there are buckets to spare.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUCKETS, bucketsOf } from "../../src/readers/wasm/buckets.js";

const keys = (xs: string[]) => xs.map((x) => Buffer.from(x, "latin1"));

describe("bucketsOf", () => {
  it("puts every literal in exactly one of the buckets", () => {
    const lits = Array.from({ length: 64 }, (_, i) => `lit${i}-${"abcdefgh"[i % 8]}`);
    const b = bucketsOf(
      keys(lits),
      lits.map(() => true),
    );
    assert.equal(b.length, BUCKETS);
    assert.deepEqual(
      b.flat().sort((x, y) => x - y),
      lits.map((_, i) => i),
    );
  });

  it("keeps a one-byte literal out of the buckets of longer ones", () => {
    const lits = ["%", "/ecp/", "/auth/", ".as", ".cer", "autodiscover.json", "powershell", "=cmd", "=net"];
    const b = bucketsOf(
      keys(lits),
      lits.map(() => true),
    );
    const withPercent = b.find((g) => g.includes(0));
    assert.deepEqual(withPercent, [0]);
  });
});
