// Shared by the queue tests: a worker process (`exhunt worker` from the sources), waiting for a
// condition, and a job's rows as the queue (pg-boss) and exhunt keep them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ROOT } from "../helpers.js";

export type WorkerProcess = ChildProcess & { out: Promise<string>; log(): string };

/** A worker from the sources, with a rule cache of its own (never the user's), removed when it ends. */
export function worker(url: string, extra: string[] = []): WorkerProcess {
  const cache = mkdtempSync(join(tmpdir(), "exhunt-rule-cache-"));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "worker", "--store", url, "--poll", "1", ...extra],
    {
      env: { ...process.env, NO_COLOR: "1", EXHUNT_SIGMA_CACHE: cache },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr?.on("data", (d) => (err += d));
  const out = new Promise<string>((resolve) =>
    child.on("close", () => {
      rmSync(cache, { recursive: true, force: true });
      resolve(err);
    }),
  );
  return Object.assign(child, { out, log: () => err });
}

export async function until(what: string, fn: () => Promise<boolean>, seconds = 240): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface JobState {
  /** exhunt's row: queued, running, retrying, done, dead. */
  state: string;
  attempts: number;
  error: string | null;
  /** pg-boss's state of the job in the work queue (created, retry, active, completed, failed). */
  boss: string | null;
  retryCount: number | null;
}

/** The job's two rows, by id. */
export async function jobState(url: string, id: string): Promise<JobState> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT j.state, j.attempts, j.error, b.state::text AS boss, b.retry_count
         FROM exhunt_queue.jobs j LEFT JOIN pgboss.job b ON b.id = j.job_id AND b.name = 'exhunt-jobs'
        WHERE j.job_id = $1`,
      [id],
    );
    const x = r.rows[0];
    if (!x) throw new Error(`no job ${id}`);
    return { state: x.state, attempts: x.attempts, error: x.error, boss: x.boss, retryCount: x.retry_count };
  } finally {
    await c.end();
  }
}
