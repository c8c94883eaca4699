// `exhunt worker`: takes jobs from the queue on the PostgreSQL store and runs them with the library's
// own code (src/jobs.ts), writing every result into the store. Each slot (--concurrency) runs its
// jobs in a child process of its own (src/job-process.ts), so a job past its timeout is really
// stopped: the slot kills the process, fails the job with the reason (retried per the queue's
// policy, dead letter after the last retry) and starts a fresh process for its next job. Jobs are at-least-once (a
// worker may die after writing and before completing); results are exactly-once, because every
// write is keyed by the job id and the evidence digest, so a job run twice stores its results once.

import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ProbeTarget } from "./exposure/probe/targets.js";
import { resolveTargets } from "./index.js";
import type { FromJobProcess, JobProcessInit, ToJobProcess } from "./job-process.js";
import { message, persist, sleep } from "./jobs.js";
import { UsageError } from "./model/errors.js";
import { resolveProbeTargets } from "./probe.js";
import {
  addJobs,
  DEFAULT_POLICY,
  type JobData,
  type JobPolicy,
  markJob,
  openQueue,
  type ProbeJob,
  QUEUE,
  type Queue,
  type QueueStatus,
  queueStatus,
  returnJob,
  type ScanJob,
  workerName,
} from "./store/queue.js";
import { startProcess } from "./threads.js";

export {
  DEFAULT_POLICY,
  type JobPolicy,
  type JobRow,
  type QueueStatus,
  readQueueStatus,
} from "./store/queue.js";

export interface WorkerOptions {
  url: string;
  /** Jobs run at once by this process (default 1), each in its slot's process. */
  concurrency?: number;
  /** Scan worker threads per job (default 0: each job reads in its slot process's main thread). */
  threads?: number;
  /** The rule cache folder the job processes use (the CLI's is the Sigma cache's); default: none. */
  ruleCache?: string | null;
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
  /** pg-boss 10 returns the interval's seconds as text. */
  expireInSeconds: number | string;
}

/** How a job's run in its process ended. */
type Outcome =
  | { type: "done"; servers: number }
  | { type: "failed"; error: string }
  | { type: "timeout"; seconds: number }
  | { type: "stopped" };

/** One slot's process: started on first use, and again after it was killed (or died). */
class SlotProcess {
  private p: ChildProcess | null = null;
  private listener: ((m: FromJobProcess) => void) | null = null;
  private ended: ((code: number | null, signal: string | null) => void) | null = null;

  constructor(private readonly init: JobProcessInit) {}

  private process(): ChildProcess {
    if (this.p && this.p.exitCode === null && this.p.signalCode === null) return this.p;
    const p = startProcess(import.meta.url, "job-process", []);
    p.send({ type: "init", init: this.init } satisfies ToJobProcess);
    p.on("message", (m: FromJobProcess) => this.listener?.(m));
    p.on("error", () => {}); // a failed start or send ends in "exit" too
    p.on("exit", (code, signal) => {
      if (this.p === p) this.p = null;
      this.ended?.(code, signal);
    });
    this.p = p;
    return p;
  }

  /** Run a job; `kill` (timeout or shutdown) kills the process and ends the run with that outcome. */
  run(
    id: string,
    data: JobData,
    onProgress: (m: Extract<FromJobProcess, { type: "progress" }>) => void,
  ): { outcome: Promise<Outcome>; kill: (why: Outcome) => void } {
    const p = this.process();
    let killed: Outcome | null = null;
    const outcome = new Promise<Outcome>((resolve) => {
      this.listener = (m) => {
        if (m.id !== id) return;
        if (m.type === "progress") onProgress(m);
        else resolve(m.type === "done" ? { type: "done", servers: m.servers } : m);
      };
      this.ended = (code, signal) =>
        resolve(
          killed ?? { type: "failed", error: `the job's process exited (${signal ?? `code ${code}`})` },
        );
    }).finally(() => {
      this.listener = null;
      this.ended = null;
    });
    p.send({ type: "job", id, data } satisfies ToJobProcess);
    return {
      outcome,
      kill: (why) => {
        killed = why;
        // SIGKILL ends the job's reads, writes and connections where they are; "exit" resolves the outcome.
        p.kill("SIGKILL");
      },
    };
  }

