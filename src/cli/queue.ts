// `exhunt queue add|status` and `exhunt worker`: the job queue on a PostgreSQL store.
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { sigmaCacheDir, UsageError } from "../index.js";
import { count } from "../model/plural.js";
import { forTerminal } from "../outputs/safe.js";
import type { JobPolicy, JobRow, QueueStatus, WorkerEvent } from "../worker.js";

function storeUrl(o: { store?: string }): string {
  const url = o.store ?? process.env.EXHUNT_STORE;
  if (!url || !/^postgres(ql)?:\/\//i.test(url))
    throw new UsageError("the job queue lives on a PostgreSQL store: --store postgres://… (or EXHUNT_STORE)");
  return url;
}

/** `--json FILE|-`, as on every command: "-" is stdout, anything else a file. */
async function writeJson(target: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (target === "-") process.stdout.write(text);
  else await writeFile(target, text);
}

function int(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface AddOptions {
  store?: string;
  probe?: boolean;
  each?: boolean;
  chunk?: string;
  port?: string;
  allowLarge?: boolean;
  build?: string;
  ioc: string[];
  retries?: string;
  retryDelay?: string;
  jobTimeout?: string;
}

function policy(o: AddOptions, defaults: JobPolicy): JobPolicy {
  return {
    retries: int(o.retries, "--retries", 0) ?? defaults.retries,
    retryDelay: int(o.retryDelay, "--retry-delay", 1) ?? defaults.retryDelay,
    timeout: int(o.jobTimeout, "--job-timeout", 1) ?? defaults.timeout,
  };
}

function progress(j: JobRow): string {
  if (j.done === null) return "";
  const pct = j.total ? ` (${Math.round((100 * j.done) / j.total)}%)` : "";
  return ` ${j.done}/${j.total ?? "?"} ${j.unit ?? ""}${pct}`;
}

export function renderQueueStatus(s: QueueStatus): string {
  const n = (k: string) => s.jobs[k] ?? 0;
  const lines = [
    `jobs: ${n("queued")} queued, ${n("running")} running, ${n("retrying")} waiting to retry, ${n("done")} done, ${n("dead")} dead`,
    `pg-boss: ${
      Object.entries(s.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "empty"
    }; dead-letter queue ${s.dead}`,
  ];
  if (s.active.length) lines.push("running:");
  for (const j of s.active)
    lines.push(
      `  ${j.id}  ${j.kind}  ${j.label}  on ${j.worker ?? "?"}  attempt ${j.attempts}${progress(j)}`,
    );
  if (s.failed.length) lines.push("failed:");
  for (const j of s.failed)
    lines.push(`  ${j.id}  ${j.state}  ${j.label}  after ${j.attempts} attempt(s): ${j.error ?? ""}`);
  return `${lines.map(forTerminal).join("\n")}\n`;
}

export function registerQueue(program: Command): void {
  const queue = program
    .command("queue")
    .description("the job queue on a PostgreSQL store (workers on many machines)");
  queue
    .command("add")
    .description(
      "queue evidence packages (folders or .zip files on storage every worker reads), or probe targets",
    )
    .argument(
      "<items...>",
      "evidence packages; with --probe: targets as `exhunt probe` takes them (@file, CIDR, …)",
    )
    .option("--store <url>", "postgres://… (default: $EXHUNT_STORE)")
    .option("--each", "every subfolder or .zip in each PATH is one package (one job each)")
    .option("--probe", "the items are probe targets, split into chunks")
    .option("--chunk <n>", "probe targets per job (default 256)")
    .option("--port <n>", "probe: port for targets given without one (default 443)")
    .option("--allow-large", "probe: allow CIDR ranges larger than /16")
    .option("--build <version>", "scan: the servers' build, for the exposure assessment")
    .option(
      "--ioc <file>",
      "scan: indicator feed every worker reads (repeatable; a path on shared storage)",
      collect,
      [],
    )
    .option("--retries <n>", "attempts after the first (default 3), with exponential backoff")
    .option("--retry-delay <s>", "seconds before the first retry (default 10)")
    .option(
      "--job-timeout <s>",
      "seconds one attempt may run; then its process is killed and the job fails, to be retried (default 3600)",
    )
    .option("--json <file|->", "write the job ids as JSON (-: stdout)")
    .action(async (items: string[], o: AddOptions & { json?: string }) => {
      const url = storeUrl(o);
      const w = await import("../worker.js");
      const p = policy(o, w.DEFAULT_POLICY);
      const ids = o.probe
        ? await w.addProbeJobs(url, items, {
            chunkSize: int(o.chunk, "--chunk", 1),
            port: int(o.port, "--port", 1),
            allowLarge: o.allowLarge,
            policy: p,
          })
        : await w.addScanJobs(url, items, {
            each: o.each,
            options: { build: o.build ?? null, iocFiles: o.ioc.map((f) => w.absolute(f)) },
            policy: p,
          });
      if (o.json !== undefined) await writeJson(o.json, { jobs: ids });
      if (o.json !== "-") process.stdout.write(`queued ${count(ids.length, "job")}\n`);
    });
  queue
    .command("status")
    .description("jobs by state, the running ones with their progress, the failed ones with their error")
    .option("--store <url>", "postgres://… (default: $EXHUNT_STORE)")
    .option("--json <file|->", "write the status as JSON (-: stdout)")
    .action(async (o: { store?: string; json?: string }) => {
      const { queueStatusAt } = await import("../worker.js");
      const s = await queueStatusAt(storeUrl(o));
      if (o.json !== undefined) await writeJson(o.json, s);
      if (o.json !== "-") process.stdout.write(renderQueueStatus(s));
    });

  program
    .command("worker")
    .description("take jobs from the queue and write their results into the store, until SIGTERM or SIGINT")
    .option("--store <url>", "postgres://… (default: $EXHUNT_STORE)")
    .option("--concurrency <n>", "jobs at once (default 1)")
    .option("--threads <n>", "scan worker threads per job (default 0: the job process's own thread)")
    .option("--poll <s>", "seconds between polls of an empty queue (default 2)")
    .option(
      "--grace <s>",
      "on SIGTERM: seconds to finish the current jobs before returning them (default 30)",
    )
    .option(
      "--maintenance <s>",
      "seconds between queue maintenance runs (expiring jobs of dead workers; default 60)",
    )
    .option("--exit-when-idle <s>", "stop after the queue has been empty this many seconds")
    .option("--quiet", "no line per job")
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const url = storeUrl(o as { store?: string });
      // Commander's keys are camelCase (--exit-when-idle is exitWhenIdle); the message names the flag.
      const num = (k: string, min: number) =>
        int(o[k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] as string | undefined, `--${k}`, min);
      const { runWorker } = await import("../worker.js");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      const log = (e: WorkerEvent) => {
        if (o.quiet && e.type !== "error") return;
        const line =
          e.type === "start"
            ? `worker ${e.worker}: ${e.concurrency} at once`
            : e.type === "job"
              ? `job ${e.id} ${e.kind} ${e.label} (attempt ${e.attempt})`
              : e.type === "done"
                ? `job ${e.id} done: ${e.servers} server(s) in ${e.ms} ms`
                : e.type === "failed"
                  ? `job ${e.id} failed${e.dead ? " for good (dead letter)" : ""}: ${e.error}`
                  : e.type === "returned"
                    ? `job ${e.id} returned to the queue`
                    : `queue: ${e.error}`;
        process.stderr.write(`${forTerminal(line)}\n`);
      };
      const s = await runWorker({
        url,
        concurrency: num("concurrency", 1),
        threads: num("threads", 0),
        ruleCache: sigmaCacheDir(process.env),
        pollSeconds: num("poll", 1),
        graceSeconds: num("grace", 0),
        maintenanceSeconds: num("maintenance", 1),
        idleExitSeconds: num("exit-when-idle", 0),
        signal: stop.signal,
        onEvent: log,
      });
      process.stderr.write(
        `worker stopped: ${s.completed} done, ${s.failed} failed, ${s.returned} returned\n`,
      );
      // Every job process has ended (finished, or killed and its job returned): nothing is left to wait for.
      process.exit(0);
    });
}
