// Worker thread: applies the scan's setup, then runs batches of read tasks and sweep tasks sent by the pool.
import { parentPort, workerData } from "node:worker_threads";
import { applySetup, type HuntSetup } from "./setup.js";
import { runSweepBatch, type SweepTask } from "./sweep.js";
import { type ReadTask, runBatch } from "./task.js";

applySetup((workerData as HuntSetup | null) ?? null);

parentPort?.on("message", (msg: ReadTask[] | { sweep: SweepTask[] }) => {
  parentPort?.postMessage(Array.isArray(msg) ? runBatch(msg) : runSweepBatch(msg.sweep));
});
