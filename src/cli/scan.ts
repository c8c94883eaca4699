// `exhunt scan [PATH...]`: hunt one server per PATH and report.

import type { Command } from "commander";
import { assessBuild, SIGMA_CACHE_ENV, scanServers, sigmaCacheDir } from "../index.js";
import { count } from "../model/plural.js";
import type { ServerResult } from "../model/types.js";
import { OUTPUTS, openWriters, writeRun } from "../outputs/outputs.js";
import { forTerminal } from "../outputs/safe.js";
import { VERSION } from "../version.js";
import { useColor } from "./color.js";
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
  store?: string;
  communityRules: boolean;
  sigma: string[];
  sigmaLevel?: string;
  sigmaBundled: boolean;
  sigmaCache: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}`);
  return n;
}

/** Clears the progress line before each server's report is printed. */
async function* clearingBar(servers: AsyncIterable<ServerResult>, bar: { done(): void }) {
  for await (const s of servers) {
    bar.done();
    yield s;
  }
}

/** What a stored run says it was asked (paths and the options that change findings). */
function scanOptionsForStore(paths: string[], o: ScanCliOptions): Record<string, unknown> {
  return {
    command: "scan",
    paths,
    each: !!o.each,
    build: o.build ?? null,
    files: o.files,
    ioc: o.ioc,
    yara: o.yara,
  };
}

/**
 * The fleet store as a scan writes it: each judged server in turn, as it passes on to the writers.
 * (To become the `store` entry of the writer table; see the issue 16 note.)
 */
async function openFleetStore(path: string, options: Record<string, unknown>) {
  const { openStore, recordServer, runMeta } = await import("../fleet.js");
  const store = await openStore(path);
  const meta = runMeta("scan", options);
  let failure: unknown = null;
  let written = 0;
  return {
    async *tap(servers: AsyncIterable<ServerResult>): AsyncGenerator<ServerResult> {
      for await (const s of servers) {
        // The first failed write is kept and reported at the end (exit 2); later writes are not tried.
        if (!failure)
          try {
            await recordServer(store, meta, s);
            written++;
          } catch (e) {
            failure = e;
          }
        yield s;
      }
    },
    async close(): Promise<string> {
      await store.close();
      if (failure) throw failure;
      return `stored ${count(written, "server result")} in ${forTerminal(path)}`;
    },
  };
}

export function registerScan(program: Command): void {
  const cmd = program
    .command("scan")
    .description(
      "hunt ProxyLogon evidence in a copied tree, a Logging folder, a log file, a .zip, or the local server",
    )
    .argument("[paths...]", "evidence: one server per PATH (none: the local Exchange server, Windows only)")
    .option("--each", "every subfolder or .zip in each PATH is one server (fleets)");
  // The outputs come from the one table (src/outputs/outputs.ts); several may be given at once.
  for (const d of OUTPUTS) cmd.option(`--${d.name} <${d.target}>`, d.description);
  cmd
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
    .option(
      "--no-community-rules",
      "do not run the shipped signature-base YARA rules (they run when yara-x loads)",
    )
    .option(
      "--sigma <dir|file>",
      "Sigma rules to add to the bundled SigmaHQ selection (repeatable)",
      collect,
      [],
    )
    .option("--sigma-level <level>", "only Sigma rules at this level or above (informational ... critical)")
    .option("--no-sigma-bundled", "leave out the bundled Sigma rules")
    .option(
      "--no-sigma-cache",
      `parse every Sigma rule file and compile every YARA rule file, without the rule cache (also ${SIGMA_CACHE_ENV}=off)`,
    )
    .option("--brief", "console: only the verdict lines")
    .option("--no-progress", "no progress bar")
    .option("--color", "force colour")
    .option("--no-color", "no colour (NO_COLOR is honoured too)")
    .option("--store <file>", "also write every server's result into this fleet store (created if missing)")
    .action(async (paths: string[], o: ScanCliOptions) => {
      // Usage errors (two outputs on stdout, an unwritable file, a bad build) come before any work.
      const writers = openWriters<NodeJS.WriteStream>(
        o,
        (stream) => ({
          color: useColor(o.color, stream),
          samples: positiveInt(o.samples, "--samples"),
          brief: o.brief,
        }),
        { stdout: process.stdout, stderr: process.stderr },
      );
      if (o.build) assessBuild(o.build); // a malformed or unknown build is a usage error (exit 2), before any work
      // Opened before any evidence is read, so a foreign or damaged store fails the run up front.
      const store = o.store ? await openFleetStore(o.store, scanOptionsForStore(paths, o)) : null;
      const bar = o.progress ? progressBar() : { update() {}, done() {} };
      // One rule cache folder: parsed Sigma rules, and compiled YARA rules in its yara/ folder.
      const ruleCache = o.sigmaCache ? sigmaCacheDir(process.env) : null;
      const servers = scanServers(paths, {
        each: o.each,
        installPath: o.installPath ?? null,
        workers: positiveInt(o.workers, "--workers"),
        maxFindingsPerCheck: positiveInt(o.maxFindings, "--max-findings", 1),
        files: o.files,
        iocFiles: o.ioc,
        yara: o.yara,
        communityRules: o.communityRules,
        sigma: o.sigma,
        sigmaLevel: o.sigmaLevel,
        sigmaBundled: o.sigmaBundled,
        sigmaCache: ruleCache,
        yaraCache: ruleCache,
        build: o.build ?? null,
        onProgress: (p) => bar.update(p),
      });
      const meta = {
        tool: { name: "exhunt", version: VERSION },
        startedAt: new Date().toISOString(),
        finishedAt: null,
        live: paths.length === 0,
      };
      // Each server is written to every output as soon as it is judged (a fleet is never held whole).
      const { summary, written } = await writeRun(
        writers,
        meta,
        clearingBar(store ? store.tap(servers) : servers, bar),
      ).finally(() => bar.done());
      for (const line of written) process.stderr.write(`${line}\n`);
      if (store) process.stderr.write(`${await store.close()}\n`);
      process.exitCode = exitCodeFor(summary);
    });
}
