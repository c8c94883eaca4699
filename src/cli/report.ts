// `exhunt report RESULT.json`: turn a saved JSON result into the other outputs (HTML, JSON lines, ECS,
// CSV) or print it on the console again, without rescanning. The file is checked against the schema
// first (a refused file: exit 2, the first bad field named, nothing written), then rendered one server
// at a time through the same writers as `exhunt scan`.
import { setFlagsFromString } from "node:v8";
import type { Command } from "commander";
import { checkInfo } from "../index.js";
import { OUTPUTS, openWriters, writeRun } from "../outputs/outputs.js";
import { openResultFile } from "../outputs/result-file.js";
import { useColor } from "./color.js";
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
  const cmd = program
    .command("report")
    .description("turn a saved JSON result (exhunt scan --json) into an HTML report, JSON lines, ECS or CSV")
    .argument("<result>", "the JSON result file (schemaVersion 1 or 2)");
  for (const d of OUTPUTS.filter((x) => x.report)) cmd.option(`--${d.name} <${d.target}>`, d.description);
  cmd
    .option("--brief", "console: only the verdict lines")
    .option("--color", "force colour")
    .option("--no-color", "no colour")
    .action(async (file: string, o: ReportCliOptions) => {
      // A report parses one server after another, each tens of MB, and drops it. V8 lets the old
      // generation grow to several times the live set before it collects, so the dead servers pile up
      // (peak RSS 304 MiB at 50k findings, 409 MiB at 200k for --html); favouring size keeps that
      // growth small (174 MiB at 50k) at no measured cost in time. Process-wide, so set by the CLI.
      setFlagsFromString("--optimize-for-size");
      const writers = openWriters<NodeJS.WriteStream>(
        o,
        (stream) => ({
          color: useColor(o.color, stream),
          brief: o.brief,
        }),
        { stdout: process.stdout, stderr: process.stderr },
      );
      const result = await openResultFile(file, checkInfo);
      const meta = {
        tool: result.tool,
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        live: false,
      };
      const { summary, written } = await writeRun(writers, meta, result.servers());
      for (const line of written) process.stderr.write(`${line}\n`);
      process.exitCode = exitCodeFor(summary);
    });
}
