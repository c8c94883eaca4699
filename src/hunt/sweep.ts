// The file sweep: every file in the web folders, under --files roots, and every other file not read as
// a log is read once (bounded), hashed, and offered to the content detections (web-shell rules, IOC
// hashes and paths, YARA). Runs in the worker pool next to the log reading; never throws for a file.
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { HuntContext } from "../detections/context.js";
import { failedDetectionDraft } from "../detections/registry.js";
import {
  draftsOf,
  type FindingDraft,
  type MatchContext,
  type SweptFile,
  type TaskContext,
  type WebFolder,
} from "../detections/types.js";
import { webFolderOf } from "../detections/webfolders.js";
import { isLogCandidate } from "../evidence/classify.js";
import { discover, type Inventory } from "../evidence/discover.js";
import { type IisSite, iisSites, iisWebRoots } from "../evidence/iis-config.js";
import { windowsPathOf } from "../evidence/layout.js";
import { append } from "../model/arrays.js";
import type { FileSubject } from "../model/finding.js";
import { once } from "../model/once.js";
import type { FileEntry } from "../model/records.js";
import type { Skipped } from "../model/types.js";
import { checkCap } from "./cap.js";

/** Files up to this size are hashed whole. */
export const HASH_CAP = 32 * 2 ** 20;
/** Content rules and YARA see at most this many bytes of a file. */
export const CONTENT_CAP = 8 * 2 ** 20;
const BATCH_BYTES = 8 * 2 ** 20;
const BATCH_FILES = 256;

export interface SweepTask {
  id: number;
  abs: string;
  rel: string;
  winPath: string | null;
  size: number;
  mtime: string;
  folder: WebFolder | null;
  extraRoot: boolean;
  ctx: TaskContext;
  maxDraftsPerCheck: number;
}

export interface SweepResult {
  id: number;
  drafts: FindingDraft[];
  omitted: Record<string, number>;
  skip: Skipped | null;
  /** Bytes read. */
  bytes: number;
}

/** The read buffer of files up to 1 MiB: one per thread (tasks run synchronously, one file at a time). */
const smallBuffer = once((): Buffer => Buffer.allocUnsafe(1 << 20));
/** Files are read whole, up to HASH_CAP: larger ones get a buffer of their own (its cost is small next to the read). */
function bufferFor(bytes: number): Buffer {
  return bytes <= 1 << 20 ? smallBuffer() : Buffer.allocUnsafe(bytes);
}

