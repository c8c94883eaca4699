// `exhunt worker`: takes jobs from the queue on the PostgreSQL store and runs them with the library's
// own code (scanServers, the probe), writing every result into the store. Jobs are at-least-once
// (a worker may die after writing and before completing); results are exactly-once, because every
// write is keyed by the job id and the evidence digest, so a job run twice stores its results once.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ProbeTarget } from "./exposure/probe/targets.js";
import { recordProbeHosts, runMeta } from "./fleet.js";
import { resolveTargets, scanServers } from "./index.js";
import { UsageError } from "./model/errors.js";
import { hostJson } from "./outputs/probe.js";
import { probeHosts, resolveProbeTargets } from "./probe.js";
import { isConnectionError } from "./store/pg-pool.js";
import { openPostgresStore } from "./store/postgres.js";
import {
  addJobs,
  type JobData,
  type JobPolicy,
  markJob,
  openQueue,
  type ProbeJob,
  QUEUE,
  type Queue,
  type QueueStatus,
  queueStatus,
  type ScanJob,
  workerName,
} from "./store/queue.js";

export {
  DEFAULT_POLICY,
  type JobPolicy,
  type JobRow,
  type QueueStatus,
  readQueueStatus,
} from "./store/queue.js";

import type { FleetStore } from "./store/types.js";

export interface WorkerOptions {
  url: string;
  /** Jobs run at once by this process (default 1). */
  concurrency?: number;
  /** Scan worker threads per job (default 0: each job reads in its own slot's thread). */
  threads?: number;
  /** Seconds between polls of an empty queue (default 2). */
  pollSeconds?: number;
  /** pg-boss maintenance interval (seconds): how soon a dead worker's expired job returns. */
  maintenanceSeconds?: number;
  /** Stop when the queue has had nothing to give for this many seconds (default: never). */
  idleExitSeconds?: number;
  /** Aborted: take no new job; finish the current ones within graceSeconds, or return them to the queue. */
  signal?: AbortSignal;
  graceSeconds?: number;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: "start"; worker: string; concurrency: number }
  | { type: "job"; id: string; kind: string; label: string; attempt: number }
  | { type: "done"; id: string; servers: number; ms: number }
  | { type: "failed"; id: string; error: string; dead: boolean }
  | { type: "returned"; id: string }
  | { type: "error"; error: string };

export interface WorkerSummary {
  completed: number;
  failed: number;
  returned: number;
}

interface Fetched {
  id: string;
  data: JobData;
  retryCount: number;
  retryLimit: number;
  expireInSeconds: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Run `fn` again while the database is unreachable (a restart, a failover), for up to `patienceMs`:
 * a write that cannot be made now is made when the database is back, not lost or counted as a failure.
 */
async function persist<T>(fn: () => Promise<T>, patienceMs = 120_000): Promise<T> {
  const until = Date.now() + patienceMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      return await fn();
    } catch (e) {
      if (!isConnectionError(e) || Date.now() > until) throw e;
      await sleep(wait);
    }
  }
}

async function scanJob(
  store: FleetStore,
  q: Queue,
  job: Fetched & { data: Extract<JobData, { kind: "scan" }> },
  threads: number,
): Promise<number> {
  const meta = runMeta(
    "scan",
    { command: "worker", job: job.id, path: job.data.path, ...job.data.options },
    `job:${job.id}`,
  );
  let last = 0;
  let n = 0;
  for await (const s of scanServers([job.data.path], {
    ...job.data.options,
    workers: threads,
    onProgress: (p) => {
      // Progress is best effort and at most once a second: it must never slow or fail the scan.
      const now = Date.now();
      if (now - last < 1000) return;
      last = now;
      markJob(q.pool, job.id, {
        state: "progress",
        done: p.filesDone,
        total: p.filesTotal,
        unit: "files",
      }).catch(() => {});
    },
  })) {
    await persist(() => store.recordRun(meta, { server: { name: s.name }, result: s }));
    n++;
  }
  return n;
}

