// Writes docs/checks.md from the registry, so the list of checks can never drift from the code.
// Usage: npx tsx scripts/checks-doc.ts [--check]   (--check: exit 1 when the file is out of date)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isExchangeSiteCheck } from "../src/detections/iis/site-scope.js";
import { allChecks } from "../src/detections/registry.js";
import type { CheckInfo } from "../src/model/types.js";

const EFFECT: Record<CheckInfo["effect"], string> = {
  compromise: "compromised",
  attempt: "attempted",
  exposure: "vulnerable",
  context: "listed; raises the verdict as docs/verdict.md says (strong context: suspicious)",
  coverage: "coverage gap",
  info: "recorded, never weighed",
};

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function checksMarkdown(): string {
  const checks = [...allChecks()].sort((a, b) => a.id.localeCompare(b.id));
  const lines = [
    "# Checks",
    "",
    "Generated from the detections' own metadata by `npx tsx scripts/checks-doc.ts`; a test fails when",
    "this file is out of date. *Verdict* is the verdict a finding of the check leads to on its own;",
    "*Exchange sites only*: from an IIS site that is not an Exchange site it is recorded as info (docs/verdict.md).",
    "",
    "| Check | CVE | Severity | Verdict | What it means |",
    "|---|---|---|---|---|",
  ];
  for (const c of checks) {
    lines.push(
      `| \`${c.id}\` | ${c.cves.join(", ") || "–"} | ${c.severity} | ${EFFECT[c.effect]}${isExchangeSiteCheck(c.id) ? " (Exchange sites only)" : ""} | **${cell(c.title)}.** ${cell(c.description)} |`,
    );
  }
  lines.push("", "## References", "");
  for (const c of checks) {
    if (c.references.length === 0) continue;
    lines.push(`- \`${c.id}\`: ${c.references.map((r) => `<${r}>`).join(" · ")}`);
  }
  return `${lines.join("\n")}\n`;
}

const target = fileURLToPath(new URL("../docs/checks.md", import.meta.url));
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = checksMarkdown();
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(target, "utf8");
    } catch {}
    if (current !== text) {
      process.stderr.write("docs/checks.md is out of date: run npx tsx scripts/checks-doc.ts\n");
      process.exitCode = 1;
    }
  } else {
    writeFileSync(target, text);
  }
}
