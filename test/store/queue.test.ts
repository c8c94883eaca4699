// The PostgreSQL store and the job queue against a real PostgreSQL server started for this file
// (test/store/pg-server.ts): the same 200 generated evidence packages give the same findings and
// verdicts through one SQLite process and through three queue workers on PostgreSQL; a worker killed
// with SIGKILL mid-job loses nothing; a job that always fails ends in the dead-letter queue with its
// error; the database restarting under running workers loses nothing either.
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../../examples/generate.js";
import { type ExportRecord, openStore, recordServer, runMeta } from "../../src/fleet.js";
import { readQueueStatus } from "../../src/worker.js";
import { runCli, tempDir } from "../helpers.js";
import { server } from "../outputs/fixtures.js";
import { NO_PG, type PgServer, startPg } from "./pg-server.js";
import { until, worker } from "./queue-helpers.js";

const DAY = { from: new Date("2021-03-02T00:00:00Z"), to: new Date("2021-03-03T00:00:00Z") };

/** Package i: compromised, clean, or a clean one with an attack day (every fourth). */
function writePackages(dir: string, n: number, rowsPerHour = 1): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `SRV${String(i).padStart(3, "0")}`;
    const o = { ...DAY, rowsPerHour, seed: i + 1 };
    if (i % 3 === 0) writeCompromised(join(dir, name), o);
    else writeClean(join(dir, name), o);
    names.push(name);
  }
  return names;
}

