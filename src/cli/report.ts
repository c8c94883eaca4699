// `exhunt report RESULT.json`: turn a saved JSON result into the other outputs (HTML, JSON lines, ECS,
// CSV) or print it on the console again, without rescanning.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { renderConsole } from "../outputs/console.js";
import { writeCsvDir } from "../outputs/csv.js";
import { assertOneStdout, writeFileOutputs } from "../outputs/outputs.js";
import { parseResult } from "../outputs/result-file.js";
import { forTerminal } from "../outputs/safe.js";
import { exitCodeFor } from "./exit.js";

export interface ReportCliOptions {
  html?: string;
  jsonl?: string;
  ecs?: string;
  csv?: string;
  color?: boolean;
  brief?: boolean;
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
