// `exhunt sigma --rules DIR EVIDENCE...`: Sigma rules alone over EVTX, exported events and IIS logs,
// as a table (default), JSON or CSV. Rules that cannot load are listed with the exact reason; files
// that are not read are listed. Exit: 0 no match, 1 matches, 2 usage, 3 nothing matched but rules or
// files were left out.

import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import {
  huntSigma,
  loadSigmaRules,
  SIGMA_CACHE_ENV,
  type SigmaHuntResult,
  type SigmaRuleSet,
  sigmaCacheDir,
} from "../index.js";
import { count } from "../model/plural.js";
import { csvRow, forTerminal } from "../outputs/safe.js";
import { EXIT } from "./exit.js";

export interface SigmaCliOptions {
  rules: string[];
  bundled?: boolean;
  level?: string;
  json?: string;
  csv?: string;
  maxHits?: string;
  cache: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const short = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** What loaded, as the summary (and JSON `rules`) shows it. */
export function ruleSummary(set: SigmaRuleSet) {
  return {
    loaded: set.rules.length,
    events: set.rules.length - set.web.length,
    webserver: set.web.length,
    correlations: set.correlations.length,
    notApplicable: set.notApplicable.length,
    belowLevel: set.belowLevel,
    problems: set.problems,
  };
}

export function sigmaTable(set: SigmaRuleSet, r: SigmaHuntResult): string {
  const s = ruleSummary(set);
  const lines: string[] = [];
  lines.push(
    `Sigma: ${s.loaded} rules loaded (${s.events} event, ${s.webserver} webserver, ${s.correlations} correlation), ` +
      `${s.notApplicable} for log sources not in this evidence, ${s.problems.length} not loaded` +
      (s.belowLevel ? `, ${s.belowLevel} below --level` : ""),
  );
  for (const p of s.problems)
    lines.push(
      `  not loaded (${p.kind}): ${forTerminal(p.file)}${p.id ? ` [${p.id}]` : ""}: ${forTerminal(p.reason)}`,
    );
  lines.push(
    `Read ${count(r.files.length, "file")}, ${count(r.records, "record")}, ${(r.bytes / 2 ** 20).toFixed(1)} MiB; ${count(r.hits.length, "match", "matches")}`,
  );
  for (const f of r.files)
    for (const d of f.damage) lines.push(`  damaged: ${forTerminal(f.file)}: ${forTerminal(d)}`);
  // Files not read, by reason (a collection holds thousands of logs Sigma has no log source for).
  const byReason = new Map<string, string[]>();
  for (const k of r.skipped) {
    const list = byReason.get(k.reason) ?? [];
    list.push(k.file);
    byReason.set(k.reason, list);
  }
  for (const [reason, files] of byReason) {
    const which = files.length === 1 ? files[0] : `${count(files.length, "file")} (e.g. ${files[0]})`;
    lines.push(`  not read: ${forTerminal(which)}: ${forTerminal(reason)}`);
  }
  lines.push("");
  for (const h of r.hits) {
    const where = `${h.file}${h.record !== null ? ` #${h.record}` : h.line !== null ? `:${h.line}` : ""}`;
    const details = Object.entries(h.fields)
      .map(([k, v]) => `${k}=${short(v, 160)}`)
      .join("  ");
    lines.push(
      forTerminal(
        `${h.time ?? "(no time)"}  ${h.rule.level.toUpperCase()}  ${h.rule.title}  [${h.rule.id}]  by ${h.rule.author ?? "(no author given)"}`,
      ),
    );
    lines.push(`    ${forTerminal(where)}${h.host ? `  host ${forTerminal(h.host)}` : ""}`);
    if (details) lines.push(`    ${forTerminal(details)}`);
  }
  for (const c of r.correlations) {
    const g = Object.entries(c.group)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    lines.push(
      forTerminal(
        `${c.first} .. ${c.last}  ${c.rule.meta.level.toUpperCase()}  ${c.rule.meta.title}  [${c.rule.meta.id}]  by ${c.rule.meta.author ?? "(no author given)"}`,
      ),
    );
    lines.push(forTerminal(`    ${c.rule.type} ${c.count} (${c.events} matches)${g ? `  ${g}` : ""}`));
  }
  for (const [id, n] of Object.entries(r.omitted))
    lines.push(`  ${n} more matches of ${id} not listed (--max-hits)`);
  return `${lines.join("\n")}\n`;
}

const CSV_HEAD = [
  "time",
  "level",
  "rule_id",
  "rule_title",
  "author",
  "licence",
  "file",
  "record",
  "line",
  "host",
  "fields",
];

export function sigmaCsv(r: SigmaHuntResult): string {
  let out = csvRow(CSV_HEAD);
  for (const h of r.hits)
    out += csvRow([
      h.time,
      h.rule.level,
      h.rule.id,
      h.rule.title,
      h.rule.author,
      h.rule.licence,
      h.file,
      h.record,
      h.line,
      h.host,
      JSON.stringify(h.fields),
    ]);
  for (const c of r.correlations)
    out += csvRow([
      c.first,
      c.rule.meta.level,
      c.rule.meta.id,
      c.rule.meta.title,
      c.rule.meta.author,
      c.rule.meta.licence,
      "",
      null,
      null,
      null,
      JSON.stringify({ type: c.rule.type, count: c.count, last: c.last, ...c.group }),
    ]);
  return out;
}

function write(target: string, text: string): void {
  if (target === "-") process.stdout.write(text);
  else writeFileSync(target, text);
}

export function runSigma(evidence: string[], o: SigmaCliOptions): number {
  if (o.json === "-" && o.csv === "-") throw new Error("--json - and --csv -: only one can go to stdout");
  const max = o.maxHits === undefined ? undefined : Number(o.maxHits);
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw new Error("--max-hits: a positive number");
  const { set } = loadSigmaRules({
    sigma: o.rules,
    sigmaLevel: o.level,
    sigmaBundled: o.bundled ?? o.rules.length === 0,
    sigmaCache: o.cache === false ? null : sigmaCacheDir(process.env),
  });
  const r = huntSigma(evidence, set, { maxHits: max });
  const table = sigmaTable(set, r);
  const toStdout = o.json === "-" || o.csv === "-";
  (toStdout ? process.stderr : process.stdout).write(table);
  if (o.json) {
    const body = {
      rules: ruleSummary(set),
      notApplicable: set.notApplicable,
      hits: r.hits,
      correlations: r.correlations.map(({ firstMatch: _, ...c }) => ({
        ...c,
        rule: c.rule.meta,
        type: c.rule.type,
      })),
      omitted: r.omitted,
      files: r.files,
      skipped: r.skipped,
      records: r.records,
      bytes: r.bytes,
    };
    write(o.json, `${JSON.stringify(body, null, 2)}\n`);
  }
  if (o.csv) write(o.csv, sigmaCsv(r));
  if (r.hits.length > 0 || r.correlations.length > 0) return EXIT.findings;
  return set.problems.length > 0 || r.skipped.length > 0 ? EXIT.incomplete : EXIT.clean;
}

export function registerSigma(program: Command): void {
  program
    .command("sigma")
    .description("run Sigma rules alone over EVTX, exported events and IIS logs (table, JSON or CSV)")
    .argument("<evidence...>", "files or folders")
    .option(
      "--rules <dir|file>",
      "Sigma rules (repeatable); without it the bundled SigmaHQ selection runs",
      collect,
      [],
    )
    .option("--bundled", "also run the bundled SigmaHQ selection with --rules")
    .option(
      "--level <level>",
      "only rules at this level or above (informational, low, medium, high, critical)",
    )
    .option("--json <file|->", "matches, rule problems and files read as JSON (-: stdout)")
    .option("--csv <file|->", "matches as CSV (-: stdout)")
    .option("--max-hits <n>", "matches listed (default 100000); more are counted")
    .option(
      "--no-cache",
      `parse every rule file, without the parsed-rule cache (also ${SIGMA_CACHE_ENV}=off)`,
    )
    .action((evidence: string[], o: SigmaCliOptions) => {
      process.exitCode = runSigma(evidence, o);
    });
}
