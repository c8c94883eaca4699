// Starting worker threads (the hunt pool, the probe) and job processes (`exhunt worker`): the one
// place that knows how a worker module is found when compiled, bundled or run from TypeScript sources.
import { type ChildProcess, fork, type StdioOptions } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * A worker thread running the module `name` (without extension) next to the module at `from`
 * (`import.meta.url`): `name.js` when compiled or bundled, `name.ts` under tsx (tests, development),
 * where the worker registers the same TypeScript loader first. `youngGenerationMb` caps the thread's
 * young generation (V8 otherwise grows it to 3 × 16 MiB per thread).
 */
export function startWorker(
  from: string,
  name: string,
  workerData: unknown,
  o: { youngGenerationMb?: number } = {},
): Worker {
  const resourceLimits = o.youngGenerationMb ? { maxYoungGenerationSizeMb: o.youngGenerationMb } : undefined;
  if (!from.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, from), { workerData, resourceLimits });
  const api = import.meta.resolve("tsx/esm/api");
  const url = new URL(`./${name}.ts`, from).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}

/**
 * A child process running the module `name` next to the module at `from`, with an IPC channel:
 * `name.js` when compiled or bundled, `name.ts` through tsx's loader under tsx. `args` go to its argv.
 */
export function startProcess(from: string, name: string, args: string[]): ChildProcess {
  const opts = { stdio: ["ignore", "inherit", "inherit", "ipc"] as StdioOptions };
  if (!from.endsWith(".ts")) return fork(fileURLToPath(new URL(`./${name}.js`, from)), args, opts);
  return fork(fileURLToPath(new URL(`./${name}.ts`, from)), args, {
    ...opts,
    execArgv: ["--import", import.meta.resolve("tsx/esm")],
  });
}
