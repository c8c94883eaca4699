// A small pool of worker threads for read tasks and sweep tasks, with the main thread as one more
// lane: it reads while the workers start (about 0.3 s of CPU each) and whenever it is otherwise idle,
// so N cores need N-1 workers. Each worker holds up to two jobs, so that it never waits for the
// main thread to hand it the next one. A worker that dies fails only its own job, and is replaced.
// A pool belongs to one scan: its workers start with that scan's setup (user IOCs, YARA sources) as
// workerData, and the main lane runs jobs with the same scan's hunt context.
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { HuntContext } from "../detections/context.js";
import { startWorker } from "../threads.js";
import { crashedSweep, runSweepBatch, type SweepResult, type SweepTask } from "./sweep.js";
import { blankResult, type ReadTask, runBatchHere, type TaskResult } from "./task.js";

/** A message to a worker and how to answer it without one (inline, or after a crash). */
interface Job {
  msg: ReadTask[] | { sweep: SweepTask[] };
  inline: () => unknown;
  crashed: (e: Error) => unknown;
  ok: (r: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** Jobs sent and not answered yet, oldest first (a worker answers in order). */
  inflight: Job[];
  completed: number;
}

/** Jobs a worker holds at once: one running, one waiting. */
const PREFETCH = 2;
/** Young generation of each hunt worker thread, MiB (a third of it per semi-space). */
const YOUNG_GENERATION_MB = 12;

/** Default worker threads: one per core besides the main thread's. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private mainBusy = false;
  private startFailures = 0;
  /** Set when workers cannot start at all (e.g. a packaging problem): tasks then run inline. */
  broken: string | null = null;

  /** Jobs the main thread ran (for tests and diagnostics). */
  mainJobs = 0;

  /** `size` worker threads; `mainLane` lets the main thread take jobs too. */
  constructor(
    readonly size: number,
    private readonly hunt: HuntContext,
    private readonly mainLane = true,
  ) {}

  private add(): Slot {
    const slot: Slot = {
      // A small young generation: the hunt's garbage is short-lived rows and pages, and V8's default
      // (up to 48 MiB per thread) was most of the sweep's peak over 256 MiB; measured no slower.
      worker: startWorker(import.meta.url, "worker", this.hunt.setup, {
        youngGenerationMb: YOUNG_GENERATION_MB,
      }),
      inflight: [],
      completed: 0,
    };
    slot.worker.on("message", (r: unknown) => this.finish(slot, r));
    slot.worker.on("error", (e) => this.fail(slot, e));
    slot.worker.on("exit", (code) => {
      if (slot.inflight.length > 0) this.fail(slot, new Error(`worker exited with code ${code}`));
    });
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }

  /** Jobs the pool runs at once when every worker has started: each worker's, and the main lane's. */
  get capacity(): number {
    return this.size * PREFETCH + (this.mainLane ? 1 : 0);
  }

  /** Worker threads started (and not failed). */
  get started(): number {
    return this.slots.length;
  }

  /** Start every worker now, before there is work for them (their start-up overlaps the caller's). */
  warm(): void {
    if (this.broken) return;
    while (this.slots.length < this.size) this.add();
  }

  private finish(slot: Slot, r: unknown): void {
    const p = slot.inflight.shift();
    slot.completed++;
    if (slot.inflight.length === 0) slot.worker.unref(); // an idle worker must not keep the process alive
    p?.ok(r);
    this.pump();
  }

  private fail(slot: Slot, e: Error): void {
    const [p, ...waiting] = slot.inflight;
    slot.inflight = [];
    this.slots = this.slots.filter((s) => s !== slot);
    void slot.worker.terminate();
    if (slot.completed === 0 && ++this.startFailures >= 2) this.broken = e.message;
    // Jobs that had not started go back to the queue: the crash was not theirs.
    this.queue.unshift(...waiting);
    if (p) {
      // A worker that never finished a task failed to start: not the file's fault, read it here.
      if (slot.completed === 0) p.ok(p.inline());
      else p.ok(p.crashed(e));
    }
    this.pump();
  }

  /** Run a job on the main thread, after the current turn of the event loop. */
  private runMain(job: Job): void {
    this.mainBusy = true;
    this.mainJobs++;
    setImmediate(() => {
      let r: unknown;
      try {
        r = job.inline();
      } catch (e) {
        r = job.crashed(e as Error);
      }
      this.mainBusy = false;
      job.ok(r);
      this.pump();
    });
  }

  private send(slot: Slot, job: Job): void {
    slot.inflight.push(job);
    slot.worker.ref(); // a busy worker must, or the process would exit before its answer
    slot.worker.postMessage(job.msg);
  }

  private pump(): void {
    if (this.broken) {
      for (const job of this.queue.splice(0)) job.ok(job.inline());
      return;
    }
    while (this.queue.length > 0) {
      const idle = this.slots.find((s) => s.inflight.length === 0);
      if (idle) {
        this.send(idle, this.queue.shift()!);
        continue;
      }
      if (this.slots.length < this.size) {
        this.send(this.add(), this.queue.shift()!);
        continue;
      }
      if (this.mainLane && !this.mainBusy) {
        this.runMain(this.queue.shift()!);
        continue;
      }
      const next = this.slots.find((s) => s.inflight.length < PREFETCH);
      if (!next) return;
      this.send(next, this.queue.shift()!);
    }
  }

  private submit<R>(msg: Job["msg"], inline: () => R, crashed: (e: Error) => R): Promise<R> {
    if (this.broken) return Promise.resolve(inline());
    return new Promise((ok) => {
      this.queue.push({ msg, inline, crashed, ok: ok as (r: unknown) => void });
      this.pump();
    });
  }

  run(batch: ReadTask[]): Promise<TaskResult[]> {
    return this.submit(
      batch,
      () => runBatchHere(batch, this.hunt),
      (e) => batch.map((t) => blankResult(t.id, t.fileKind, `reader crashed: ${e.message}`)),
    );
  }

  runSweep(batch: SweepTask[]): Promise<SweepResult[]> {
    return this.submit(
      { sweep: batch },
      () => runSweepBatch(batch, this.hunt),
      (e) => batch.map((t) => crashedSweep(t, e)),
    );
  }

  async close(): Promise<void> {
    const all = this.slots;
    this.slots = [];
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
