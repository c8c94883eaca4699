// The engine: for each server, discover the evidence, read every log (in parallel across files and
// byte ranges of large files), offer records to the detections, run the findings detections, and hand
// back what the evidence shows: findings, coverage, exposure, skipped files. It knows neither formats
// nor attacks (readers and detections are looked up in tables) and judges nothing: the verdict stage
// turns its output into a verdict, a plan and a timeline.
import type { HuntContext } from "../detections/context.js";
import { checkInfo, failedDetectionDraft } from "../detections/registry.js";
import { draftsOf, type MatchContext, type TaskContext } from "../detections/types.js";
import { buildCoverage, layoutHints, type Span, sourceFamily, sourceOf } from "../evidence/coverage.js";
import { discover, type Inventory } from "../evidence/discover.js";
import type { ServerTarget } from "../evidence/targets.js";
import { type HeaderVersion, serverExposure } from "../exposure/server.js";
import { append } from "../model/arrays.js";
import { compareFindings, type Finding, type FindingDraft, toFinding } from "../model/finding.js";
import type { FileEntry, LogKind } from "../model/records.js";
import type {
  Coverage,
  Exposure,
  FileAccounting,
  ServerStats,
  Skipped,
  SourceCoverage,
} from "../model/types.js";
import { readerFor } from "../readers/index.js";
import { accountFiles, type CandidateOutcome } from "./accounting.js";
import { type CheckCap, checkCap } from "./cap.js";
import { defaultWorkers, WorkerPool } from "./pool.js";
import { iisSitesOf, runSweepBatch, sweepServer, sweptFolder, webRootsOf } from "./sweep.js";
import { type ChannelSpan, type ReadTask, runBatchHere, sniffFile, type TaskResult } from "./task.js";

export interface EngineOptions {
  /** Worker threads besides the main thread, which reads too; 0 reads in the main thread only. Default: cores - 1 (at least 1). */
  workers?: number;
  /** Exchange install path on the server (`D:\Exchange\`), when the evidence layout does not show it. */
  installPath?: string | null;
  /** Findings kept per check and server; the rest are counted. */
  maxFindingsPerCheck?: number;
  /** Files larger than this are read as several byte ranges in parallel. */
  splitBytes?: number;
  /** The server's build as given (`--build`): exposure from it instead of ExSetup.exe or log headers. */
  build?: string | null;
  onProgress?: (p: Progress) => void;
  /** Extra folders to sweep for web shells and IOC files (`--files DIR`), for every server. */
  files?: string[];
  /** The sweep runs in this thread below this many bytes (default hunt/sweep.ts SWEEP_INLINE_BYTES). */
  sweepInlineBytes?: number;
}

