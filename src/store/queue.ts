// The job queue on the PostgreSQL store's database: pg-boss 10 (the newest major that runs on Node
// 20; 11 and later need Node 22), whose fetch takes jobs with FOR UPDATE SKIP LOCKED, so any number of
// workers on any number of machines share one queue without a scheduler of ours. pg-boss keeps the
// jobs, their retries (with backoff), their expiry and the dead-letter queue in its own schema;
// exhunt keeps what a person watching the fleet wants to see of each job (its progress, the worker
// on it, the last error) in `exhunt_queue.jobs`, next to pg-boss and apart from the store's tables.
import { hostname } from "node:os";
// Imported when a queue is opened (see pg-pool.ts: start-up of every other command).
import type PgBoss from "pg-boss";
import type { ProbeTarget } from "../exposure/probe/targets.js";
import { connectPool, type Pg, type PgClient, redact, withTx } from "./pg-pool.js";
import { StoreError } from "./types.js";

export const QUEUE = "exhunt-jobs";
export const DEAD_QUEUE = "exhunt-dead";
const BOSS_SCHEMA = "pgboss";

/** What a scan job carries: one evidence package (folder or zip) on storage every worker can read. */
export interface ScanJob {
  kind: "scan";
  path: string;
  /** Scan options that change findings (the same names as ScanOptions). */
  options: {
    build?: string | null;
    files?: string[];
    iocFiles?: string[];
    yara?: string[];
    sigma?: string[];
    sigmaLevel?: string;
    sigmaBundled?: boolean;
    communityRules?: boolean;
    maxFindingsPerCheck?: number;
  };
}

/** A chunk of a probe target list. */
export interface ProbeJob {
  kind: "probe";
  targets: ProbeTarget[];
  chunk: number;
  chunks: number;
  options: { port?: number; timeoutMs?: number; concurrency?: number; rate?: number };
}

export type JobData = ScanJob | ProbeJob;

export interface JobPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Seconds before the first retry; doubled (with jitter) for each next one. */
  retryDelay: number;
  /** Seconds a job may run; a job active longer (its worker died) is failed and retried. */
  timeout: number;
}

export const DEFAULT_POLICY: JobPolicy = { retries: 3, retryDelay: 10, timeout: 3600 };

export interface QueueOptions {
  /** Connections of the queue's pool (pg-boss and the job rows share it). */
  poolSize?: number;
  /** Workers run pg-boss's maintenance (expiring jobs of dead workers, archiving); others do not. */
  supervise?: boolean;
  /** How often maintenance runs (seconds): with the job timeout, how soon a dead worker's job returns. */
  maintenanceSeconds?: number;
}

export interface Queue {
  boss: PgBoss;
  pool: Pg;
  where: string;
  close(): Promise<void>;
}

const PROGRESS_SQL = `
CREATE SCHEMA IF NOT EXISTS exhunt_queue;
CREATE TABLE IF NOT EXISTS exhunt_queue.jobs (
  job_id UUID PRIMARY KEY,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  done BIGINT,
  total BIGINT,
  unit TEXT,
  servers INTEGER,
  error TEXT,
  added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS jobs_state ON exhunt_queue.jobs(state);
`;

/** Connect to the queue (installing pg-boss's schema and the queues on first use). */
export async function openQueue(url: string, o: QueueOptions = {}): Promise<Queue> {
  const where = redact(url);
  const pool = await connectPool(url, o.poolSize ?? 3);
  const { default: Boss } = await import("pg-boss");
  const boss = new Boss({
    // pg-boss runs its statements on this process's queue pool: one pool, one connection budget.
    db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
    schema: BOSS_SCHEMA,
    supervise: o.supervise ?? false,
    schedule: false,
    maintenanceIntervalSeconds: o.maintenanceSeconds ?? 60,
  });
  // A dropped connection (the database restarting) is reported here; pg-boss reconnects by itself.
  boss.on("error", () => {});
  try {
    // One installer at a time (a session lock, so lock and unlock on one connection): fifty workers
    // starting together create the schemas once.
    const c = await pool.connect();
    try {
      await c.query("SELECT pg_advisory_lock(hashtext('exhunt_queue.install'))");
      await c.query(PROGRESS_SQL);
      await boss.start();
      if (!(await boss.getQueue(DEAD_QUEUE))) await boss.createQueue(DEAD_QUEUE, { name: DEAD_QUEUE });
      if (!(await boss.getQueue(QUEUE)))
        await boss.createQueue(QUEUE, { name: QUEUE, deadLetter: DEAD_QUEUE, policy: "standard" });
    } finally {
      await c.query("SELECT pg_advisory_unlock(hashtext('exhunt_queue.install'))").catch(() => {});
      c.release();
    }
  } catch (e) {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
    await pool.end();
    throw new StoreError(`${where}: cannot set up the job queue (${(e as Error).message})`);
  }
  return {
    boss,
    pool,
    where,
    close: async () => {
      await boss.stop({ graceful: false, wait: true, close: true }).catch(() => {});
      await pool.end();
    },
  };
}

