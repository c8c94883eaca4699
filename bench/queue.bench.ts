// Benchmark: the job queue on PostgreSQL. Generates N small evidence packages, then measures
//   - the scan itself: the same packages through one in-process scanServers call per package (the
//     work a job does, without the queue), and
//   - jobs per second through the queue with 1 and with 2 worker processes (queue add, workers until
//     idle, results written to the PostgreSQL store);
// the queue's own overhead per job = (worker wall time per job) - (scan time per job), from one run.
// Needs PostgreSQL installed (initdb/pg_ctl): it starts its own throwaway server.
// Usage: npx tsx bench/queue.bench.ts [--quick] [--packages N]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { scanServers } from "../src/index.js";
import { readQueueStatus } from "../src/worker.js";
import { PG_BIN, startPg } from "../test/store/pg-server.js";
import { numArg, recordLane, table } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const N = numArg("--packages", QUICK ? 20 : 60);
const CLI = join(process.cwd(), "dist/cli/exhunt.js");

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "inherit"] });
    c.on("error", reject);
    c.on("close", (code) => resolve(code ?? -1));
  });
}

if (!PG_BIN) {
  console.log("queue bench: PostgreSQL (initdb, pg_ctl) not installed: skipped");
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), "exhunt-queue-bench-"));
const pg = await startPg();
try {
  const day = {
    from: new Date("2021-03-02T00:00:00Z"),
    to: new Date("2021-03-03T00:00:00Z"),
    rowsPerHour: 20,
  };
  const pkgs = join(dir, "p");
  mkdirSync(pkgs);
  for (let i = 0; i < N; i++)
    (i % 3 === 0 ? writeCompromised : writeClean)(join(pkgs, `B${String(i).padStart(4, "0")}`), {
      ...day,
      seed: i + 1,
    });

  // The scan alone, one call per package as a job makes it (hunt set-up included), main thread only.
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    for await (const _ of scanServers([join(pkgs, `B${String(i).padStart(4, "0")}`)], { workers: 0 })) {
    }
  const scanMs = (performance.now() - t0) / N;

  const rows: string[][] = [];
  for (const workers of [1, 2]) {
    await run(["queue", "add", pkgs, "--each", "--store", pg.url]);
    const before = (await readQueueStatus(pg.url))?.jobs.done ?? 0;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: workers }, () =>
        run(["worker", "--store", pg.url, "--poll", "1", "--exit-when-idle", "1", "--quiet"]),
      ),
    );
    // Each worker waits ~1-2 s idle before it exits: not the queue's cost, so taken off.
    const wall = performance.now() - t0 - 1500;
    const done = ((await readQueueStatus(pg.url))?.jobs.done ?? 0) - before;
    if (done !== N) throw new Error(`${workers} worker(s): ${done} of ${N} jobs done`);
    const perJob = (wall * workers) / N;
    recordLane(`queue-${workers}-worker${workers > 1 ? "s" : ""}`, {
      input: `${N} small evidence packages, queue add --each, ${workers} worker process(es) on PostgreSQL`,
      exhunt: { figure: N / (wall / 1000), unit: "jobs/s", seconds: wall / 1000, peakMiB: null },
      reference: {
        tool: "the same scans in one process, no queue",
        figure: 1000 / scanMs,
        unit: "packages/s",
        seconds: (scanMs * N) / 1000,
      },
      timeRatio: wall / (scanMs * N),
      goal: "queue overhead small against the scan time",
      runs: 1,
    });
    rows.push([
      String(workers),
      (N / (wall / 1000)).toFixed(1),
      `${perJob.toFixed(0)} ms`,
      `${scanMs.toFixed(0)} ms`,
      `${(perJob - scanMs).toFixed(0)} ms`,
    ]);
  }
  console.log(
    `queue: ${N} packages, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} (quote ratios from one run)`,
  );
  console.log(
    table([
      ["workers", "jobs/s", "worker time per job", "scan per package (no queue)", "queue overhead per job"],
      ...rows,
    ]),
  );
} finally {
  pg.destroy();
  rmSync(dir, { recursive: true, force: true });
}
