// The library API of the fleet store: `import { openStore } from "exhunt/fleet"`. A separate entry from
// src/index.ts so that a scan without --store never loads the native SQLite module.
import { createHash, randomUUID } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { append } from "./model/arrays.js";
import { UsageError } from "./model/errors.js";
import type { ServerResult } from "./model/types.js";
import { diffRuns, type RunDiff } from "./store/diff.js";
import { openStoreAt, type StoreOpenOptions } from "./store/open.js";
import { readProbeJson } from "./store/probe-import.js";
import { readShadowserver, type ShadowserverReport } from "./store/shadowserver.js";
import { type RestoreCounts, restoreExport } from "./store/transfer.js";
import type { FleetStore, RunInput, RunKind, RunMeta } from "./store/types.js";
import { VERSION } from "./version.js";

export type { FindingChange, RunDiff } from "./store/diff.js";
export { isPostgresUrl, type StoreOpenOptions } from "./store/open.js";
export type {
  Acknowledgement,
  ExportRecord,
  FleetRow,
  FleetStore,
  ListFilter,
  Note,
  RunDetail,
  RunKind,
  RunMeta,
  RunRow,
  ServerRow,
  ServerStatus,
} from "./store/types.js";
export { STATUSES, StoreError } from "./store/types.js";

/** Open the store at `location`: a postgres:// URL (the shared store) or a file path (embedded SQLite). */
export function openStore(location: string, opts: StoreOpenOptions = {}): Promise<FleetStore> {
  return openStoreAt(location, opts);
}

/** A run's metadata; `key` defaults to a fresh id (a new run every time). */
export function runMeta(
  kind: RunKind,
  options: Record<string, unknown>,
  key: string = randomUUID(),
): RunMeta {
  return { kind, key, at: new Date().toISOString(), version: VERSION, options };
}

/** Write one judged server of a scan. */
export async function recordServer(store: FleetStore, meta: RunMeta, result: ServerResult): Promise<boolean> {
  const out = await store.recordRun(meta, { server: { name: result.name }, result });
  return out.inserted;
}

export interface ImportCounts {
  servers: number;
  alreadyStored: number;
  skipped: string[];
}

/** Imports merge on a known server's name or address; the key is the file's own content, so re-importing it is a no-op. */
/** Told how far an import or export is: `done` of `total` records (null: not counted yet). */
export type OnProgress = (done: number, total: number | null) => void;

async function writeImported(
  store: FleetStore,
  meta: RunMeta,
  inputs: RunInput[],
  onProgress?: OnProgress,
): Promise<ImportCounts> {
  const counts: ImportCounts = { servers: 0, alreadyStored: 0, skipped: [] };
  let done = 0;
  for (const input of inputs) {
    onProgress?.(done++, inputs.length);
    const known =
      (await store.resolveName(input.server.name)) ?? (await firstKnown(store, input.server.addresses ?? []));
    const server = known ? { ...input.server, name: known } : input.server;
    const result = known ? { ...input.result, name: known } : input.result;
    const out = await store.recordRun(meta, { ...input, server, result });
    if (out.inserted) counts.servers++;
    else counts.alreadyStored++;
  }
  onProgress?.(done, inputs.length);
  return counts;
}

async function firstKnown(store: FleetStore, addresses: string[]): Promise<string | null> {
  for (const a of addresses) {
    const n = await store.resolveName(a);
    if (n) return n;
  }
  return null;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function contentKey(kind: string, text: string): string {
  // The same file imported twice is the same run; a different file is a new one.
  return `${kind}:${createHash("sha256").update(text).digest("hex")}`;
}

export async function importShadowserver(
  store: FleetStore,
  file: string,
  onProgress?: OnProgress,
): Promise<ImportCounts & { report: ShadowserverReport }> {
  const text = await readText(file);
  let parsed: ReturnType<typeof readShadowserver>;
  try {
    parsed = readShadowserver(text, file);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const meta = runMeta("shadowserver", { file, report: parsed.report }, contentKey("shadowserver", text));
  const counts = await writeImported(store, meta, parsed.servers, onProgress);
  append(
    counts.skipped,
    parsed.skipped.map((s) => `line ${s.line}: ${s.why}`),
  );
  return { ...counts, report: parsed.report };
}

export async function importProbe(
  store: FleetStore,
  file: string,
  onProgress?: OnProgress,
): Promise<ImportCounts> {
  const text = await readText(file);
  const meta = runMeta("probe", { file }, contentKey("probe", text));
  let parsed: ReturnType<typeof readProbeJson>;
  try {
    parsed = readProbeJson(text, file, meta.at);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const counts = await writeImported(store, meta, parsed.servers, onProgress);
  append(
    counts.skipped,
    parsed.skipped.map((s) => `host ${s.index}: ${s.why}`),
  );
  return counts;
}

/** Write the hosts of a live `exhunt probe` run (same shape as its --json output). */
export async function recordProbeHosts(
  store: FleetStore,
  hosts: Record<string, unknown>[],
  options: Record<string, unknown>,
  key?: string,
): Promise<ImportCounts> {
  const meta = runMeta("probe", options, key);
  const parsed = readProbeJson(JSON.stringify({ hosts }), "probe", meta.at);
  const counts = await writeImported(store, meta, parsed.servers);
  append(
    counts.skipped,
    parsed.skipped.map((s) => `host ${s.index}: ${s.why}`),
  );
  return counts;
}

export async function importExport(
  store: FleetStore,
  file: string,
  onProgress?: OnProgress,
): Promise<RestoreCounts> {
  try {
    await access(file, constants.R_OK);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Line by line (an export of a large fleet is larger than the longest string JavaScript can hold).
  return restoreExport(
    store,
    () =>
      createInterface({
        input: createReadStream(file, { encoding: "utf8" }),
        crlfDelay: Number.POSITIVE_INFINITY,
      }),
    onProgress,
  );
}

/** What changed on `server` between its latest run and the previous one of the same kind. */
export async function serverDiff(store: FleetStore, server: string, kind?: RunKind): Promise<RunDiff> {
  const runs = (await store.runs(server)).filter((r) => !kind || r.kind === kind);
  if (runs.length === 0) throw new UsageError(`${server} has no ${kind ? `${kind} ` : ""}runs in the store`);
  const latest = runs[0];
  const previous = runs.slice(1).find((r) => r.kind === latest.kind) ?? null;
  const to = await store.run(latest.id);
  const from = previous ? await store.run(previous.id) : null;
  if (!to) throw new UsageError(`run ${latest.id} vanished from the store`);
  return diffRuns(server, from, to);
}