export function jobLabel(d: JobData): string {
  return d.kind === "scan" ? d.path : `probe chunk ${d.chunk + 1}/${d.chunks} (${d.targets.length} targets)`;
}

/** Add jobs; returns their ids. Jobs and their progress rows are written in batches. */
export async function addJobs(
  q: Queue,
  jobs: JobData[],
  policy: JobPolicy = DEFAULT_POLICY,
): Promise<string[]> {
  const { randomUUID } = await import("node:crypto");
  const ids: string[] = [];
  for (let i = 0; i < jobs.length; i += 500) {
    const batch = jobs.slice(i, i + 500).map((data) => ({ id: randomUUID(), data }));
    // The job and its row in one transaction: a job without a row (or a row without a job) never exists.
    await withTx(q.pool, async (c: PgClient) => {
      await c.query(
        `INSERT INTO exhunt_queue.jobs (job_id, kind, label) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`,
        [batch.map((b) => b.id), batch.map((b) => b.data.kind), batch.map((b) => jobLabel(b.data))],
      );
      await q.boss.insert(
        batch.map((b) => ({
          id: b.id,
          name: QUEUE,
          data: b.data,
          retryLimit: policy.retries,
          retryDelay: policy.retryDelay,
          retryBackoff: true,
          expireInSeconds: policy.timeout,
          deadLetter: DEAD_QUEUE,
        })),
        { db: { executeSql: (text: string, values: unknown[]) => c.query(text, values) } },
      );
    });
    ids.push(...batch.map((b) => b.id));
  }
  return ids;
}

/** Who is working: host and process, as `queue status` shows it. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

export interface JobRow {
  id: string;
  kind: string;
  label: string;
  /** exhunt's view: queued, running, retrying, done, dead. */
  state: string;
  attempts: number;
  worker: string | null;
  done: number | null;
  total: number | null;
  unit: string | null;
  servers: number | null;
  error: string | null;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
}

export interface QueueStatus {
  /** pg-boss's job states in the work queue (created, retry, active, completed, failed, …). */
  states: Record<string, number>;
  /** Jobs in the dead-letter queue (failed after every retry). */
  dead: number;
  /** exhunt's job states (queued, running, retrying, done, dead). */
  jobs: Record<string, number>;
  active: JobRow[];
  failed: JobRow[];
}

function jobRow(r: Record<string, unknown>): JobRow {
  const iso = (v: unknown) =>
    v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.job_id),
    kind: String(r.kind),
    label: String(r.label),
    state: String(r.state),
    attempts: Number(r.attempts),
    worker: r.worker === null ? null : String(r.worker),
    done: n(r.done),
    total: n(r.total),
    unit: r.unit === null ? null : String(r.unit),
    servers: n(r.servers),
    error: r.error === null ? null : String(r.error),
    startedAt: iso(r.started_at),
    updatedAt: iso(r.updated_at) ?? "",
    finishedAt: iso(r.finished_at),
  };
}

