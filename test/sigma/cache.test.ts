// The parsed-rule cache (sigma/cache.ts): where it lives, hits, a miss after a file changes, damaged
// or foreign cache files ignored, and the options that turn it off. Every cache here is in a temp
// folder (never the user's own); the CLI runs get it through EXHUNT_SIGMA_CACHE.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  CACHE_LOADER,
  cacheFileFor,
  parseThroughCache,
  SIGMA_CACHE_ENV,
  sigmaCacheDir,
} from "../../src/sigma/cache.js";
import { parseRuleText } from "../../src/sigma/load.js";
import { compileSources, readRuleSources, ruleFiles } from "../../src/sigma/ruleset.js";
import { runCli, tempDir } from "../helpers.js";
import { assertShared, NO_SHARED, ruleYaml, SIGMA_RULES } from "./helpers.js";

const rule = (title: string, id: string) =>
  ruleYaml("    sel:\n        Image|endswith: '\\\\certutil.exe'\n    condition: sel").replace(
    "title: Test rule\nid: 00000000-0000-0000-0000-000000000001",
    `title: ${title}\nid: ${id}`,
  );

function ruleDir(dir: string): string {
  const rules = join(dir, "rules");
  mkdirSync(join(rules, "sub"), { recursive: true });
  writeFileSync(join(rules, "a.yml"), rule("Rule A", "aaaaaaaa-0000-0000-0000-000000000001"));
  writeFileSync(join(rules, "sub", "b.yml"), rule("Rule B", "bbbbbbbb-0000-0000-0000-000000000001"));
  writeFileSync(join(rules, "c.yml"), "title: [unclosed\n");
  return rules;
}

/** A cache file's text with the right checksum for `body` (what a well-formed foreign file would have). */
const withSum = (head: Record<string, unknown>, body: string) =>
  `${JSON.stringify({ ...head, sha256: createHash("sha256").update(body).digest("hex") })}\n${body}`;

const texts = (root: string) => ruleFiles(root).map((f) => readFileSync(f, "utf8"));
const titles = (root: string, cache: string | null) =>
  compileSources(readRuleSources(root, null, cache)).rules.map((r) => r.meta.title);

