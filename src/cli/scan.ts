// `exhunt scan [PATH...]`: hunt one server per PATH and report.
import type { Command } from "commander";
import { assessBuild, scan } from "../index.js";
import { renderConsole } from "../outputs/console.js";
import { writeCsvDir } from "../outputs/csv.js";
import { writeJson } from "../outputs/json.js";
import { assertOneStdout, writeFileOutputs } from "../outputs/outputs.js";
import { exitCodeFor } from "./exit.js";
import { progressBar } from "./progress.js";

export interface ScanCliOptions {
  each?: boolean;
  json?: string;
  csv?: string;
  html?: string;
  jsonl?: string;
  ecs?: string;
  installPath?: string;
  workers?: string;
  maxFindings?: string;
  samples?: string;
  brief?: boolean;
  progress: boolean;
  color?: boolean;
  build?: string;
  files: string[];
  ioc: string[];
  yara: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function useColor(explicit: boolean | undefined, stream: NodeJS.WriteStream): boolean {
  if (explicit === false || "NO_COLOR" in process.env) return false;
  if (explicit === true || "FORCE_COLOR" in process.env) return true;
  return !!stream.isTTY;
}

function positiveInt(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}`);
  return n;
}

export function registerScan(program: Command): void {
  program
    .command("scan")
    .description(
      "hunt ProxyLogon evidence in a copied tree, a Logging folder, a log file, a .zip, or the local server",
    )
    .argument("[paths...]", "evidence: one server per PATH (none: the local Exchange server, Windows only)")
    .option("--each", "every subfolder or .zip in each PATH is one server (fleets)")
    .option("--json <file|->", "write the result object as JSON (- for stdout)")
    .option("--csv <dir>", "write Test-ProxyLogon style CSV files and a findings table into DIR")
    .option("--html <file>", "write one self-contained HTML report (verdicts, plan, timeline, findings)")
    .option("--jsonl <file|->", "write the findings as JSON lines")
    .option("--ecs <file|->", "write the findings as ECS NDJSON for the Elasticsearch/OpenSearch _bulk API")
    .option(
      "--install-path <path>",
      "Exchange install path on the server, e.g. 'D:\\Exchange\\V15\\' (default: from the layout)",
    )
    .option(
      "--workers <n>",
      "worker threads besides the main thread, which reads too (default: cores - 1, at least 1; 0 = main thread only)",
    )
    .option("--max-findings <n>", "findings listed per check and server; more are counted (default 5000)")
    .option("--samples <n>", "sample findings shown per check on the console (default 3)")
    .option("--build <version>", "the server's build (ExSetup.exe file version), for the exposure assessment")
    .option("--files <dir>", "also sweep DIR for web shells and IOC files (repeatable)", collect, [])
    .option(
      "--ioc <file>",
      "indicator feed to add: CSV or text of hashes, IPs, paths, domains (repeatable)",
      collect,
      [],
    )
    .option(
      "--yara <file|dir>",
      "YARA rules to run on swept files (repeatable; needs the yara-x engine)",
      collect,
      [],
    )
    .option("--brief", "console: only the verdict lines")
    .option("--no-progress", "no progress bar")
    .option("--color", "force colour")
    .option("--no-color", "no colour (NO_COLOR is honoured too)")
    .action(async (paths: string[], o: ScanCliOptions) => {
      assertOneStdout(o);
      if (o.build) assessBuild(o.build); // a malformed or unknown build is a usage error (exit 2), before any work
      const bar = o.progress ? progressBar() : { update() {}, done() {} };
      const result = await scan(paths, {
        each: o.each,
        installPath: o.installPath ?? null,
        workers: positiveInt(o.workers, "--workers"),
        maxFindingsPerCheck: positiveInt(o.maxFindings, "--max-findings", 1),
        files: o.files,
        iocFiles: o.ioc,
        yara: o.yara,
        build: o.build ?? null,
        onProgress: (p) => bar.update(p),
      });
      bar.done();
      const toStdout = o.json === "-" || o.jsonl === "-" || o.ecs === "-";
      const out = toStdout ? process.stderr : process.stdout;
      const text = renderConsole(result, {
        color: useColor(o.color, out),
        samples: positiveInt(o.samples, "--samples"),
        brief: o.brief || toStdout,
      });
      out.write(text);
      if (o.json) await writeJson(result, o.json);
      for (const line of await writeFileOutputs(result, o)) process.stderr.write(`${line}\n`);
      if (o.csv) {
        const files = await writeCsvDir(result, o.csv, paths.length === 0);
        process.stderr.write(`wrote ${files.length} CSV files to ${o.csv}\n`);
      }
      process.exitCode = exitCodeFor(result);
    });
}