function cli(args: string[]) {
  const r = runCli(args);
  assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Each server's verdict and its sorted finding ids, from a store's export (the latest run of each). */
async function findingsOf(
  location: string,
): Promise<Map<string, { verdict: string; ids: string[]; runs: number }>> {
  const s = await openStore(location);
  const out = new Map<string, { verdict: string; ids: string[]; runs: number }>();
  try {
    for await (const r of s.exportAll() as AsyncIterable<ExportRecord>) {
      if (r.type !== "run") continue;
      const prev = out.get(r.server);
      out.set(r.server, {
        verdict: r.result.verdict,
        ids: r.result.findings.map((f) => f.id).sort(),
        runs: (prev?.runs ?? 0) + 1,
      });
    }
  } finally {
    await s.close();
  }
  return out;
}

describe("PostgreSQL store and job queue", { skip: NO_PG }, () => {
  let pg: PgServer;
  before(async () => {
    pg = await startPg();
  });
  after(() => pg?.destroy());

  it("a retried write is stored once, and the fleet reads as on SQLite", async (t) => {
    const db = `${pg.url}?application_name=unit`;
    const file = join(tempDir(t), "f.db");
    for (const where of [db, file]) {
      const s = await openStore(where);
      const meta = runMeta("scan", {}, "job:same");
      const r = server("EXCH01", []);
      assert.equal(await recordServer(s, meta, r), true);
      assert.equal(await recordServer(s, meta, r), false, `${where}: the same job and evidence again`);
      await s.close();
    }
    const pgRows = await (await openStore(db)).list();
    const sqRows = await (await openStore(file)).list();
    const strip = (rs: typeof pgRows) => rs.map(({ verdictAt: _a, lastScan: _b, ...x }) => x);
    assert.deepEqual(strip(pgRows), strip(sqRows));
    const foreign = await openStore(`${pg.url.replace(/\/exhunt$/, "/postgres")}`);
    await foreign.close();
    await assert.rejects(openStore(pg.url.replace(/\/exhunt$/, "/nosuchdb")), /nosuchdb/);
  });

  it("200 packages: one SQLite process and three PostgreSQL workers give the same findings and verdicts", async (t) => {
    const dir = tempDir(t);
    const pkgs = join(dir, "packages");
    mkdirSync(pkgs);
    const names = writePackages(pkgs, 200);
    const file = join(dir, "fleet.db");
    const scan = runCli([
      "scan",
      pkgs,
      "--each",
      "--store",
      file,
      "--brief",
      "--no-progress",
      "--workers",
      "0",
    ]);
    assert.ok([0, 1, 3].includes(scan.status ?? -1), scan.stderr);
    const queued = JSON.parse(cli(["queue", "add", pkgs, "--each", "--store", pg.url, "--json", "-"])) as {
      jobs: string[];
    };
    assert.equal(queued.jobs.length, 200);
    const ws = [1, 2, 3].map(() => worker(pg.url, ["--exit-when-idle", "3", "--quiet"]));
    const logs = await Promise.all(ws.map((w) => w.out));
    const status = await readQueueStatus(pg.url);
    assert.equal(status?.jobs.done, 200, logs.join("\n"));
    const a = await findingsOf(file);
    const b = await findingsOf(pg.url);
    assert.deepEqual([...b.keys()].filter((k) => k.startsWith("SRV")).sort(), names);
    for (const n of names) {
      assert.deepEqual(b.get(n), a.get(n), n);
      assert.equal(b.get(n)?.runs, 1, `${n}: stored once`);
    }
    assert.ok(names.some((n) => a.get(n)?.verdict === "compromised"));
    assert.ok(names.some((n) => a.get(n)?.verdict !== "compromised"));
    // The fleet views agree too (fleet list through the CLI, times aside).
    const rows = (s: string) =>
      (
        JSON.parse(cli(["fleet", "list", "--store", s, "--search", "SRV", "--json", "-"])) as {
          servers: Record<string, unknown>[];
        }
      ).servers.map(({ verdictAt: _a, lastScan: _b, ...x }) => x);
    assert.deepEqual(rows(pg.url), rows(file));
    const text = cli(["queue", "status", "--store", pg.url]);
    assert.match(text, /200 done/);
  });

  it("a worker killed with SIGKILL mid-job loses nothing: the job comes back and completes", async (t) => {
    const dir = tempDir(t);
    // One package large enough to be caught mid-scan.
    writeCompromised(join(dir, "BIG01"), { rowsPerHour: 3000, ...DAY, seed: 7 });
    cli(["queue", "add", join(dir, "BIG01"), "--store", pg.url, "--job-timeout", "45", "--retries", "3"]);
    const w1 = worker(pg.url, ["--maintenance", "1"]);
    await until("the job to start", async () => {
      const s = await readQueueStatus(pg.url);
      return !!s?.active.some((j) => j.label.endsWith("BIG01"));
    });
    w1.kill("SIGKILL");
    await w1.out;
    const w2 = worker(pg.url, ["--maintenance", "1"]);
    await until("the job to complete", () => done("BIG01")).catch(async (e) => {
      w2.kill("SIGKILL");
      throw new Error(`${(e as Error).message}\n${await w2.out}`);
    });
    w2.kill("SIGTERM");
    const log = await w2.out;
    assert.match(log, /worker stopped/);
    const f = await findingsOf(pg.url);
    assert.equal(f.get("BIG01")?.runs, 1);
    assert.equal(f.get("BIG01")?.verdict, "compromised");
    const s = await openStore(pg.url);
    const q = (await s.list({ search: "BIG01" }))[0];
    await s.close();
    assert.equal(q.runs, 1);
  });

  async function done(label: string): Promise<boolean> {
    const pgm = await import("pg");
    const c = new pgm.default.Client({ connectionString: pg.url });
    await c.connect();
    try {
      const r = await c.query("SELECT state, attempts FROM exhunt_queue.jobs WHERE label LIKE $1", [
        `%${label}`,
      ]);
      return r.rows.length === 1 && r.rows[0].state === "done";
    } finally {
      await c.end();
    }
  }

  it("a job that always fails ends in the dead-letter queue with its error", async (t) => {
    const dir = tempDir(t);
    const gone = join(dir, "GONE01");
    writeClean(gone, { ...DAY, rowsPerHour: 1, seed: 3 });
    cli(["queue", "add", gone, "--store", pg.url, "--retries", "2", "--retry-delay", "1"]);
    rmSync(gone, { recursive: true }); // the package vanished from the shared storage
    const w = worker(pg.url, ["--exit-when-idle", "12"]);
    await until("the dead letter", async () => {
      const s = await readQueueStatus(pg.url);
      return !!s?.failed.some((j) => j.label === gone && j.state === "dead");
    });
    w.kill("SIGTERM");
    await w.out;
    const s = await readQueueStatus(pg.url);
    const j = s?.failed.find((x) => x.label === gone);
    assert.equal(j?.attempts, 3, "the first try and two retries");
    assert.match(j?.error ?? "", /no such file or folder/);
    assert.ok((s?.dead ?? 0) >= 1, "in pg-boss's dead-letter queue");
    const text = cli(["queue", "status", "--store", pg.url]);
    assert.match(text, /dead .*GONE01 .*no such file or folder/);
  });

  it("the database restarting under running workers loses nothing", async (t) => {
    const dir = tempDir(t);
    const pkgs = join(dir, "packages");
    mkdirSync(pkgs);
    const all = writePackages(pkgs, 30, 2).map((n) => `R${n}`);
    // Distinct names from the 200-package test: rename by folder.
    for (const n of all) {
      const { renameSync } = await import("node:fs");
      renameSync(join(pkgs, n.slice(1)), join(pkgs, n));
    }
    cli(["queue", "add", pkgs, "--each", "--store", pg.url, "--job-timeout", "30", "--retry-delay", "1"]);
    const ws = [1, 2].map(() => worker(pg.url, ["--maintenance", "1", "--exit-when-idle", "20", "--quiet"]));
    await until("a few jobs done", async () => ((await readQueueStatus(pg.url))?.jobs.done ?? 0) >= 3);
    pg.restart();
    const logs = await Promise.all(ws.map((w) => w.out));
    const f = await findingsOf(pg.url);
    for (const n of all) assert.equal(f.get(n)?.runs, 1, `${n}: stored once\n${logs.join("\n")}`);
    const s = await readQueueStatus(pg.url);
    assert.deepEqual(
      s?.failed.filter((j) => j.label.startsWith(pkgs) && j.state === "dead"),
      [],
      "no job of these packages given up",
    );
    for (const n of all) assert.ok(await done(n), `${n}: its job done`);
  });
});
