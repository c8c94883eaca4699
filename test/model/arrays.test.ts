import assert from "node:assert/strict";
import { test } from "node:test";
import { append } from "../../src/model/arrays.js";

test("append takes lists longer than a call's argument limit (push(...x) throws there)", () => {
  const many = Array.from({ length: 300_000 }, (_, i) => i);
  assert.throws(() => [0].push(...many), RangeError, "the limit this guards against");
  const into = [-1];
  assert.equal(append(into, many), into);
  assert.equal(into.length, 300_001);
  assert.equal(into[300_000], 299_999);
  assert.deepEqual(append([1], new Set([2, 3])), [1, 2, 3], "any iterable");
});