export interface Progress {
  server: string;
  phase: "discover" | "read" | "done";
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

const DEFAULT_SPLIT = 64 * 2 ** 20;
/** No format is cut below this (Reader.rangeBytes); smaller files are read whole without sniffing here. */
const MIN_RANGE = 8 * 2 ** 20;
/** Below this much log data, worker start-up costs more than it saves. */
const INLINE_BYTES = 16 * 2 ** 20;
/** Evidence found by the walk from which the workers are started before it ends (two threads on this
 * 2-core VM give about 1.4x one thread's speed, so a smaller tree is read faster without them). */
const WARM_BYTES = INLINE_BYTES;
/** A batch of small files: one message to a worker. */
const BATCH_BYTES = 8 * 2 ** 20;
const BATCH_FILES = 256;

/** One candidate file: its read tasks (one, or several byte ranges) and their results. */
interface FilePlan {
  entry: FileEntry;
  tasks: ReadTask[];
  results: TaskResult[];
}

function planFile(
  entry: FileEntry,
  ctx: TaskContext,
  nextId: () => number,
  split: number | undefined,
  maxDrafts: number,
): FilePlan {
  const base = { abs: entry.abs, rel: entry.path, size: entry.size, ctx, maxDraftsPerCheck: maxDrafts };
  const whole = (): FilePlan => ({
    entry,
    tasks: [{ ...base, id: nextId(), fileKind: null, start: 0, end: entry.size, rangeHeaderFields: null }],
    results: [],
  });
  if (entry.size <= (split ?? MIN_RANGE)) return whole();
  // Large: sniff here, then cut into byte ranges that workers read in parallel.
  const s = sniffFile(entry.abs, entry.path, entry.size);
  const reader = "fileKind" in s ? readerFor(s.fileKind.format) : null;
  if (!("fileKind" in s) || !reader?.splittable) return whole();
  const range = split ?? reader.rangeBytes ?? DEFAULT_SPLIT;
  if (entry.size <= range) return whole();
  const fk = s.fileKind;
  const n = Math.ceil(entry.size / range);
  const step = Math.ceil(entry.size / n);
  const tasks: ReadTask[] = [];
  for (let start = 0; start < entry.size; start += step) {
    tasks.push({
      ...base,
      id: nextId(),
      fileKind: fk,
      start,
      end: Math.min(entry.size, start + step),
      rangeHeaderFields: start > 0 ? fk.headerFields : null,
    });
  }
  return { entry, tasks, results: [] };
}

function sameFields(a: string[] | null, b: string[] | null): boolean {
  return a === b || (a !== null && b !== null && a.length === b.length && a.every((x, i) => x === b[i]));
}

/**
 * Ranges after the first were read with the file's first header. Where a `#Fields:` line earlier in
 * the file had changed the columns and a hit used the inherited header, read that range again.
 */
async function reconcileHeaders(
  plan: FilePlan,
  run: (t: ReadTask[]) => Promise<TaskResult[]>,
): Promise<void> {
  let effective = plan.results[0]?.stats?.lastHeaderFields ?? plan.tasks[0].fileKind?.headerFields ?? null;
  for (let i = 1; i < plan.tasks.length; i++) {
    const r = plan.results[i];
    if (r.stats?.usedInheritedHeader && !sameFields(effective, plan.tasks[i].rangeHeaderFields)) {
      plan.tasks[i] = { ...plan.tasks[i], rangeHeaderFields: effective };
      plan.results[i] = (await run([plan.tasks[i]]))[0];
    }
    effective = plan.results[i].stats?.lastHeaderFields ?? effective;
  }
}

/** Small whole-file tasks travel together: one message per batch instead of one per file. */
function batches(plans: FilePlan[]): ReadTask[][] {
  const out: ReadTask[][] = [];
  let cur: ReadTask[] = [];
  let bytes = 0;
  for (const p of plans) {
    for (const t of p.tasks) {
      const size = t.end - t.start;
      if (size >= BATCH_BYTES) {
        out.push([t]);
        continue;
      }
      cur.push(t);
      bytes += size;
      if (bytes >= BATCH_BYTES || cur.length >= BATCH_FILES) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
    }
  }
  if (cur.length) out.push(cur);
  // Largest first keeps every worker busy until the end.
  const bytesOf = new Map(out.map((b) => [b, b.reduce((n, t) => n + t.end - t.start, 0)]));
  return out.sort((a, b) => bytesOf.get(b)! - bytesOf.get(a)!);
}

/** What the evidence of one server shows, before any judgement (the verdict stage's input). */
export interface ServerEvidence {
  name: string;
  root: string;
  findings: Finding[];
  /** Findings beyond the per-check limit, counted but not listed (check id -> count). */
  omittedFindings: Record<string, number>;
  coverage: Coverage;
  skipped: Skipped[];
  stats: ServerStats;
  installPath: string | null;
  exposure: Exposure | null;
  /** What became of every file found (read, not read, excluded). */
  files?: FileAccounting;
}

export interface ServerScan {
  evidence: ServerEvidence;
  inventory: Inventory;
}

interface FileOutcome {
  kind: LogKind | "event";
  oldest: string | null;
  newest: string | null;
  records: number;
  badRows: number;
  /** Event files: the channels in it (an export may hold several), each its own coverage source. */
  channels: ChannelSpan[];
  /** What the file's rows name as their source (HttpProxy protocol, IIS site), or null. */
  hint: string | null;
}

/** What record detections handed on to the findings detections (MatchContext.collect), per server. */
interface Collected {
  items: Record<string, unknown[]>;
  dropped: Record<string, number>;
}

/** Fold a file's task results into drafts, skipped entries and its coverage facts. */
function foldFile(
  plan: FilePlan,
  drafts: FindingDraft[],
  omitted: Record<string, number>,
  skipped: Skipped[],
  collected: Collected,
  keep: CheckCap,
): FileOutcome | null {
  const rel = plan.entry.path;
  const first = plan.results[0];
  if (first?.notLog) {
    if ("skip" in first.notLog) skipped.push(first.notLog.skip);
    return null;
  }
  const out: FileOutcome = {
    kind: first?.fileKind?.kind ?? "exchange-other",
    oldest: null,
    newest: null,
    records: 0,
    badRows: 0,
    channels: [],
    hint: null,
  };
  let lineOffset = 0;
  const samples: string[] = [];
  const damage: string[] = [];
  let error: string | null = null;
  for (const r of plan.results) {
    for (const [c, items] of Object.entries(r.collected ?? {})) {
      const list = collected.items[c] ?? [];
      collected.items[c] = list;
      for (const x of items) list.push(x);
    }
    for (const [c, n] of Object.entries(r.collectedDropped ?? {}))
      collected.dropped[c] = (collected.dropped[c] ?? 0) + n;
    for (const d of r.drafts) {
      if (!keep(d.check)) continue;
      drafts.push(d.line != null && d.file === rel ? { ...d, line: d.line + lineOffset } : d);
    }
    for (const [c, n] of Object.entries(r.omitted)) omitted[c] = (omitted[c] ?? 0) + n;
    if (r.error) error = r.error;
    out.channels.push(...(r.channels ?? []));
    const s = r.stats;
    if (!s) continue;
    out.kind = s.kind;
    out.hint ??= s.sourceHint ?? null;
    out.records += s.records;
    out.badRows += s.badRows;
    for (const b of s.badSamples)
      if (samples.length < 5) samples.push(`line ${b.line + lineOffset}: ${b.reason}`);
    append(damage, s.damage);
    if (s.firstTime && (out.oldest === null || s.firstTime < out.oldest)) out.oldest = s.firstTime;
    if (s.lastTime && (out.newest === null || s.lastTime > out.newest)) out.newest = s.lastTime;
    lineOffset += s.lines;
  }
  if (error) skipped.push({ file: rel, reason: "corrupt", detail: `reading stopped: ${error}` });
  else if (out.badRows > 0 || damage.length > 0) {
    const parts = plan.results.length > 1 ? sumCounts(damage) : [...damage];
    if (out.badRows > 0)
      parts.push(
        `${out.badRows} row${out.badRows === 1 ? "" : "s"} not read as expected (${samples.join("; ")})`,
      );
    skipped.push({ file: rel, reason: "partial", detail: parts.join("; ") });
  }
  return out;
}

/**
 * Damage of a file read in several ranges: each range reports its own counts ("3 records not decoded");
 * lines that differ only in the count are summed into one, at the place of the first; a sentence
 * repeated word for word is kept once.
 */
export function sumCounts(lines: string[]): string[] {
  const COUNT = /^(\d+) (\w+?)(s?)( .*)$/;
  const out: (string | { n: number; word: string; rest: string })[] = [];
  const byKey = new Map<string, { n: number; word: string; rest: string }>();
  for (const l of lines) {
    const m = COUNT.exec(l);
    if (!m) {
      if (!out.includes(l)) out.push(l); // the same sentence from several ranges once
      continue;
    }
    const key = `${m[2]}${m[4]}`;
    const e = byKey.get(key);
    if (e) e.n += Number(m[1]);
    else {
      const entry = { n: Number(m[1]), word: m[2], rest: m[4] };
      byKey.set(key, entry);
      out.push(entry);
    }
  }
  return out.map((x) => (typeof x === "string" ? x : `${x.n} ${x.word}${x.n === 1 ? "" : "s"}${x.rest}`));
}

export async function scanServer(
  target: ServerTarget,
  opts: EngineOptions,
  hunt: HuntContext,
  shared?: WorkerPool,
): Promise<ServerScan> {
  const t0 = performance.now();
  const server = target.name;
  const progress = (p: Omit<Progress, "server">) => opts.onProgress?.({ server, ...p });
  progress({ phase: "discover", filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 });
  const wanted = opts.workers ?? defaultWorkers();
  // Workers take about a quarter of a second to start: once the walk has found enough evidence to
  // need them, they start while it goes on instead of after it.
  let own: WorkerPool | null = null;
  const warm = (bytes: number) => {
    if (wanted <= 0 || bytes < WARM_BYTES || own) return;
    own = shared ?? new WorkerPool(wanted, hunt);
    own.warm();
  };
  const inv = await discover(target.roots, warm);
  const installPath = opts.installPath ?? target.installPath ?? inv.installPath;
  const skipped: Skipped[] = [...target.skipped, ...inv.skipped];
  const maxDrafts = opts.maxFindingsPerCheck ?? 5000;
  const bytesTotal = inv.candidates.reduce((n, e) => n + e.size, 0);
  // Workers already started are used whatever the size; otherwise they must pay for their start-up.
  const early = own as WorkerPool | null;
  const useWorkers = wanted > 0 && (bytesTotal > INLINE_BYTES || early !== null);
  const pool = useWorkers ? (early ?? shared ?? new WorkerPool(wanted, hunt)) : null;
  // Byte ranges are for reading one file on several threads. Read in this thread alone, a file is read
  // whole: its ranges would run one after another anyway, each paying again for what a range must
  // work out about the whole file (an .evtx range reads every chunk header to place carved records).
  // A split the caller asks for is kept.
  const split = opts.splitBytes ?? (pool ? undefined : Number.POSITIVE_INFINITY);
  let id = 0;
  const plans = inv.candidates.map((entry) =>
    planFile(entry, { server, file: entry.path, installPath }, () => id++, split, maxDrafts),
  );
  const byTask = new Map<number, FilePlan>();
  for (const p of plans) for (const t of p.tasks) byTask.set(t.id, p);
  const run = (b: ReadTask[]): Promise<TaskResult[]> =>
    pool ? pool.run(b) : Promise.resolve(runBatchHere(b, hunt));

  let filesDone = 0;
  let bytesDone = 0;
  progress({ phase: "read", filesDone, filesTotal: plans.length, bytesDone, bytesTotal });
  // The file sweep (web shells, IOC hashes, YARA) runs alongside the log reading, in the same pool.
  const sweepPool = pool ?? (wanted > 0 ? (shared ?? null) : null);
  // The IIS site roots (read from applicationHost.config): the sweep places files by them, and the file
  // accounting below says which files it read.
  const webRoots = webRootsOf(inv.files);
  const sweeping = sweepServer(inv, {
    server,
    hunt,
    installPath,
    webRoots,
    extraRoots: opts.files,
    maxDraftsPerCheck: maxDrafts,
    inlineBytes: opts.sweepInlineBytes,
    run: (b) => (sweepPool ? sweepPool.runSweep(b) : Promise.resolve(runSweepBatch(b, hunt))),
  });
  let swept: Awaited<typeof sweeping> | null = null;
  try {
    const done = new Map<FilePlan, number>();
    await Promise.all(
      batches(plans).map(async (batch) => {
        const results = await run(batch);
        for (let i = 0; i < batch.length; i++) {
          const plan = byTask.get(batch[i].id)!;
          plan.results[plan.tasks.indexOf(batch[i])] = results[i];
          bytesDone += batch[i].end - batch[i].start;
          const n = (done.get(plan) ?? 0) + 1;
          done.set(plan, n);
          if (n === plan.tasks.length) filesDone++;
        }
        progress({ phase: "read", filesDone, filesTotal: plans.length, bytesDone, bytesTotal });
      }),
    );
    for (const plan of plans) if (plan.tasks.length > 1) await reconcileHeaders(plan, run);
    swept = await sweeping;
  } finally {
    if (pool && pool !== shared) await pool.close();
  }

  // Drafts → findings, per-file outcomes → coverage and skipped.
  const drafts: FindingDraft[] = [];
  const omitted: Record<string, number> = {};
  const sources = new Map<string, SourceCoverage>();
  const spans = new Map<string, Span[]>();
  // Windows names (channels, folders) are case-insensitive: one source whatever the spelling, named as
  // first met (an export's `microsoft-windows-bits-client/operational` is the .evtx's channel).
  const spelling = new Map<string, string>();
  let records = 0;
  let badRows = 0;
  let logFiles = 0;
  let logBytes = 0;
  const headers: HeaderVersion[] = [];
  const collected: Collected = { items: {}, dropped: {} };
  // One cap per check over the whole server (tasks already capped each file's share).
  const keep = checkCap(maxDrafts, omitted);
  for (const plan of plans) {
    const o = foldFile(plan, drafts, omitted, skipped, collected, keep);
    if (!o) continue;
    const pre = plan.results[0]?.fileKind?.preamble;
    if (pre?.version && /exchange/i.test(pre.software ?? ""))
      headers.push({ version: pre.version, newest: o.newest, file: plan.entry.path });
    logFiles++;
    logBytes += plan.entry.size;
    records += o.records;
    badRows += o.badRows;
    for (const span of spansOf({ ...o, size: plan.entry.size })) {
      const named = sourceOf(o.kind, plan.entry.path, span.channel, o.hint);
      const source = spelling.get(named.toLowerCase()) ?? named;
      spelling.set(named.toLowerCase(), source);
      const cov = sources.get(source) ?? {
        source,
        kind: o.kind,
        family: sourceFamily(o.kind),
        files: 0,
        bytes: 0,
        oldest: null,
        newest: null,
      };
      cov.files++;
      cov.bytes += span.bytes;
      cov.records = (cov.records ?? 0) + span.records;
      if (span.oldest && (cov.oldest === null || span.oldest < cov.oldest)) cov.oldest = span.oldest;
      if (span.newest && (cov.newest === null || span.newest > cov.newest)) cov.newest = span.newest;
      sources.set(source, cov);
      if (span.oldest && span.newest) {
        const list = spans.get(source);
        if (list) list.push({ oldest: span.oldest, newest: span.newest });
        else spans.set(source, [{ oldest: span.oldest, newest: span.newest }]);
      }
    }
  }

  // File checks look at every file found, logs included.
  for (const entry of inv.files) {
    const ctx: MatchContext = { server, file: entry.path, installPath, hunt };
    for (const d of hunt.ofType("file")) {
      try {
        for (const draft of draftsOf(d.match(entry, ctx)))
          if (keep(draft.check))
            drafts.push({ file: entry.path, line: null, subject: fileSubject(entry), ...draft });
      } catch (e) {
        drafts.push(failedDetectionDraft(d.id, e, entry.path, null));
      }
    }
  }

  if (swept) {
    for (const [c, n] of Object.entries(swept.omitted)) omitted[c] = (omitted[c] ?? 0) + n;
    for (const d of swept.drafts) if (keep(d.check)) drafts.push(d);
    append(skipped, swept.skipped);
  }

  const coverage = buildCoverage([...sources.values()], layoutHints(inv.files), spans);
  const exposure = await serverExposure({
    given: opts.build,
    live: target.live,
    installPath: target.installPath,
    headers,
  });
  skipped.push(...exposure.skipped);
  const findings = drafts.map((d) => toFinding(d, server, checkInfo(d.check)));
  // Findings detections see the record findings and those of the findings detections before them.
  const iisSites = iisSitesOf(inv.files);
  for (const d of hunt.ofType("findings")) {
    const input = {
      server,
      findings,
      omitted,
      coverage,
      exposure: exposure.facts,
      collected: collected.items,
      collectedDropped: collected.dropped,
      hunt,
      iisSites,
      installPath,
    };
    try {
      for (const draft of draftsOf(d.run(input)))
        findings.push(toFinding(draft, server, checkInfo(draft.check)));
    } catch (e) {
      findings.push(
        toFinding(failedDetectionDraft(d.id, e, null, null), server, checkInfo("detection-failed")),
      );
    }
  }
  findings.sort(compareFindings);
  progress({
    phase: "done",
    filesDone: plans.length,
    filesTotal: plans.length,
    bytesDone: bytesTotal,
    bytesTotal,
  });
  const evidence: ServerEvidence = {
    name: server,
    root: target.root,
    findings,
    omittedFindings: omitted,
    coverage,
    skipped: skipped.sort((a, b) => a.file.localeCompare(b.file)),
    stats: {
      files: inv.files.length,
      bytes: inv.bytes,
      logFiles,
      logBytes,
      records,
      badRows,
      sweptFiles: swept?.files ?? 0,
      sweptBytes: swept?.bytes ?? 0,
      durationMs: Math.round(performance.now() - t0),
    },
    installPath,
    exposure: exposure.exposure,
    files: accountFiles(
      inv.files,
      plans.map(candidateOutcome),
      (f) => sweptFolder(f, webRoots) !== undefined,
      skipped,
    ),
  };
  return { evidence, inventory: inv };
}

/** What a log-candidate file came to: its reader and records, or what it looked like when none took it. */
function candidateOutcome(p: FilePlan): CandidateOutcome {
  const first = p.results[0];
  const notLog = first?.notLog ?? null;
  return {
    path: p.entry.path,
    reader: notLog ? null : (first?.fileKind?.format ?? null),
    records: p.results.reduce((n, r) => n + (r.stats?.records ?? 0), 0),
    notes: sumCounts(p.results.flatMap((r) => r.stats?.notes ?? [])),
    recoveredDuplicates: p.results.reduce((n, r) => n + (r.stats?.recoveredDuplicates ?? 0), 0),
    type: notLog?.type,
  };
}

function fileSubject(e: FileEntry): FindingDraft["subject"] {
  return { kind: "file", path: e.path, winPath: e.winPath, size: e.size, sha256: null, mtime: e.mtime };
}

const UNKNOWN_CHANNEL = "(unknown channel)";

/** The coverage spans of a file: one for a log, one per channel for an event file (bytes shared out by records). */
function spansOf(
  o: FileOutcome & { size?: number },
): { channel?: string; oldest: string | null; newest: string | null; bytes: number; records: number }[] {
  const size = o.size ?? 0;
  if (o.kind !== "event") return [{ oldest: o.oldest, newest: o.newest, bytes: size, records: o.records }];
  // Same channel from several byte ranges of one file: merge.
  const by = new Map<string, ChannelSpan>();
  for (const c of o.channels) {
    const m = by.get(c.channel);
    if (!m) by.set(c.channel, { ...c });
    else {
      m.records += c.records;
      if (c.oldest && (m.oldest === null || c.oldest < m.oldest)) m.oldest = c.oldest;
      if (c.newest && (m.newest === null || c.newest > m.newest)) m.newest = c.newest;
    }
  }
  if (by.size === 0) return [{ channel: "(no events)", oldest: null, newest: null, bytes: size, records: 0 }];
  // Records without a channel (a half-written record of a cut-off file) belong to the file's channel:
  // one file is one source, not two.
  const unknown = by.get(UNKNOWN_CHANNEL);
  if (unknown && by.size > 1) {
    by.delete(UNKNOWN_CHANNEL);
    const main = [...by.values()].sort((a, b) => b.records - a.records)[0];
    main.records += unknown.records;
    if (unknown.oldest && (main.oldest === null || unknown.oldest < main.oldest))
      main.oldest = unknown.oldest;
    if (unknown.newest && (main.newest === null || unknown.newest > main.newest))
      main.newest = unknown.newest;
  }
  const total = o.records || 1;
  return [...by.values()].map((c) => ({
    channel: c.channel,
    oldest: c.oldest,
    newest: c.newest,
    bytes: Math.round((size * c.records) / total),
    records: c.records,
  }));
}
