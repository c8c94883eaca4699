// Bundles the command line and its worker threads into one file each (dist/cli/exhunt.js,
// dist/cli/worker.js, probe-worker.js and job-process.js, side by side: each finds its thread's or process's module
// next to itself). Loading ~150 compiled
// modules one by one cost every command about 0.25 s of start-up, and every worker thread as much.
// The library entry (dist/index.js) stays as tsc wrote it.
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Native add-on, and the PostgreSQL client (its optional native binding is required at run time):
  // loaded at run time from node_modules, never bundled. undici (HTTP client of the
  // probe, ~1 MB, 40 % of the CLI bundle) likewise: imported on the first probed host, so every other
  // command starts without parsing it (a dependency, installed with the package).
  external: ["@litko/yara-x", "@litko/yara-x-linux-x64-gnu", "better-sqlite3", "undici", "pg", "pg-boss"],
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __exhuntRequire } from 'node:module'; const require = __exhuntRequire(import.meta.url);",
  },
  logLevel: "warning",
  legalComments: "linked",
};

await build({
  ...common,
  entryPoints: {
    exhunt: "src/cli/bin.ts",
    worker: "src/hunt/worker.ts",
    "probe-worker": "src/exposure/probe/probe-worker.ts",
    // The process of each `exhunt worker` slot (src/worker.ts finds it next to the CLI bundle).
    "job-process": "src/job-process.ts",
  },
  outdir: "dist/cli",
});
