// A probe worker thread: probes the targets the main thread hands it, `concurrency` hosts at once, and
// sends each result back as it completes. It asks for more targets before its queue runs dry.
import { parentPort, workerData } from "node:worker_threads";
import { type HostResult, probeHost, rateLimiter } from "./probe.js";
import type { ProbeTarget } from "./targets.js";
import type { ThreadInit, ToMain, ToWorker } from "./threads.js";

const init = workerData as ThreadInit;
const take = rateLimiter(init.rate);
const now = new Date(init.now);
const queue: ProbeTarget[] = [];
let ended = false;
let asked = false;
let wake: (() => void) | null = null;

function post(m: ToMain): void {
  parentPort?.postMessage(m);
}

function askIfLow(): void {
  if (!ended && !asked && queue.length < init.concurrency) {
    asked = true;
    post({ need: init.concurrency * 2 });
  }
}

parentPort?.on("message", (m: ToWorker) => {
  if ("targets" in m) queue.push(...m.targets);
  if ("end" in m) ended = true;
  asked = false;
  const w = wake;
  wake = null;
  w?.();
  askIfLow();
});

async function next(): Promise<ProbeTarget | null> {
  for (;;) {
    const t = queue.shift();
    askIfLow();
    if (t) return t;
    if (ended) return null;
    await new Promise<void>((r) => {
      const prev = wake;
      wake = () => {
        prev?.();
        r();
      };
    });
  }
}

async function lane(): Promise<void> {
  for (let t = await next(); t; t = await next()) {
    const r: HostResult = await probeHost(t, { timeouts: init.timeouts, take, now });
    post({ host: r });
  }
}

askIfLow();
await Promise.all(Array.from({ length: init.concurrency }, lane));
post({ done: true });
