// `exhunt probe --threads N`: the targets spread over N worker threads, each with its share of the
// concurrency and of the rate limit. A TLS handshake costs about 1.7 ms of client CPU, so one thread
// tops out at a few hundred hosts/s; more threads use more cores. Targets are handed out in small
// batches as workers ask for them, so CIDR expansion stays lazy and a slow worker holds few of them.
import { startWorker } from "../../threads.js";
import type { HttpTimeouts } from "./http.js";
import { DEFAULT_TIMEOUTS, type HostResult, type ProbeOptions, probeTargets } from "./probe.js";
import type { ProbeTarget } from "./targets.js";

export interface ThreadInit {
  concurrency: number;
  rate: number | undefined;
  timeouts: HttpTimeouts;
  /** ISO time the assessments are made at. */
  now: string;
}
export type ToWorker = { targets: ProbeTarget[] } | { end: true };
export type ToMain = { need: number } | { host: HostResult } | { done: true };

/** Like probeTargets, over `threads` worker threads (1: in this thread). */
export async function probeThreaded(
  targets: Iterable<ProbeTarget>,
  o: ProbeOptions & { collect?: boolean; threads?: number } = {},
): Promise<HostResult[]> {
  const threads = Math.max(1, Math.floor(o.threads ?? 1));
  if (threads === 1) return probeTargets(targets, o);
  const concurrency = Math.max(1, o.concurrency ?? 64);
  const n = Math.min(threads, concurrency);
  const it = targets[Symbol.iterator]();
  let exhausted = false;
  const out: HostResult[] = [];
  const collect = o.collect ?? true;
  const runs = Array.from({ length: n }, (_, i) => {
    const init: ThreadInit = {
      // Shares that add up to the totals asked for.
      concurrency: Math.floor(concurrency / n) + (i < concurrency % n ? 1 : 0),
      rate: o.rate ? o.rate / n : undefined,
      timeouts: { ...DEFAULT_TIMEOUTS, ...o.timeouts },
      now: (o.now ?? new Date()).toISOString(),
    };
    const w = startWorker(import.meta.url, "probe-worker", init);
    return new Promise<void>((resolve, reject) => {
      w.on("message", (m: ToMain) => {
        if ("host" in m) {
          o.onHost?.(m.host);
          if (collect) out.push(m.host);
        } else if ("need" in m) {
          const batch: ProbeTarget[] = [];
          while (!exhausted && batch.length < m.need) {
            const x = it.next();
            if (x.done) exhausted = true;
            else batch.push(x.value);
          }
          w.postMessage(exhausted && batch.length === 0 ? { end: true } : { targets: batch });
        } else if ("done" in m) {
          void w.terminate();
          resolve();
        }
      });
      w.on("error", reject);
      w.on("exit", (code) => reject(new Error(`probe worker exited with code ${code}`)));
    });
  });
  await Promise.all(runs);
  return out;
}
