// What one job does, with the library's own code (scanServers, the probe), writing every result into
// the store: run inside a job thread (src/job-thread.ts), so that a job past its timeout can be
// stopped for real by terminating its thread. Results are exactly-once on at-least-once jobs: every
// write is keyed by the job id and the evidence digest, so a job run twice stores its results once.
import { recordProbeHosts, runMeta } from "./fleet.js";
import { scanServers } from "./index.js";
import { hostJson } from "./outputs/probe.js";
import { probeHosts } from "./probe.js";
import { isConnectionError } from "./store/pg-pool.js";
import type { JobData } from "./store/queue.js";
import type { FleetStore } from "./store/types.js";

/** Progress of a job, as the thread reports it to its worker (at most once a second). */
export interface JobProgress {
  done: number;
  total: number | null;
  unit: string;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
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
export async function persist<T>(fn: () => Promise<T>, patienceMs = 120_000): Promise<T> {
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

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function scanJob(
  store: FleetStore,
  id: string,
  data: Extract<JobData, { kind: "scan" }>,
  threads: number,
  onProgress: (p: JobProgress) => void,
  ruleCache: string | null,
): Promise<number> {
  const meta = runMeta("scan", { command: "worker", job: id, path: data.path, ...data.options }, `job:${id}`);
  let last = 0;
  let n = 0;
  for await (const s of scanServers([data.path], {
    ...data.options,
    workers: threads,
    // Caches only (the same findings with or without): each job would otherwise parse and compile anew.
    sigmaCache: ruleCache,
    yaraCache: ruleCache,
    onProgress: (p) => {
      // Progress is best effort and at most once a second: it must never slow or fail the scan.
      const now = Date.now();
      if (now - last < 1000) return;
      last = now;
      onProgress({ done: p.filesDone, total: p.filesTotal, unit: "files" });
    },
  })) {
    await persist(() => store.recordRun(meta, { server: { name: s.name }, result: s }));
    n++;
  }
  return n;
}

async function probeJob(store: FleetStore, id: string, data: Extract<JobData, { kind: "probe" }>) {
  const o = data.options;
  const t = o.timeoutMs ?? 10_000;
  const hosts = await probeHosts(data.targets, {
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
      { command: "worker", job: id, chunk: data.chunk, chunks: data.chunks },
      `job:${id}`,
    ),
  );
  return c.servers + c.alreadyStored;
}

/** Run one job; resolves to the number of servers it stored (or found stored by an earlier try). */
export function runJob(
  store: FleetStore,
  id: string,
  data: JobData,
  threads: number,
  onProgress: (p: JobProgress) => void,
  ruleCache: string | null = null,
): Promise<number> {
  return data.kind === "scan"
    ? scanJob(store, id, data, threads, onProgress, ruleCache)
    : probeJob(store, id, data);
}
