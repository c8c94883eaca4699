// A small pool of worker threads for read tasks. Tasks go to the first idle worker; a worker that dies
// fails only its own task, and is replaced.
import { Worker } from "node:worker_threads";
import { type ReadTask, runBatch, type TaskResult } from "./task.js";

const here = import.meta.url;
const isTs = here.endsWith(".ts");

function spawn(): Worker {
  if (!isTs) return new Worker(new URL("./worker.js", here));
  // Under tsx (tests, development) the worker registers the same TypeScript loader first.
  const api = import.meta.resolve("tsx/esm/api");
  const url = new URL("./worker.ts", here).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true });
}

interface Slot {
  worker: Worker;
  busy: boolean;
  completed: number;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: { batch: ReadTask[]; ok: (r: TaskResult[]) => void }[] = [];
  private pending = new Map<Worker, { batch: ReadTask[]; ok: (r: TaskResult[]) => void }>();
  private startFailures = 0;
  /** Set when workers cannot start at all (e.g. a packaging problem): tasks then run inline. */
  broken: string | null = null;

  constructor(readonly size: number) {}

  private add(): Slot {
    const slot: Slot = { worker: spawn(), busy: false, completed: 0 };
    slot.worker.on("message", (r: TaskResult[]) => this.finish(slot, r));
    slot.worker.on("error", (e) => this.fail(slot, e));
    slot.worker.on("exit", (code) => {
      if (this.pending.has(slot.worker)) this.fail(slot, new Error(`worker exited with code ${code}`));
    });
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot, r: TaskResult[]): void {
    const p = this.pending.get(slot.worker);
    this.pending.delete(slot.worker);
    slot.busy = false;
    slot.completed++;
    slot.worker.unref(); // an idle worker must not keep the process alive
    p?.ok(r);
    this.pump();
  }

  private fail(slot: Slot, e: Error): void {
    const p = this.pending.get(slot.worker);
    this.pending.delete(slot.worker);
    this.slots = this.slots.filter((s) => s !== slot);
    void slot.worker.terminate();
    if (slot.completed === 0 && ++this.startFailures >= 2) this.broken = e.message;
    if (p) {
      // A worker that never finished a task failed to start: not the file's fault, read it here.
      if (slot.completed === 0) p.ok(runBatch(p.batch));
      else
        p.ok(
          p.batch.map((t) => ({
            id: t.id,
            fileKind: t.fileKind,
            notLog: null,
            drafts: [],
            omitted: {},
            stats: null,
            error: `reader crashed: ${e.message}`,
            detectionErrors: [],
            channels: [],
          })),
        );
    }
    this.pump();
  }

  private pump(): void {
    if (this.broken) {
      for (const job of this.queue.splice(0)) job.ok(runBatch(job.batch));
      return;
    }
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.add();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = true;
      slot.worker.ref(); // a busy one must, or the process would exit before its answer
      this.pending.set(slot.worker, job);
      slot.worker.postMessage(job.batch);
    }
  }

  run(batch: ReadTask[]): Promise<TaskResult[]> {
    if (this.broken) return Promise.resolve(runBatch(batch));
    return new Promise((ok) => {
      this.queue.push({ batch, ok });
      this.pump();
    });
  }

  async close(): Promise<void> {
    const all = this.slots;
    this.slots = [];
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
