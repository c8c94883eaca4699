// The shared corpus (../shared: real public EVTX, IIS logs, Sigma samples) is part of CI. Outside CI,
// the tests that need it skip visibly; in CI its absence is a failure, never a silent skip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CORPUS, HAVE_CORPUS, IN_CI } from "./helpers.js";

test("the shared corpus is present in CI", { skip: IN_CI ? false : "not in CI (CI=true)" }, () => {
  assert.ok(HAVE_CORPUS, `${CORPUS} not found: CI must run the conformance tests, not skip them`);
});