  /** The end: the process closes its store connection and exits. */
  async close(): Promise<void> {
    const p = this.p;
    if (!p) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
      p.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      p.send({ type: "close" } satisfies ToJobProcess);
    });
  }
}

/** Take and run jobs until stopped (or idle, when asked). */
export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? 1));
  const emit = o.onEvent ?? (() => {});
  const me = workerName();
  // The queue's pool for pg-boss and the job rows; each slot's process has one store connection.
  const q: Queue = await openQueue(o.url, {
    supervise: true,
    maintenanceSeconds: o.maintenanceSeconds,
    poolSize: 3,
  });
  const summary: WorkerSummary = { completed: 0, failed: 0, returned: 0 };
  const running = new Map<string, (why: Outcome) => void>();
  const stop = new AbortController();
  o.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  if (o.signal?.aborted) stop.abort();
  let idleSince = Date.now();
  emit({ type: "start", worker: me, concurrency });

  const fail = async (job: Fetched, error: string) => {
    const dead = job.retryCount >= job.retryLimit;
    // The row first, then the job: if this process dies in between, the job expires and runs again.
    await persist(() => markJob(q.pool, job.id, { state: dead ? "dead" : "retrying", error })).catch(
      () => {},
    );
    await persist(() => q.boss.fail(QUEUE, job.id, { message: error })).catch(() => {});
    summary.failed++;
    emit({ type: "failed", id: job.id, error, dead });
  };

  const runOne = async (slotProcess: SlotProcess, job: Fetched): Promise<void> => {
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
    const { outcome, kill } = slotProcess.run(job.id, job.data, (p) => {
      markJob(q.pool, job.id, { state: "progress", done: p.done, total: p.total, unit: p.unit }).catch(
        () => {},
      );
    });
    // The job's timeout, enforced here: pg-boss's expiry only fails a job whose worker is gone.
    // pg-boss 10 gives expireInSeconds as text ("3600.000000"): read as a number.
    const given = Number(job.expireInSeconds);
    const seconds = Number.isFinite(given) && given > 0 ? given : DEFAULT_POLICY.timeout;
    const timer = setTimeout(() => kill({ type: "timeout", seconds }), Math.min(seconds * 1000, 2 ** 31 - 1));
    running.set(job.id, kill);
    const end = await outcome;
    clearTimeout(timer);
    running.delete(job.id);
    switch (end.type) {
      case "done":
        await persist(() => markJob(q.pool, job.id, { state: "done", servers: end.servers })).catch(() => {});
        await persist(() => q.boss.complete(QUEUE, job.id, { servers: end.servers })).catch(() => {});
        summary.completed++;
        emit({ type: "done", id: job.id, servers: end.servers, ms: Date.now() - started });
        return;
      case "failed":
        return fail(job, end.error);
      case "timeout":
        return fail(
          job,
          `timed out: still running after the job timeout of ${end.seconds} s (queue add --job-timeout); its process was killed`,
        );
      case "stopped": {
        const note = `returned to the queue: worker ${me} stopped before the job finished`;
        await persist(() => markJob(q.pool, job.id, { state: "queued", note })).catch(() => {});
        await persist(() => returnJob(q, job.id)).catch(() => {});
        summary.returned++;
        emit({ type: "returned", id: job.id });
      }
    }
  };

  const slot = async (): Promise<void> => {
    const proc = new SlotProcess({ url: o.url, threads: o.threads ?? 0, ruleCache: o.ruleCache ?? null });
    try {
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
        await runOne(proc, job);
        idleSince = Date.now();
      }
    } finally {
      await proc.close();
    }
  };

  const slots = Array.from({ length: concurrency }, () => slot());
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  // Stopping: no new jobs; the current ones get the grace period, then their processes are killed
  // and the jobs go back to the queue for another worker, their interrupted attempt not counted.
  const finished = Promise.all(slots).then(() => "done" as const);
  const grace = sleep((o.graceSeconds ?? 30) * 1000).then(() => "timeout" as const);
  if ((await Promise.race([finished, grace])) === "timeout") {
    for (const kill of running.values()) kill({ type: "stopped" });
    await finished;
  }
  await q.close();
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