/** Counts by state, the running jobs with their progress, and the jobs that failed (last error). */
export async function queueStatus(q: Pick<Queue, "pool">, limit = 50): Promise<QueueStatus> {
  const states: Record<string, number> = {};
  for (const r of (
    await q.pool.query(
      `SELECT state::text AS state, count(*)::int AS n FROM ${BOSS_SCHEMA}.job WHERE name = $1 GROUP BY 1`,
      [QUEUE],
    )
  ).rows as { state: string; n: number }[])
    states[r.state] = r.n;
  const dead = (
    await q.pool.query(`SELECT count(*)::int AS n FROM ${BOSS_SCHEMA}.job WHERE name = $1`, [DEAD_QUEUE])
  ).rows[0].n as number;
  const jobs: Record<string, number> = {};
  for (const r of (await q.pool.query("SELECT state, count(*)::int AS n FROM exhunt_queue.jobs GROUP BY 1"))
    .rows as {
    state: string;
    n: number;
  }[])
    jobs[r.state] = r.n;
  const active = (
    await q.pool.query(
      "SELECT * FROM exhunt_queue.jobs WHERE state = 'running' ORDER BY started_at, job_id LIMIT $1",
      [limit],
    )
  ).rows.map(jobRow);
  const failed = (
    await q.pool.query(
      "SELECT * FROM exhunt_queue.jobs WHERE state IN ('dead', 'retrying') ORDER BY updated_at DESC, job_id LIMIT $1",
      [limit],
    )
  ).rows.map(jobRow);
  return { states, dead, jobs, active, failed };
}

/** Read-only status for the dashboard: no pg-boss instance, one small pool. */
export async function readQueueStatus(url: string): Promise<QueueStatus | null> {
  const pool = await connectPool(url, 1);
  try {
    const has = await pool.query("SELECT to_regclass('exhunt_queue.jobs') AS t, to_regclass($1) AS b", [
      `${BOSS_SCHEMA}.job`,
    ]);
    if (!has.rows[0].t || !has.rows[0].b) return null;
    return await queueStatus({ pool });
  } finally {
    await pool.end();
  }
}

/** The job's row as a worker moves it along; best effort for progress, awaited for the outcome. */
export async function markJob(
  pool: Pg,
  id: string,
  change:
    | { state: "running"; attempt: number; worker: string }
    | { state: "progress"; done: number; total: number | null; unit: string }
    | { state: "done"; servers: number }
    | { state: "retrying" | "dead"; error: string }
    | { state: "queued"; note: string },
): Promise<void> {
  switch (change.state) {
    case "queued":
      // Back in the queue, its interrupted attempt not counted (see returnJob).
      await pool.query(
        `UPDATE exhunt_queue.jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0), worker = NULL,
           error = $2, done = NULL, total = NULL, updated_at = now() WHERE job_id = $1`,
        [id, change.note.slice(0, 4000)],
      );
      return;
    case "running":
      await pool.query(
        `UPDATE exhunt_queue.jobs SET state = 'running', attempts = $2, worker = $3, started_at = now(), updated_at = now(),
           done = NULL, total = NULL WHERE job_id = $1`,
        [id, change.attempt, change.worker],
      );
      return;
    case "progress":
      await pool.query(
        "UPDATE exhunt_queue.jobs SET done = $2, total = $3, unit = $4, updated_at = now() WHERE job_id = $1 AND state = 'running'",
        [id, change.done, change.total, change.unit],
      );
      return;
    case "done":
      await pool.query(
        "UPDATE exhunt_queue.jobs SET state = 'done', servers = $2, error = NULL, updated_at = now(), finished_at = now() WHERE job_id = $1",
        [id, change.servers],
      );
      return;
    default:
      await pool.query(
        `UPDATE exhunt_queue.jobs SET state = $2, error = $3, updated_at = now(),
           finished_at = CASE WHEN $2 = 'dead' THEN now() ELSE NULL END WHERE job_id = $1`,
        [id, change.state, change.error.slice(0, 4000)],
      );
  }
}

/**
 * Put an active job back in the queue for any worker, now, without counting the interrupted attempt
 * as a failure (a worker stopping past its grace period). pg-boss 10 has no call for this: its fail()
 * would spend a retry, or dead-letter a job that has none left. The job goes back to `created` with no
 * start time, so the next fetch neither counts a retry nor waits for a backoff. Only an active job
 * is touched: one already expired by maintenance and taken by another worker is left alone.
 */
export async function returnJob(q: Pick<Queue, "pool">, id: string): Promise<boolean> {
  const r = await q.pool.query(
    `UPDATE ${BOSS_SCHEMA}.job SET state = 'created', started_on = NULL, start_after = now()
       WHERE name = $1 AND id = $2 AND state = 'active'`,
    [QUEUE, id],
  );
  return (r.rowCount ?? 0) > 0;
}
