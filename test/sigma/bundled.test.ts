// The bundled SigmaHQ selection: unchanged copies (byte for byte, when ../shared is there), all load,
// each listed with its author in SOURCES.md under its DRL 1.1 licence, and the effect table only
// names bundled high/critical rules.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundledParsedText } from "../../scripts/sigma-parsed.js";
import { BUNDLED_PARSED, bundledSigmaSources, compileSigmaSetup } from "../../src/detections/sigma.js";
import { parseThroughCache } from "../../src/sigma/cache.js";
import { EXCHANGE_RULE_EFFECTS, sigmaEffect } from "../../src/sigma/effects.js";
import { parseRuleText } from "../../src/sigma/load.js";
import { ROOT } from "../helpers.js";
import { NO_SHARED, SIGMA_RULES } from "./helpers.js";

const DATA = join(ROOT, "data", "sigma");

describe("bundled sigma rules", () => {
  const sources = bundledSigmaSources();
  const set = compileSigmaSetup({ bundled: true, user: [], minLevel: null });

  test("all load, with licence and author", () => {
    assert.ok(sources.length >= 40, `${sources.length} bundled rules`);
    assert.deepEqual(set.problems, []);
    assert.equal(set.rules.length + set.notApplicable.length, sources.length);
    for (const r of set.rules) {
      assert.match(r.meta.licence ?? "", /DRL-1\.1/);
      assert.ok(r.meta.author, `${r.meta.file} has an author`);
    }
  });

  test("their shipped parse (data/sigma/parsed.json) is up to date and used: no YAML parsed", () => {
    assert.equal(
      readFileSync(join(DATA, BUNDLED_PARSED), "utf8"),
      bundledParsedText(),
      "data/sigma/parsed.json is stale: run npx tsx scripts/sigma-parsed.ts",
    );
    const texts = sources.map((s) => s.text);
    const r = parseThroughCache(texts, DATA, null, join(DATA, BUNDLED_PARSED));
    assert.deepEqual([r.hits, r.misses, r.written], [texts.length, 0, false]);
    assert.deepStrictEqual(r.parsed, texts.map(parseRuleText));
    // A text that changed is parsed again (the shipped entry is for the old text only).
    const changed = [`${texts[0]}\n# edited\n`, ...texts.slice(1)];
    const c = parseThroughCache(changed, DATA, null, join(DATA, BUNDLED_PARSED));
    assert.deepEqual([c.hits, c.misses], [texts.length - 1, 1]);
    assert.deepStrictEqual(c.parsed[0], parseRuleText(changed[0]));
  });

  test("SOURCES.md lists every file with its id and author; the licence text is there", () => {
    const md = readFileSync(join(DATA, "SOURCES.md"), "utf8");
    for (const r of set.rules) {
      const rel = r.meta.file.replace(/^bundled:/, "");
      assert.ok(md.includes(`\`${rel}\` | ${r.meta.id}`), `${rel} in SOURCES.md`);
    }
    assert.match(readFileSync(join(DATA, "LICENSE.md"), "utf8"), /Detection Rule License \(DRL\) 1\.1/);
    assert.match(md, /8eaafff1f2845a696050e05e72ba1140ee190698/);
  });

  test("the effect table names bundled rules at level high or critical only", () => {
    const byId = new Map(set.rules.map((r) => [r.meta.id, r]));
    for (const [id, e] of Object.entries(EXCHANGE_RULE_EFFECTS)) {
      const r = byId.get(id);
      assert.ok(r, `${e.rule} (${id}) is bundled`);
      assert.ok(r.meta.level === "high" || r.meta.level === "critical", `${e.rule} is ${r.meta.level}`);
      assert.equal(sigmaEffect(r.meta), e.effect);
    }
    // A listed id at a lower level (a user's copy edited down) is context.
    const [id] = Object.keys(EXCHANGE_RULE_EFFECTS);
    assert.equal(sigmaEffect({ id, level: "medium" }), "context");
    assert.equal(sigmaEffect({ id: "not-listed", level: "critical" }), "context");
  });

  test("copies are byte for byte those of SigmaHQ", { skip: NO_SHARED }, () => {
    for (const s of sources) {
      const rel = s.file.replace(/^bundled:/, "");
      const upstream = join(SIGMA_RULES, rel);
      assert.ok(existsSync(upstream), `${rel} exists upstream`);
      assert.equal(s.text, readFileSync(upstream, "utf8"), `${rel} unchanged`);
    }
  });
});
