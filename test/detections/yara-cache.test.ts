// The compiled-rule cache for YARA (detections/yara.ts compileYaraCached): a rule set compiled once is
// read back by later threads and scans; a damaged file is compiled afresh and rewritten; a cache that
// cannot be written only costs the compile. Needs the yara-x binding (skipped visibly without it).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { compileYara, compileYaraCached, type YaraSource, yaraEngine } from "../../src/detections/yara.js";
import { tempDir } from "../helpers.js";

const rule = (name: string, s: string): YaraSource => ({
  file: `${name}.yar`,
  text: `rule ${name} { strings: $a = "${s}" condition: $a }`,
});
const PAGE = Buffer.from('<%@ Page Language="C#" %><% marker-one marker-two %>');
const hits = (r: ReturnType<typeof compileYara>) => r.scan(PAGE).map((m) => m.ruleIdentifier);

test("YARA rule cache: written once, read back, keyed on the rule text; damaged or unwritable costs only a compile", (t) => {
  if (!yaraEngine()?.deserialize) {
    t.skip("yara-x engine (@litko/yara-x) with deserialize not installed on this platform");
    return;
  }
  const cache = tempDir(t);
  const one = [rule("One", "marker-one")];
  assert.deepEqual(hits(compileYaraCached(one, cache)), ["One"]);
  const files = readdirSync(join(cache, "yara"));
  assert.equal(files.length, 1);
  assert.match(files[0], /^[0-9a-f]{32}\.bin$/);
  const bin = join(cache, "yara", files[0]);

  // Read back, not compiled: the file under One's key holds Two's rules, and Two is what matches.
  const two = compileYara([rule("Two", "marker-two")]);
  const twoBytes = two.serialize?.();
  assert.ok(twoBytes);
  writeFileSync(bin, twoBytes);
  assert.deepEqual(hits(compileYaraCached(one, cache)), ["Two"]);

  // Another text is another key (a second file); the first is left alone.
  assert.deepEqual(hits(compileYaraCached([rule("Three", "marker-two")], cache)), ["Three"]);
  assert.equal(readdirSync(join(cache, "yara")).length, 2);

  // Damaged: compiled afresh, right answer, and the file rewritten to One's rules.
  writeFileSync(bin, Buffer.from("not a compiled rule set"));
  assert.deepEqual(hits(compileYaraCached(one, cache)), ["One"]);
  assert.notEqual(readFileSync(bin).toString("latin1", 0, 10), "not a comp");
  assert.deepEqual(hits(compileYaraCached(one, cache)), ["One"]);

  // A cache folder that cannot be made (a file stands where it should be): compiled, no error.
  const blocked = join(tempDir(t), "f");
  writeFileSync(blocked, "x");
  assert.deepEqual(hits(compileYaraCached(one, blocked)), ["One"]);
  // No cache: plain compile.
  assert.deepEqual(hits(compileYaraCached(one, null)), ["One"]);
});