function readInto(fd: number, buf: Buffer, want: number): number {
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buf, got, Math.min(want - got, 1 << 24), got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function runSweepTask(task: SweepTask, hunt: HuntContext): SweepResult {
  const result: SweepResult = {
    id: task.id,
    drafts: [],
    omitted: {},
    skip: null,
    bytes: 0,
  };
  const whole = task.size <= HASH_CAP;
  const want = whole ? task.size : CONTENT_CAP;
  let n: number;
  let buf: Buffer;
  try {
    const fd = openSync(task.abs, "r");
    try {
      buf = bufferFor(want);
      n = readInto(fd, buf, want);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    result.skip = { file: task.rel, reason: "unreadable", detail: (e as Error).message };
    return result;
  }
  result.bytes = n;
  const data = buf.subarray(0, n);
  const iocs = hunt.iocs;
  const hash = (alg: string) => createHash(alg).update(data).digest("hex");
  const content = data.subarray(0, Math.min(n, CONTENT_CAP));
  let lower: string | null = null;
  const file: SweptFile = {
    path: task.rel,
    winPath: task.winPath,
    size: task.size,
    mtime: task.mtime,
    folder: task.folder,
    extraRoot: task.extraRoot,
    sha256: whole ? hash("sha256") : null,
    sha1: whole && iocs.sha1.size > 0 ? hash("sha1") : null,
    md5: whole && iocs.md5.size > 0 ? hash("md5") : null,
    content,
    truncated: content.length < task.size,
    lower: () => {
      lower ??= content.toString("latin1").toLowerCase();
      return lower;
    },
  };
  if (!whole && (task.folder !== null || task.extraRoot)) {
    result.skip = {
      file: task.rel,
      reason: "too-large",
      detail: `${task.size} bytes: not hashed (cap ${HASH_CAP >> 20} MiB); content rules read the first ${CONTENT_CAP >> 20} MiB`,
    };
  }
  const ctx: MatchContext = { ...task.ctx, hunt };
  const subject: FileSubject = {
    kind: "file",
    path: task.rel,
    winPath: task.winPath,
    size: task.size,
    sha256: file.sha256,
    mtime: task.mtime,
  };
  const keep = checkCap(task.maxDraftsPerCheck, result.omitted);
  for (const d of hunt.ofType("content")) {
    try {
      if (!d.select(file, ctx)) continue;
      for (const draft of draftsOf(d.match(file, ctx))) {
        if (!keep(draft.check)) continue;
        result.drafts.push({
          subject,
          ...draft,
          file: draft.file === undefined ? task.rel : draft.file,
          // Content rules name the line they matched; the others are about the whole file.
          line: draft.line ?? null,
        });
      }
    } catch (e) {
      // A bug in a detection: a visible finding for this file, and the other detections still run.
      result.drafts.push(failedDetectionDraft(d.id, e, task.rel, null));
    }
  }
  return result;
}

export function runSweepBatch(batch: SweepTask[], hunt: HuntContext): SweepResult[] {
  return batch.map((t) => runSweepTask(t, hunt));
}

/** A swept file's result when its worker died: the file is reported, not lost. */
export function crashedSweep(t: SweepTask, e: Error): SweepResult {
  return {
    id: t.id,
    drafts: [],
    omitted: {},
    skip: { file: t.rel, reason: "unreadable", detail: `sweep crashed: ${e.message}` },
    bytes: 0,
  };
}

const IIS_CONFIG = /(?:^|[\\/])inetsrv[\\/]config[\\/]applicationhost\.config$/i;

/**
 * The IIS site roots named by the applicationHost.config files of an inventory (a copied
 * `Windows\System32\inetsrv\config`, or the live one), with %SystemDrive% taken from the file's own drive.
 * An unreadable config only loses placement: the files are swept all the same.
 */
export function webRootsOf(files: FileEntry[]): string[] {
  const roots = new Set<string>();
  for (const e of files) {
    if (!IIS_CONFIG.test(e.winPath ?? e.path) || e.size > 16 * 2 ** 20) continue;
    try {
      const drive = /^([a-z]:)/i.exec(e.winPath ?? "")?.[1] ?? "C:";
      for (const r of iisWebRoots(readFileSync(e.abs, "utf8"), { SystemDrive: drive })) roots.add(r);
    } catch {
      // listed by the sweep itself if it cannot read the file either
    }
  }
  return [...roots];
}

/**
 * The IIS sites the applicationHost.config files of an inventory declare, with their Exchange virtual
 * directories (the first file naming a site id wins). Unreadable: no sites, the logs decide alone.
 */
export function iisSitesOf(files: FileEntry[]): IisSite[] {
  const byId = new Map<string, IisSite>();
  for (const e of files) {
    if (!IIS_CONFIG.test(e.winPath ?? e.path) || e.size > 16 * 2 ** 20) continue;
    try {
      for (const s of iisSites(readFileSync(e.abs, "utf8"))) if (!byId.has(s.id)) byId.set(s.id, s);
    } catch {
      // listed by the sweep itself if it cannot read the file either
    }
  }
  return [...byId.values()];
}

/** The web folder of a file the sweep reads (null: swept, but outside the web folders), or undefined when it is not swept. */
export function sweptFolder(entry: FileEntry, webRoots: readonly string[]): WebFolder | null | undefined {
  const folder = webFolderOf(entry.winPath, webRoots);
  // Logs outside web folders are read by the log readers, and are never malware samples.
  if (folder === null && isLogCandidate(entry.path)) return undefined;
  return folder;
}

/** Which files of an inventory the sweep reads, one at a time. */
export function* sweepSelection(
  files: FileEntry[],
  webRoots: readonly string[] = webRootsOf(files),
): Generator<{ entry: FileEntry; folder: WebFolder | null }> {
  for (const entry of files) {
    const folder = sweptFolder(entry, webRoots);
    if (folder !== undefined) yield { entry, folder };
  }
}

/** Tasks in batches of at most BATCH_FILES files or BATCH_BYTES to read, made as they are asked for. */
function* batches(tasks: Iterable<SweepTask>): Generator<SweepTask[]> {
  let cur: SweepTask[] = [];
  let bytes = 0;
  for (const t of tasks) {
    cur.push(t);
    bytes += Math.min(t.size, HASH_CAP);
    if (bytes >= BATCH_BYTES || cur.length >= BATCH_FILES) {
      yield cur;
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length) yield cur;
}

/**
 * Batches handed out at once, and batches held in all (out, or back before an older one). The sweep
 * so holds a bounded number of tasks and results whatever the number of files: a tree of 200,000
 * files used to hold every task and every result until the last one came back.
 */
const WINDOW = 16;
const REORDER = 64;

export interface SweepOptions {
  server: string;
  hunt: HuntContext;
  installPath: string | null;
  /** --files roots: swept whole, content rules on every file. */
  extraRoots?: string[];
  maxDraftsPerCheck: number;
  /** Runs a batch (in a worker, or inline). */
  run: (batch: SweepTask[]) => Promise<SweepResult[]>;
  /** Below this many bytes to read, the sweep runs in this thread (worker start-up costs more). */
  inlineBytes?: number;
  /** The IIS site roots of the inventory, when the caller has them (else read here: webRootsOf). */
  webRoots?: readonly string[];
}

/** Default for SweepOptions.inlineBytes. */
export const SWEEP_INLINE_BYTES = 32 * 2 ** 20;

export interface SweepOutcome {
  drafts: FindingDraft[];
  omitted: Record<string, number>;
  skipped: Skipped[];
  files: number;
  bytes: number;
}

/** `--files DIR`: the path given, with forward slashes, names its files in findings. */
function extraRootLabel(dir: string): string {
  return dir.replaceAll("\\", "/").replace(/\/+$/, "") || "/";
}

/** Sweep a server's files (and the --files roots). */
export async function sweepServer(inv: Inventory, o: SweepOptions): Promise<SweepOutcome> {
  const out: SweepOutcome = {
    drafts: [],
    omitted: {},
    skipped: [...o.hunt.setup.warnings],
    files: 0,
    bytes: 0,
  };
  const webRoots = o.webRoots ?? webRootsOf(inv.files);
  // --files roots: their files are listed first (one walk each), then swept after the server's own.
  const extras: { entry: FileEntry; folder: WebFolder | null }[] = [];
  for (const dir of o.extraRoots ?? []) {
    const label = extraRootLabel(dir);
    const extra = await discover([{ abs: resolve(dir), relBase: label, filesOnly: true }]);
    append(out.skipped, extra.skipped);
    for (const entry of extra.files) {
      // Windows path: as if the root's own name were the top of the copied tree (`inetpub/...`).
      const inRoot = entry.path.slice(label.length + 1);
      const win = entry.winPath ?? windowsPathOf(`${basename(resolve(dir))}/${inRoot}`).path;
      const { path, size, mtime, abs } = entry;
      extras.push({ entry: { path, size, mtime, abs, winPath: win }, folder: webFolderOf(win, webRoots) });
    }
  }
  const selected = function* (): Generator<{
    entry: FileEntry;
    folder: WebFolder | null;
    extraRoot: boolean;
  }> {
    for (const s of sweepSelection(inv.files, webRoots)) yield { ...s, extraRoot: false };
    for (const s of extras) yield { ...s, extraRoot: true };
  };
  let count = 0;
  let toRead = 0;
  for (const { entry } of selected()) {
    count++;
    toRead += Math.min(entry.size, HASH_CAP);
    if (toRead >= (o.inlineBytes ?? SWEEP_INLINE_BYTES) || count >= 4096) break;
  }
  const inline = toRead < (o.inlineBytes ?? SWEEP_INLINE_BYTES) && count < 4096;
  const tasks = function* (): Generator<SweepTask> {
    let id = 0;
    for (const { entry, folder, extraRoot } of selected())
      yield {
        id: id++,
        abs: entry.abs,
        rel: entry.path,
        winPath: entry.winPath,
        size: entry.size,
        mtime: entry.mtime,
        folder,
        extraRoot,
        ctx: { server: o.server, file: entry.path, installPath: o.installPath },
        maxDraftsPerCheck: o.maxDraftsPerCheck,
      };
  };
  const keep = checkCap(o.maxDraftsPerCheck, out.omitted);
  const fold = (batch: SweepResult[]) => {
    for (const r of batch) {
      out.files++;
      out.bytes += r.bytes;
      for (const d of r.drafts) if (keep(d.check)) out.drafts.push(d);
      for (const [c, n] of Object.entries(r.omitted)) out.omitted[c] = (out.omitted[c] ?? 0) + n;
      if (r.skip) out.skipped.push(r.skip);
    }
  };
  // At most WINDOW batches out at once; results that come back before an older one wait for it (at
  // most REORDER batches), so findings keep evidence order.
  const back = new Map<number, SweepResult[]>();
  let next = 0;
  let sent = 0;
  let wake: (() => void) | null = null;
  const settle = (i: number, r: SweepResult[]) => {
    back.set(i, r);
    for (let b = back.get(next); b !== undefined; b = back.get(next)) {
      back.delete(next++);
      fold(b);
    }
    wake?.();
  };
  const room = () => sent - next - back.size < WINDOW && sent - next < REORDER;
  for (const b of batches(tasks())) {
    while (!room()) await new Promise<void>((r) => (wake = r));
    const i = sent++;
    if (inline) settle(i, runSweepBatch(b, o.hunt));
    else
      void o.run(b).then(
        (r) => settle(i, r),
        (e: Error) =>
          settle(
            i,
            b.map((t) => crashedSweep(t, e)),
          ),
      );
  }
  while (next < sent) await new Promise<void>((r) => (wake = r));
  return out;
}
