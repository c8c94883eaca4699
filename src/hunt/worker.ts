// Worker thread: runs batches of read tasks sent by the pool.
import { parentPort } from "node:worker_threads";
import { type ReadTask, runBatch } from "./task.js";

parentPort?.on("message", (batch: ReadTask[]) => {
  parentPort?.postMessage(runBatch(batch));
});
