// The engine: for each server, discover the evidence, read every log (in parallel across files and
// byte ranges of large files), offer records to the detections, run the findings detections, and hand
// back what the evidence shows: findings, coverage, exposure, skipped files. It knows neither formats
// nor attacks (readers and detections are looked up in tables) and judges nothing: the verdict stage
// turns its output into a verdict, a plan and a timeline.
import type { HuntContext } from "../detections/context.js";
import { checkInfo, failedDetectionDraft } from "../detections/registry.js";
import { draftsOf, type MatchContext } from "../detections/types.js";
import { buildCoverage, layoutHints, type Span, sourceFamily, sourceOf } from "../evidence/coverage.js";
import { discover, type Inventory } from "../evidence/discover.js";
import type { ServerTarget } from "../evidence/targets.js";
import { type HeaderVersion, serverExposure } from "../exposure/server.js";
import { append } from "../model/arrays.js";
import { compareFindings, type Finding, type FindingDraft, toFinding } from "../model/finding.js";
import type { FileEntry } from "../model/records.js";
import type {
  Coverage,
  Exposure,
  FileAccounting,
  ServerStats,
  Skipped,
  SourceCoverage,
} from "../model/types.js";
import { accountFiles } from "./accounting.js";
import { checkCap } from "./cap.js";
import { digestFile, interner, spansOf } from "./digest.js";
import { type Batch, batches, batchTasks, planFile, reconcileHeaders } from "./plan.js";
import { defaultWorkers, WorkerPool } from "./pool.js";
import { iisSitesOf, runSweepBatch, sweepServer, sweptFolder, webRootsOf } from "./sweep.js";
import { type ReadTask, runBatchHere, type TaskResult } from "./task.js";

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

/** Below this much log data, worker start-up costs more than it saves. */
const INLINE_BYTES = 16 * 2 ** 20;
/** Evidence found by the walk from which the workers are started before it ends (two threads on this
 * 2-core VM give about 1.4x one thread's speed, so a smaller tree is read faster without them). */
const WARM_BYTES = INLINE_BYTES;

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

/** What record detections handed on to the findings detections (MatchContext.collect), per server. */
interface Collected {
  items: Record<string, unknown[]>;
  dropped: Record<string, number>;
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
  const nextId = () => id++;
  const planned = { server, installPath, maxDraftsPerCheck: maxDrafts };
  const plans = inv.candidates.map((entry) => planFile(entry, planned, nextId, split));
  const run = (b: ReadTask[]): Promise<TaskResult[]> =>
    pool ? pool.run(b) : Promise.resolve(runBatchHere(b, hunt));
  const intern = interner();

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
    // A file is digested as soon as its tasks are answered, and its results let go: thousands of
    // small files' results held to the end made the heap (and every collection) grow with the tree.
    const settle = (b: Batch, results: TaskResult[]) => {
      for (let i = 0; i < b.plans.length; i++) {
        const plan = b.plans[i];
        const range = b.ranges[i] < 0 ? null : plan.ranges![b.ranges[i]];
        bytesDone += range ? range.end - range.start : plan.entry.size;
        if (!plan.results) {
          filesDone++;
          plan.digest = digestFile(plan.entry.path, [results[i]], intern);
          continue;
        }
        plan.results[b.ranges[i]] = results[i];
        if (++plan.done === plan.ranges!.length) filesDone++;
      }
      progress({ phase: "read", filesDone, filesTotal: plans.length, bytesDone, bytesTotal });
    };
    // Batches are sent a few at a time (enough to keep every thread busy), so that only those in
    // flight have their tasks made.
    const queue = batches(plans);
    let next = 0;
    const lane = async () => {
      while (next < queue.length) {
        const b = queue[next++];
        settle(b, await run(batchTasks(b, planned, nextId)));
      }
    };
    await Promise.all(Array.from({ length: pool ? pool.capacity + 1 : 1 }, lane));
    for (const plan of plans) {
      if (!plan.ranges) continue;
      await reconcileHeaders(plan, run);
      plan.digest = digestFile(plan.entry.path, plan.results ?? [], intern);
      plan.results = null;
    }
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
    const d = plan.digest!;
    if (d.skip) skipped.push(d.skip);
    if (d.omitted) for (const [c, n] of Object.entries(d.omitted)) omitted[c] = (omitted[c] ?? 0) + n;
    if (!d.isLog) continue;
    for (const [c, items] of Object.entries(d.collected ?? {})) {
      const list = collected.items[c] ?? [];
      collected.items[c] = list;
      append(list, items);
    }
    for (const [c, n] of Object.entries(d.collectedDropped ?? {}))
      collected.dropped[c] = (collected.dropped[c] ?? 0) + n;
    for (const draft of d.drafts) if (keep(draft.check)) drafts.push(draft);
    if (d.headerVersion) headers.push({ version: d.headerVersion, newest: d.newest, file: plan.entry.path });
    logFiles++;
    logBytes += plan.entry.size;
    records += d.records;
    badRows += d.badRows;
    for (const span of spansOf(d, plan.entry.size)) {
      const named = sourceOf(d.kind, plan.entry.path, span.channel, d.hint);
      const source = spelling.get(named.toLowerCase()) ?? named;
      spelling.set(named.toLowerCase(), source);
      const cov = sources.get(source) ?? {
        source,
        kind: d.kind,
        family: sourceFamily(d.kind),
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
      plans.map((p) => p.digest!),
      (f) => sweptFolder(f, webRoots) !== undefined,
      skipped,
    ),
  };
  return { evidence, inventory: inv };
}

function fileSubject(e: FileEntry): FindingDraft["subject"] {
  return { kind: "file", path: e.path, winPath: e.winPath, size: e.size, sha256: null, mtime: e.mtime };
}
