import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { checksMarkdown } from "../scripts/checks-doc.js";
import { allChecks } from "../src/index.js";

describe("documentation", () => {
  it("docs/checks.md lists every registered check as the code declares it", () => {
    const file = readFileSync(new URL("../docs/checks.md", import.meta.url), "utf8");
    assert.equal(file, checksMarkdown(), "docs/checks.md is stale: run npx tsx scripts/checks-doc.ts");
    for (const c of allChecks()) assert.ok(file.includes(`\`${c.id}\``), c.id);
  });

  it("every check has a description and at least one reference", () => {
    for (const c of allChecks()) {
      assert.ok(c.description.length > 20, `${c.id}: description`);
      assert.ok(c.references.length > 0, `${c.id}: references`);
      for (const r of c.references) assert.match(r, /^https:\/\//, `${c.id}: ${r}`);
    }
  });
});
