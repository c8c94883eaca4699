// Starting worker threads, shared by the hunt pool and the probe: the one place that knows how a
// worker module is found when compiled, bundled or run from TypeScript sources.
import { Worker } from "node:worker_threads";

/**
 * A worker thread running the module `name` (without extension) next to the module at `from`
 * (`import.meta.url`): `name.js` when compiled or bundled, `name.ts` under tsx (tests, development),
 * where the worker registers the same TypeScript loader first.
 */
export function startWorker(from: string, name: string, workerData: unknown): Worker {
  if (!from.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, from), { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const url = new URL(`./${name}.ts`, from).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
