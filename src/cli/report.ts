// `exhunt report RESULT.json`: turn a saved JSON result into the other outputs (HTML, JSON lines, ECS,
// CSV) or print it on the console again, without rescanning.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { ScanResult } from "../model/types.js";
import { renderConsole } from "../report/console.js";
import { writeCsvDir } from "../report/csv.js";
import { assertOneStdout, writeFileOutputs } from "../report/outputs.js";
import { forTerminal } from "../report/safe.js";
import { exitCodeFor } from "./exit.js";

export interface ReportCliOptions {
  html?: string;
  jsonl?: string;
  ecs?: string;
  csv?: string;
  color?: boolean;
  brief?: boolean;
}

/** Parses and checks a saved result; throws with a reason a person can act on. */
export function parseResult(text: string, name: string): ScanResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name} is not JSON: ${(e as Error).message}`);
  }
  const r = v as Partial<ScanResult> | null;
  if (!r || typeof r !== "object" || !Array.isArray(r.servers))
    throw new Error(`${name} is not an exhunt result (no "servers" list)`);
  if (r.schemaVersion !== 1)
    throw new Error(
      `${name} has schemaVersion ${String(r.schemaVersion)}; this exhunt reads schemaVersion 1`,
    );
  for (const s of r.servers) {
    if (
      !s ||
      typeof s !== "object" ||
      typeof s.name !== "string" ||
      !Array.isArray(s.findings) ||
      !s.coverage
    )
      throw new Error(`${name}: a server entry lacks name, findings or coverage`);
    s.skipped ??= [];
    s.reasons ??= [];
    s.omittedFindings ??= {};
  }
  return r as ScanResult;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("turn a saved JSON result (exhunt scan --json) into an HTML report, JSON lines, ECS or CSV")
    .argument("<result>", "the JSON result file")
    .option("--html <file>", "write one self-contained HTML report")
    .option("--jsonl <file|->", "write the findings as JSON lines")
    .option("--ecs <file|->", "write the findings as ECS NDJSON for the Elasticsearch/OpenSearch _bulk API")
    .option("--csv <dir>", "write the CSV files into DIR")
    .option("--brief", "console: only the verdict lines")
    .option("--color", "force colour")
    .option("--no-color", "no colour")
    .action(async (file: string, o: ReportCliOptions) => {
      assertOneStdout(o);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const result = parseResult(text, file);
      const toStdout = o.jsonl === "-" || o.ecs === "-";
      const out = toStdout ? process.stderr : process.stdout;
      const color = o.color === true || (o.color !== false && !("NO_COLOR" in process.env) && !!out.isTTY);
      out.write(renderConsole(result, { color, brief: o.brief || toStdout }));
      for (const line of await writeFileOutputs(result, o)) process.stderr.write(`${forTerminal(line)}\n`);
      if (o.csv) {
        const files = await writeCsvDir(result, o.csv);
        process.stderr.write(`wrote ${files.length} CSV files to ${forTerminal(o.csv)}\n`);
      }
      process.exitCode = exitCodeFor(result);
    });
}
