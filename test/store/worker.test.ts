// The worker's handling of one job's life, against a real PostgreSQL started for this file: a job past
// its timeout is really stopped (its process ends, so its connections close and no new ones open) and
// fails with the reason, retried per the queue's policy; SIGTERM with a grace period lets the running
// job finish, with --grace 0 the job goes back to the queue (not lost, not done, its attempt not
// counted); a probe list split into chunks goes through the queue end to end and gives the fleet one
// `exhunt probe` run gives.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeClean } from "../../examples/generate.js";
import { type FleetRow, openStore } from "../../src/fleet.js";
import { addProbeJobs, addScanJobs } from "../../src/worker.js";
import { type MockServer, type Role, selfSigned, startMock } from "../exposure/mock-exchange.js";
import { runCli, runCliAsync, tempDir } from "../helpers.js";
import { NO_PG, type PgServer, startPg } from "./pg-server.js";
import { jobState, until, worker } from "./queue-helpers.js";

const DAY = { from: new Date("2021-03-02T00:00:00Z"), to: new Date("2021-03-03T00:00:00Z") };

/** Servers on 127.0.0.1 that accept TCP and never answer the TLS handshake, counting connections. */
async function stalled(n: number) {
  let accepted = 0;
  const open = new Set<Socket>();
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer((sock) => {
      accepted++;
      open.add(sock);
      sock.on("close", () => open.delete(sock));
      sock.on("error", () => {});
      sock.resume(); // read (and drop) the ClientHello, or the client's close is never seen
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    servers.push(s);
    ports.push((s.address() as { port: number }).port);
  }
  return {
    targets: ports.map((p) => `127.0.0.1:${p}`),
    accepted: () => accepted,
    open: () => open.size,
    close: async () => {
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("exhunt worker: job timeout, SIGTERM, probe chunks", { skip: NO_PG }, () => {
  let pg: PgServer;
  before(async () => {
    pg = await startPg();
  });
  after(() => pg?.destroy());

  it("a job past its timeout is stopped: its process ends, the job fails with the reason, is retried, then dead", async (t) => {
    // Ten hosts that never answer, probed one at a time with 60 s timeouts: minutes of work, 5 s allowed
    // (enough for a fresh job process to start and reach its first host on a loaded machine).
    const hang = await stalled(10);
    t.after(() => hang.close());
    const [id] = await addProbeJobs(pg.url, hang.targets, {
      options: { concurrency: 1, timeoutMs: 60_000 },
      policy: { retries: 1, retryDelay: 1, timeout: 5 },
    });
    // A quick job behind it: the slot runs it in a fresh process after the first one was killed.
    const dir = tempDir(t);
    writeClean(join(dir, "AFTER01"), { ...DAY, rowsPerHour: 1, seed: 5 });
    const [next] = await addScanJobs(pg.url, [join(dir, "AFTER01")]);
    // Maintenance (pg-boss's own expiry of jobs whose worker died) left at its default of 60 s: the
    // timeout seen here is the worker's.
    const w = worker(pg.url);
    t.after(() => w.kill("SIGKILL"));
    await until(
      "the job to be given up",
      async () => (await jobState(pg.url, id)).state === "dead",
      120,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${w.log()}`);
    });
    const s = await jobState(pg.url, id);
    assert.match(s.error ?? "", /timed out: still running after the job timeout of 5 s/);
    assert.equal(s.attempts, 2, "the first try and one retry");
    assert.equal(s.boss, "failed");
    assert.match(w.log(), /failed for good \(dead letter\): timed out/);
    await until(
      "the job behind it to complete",
      async () => (await jobState(pg.url, next)).state === "done",
      60,
    );
    // Stopped for real: the process's connection is closed and no new host is tried, though the probe
    // had hosts left (each taking its 5 s connect timeout at least).
    await until("the stopped probe's connections to close", async () => hang.open() === 0, 10);
    const seen = hang.accepted();
    assert.ok(seen >= 2, "each attempt reached a host");
    await pause(6000);
    assert.equal(hang.accepted(), seen, "no connection after the job was stopped");
    assert.equal(w.exitCode, null, "the worker itself goes on");
    w.kill("SIGTERM");
    assert.match(await w.out, /worker stopped: 1 done, 2 failed, 0 returned/);
  });

  it("SIGTERM with a grace period: the running job finishes before the worker exits", async (t) => {
    const hang = await stalled(1);
    t.after(() => hang.close());
    // One host that never answers, 3 s connect timeout: a job of a few seconds.
    const [id] = await addProbeJobs(pg.url, hang.targets, {
      options: { concurrency: 1, timeoutMs: 3000 },
      policy: { retries: 0, retryDelay: 1, timeout: 120 },
    });
    const w = worker(pg.url, ["--grace", "60"]);
    t.after(() => w.kill("SIGKILL"));
    await until("the job to start", async () => (await jobState(pg.url, id)).state === "running", 60);
    w.kill("SIGTERM");
    const log = await w.out;
    assert.match(log, /worker stopped: 1 done, 0 failed, 0 returned/);
    const s = await jobState(pg.url, id);
    assert.equal(s.state, "done");
    assert.equal(s.boss, "completed");
  });

  it("SIGTERM with --grace 0: the running job goes back to the queue, and the next worker completes it", async (t) => {
    const hang = await stalled(1);
    t.after(() => hang.close());
    const [id] = await addProbeJobs(pg.url, hang.targets, {
      options: { concurrency: 1, timeoutMs: 3000 },
      // No retry left: a job failed on shutdown would be dead; a returned one is not.
      policy: { retries: 0, retryDelay: 1, timeout: 120 },
    });
    const w = worker(pg.url, ["--grace", "0"]);
    t.after(() => w.kill("SIGKILL"));
    await until("the job to start", async () => (await jobState(pg.url, id)).state === "running", 60);
    w.kill("SIGTERM");
    const log = await w.out;
    assert.match(log, /returned to the queue/);
    assert.match(log, /worker stopped: 0 done, 0 failed, 1 returned/);
    const back = await jobState(pg.url, id);
    assert.equal(back.state, "queued");
    assert.equal(back.boss, "created", "in the queue, for any worker, now");
    assert.match(back.error ?? "", /stopped before the job finished/);
    const w2 = worker(pg.url, ["--exit-when-idle", "2"]);
    t.after(() => w2.kill("SIGKILL"));
    await until("the job to complete", async () => (await jobState(pg.url, id)).state === "done", 60);
    const s = await jobState(pg.url, id);
    assert.equal(s.boss, "completed");
    assert.equal(s.retryCount, 0, "the interrupted attempt was not counted as a failure");
    assert.equal(s.attempts, 1);
    assert.match(await w2.out, /worker stopped: 1 done, 0 failed, 0 returned/);
  });

  describe("probe chunks", () => {
    const mocks: MockServer[] = [];
    let dir = "";
    before(async () => {
      const { mkdtempSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      dir = mkdtempSync(join(tmpdir(), "exhunt-queue-probe-"));
      const tls = selfSigned(dir);
      const roles: Role[] = ["vulnerable-2016-cu19", "patched", "mitigated", "plain-iis", "proxyshell-open"];
      for (const [i, role] of roles.entries()) mocks.push(await startMock(role, tls, `127.0.0.${70 + i}`));
    });
    after(async () => {
      for (const m of mocks) await m.close();
      const { rmSync } = await import("node:fs");
      rmSync(dir, { recursive: true, force: true });
    });

    it("a probe list split into chunks goes through the queue and gives the fleet of one probe run", async () => {
      const targets = mocks.map((m) => `${m.host}:${m.port}`);
      const q = runCli([
        "queue",
        "add",
        "--probe",
        ...targets,
        "--chunk",
        "2",
        "--store",
        pg.url,
        "--json",
        "-",
      ]);
      assert.equal(q.status, 0, q.stderr);
      const ids = (JSON.parse(q.stdout) as { jobs: string[] }).jobs;
      assert.equal(ids.length, 3, "5 targets in chunks of 2");
      const w = worker(pg.url, ["--exit-when-idle", "2", "--concurrency", "2"]);
      const log = await w.out;
      for (const id of ids) assert.equal((await jobState(pg.url, id)).state, "done", log);
      assert.match(log, /probe 3\/3/);
      // The same targets probed in one process into a SQLite store.
      const file = join(dir, "direct.db");
      const direct = await runCliAsync(["probe", ...targets, "--store", file, "--json", join(dir, "p.json")]);
      assert.ok([0, 1].includes(direct.status ?? -1), direct.stderr);
      const rows = async (where: string) => {
        const s = await openStore(where);
        try {
          return (await s.list({ search: "127.0.0.7" }))
            .map(({ verdictAt: _a, lastScan: _b, ...x }: FleetRow) => x)
            .sort((a, b) => a.name.localeCompare(b.name));
        } finally {
          await s.close();
        }
      };
      const viaQueue = await rows(pg.url);
      assert.deepEqual(
        viaQueue.map((r) => r.name),
        mocks.map((m) => m.host),
      );
      assert.deepEqual(viaQueue, await rows(file));
      assert.equal(viaQueue.find((r) => r.name === "127.0.0.70")?.verdict, "vulnerable");
    });
  });
});