describe("sigma parsed-rule cache", () => {
  test("where it lives: EXHUNT_SIGMA_CACHE, off, and the OS user cache folder", () => {
    const home = () => "/home/u";
    assert.equal(sigmaCacheDir({ [SIGMA_CACHE_ENV]: "/tmp/c" }, "linux", home), "/tmp/c");
    for (const off of ["off", "0", "false", "NO"])
      assert.equal(sigmaCacheDir({ [SIGMA_CACHE_ENV]: off }, "linux", home), null);
    assert.equal(sigmaCacheDir({}, "linux", home), "/home/u/.cache/exhunt/sigma");
    assert.equal(sigmaCacheDir({ XDG_CACHE_HOME: "/x" }, "linux", home), "/x/exhunt/sigma");
    assert.equal(sigmaCacheDir({ XDG_CACHE_HOME: "rel" }, "linux", home), "/home/u/.cache/exhunt/sigma");
    assert.equal(sigmaCacheDir({}, "darwin", home), "/home/u/Library/Caches/exhunt/sigma");
    assert.equal(
      sigmaCacheDir({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32", home),
      join("C:\\Users\\u\\AppData\\Local", "exhunt", "sigma"),
    );
    assert.equal(
      sigmaCacheDir({}, "linux", () => ""),
      null,
    );
  });

  test("a second run hits every file and parses nothing; the result is the parse's", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const cache = join(dir, "cache");
    const first = parseThroughCache(texts(rules), rules, cache);
    assert.deepEqual([first.hits, first.misses, first.written], [0, 3, true]);
    assert.ok(existsSync(cacheFileFor(cache, rules)));
    const second = parseThroughCache(texts(rules), rules, cache);
    assert.deepEqual([second.hits, second.misses, second.written], [3, 0, false]);
    assert.deepEqual(second.parsed, texts(rules).map(parseRuleText));
    assert.deepEqual(titles(rules, cache), ["Rule A", "Rule B"]);
    // The cached parse is what is used: an entry rewritten (well-formed, right checksum) shows through.
    const path = cacheFileFor(cache, rules);
    const [head, body] = readFileSync(path, "utf8").split("\n");
    writeFileSync(path, withSum(JSON.parse(head), body.replaceAll("Rule A", "Rule Z")));
    assert.deepEqual(titles(rules, cache), ["Rule Z", "Rule B"]);
  });

  test("a changed file misses (and only it); a removed file's entry is dropped", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const cache = join(dir, "cache");
    parseThroughCache(texts(rules), rules, cache);
    writeFileSync(join(rules, "a.yml"), rule("Rule A2", "aaaaaaaa-0000-0000-0000-000000000001"));
    const r = parseThroughCache(texts(rules), rules, cache);
    assert.deepEqual([r.hits, r.misses, r.written], [2, 1, true]);
    assert.deepEqual(titles(rules, cache), ["Rule A2", "Rule B"]);
    const size = () =>
      Object.keys(JSON.parse(readFileSync(cacheFileFor(cache, rules), "utf8").split("\n")[1])).length;
    assert.equal(size(), 3);
    const fewer = texts(rules).slice(1);
    const r2 = parseThroughCache(fewer, rules, cache);
    assert.deepEqual([r2.hits, r2.misses, r2.written], [2, 0, true]);
    assert.equal(size(), 2);
  });

  test("a damaged, foreign or other-version cache file is ignored, reparsed and rewritten", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const cache = join(dir, "cache");
    parseThroughCache(texts(rules), rules, cache);
    const path = cacheFileFor(cache, rules);
    const good = readFileSync(path, "utf8");
    const [head, body] = good.split("\n");
    const fresh = texts(rules).map(parseRuleText);
    const entries = JSON.parse(body) as Record<string, unknown>;
    const firstKey = Object.keys(entries)[0];
    const h = JSON.parse(head);
    const badShape = withSum(h, JSON.stringify({ ...entries, [firstKey]: { docs: "not a list" } }));
    const extraKey = withSum(h, JSON.stringify({ ...entries, [firstKey]: { docs: [{ value: 1, x: 2 }] } }));
    const oldLoader = withSum({ ...h, loader: "exhunt 0.0.1 sigma-parse 0" }, body);
    const foreign = withSum({ ...h, format: "something-else" }, body);
    const notMap = withSum(h, "[1, 2, 3]");
    const cases: Record<string, [string, number]> = {
      truncated: [good.slice(0, good.length - 40), 0],
      garbage: ["\u0000\u0001 not json at all", 0],
      "no header line": [body, 0],
      "a flipped byte (checksum)": [good.replace("Rule A", "Rule Q"), 0],
      "an entry of the wrong shape": [badShape, 2],
      "an entry with an unknown key": [extraKey, 2],
      "another loader version": [oldLoader, 0],
      "a foreign format": [foreign, 0],
      "a body that is not a map": [notMap, 0],
    };
    for (const [name, [text, hits]] of Object.entries(cases)) {
      writeFileSync(path, text);
      const r = parseThroughCache(texts(rules), rules, cache);
      assert.equal(r.hits, hits, name);
      assert.equal(r.misses, 3 - hits, name);
      assert.deepEqual(r.parsed, fresh, name);
      assert.equal(r.written, true, name);
      assert.deepEqual(titles(rules, cache), ["Rule A", "Rule B"], name);
      assert.equal(parseThroughCache(texts(rules), rules, cache).hits, 3, `${name}: rewritten`);
    }
    assert.match(readFileSync(path, "utf8"), new RegExp(`"loader":"${CACHE_LOADER}"`));
  });

  test("an unwritable cache folder costs only the parse", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = parseThroughCache(texts(rules), rules, join(file, "cache"));
    assert.deepEqual([r.hits, r.misses, r.written], [0, 3, false]);
    assert.deepEqual(r.parsed, texts(rules).map(parseRuleText));
  });

  test("no cache folder: nothing is read or written", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const r = parseThroughCache(texts(rules), rules, null);
    assert.deepEqual([r.hits, r.misses, r.written], [0, 3, false]);
    assert.ok(readRuleSources(rules).every((s) => s.parsed === undefined));
    assert.deepEqual(titles(rules, null), ["Rule A", "Rule B"]);
  });

  test("CLI: the cache under EXHUNT_SIGMA_CACHE; --no-cache, --no-sigma-cache and =off write none", (t) => {
    const dir = tempDir(t);
    const rules = ruleDir(dir);
    const evidence = join(dir, "evidence");
    mkdirSync(evidence);
    writeFileSync(join(evidence, "notes.txt"), "nothing to read\n");
    const run = (cache: string, args: string[], env: string = cache) => {
      const r = runCli(args, { [SIGMA_CACHE_ENV]: env });
      assert.ok(r.status !== null && r.status !== 2, r.stderr);
      return existsSync(cache) ? readdirSync(cache) : [];
    };
    const c1 = join(dir, "c1");
    assert.equal(run(c1, ["sigma", "--rules", rules, evidence]).length, 1);
    const c2 = join(dir, "c2");
    assert.deepEqual(run(c2, ["sigma", "--rules", rules, evidence, "--no-cache"]), []);
    const c3 = join(dir, "c3");
    const scan = [
      "scan",
      evidence,
      "--sigma",
      rules,
      "--workers",
      "0",
      "--no-progress",
      "--json",
      "/dev/null",
    ];
    // One for the user's folder; the bundled rules come parsed (data/sigma/parsed.json), nothing to cache.
    assert.equal(run(c3, scan).length, 1);
    const c4 = join(dir, "c4");
    assert.deepEqual(run(c4, [...scan, "--no-sigma-cache"]), []);
    assert.deepEqual(run(join(dir, "c5"), scan, "off"), []);
    // Nothing is ever written next to the evidence or the rules.
    assert.deepEqual(readdirSync(evidence), ["notes.txt"]);
  });
});

describe("sigma parsed-rule cache over SigmaHQ", { skip: NO_SHARED }, () => {
  test("every file's parse survives JSON unchanged, and the set loads the same through the cache", (t) => {
    assertShared();
    const root = join(SIGMA_RULES, "rules", "windows");
    const all = texts(root);
    for (const text of all) {
      const p = parseRuleText(text);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(p)), p);
    }
    const cache = join(tempDir(t), "cache");
    const summary = (c: string | null) => {
      const set = compileSources(readRuleSources(root, null, c));
      return {
        rules: set.rules.map((r) => [r.meta.id, r.meta.file, r.eventIds, r.keys, r.fields]),
        problems: set.problems,
        notApplicable: set.notApplicable,
      };
    };
    const plain = summary(null);
    assert.deepStrictEqual(summary(cache), plain);
    assert.equal(parseThroughCache(all, root, cache).hits, all.length);
    assert.deepStrictEqual(summary(cache), plain);
  });
});
