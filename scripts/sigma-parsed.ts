// Writes data/sigma/parsed.json: the bundled Sigma rules' YAML parsed (sigma/cache.ts's format, keyed by
// each file's SHA-256), so that no run parses their YAML — the first one, one without the cache, a
// library scan. The YAML files stay as shipped (licence and authors unchanged); an entry only applies to
// the exact text it was made from. Usage: npx tsx scripts/sigma-parsed.ts [--check]
// (--check: exit 1 when the file is out of date; test/sigma/bundled.test.ts checks the same).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dataPath } from "../src/data-path.js";
import { BUNDLED_PARSED } from "../src/detections/sigma.js";
import { cacheText, parseAll, SHIPPED_LOADER } from "../src/sigma/cache.js";
import { ruleFiles } from "../src/sigma/ruleset.js";

/** The text data/sigma/parsed.json should have. */
export function bundledParsedText(): string {
  const dir = dataPath("sigma");
  const texts = ruleFiles(dir).map((f) => readFileSync(f, "utf8"));
  return cacheText(parseAll(texts), SHIPPED_LOADER);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = join(dataPath("sigma"), BUNDLED_PARSED);
  const want = bundledParsedText();
  let have = "";
  try {
    have = readFileSync(path, "utf8");
  } catch {
    // absent
  }
  if (process.argv.includes("--check")) {
    if (have !== want) {
      console.error(`${path} is out of date: run npx tsx scripts/sigma-parsed.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(path, want);
    console.log(`${path}: ${want.length} bytes`);
  }
}
