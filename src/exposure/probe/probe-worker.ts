// A probe worker thread: probes the targets the main thread hands it, `concurrency` hosts at once, and
// sends each result back as it completes. It asks for more targets before its queue runs dry.
import { parentPort, workerData } from "node:worker_threads";
import { type HostResult, probeHost, probeRun, rateLimiter } from "./probe.js";
import type { ProbeTarget } from "./targets.js";
import type { ThreadInit, ToMain, ToWorker } from "./threads.js";

/** This thread's state: the targets handed to it and not yet taken, and the lanes waiting for more. */
interface Feed {
  readonly queue: ProbeTarget[];
  ended: boolean;
  asked: boolean;
  wake: (() => void) | null;
}

function post(m: ToMain): void {
  parentPort?.postMessage(m);
}

function askIfLow(f: Feed, concurrency: number): void {
  if (!f.ended && !f.asked && f.queue.length < concurrency) {
    f.asked = true;
    post({ need: concurrency * 2 });
  }
}

async function next(f: Feed, concurrency: number): Promise<ProbeTarget | null> {
  for (;;) {
    const t = f.queue.shift();
    askIfLow(f, concurrency);
    if (t) return t;
    if (f.ended) return null;
    await new Promise<void>((r) => {
      const prev = f.wake;
      f.wake = () => {
        prev?.();
        r();
      };
    });
  }
}

async function main(init: ThreadInit): Promise<void> {
  const run = probeRun(init.timeouts, rateLimiter(init.rate), new Date(init.now));
  const feed: Feed = { queue: [], ended: false, asked: false, wake: null };
  parentPort?.on("message", (m: ToWorker) => {
    if ("targets" in m) feed.queue.push(...m.targets);
    if ("end" in m) feed.ended = true;
    feed.asked = false;
    const w = feed.wake;
    feed.wake = null;
    w?.();
    askIfLow(feed, init.concurrency);
  });
  const lane = async (): Promise<void> => {
    for (let t = await next(feed, init.concurrency); t; t = await next(feed, init.concurrency)) {
      const r: HostResult = await probeHost(t, run);
      post({ host: r });
    }
  };
  askIfLow(feed, init.concurrency);
  await Promise.all(Array.from({ length: init.concurrency }, lane));
  post({ done: true });
}

await main(workerData as ThreadInit);
