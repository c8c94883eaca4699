// The table of outputs shared by `exhunt scan` and `exhunt report`, and the loop that drives them.
// Adding an output is one file with a writer factory (writer.ts) and one line in OUTPUTS.
import type { Writable } from "node:stream";
import type { ServerResult } from "../model/types.js";
import { type ConsoleOptions, consoleWriter } from "./console.js";
import { csvWriter } from "./csv.js";
import { ecsWriter } from "./ecs.js";
import { htmlWriter } from "./html.js";
import { jsonWriter } from "./json.js";
import { jsonlWriter } from "./jsonl.js";
import { forTerminal } from "./safe.js";
import { type RunMeta, type RunSummary, summarizeServer, type Writer } from "./writer.js";

export interface OutputDef {
  /** The option name: `--<name> <target>`. */
  name: "json" | "jsonl" | "ecs" | "csv" | "html";
  /** What the target is: a file (or `-` for stdout) or a folder. */
  target: "file|-" | "dir";
  description: string;
  /** Where `exhunt report` offers it too (every output but the JSON it reads). */
  report: boolean;
  create(target: string): Writer;
}

export const OUTPUTS: readonly OutputDef[] = [
  {
    name: "json",
    target: "file|-",
    description: "write the result object as JSON, streamed server by server (- for stdout)",
    report: false,
    create: (t) => jsonWriter(t),
  },
  {
    name: "jsonl",
    target: "file|-",
    description: "write the findings as JSON lines (NDJSON), one finding per line",
    report: true,
    create: (t) => jsonlWriter(t),
  },
  {
    name: "ecs",
    target: "file|-",
    description: "write the findings as ECS NDJSON for the Elasticsearch/OpenSearch _bulk API",
    report: true,
    create: (t) => ecsWriter(t),
  },
  {
    name: "csv",
    target: "dir",
    description: "write Test-ProxyLogon style CSV files and a findings table into DIR",
    report: true,
    create: (t) => csvWriter(t),
  },
  {
    name: "html",
    target: "file|-",
    description: "write one self-contained HTML report (verdicts, plan, timeline, findings)",
    report: true,
    create: (t) => htmlWriter(t),
  },
];

export type OutputFlags = Partial<Record<OutputDef["name"], string>>;

/** The outputs asked for, in table order. Throws (a usage error) when more than one asks for stdout. */
export function chosenOutputs(
  flags: OutputFlags,
  defs: readonly OutputDef[] = OUTPUTS,
): [OutputDef, string][] {
  const chosen = defs.flatMap((d): [OutputDef, string][] => {
    const t = flags[d.name];
    return typeof t === "string" && t !== "" ? [[d, t]] : [];
  });
  const dash = chosen.filter(([, t]) => t === "-");
  if (dash.length > 1)
    throw new Error(`only one output can go to stdout (-): ${dash.map(([d]) => `--${d.name}`).join(", ")}`);
  for (const [d, t] of chosen)
    if (d.target === "dir" && t === "-")
      throw new Error(`--${d.name} writes several files: give a folder, not -`);
  return chosen;
}

/**
 * The writers of a run: the console first, then every output asked for. When one output takes stdout,
 * the console report goes whole to stderr (never cut short: it is the admin's view of the run).
 */
export function openWriters<S extends Writable>(
  flags: OutputFlags,
  console: (stream: S) => ConsoleOptions,
  streams: { stdout: S; stderr: S },
): Writer[] {
  const chosen = chosenOutputs(flags);
  const stream = chosen.some(([, t]) => t === "-") ? streams.stderr : streams.stdout;
  return [consoleWriter(stream, console(stream)), ...chosen.map(([d, t]) => d.create(t))];
}

/**
 * Drives the writers over the servers as they come: begin, one server() per server on every writer,
 * end. Returns the run summary and a line per output written. On a failure every writer is aborted
 * (temporary files removed) and the error is thrown on.
 */
export async function writeRun(
  writers: readonly Writer[],
  meta: RunMeta,
  servers: AsyncIterable<ServerResult> | Iterable<ServerResult>,
  clock: () => string = () => new Date().toISOString(),
): Promise<{ summary: RunSummary; written: string[] }> {
  const summary: RunSummary = { finishedAt: meta.finishedAt ?? "", servers: [] };
  try {
    for (const w of writers) await w.begin(meta);
    for await (const s of servers) {
      for (const w of writers) await w.server(s);
      summary.servers.push(summarizeServer(s));
    }
    summary.finishedAt = meta.finishedAt ?? clock();
    const written: string[] = [];
    for (const w of writers) {
      const line = await w.end(summary);
      if (line) written.push(forTerminal(line));
    }
    return { summary, written };
  } catch (e) {
    for (const w of writers) await w.abort();
    throw e;
  }
}