async function probeJob(
  store: FleetStore,
  job: Fetched & { data: Extract<JobData, { kind: "probe" }> },
): Promise<number> {
  const o = job.data.options;
  const t = o.timeoutMs ?? 10_000;
  const hosts = await probeHosts(job.data.targets, {
    threads: 1,
    concurrency: o.concurrency ?? 64,
    rate: o.rate,
    timeouts: { connectMs: Math.min(5000, t), headersMs: t, bodyMs: t },
    collect: true,
  });
  const c = await persist(() =>
    recordProbeHosts(
      store,
      hosts.map(hostJson),
      { command: "worker", job: job.id, chunk: job.data.chunk, chunks: job.data.chunks },
      `job:${job.id}`,
    ),
  );
  return c.servers + c.alreadyStored;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Take and run jobs until stopped (or idle, when asked). */
export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? 1));
  const emit = o.onEvent ?? (() => {});
  const me = workerName();
  // One connection per running job for the store, the queue's pool for pg-boss and the job rows.
  const store = await openPostgresStore(o.url, { poolSize: concurrency + 1 });
  const q = await openQueue(o.url, {
    supervise: true,
    maintenanceSeconds: o.maintenanceSeconds,
    poolSize: 3,
  });
  const summary: WorkerSummary = { completed: 0, failed: 0, returned: 0 };
  const running = new Map<string, Promise<void>>();
  const stop = new AbortController();
  o.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  if (o.signal?.aborted) stop.abort();
  let idleSince = Date.now();
  emit({ type: "start", worker: me, concurrency });

  const runOne = async (job: Fetched): Promise<void> => {
    const attempt = job.retryCount + 1;
    const started = Date.now();
    emit({
      type: "job",
      id: job.id,
      kind: job.data.kind,
      label: job.data.kind === "scan" ? job.data.path : `probe ${job.data.chunk + 1}/${job.data.chunks}`,
      attempt,
    });
    await markJob(q.pool, job.id, { state: "running", attempt, worker: me }).catch(() => {});
    let servers: number;
    try {
      const work =
        job.data.kind === "scan"
          ? scanJob(store, q, job as Fetched & { data: Extract<JobData, { kind: "scan" }> }, o.threads ?? 0)
          : probeJob(store, job as Fetched & { data: Extract<JobData, { kind: "probe" }> });
      servers = await work;
    } catch (e) {
      const error = message(e);
      const dead = job.retryCount >= job.retryLimit;
      // The row first, then the job: if this process dies in between, the job expires and runs again.
      await persist(() => markJob(q.pool, job.id, { state: dead ? "dead" : "retrying", error })).catch(
        () => {},
      );
      await persist(() => q.boss.fail(QUEUE, job.id, { message: error })).catch(() => {});
      summary.failed++;
      emit({ type: "failed", id: job.id, error, dead });
      return;
    }
    await persist(() => markJob(q.pool, job.id, { state: "done", servers })).catch(() => {});
    await persist(() => q.boss.complete(QUEUE, job.id, { servers })).catch(() => {});
    summary.completed++;
    emit({ type: "done", id: job.id, servers, ms: Date.now() - started });
  };

  const slot = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      let jobs: Fetched[];
      try {
        jobs = (await q.boss.fetch<JobData>(QUEUE, { batchSize: 1, includeMetadata: true })) as Fetched[];
      } catch (e) {
        emit({ type: "error", error: message(e) });
        await sleep((o.pollSeconds ?? 2) * 1000, stop.signal);
        continue;
      }
      const job = jobs[0];
      if (!job) {
        if (
          o.idleExitSeconds !== undefined &&
          running.size === 0 &&
          Date.now() - idleSince > o.idleExitSeconds * 1000
        )
          stop.abort();
        await sleep((o.pollSeconds ?? 2) * 1000, stop.signal);
        continue;
      }
      const p = runOne(job);
      running.set(job.id, p);
      await p;
      running.delete(job.id);
      idleSince = Date.now();
    }
  };

  const slots = Array.from({ length: concurrency }, () => slot());
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  // Stopping: no new jobs; the current ones get the grace period, then go back to the queue.
  const grace = sleep((o.graceSeconds ?? 30) * 1000).then(() => "timeout" as const);
  const finished = Promise.all(slots).then(() => "done" as const);
  if ((await Promise.race([finished, grace])) === "timeout") {
    for (const id of running.keys()) {
      // Failing a job with retries left puts it back (state retry) for another worker.
      await markJob(q.pool, id, { state: "retrying", error: "worker stopped before the job finished" }).catch(
        () => {},
      );
      await q.boss.fail(QUEUE, id, { message: "worker stopped before the job finished" }).catch(() => {});
      summary.returned++;
      emit({ type: "returned", id });
    }
  }
  await q.close();
  await store.close();
  return summary;
}

/** Queue one scan job per evidence package; `each`: every subfolder or zip of each PATH is one. */
export async function addScanJobs(
  url: string,
  paths: string[],
  o: { each?: boolean; options?: ScanJob["options"]; policy?: JobPolicy } = {},
): Promise<string[]> {
  const list = (await resolveTargets(paths, o.each)) ?? [];
  if (list.length === 0)
    throw new UsageError("queue add: name at least one evidence package (folder or .zip)");
  for (const p of list) if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p}`);
  // Absolute paths: the workers run elsewhere and read the same shared storage.
  const jobs: JobData[] = list.map((p) => ({ kind: "scan", path: resolve(p), options: o.options ?? {} }));
  const q = await openQueue(url);
  try {
    return await addJobs(q, jobs, o.policy);
  } finally {
    await q.close();
  }
}

/** Queue a probe target list split into chunks of `chunkSize` targets (CIDRs expanded). */
export async function addProbeJobs(
  url: string,
  specs: string[],
  o: {
    chunkSize?: number;
    port?: number;
    allowLarge?: boolean;
    options?: ProbeJob["options"];
    policy?: JobPolicy;
  } = {},
): Promise<string[]> {
  const list = await resolveProbeTargets(specs, { defaultPort: o.port, allowLarge: o.allowLarge });
  const size = Math.max(1, Math.floor(o.chunkSize ?? 256));
  const chunks: ProbeTarget[][] = [];
  for (const t of list.targets()) {
    if (chunks.length === 0 || chunks[chunks.length - 1].length >= size) chunks.push([]);
    chunks[chunks.length - 1].push(t);
  }
  if (chunks.length === 0) throw new UsageError("queue add --probe: no targets");
  const jobs: JobData[] = chunks.map((targets, chunk) => ({
    kind: "probe",
    targets,
    chunk,
    chunks: chunks.length,
    options: o.options ?? {},
  }));
  const q = await openQueue(url);
  try {
    return await addJobs(q, jobs, o.policy);
  } finally {
    await q.close();
  }
}

/** The queue's counts, running jobs with progress, and failed jobs with their error. */
export async function queueStatusAt(url: string): Promise<QueueStatus> {
  const q = await openQueue(url);
  try {
    return await queueStatus(q);
  } finally {
    await q.close();
  }
}

/** A path as every worker must see it: absolute. */
export function absolute(p: string): string {
  return resolve(p);
}
