// How a server's log candidates are read: each file as one task or, when large and of a splittable
// format, as byte ranges; small whole-file tasks travel together in batches. A whole-file task is made
// only when its batch is sent, so a tree of 200,000 files never holds 200,000 tasks at once.
import type { TaskContext } from "../detections/types.js";
import type { FileEntry } from "../model/records.js";
import { readerFor } from "../readers/index.js";
import type { FileDigest } from "./digest.js";
import { type FileKind, type ReadTask, sniffFile, type TaskResult } from "./task.js";

const DEFAULT_SPLIT = 64 * 2 ** 20;
/** No format is cut below this (Reader.rangeBytes); smaller files are read whole without sniffing here. */
const MIN_RANGE = 8 * 2 ** 20;
/** A batch of small files: one message to a worker. */
const BATCH_BYTES = 8 * 2 ** 20;
const BATCH_FILES = 256;

/** One candidate file: how it is read, its results while they are needed, then its digest. */
export interface FilePlan {
  entry: FileEntry;
  /** A file cut into byte ranges: its tasks. Null: one whole-file task, made when its batch is sent. */
  ranges: ReadTask[] | null;
  /** A split file's results by range, kept until its headers are reconciled (a whole file is digested at once). */
  results: TaskResult[] | null;
  /** Ranges answered, for a split file (a whole file is digested when its one task is). */
  done: number;
  digest: FileDigest | null;
}

/** What every task of a scan shares. */
export interface PlanContext {
  server: string;
  installPath: string | null;
  maxDraftsPerCheck: number;
}

/**
 * One read task, written out field by field: an object spread here gave each of 200,000 tasks its own
 * hidden class (about 300 bytes of shape data per file, measured in a heap snapshot).
 */
function readTask(
  entry: FileEntry,
  c: PlanContext,
  id: number,
  range: { fileKind: FileKind | null; start: number; end: number; rangeHeaderFields: string[] | null },
): ReadTask {
  const ctx: TaskContext = { server: c.server, file: entry.path, installPath: c.installPath };
  return {
    id,
    abs: entry.abs,
    rel: entry.path,
    size: entry.size,
    fileKind: range.fileKind,
    start: range.start,
    end: range.end,
    rangeHeaderFields: range.rangeHeaderFields,
    ctx,
    maxDraftsPerCheck: c.maxDraftsPerCheck,
  };
}

/** The task that reads a whole file (its first bytes decide the reader). */
export function wholeTask(p: FilePlan, c: PlanContext, id: number): ReadTask {
  return readTask(p.entry, c, id, { fileKind: null, start: 0, end: p.entry.size, rangeHeaderFields: null });
}

/**
 * How a file is read. Large files of a splittable format are sniffed here and cut into byte ranges that
 * threads read in parallel (`split`: the range size the caller asks for; infinite: never split).
 */
export function planFile(
  entry: FileEntry,
  c: PlanContext,
  nextId: () => number,
  split: number | undefined,
): FilePlan {
  const plan: FilePlan = { entry, ranges: null, results: null, done: 0, digest: null };
  if (entry.size <= (split ?? MIN_RANGE)) return plan;
  const s = sniffFile(entry.abs, entry.path, entry.size);
  const reader = "fileKind" in s ? readerFor(s.fileKind.format) : null;
  if (!("fileKind" in s) || !reader?.splittable) return plan;
  const range = split ?? reader.rangeBytes ?? DEFAULT_SPLIT;
  if (entry.size <= range) return plan;
  const fk = s.fileKind;
  const n = Math.ceil(entry.size / range);
  const step = Math.ceil(entry.size / n);
  const tasks: ReadTask[] = [];
  for (let start = 0; start < entry.size; start += step) {
    tasks.push(
      readTask(entry, c, nextId(), {
        fileKind: fk,
        start,
        end: Math.min(entry.size, start + step),
        rangeHeaderFields: start > 0 ? fk.headerFields : null,
      }),
    );
  }
  plan.ranges = tasks;
  plan.results = [];
  return plan;
}

/** Tasks sent together: for each, its file and which range of it (-1: the whole file). */
export interface Batch {
  plans: FilePlan[];
  ranges: number[];
  bytes: number;
}

/** Small whole-file tasks travel together: one message per batch instead of one per file. */
export function batches(plans: FilePlan[]): Batch[] {
  const out: Batch[] = [];
  let cur: Batch = { plans: [], ranges: [], bytes: 0 };
  const add = (p: FilePlan, range: number, size: number) => {
    if (size >= BATCH_BYTES) {
      out.push({ plans: [p], ranges: [range], bytes: size });
      return;
    }
    cur.plans.push(p);
    cur.ranges.push(range);
    cur.bytes += size;
    if (cur.bytes >= BATCH_BYTES || cur.plans.length >= BATCH_FILES) {
      out.push(cur);
      cur = { plans: [], ranges: [], bytes: 0 };
    }
  };
  for (const p of plans) {
    if (!p.ranges) add(p, -1, p.entry.size);
    else for (let i = 0; i < p.ranges.length; i++) add(p, i, p.ranges[i].end - p.ranges[i].start);
  }
  if (cur.plans.length) out.push(cur);
  // Largest first keeps every worker busy until the end.
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** The tasks of a batch, made now. */
export function batchTasks(b: Batch, c: PlanContext, nextId: () => number): ReadTask[] {
  return b.plans.map((p, i) => (b.ranges[i] < 0 ? wholeTask(p, c, nextId()) : p.ranges![b.ranges[i]]));
}

function sameFields(a: string[] | null, b: string[] | null): boolean {
  return a === b || (a !== null && b !== null && a.length === b.length && a.every((x, i) => x === b[i]));
}

/**
 * Ranges after the first were read with the file's first header. Where a `#Fields:` line earlier in
 * the file had changed the columns and a hit used the inherited header, read that range again.
 */
export async function reconcileHeaders(
  plan: FilePlan,
  run: (t: ReadTask[]) => Promise<TaskResult[]>,
): Promise<void> {
  const { ranges, results } = plan;
  if (!ranges || !results) return;
  let effective = results[0]?.stats?.lastHeaderFields ?? ranges[0].fileKind?.headerFields ?? null;
  for (let i = 1; i < ranges.length; i++) {
    const r = results[i];
    if (r.stats?.usedInheritedHeader && !sameFields(effective, ranges[i].rangeHeaderFields)) {
      ranges[i] = { ...ranges[i], rangeHeaderFields: effective };
      results[i] = (await run([ranges[i]]))[0];
    }
    effective = results[i].stats?.lastHeaderFields ?? effective;
  }
}
