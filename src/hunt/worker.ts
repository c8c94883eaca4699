// Worker thread: makes the scan's hunt context from its setup, then runs batches of read tasks and
// sweep tasks sent by the pool. A pool (and so its workers) belongs to one scan.
import { parentPort, workerData } from "node:worker_threads";
import { createHuntContext, type HuntSetup } from "../detections/context.js";
import { runSweepBatch, type SweepTask } from "./sweep.js";
import { type ReadTask, runBatch } from "./task.js";

const hunt = createHuntContext((workerData as HuntSetup | null) ?? undefined);

parentPort?.on("message", (msg: ReadTask[] | { sweep: SweepTask[] }) => {
  parentPort?.postMessage(Array.isArray(msg) ? runBatch(msg, hunt) : runSweepBatch(msg.sweep, hunt));
});
