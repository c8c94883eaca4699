// The store contract: the same writes and the same assertions on both drivers, an SQLite file and a
// PostgreSQL database (a real server started for this file): runs (a retried write stored once),
// findings, a server's history, acknowledgements, status notes, filters and the export. Each driver
// is also compared with the other: what a user sees does not depend on the store. Known difference,
// allowed here: PostgreSQL's run ids come from a sequence, which a refused retried write still
// advances, so ids are compared by order, never by value.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type FleetStore, openStore, type RunMeta, runMeta } from "../../src/fleet.js";
import { tempDir } from "../helpers.js";
import { attemptedFindings, compromisedFindings, server, vulnerableExposure } from "../outputs/fixtures.js";
import { NO_PG, type PgServer, startPg } from "./pg-server.js";

const at = (day: number, hour = 0) => new Date(Date.UTC(2021, 2, day, hour)).toISOString();
// Fixed keys and times: both stores get exactly the same runs.
const meta = (day: number, key: string): RunMeta => ({
  ...runMeta("scan", { contract: true }, `contract-${key}`),
  at: at(day),
});

/** Run ids replaced by their rank among the ids seen (1 = lowest), anywhere in a value. */
function byRank(value: unknown, ids: number[]): unknown {
  const rank = new Map([...new Set(ids)].sort((a, b) => a - b).map((id, i) => [id, i + 1]));
  return JSON.parse(
    JSON.stringify(value, (k, v) =>
      (k === "id" || k === "runId") && typeof v === "number" ? (rank.get(v) ?? -1) : v,
    ),
  );
}

/** The contract on one store; returns what it saw, ids by rank, for the comparison of the drivers. */
async function contract(s: FleetStore): Promise<unknown> {
  const ids: number[] = [];
  // Runs: a write, the same write retried (stored once), other servers, a rescan.
  const m1 = meta(4, "a");
  const ex1 = server("EXCH01", compromisedFindings());
  const a = await s.recordRun(m1, { server: { name: "EXCH01", tags: ["dmz"] }, result: ex1 });
  const retried = await s.recordRun(m1, { server: { name: "EXCH01", tags: ["dmz"] }, result: ex1 });
  assert.equal(a.inserted, true);
  assert.deepEqual(retried, { runId: a.runId, inserted: false }, "a retried write is stored once");
  const ex3 = server("EXCH03", attemptedFindings());
  const b = await s.recordRun(meta(5, "b"), {
    server: { name: "EXCH03", owner: "Ops <b>&</b>" },
    result: ex3,
  });
  const c = await s.recordRun(meta(5, "c"), {
    server: { name: "EXCH05" },
    result: server("EXCH05", compromisedFindings("EXCH05", false), { exposure: vulnerableExposure() }),
  });
  const d = await s.recordRun(meta(6, "d"), { server: { name: "EXCH01" }, result: server("EXCH01", []) });
  ids.push(a.runId, b.runId, c.runId, d.runId);
  assert.ok(a.runId < b.runId && b.runId < c.runId && c.runId < d.runId, "run ids grow in write order");

  // Fleet: verdicts, filters, search.
  const rows = await s.list();
  assert.deepEqual(
    rows.map((r) => r.name),
    ["EXCH01", "EXCH03", "EXCH05"],
  );
  const by = new Map(rows.map((r) => [r.name, r]));
  assert.equal(by.get("EXCH01")?.runs, 2);
  assert.equal(by.get("EXCH01")?.lastScan, at(6));
  assert.equal(by.get("EXCH03")?.verdict, "attempted");
  assert.equal(by.get("EXCH03")?.owner, "Ops <b>&</b>");
  assert.equal(by.get("EXCH05")?.verdict, "compromised");
  assert.equal(by.get("EXCH01")?.verdict, "clean", "the latest run decides");
  assert.ok((by.get("EXCH05")?.openCves.length ?? 0) > 0);
  assert.deepEqual(
    (await s.list({ verdict: ["attempted", "compromised"] })).map((r) => r.name),
    ["EXCH03", "EXCH05"],
  );
  assert.deepEqual(
    (await s.list({ tag: "dmz" })).map((r) => r.name),
    ["EXCH01"],
  );
  assert.deepEqual(
    (await s.list({ search: "exch0" })).map((r) => r.name),
    ["EXCH01", "EXCH03", "EXCH05"],
  );

  // History: the server's runs, newest first, and each run's findings.
  const history = await s.runs("EXCH01");
  assert.deepEqual(
    history.map((r) => r.id),
    [d.runId, a.runId],
  );
  assert.deepEqual(
    history.map((r) => r.at),
    [at(6), at(4)],
  );
  const first = await s.run(a.runId);
  assert.equal(first?.verdict, "compromised");
  assert.deepEqual(
    first?.findingList.map((f) => f.fingerprint).sort(),
    ex1.findings.map((f) => f.fingerprint).sort(),
  );
  assert.equal(first?.findings, ex1.findings.length);
  assert.equal((await s.run(d.runId))?.findingList.length, 0);
  assert.equal(await s.run(d.runId + 1000), null);
  assert.equal(await s.server("NOSUCH"), null);

  // Acknowledgement: sets the attempt aside; revoking brings it back.
  const fp = ex3.findings.find((f) => f.effect === "attempt")?.fingerprint as string;
  const [ack] = await s.acknowledge({ fingerprint: fp, reason: "red team <script>", by: "alice", at: at(7) });
  assert.equal(ack.server, "EXCH03");
  assert.equal((await s.server("EXCH03"))?.verdict, "clean");
  assert.equal((await s.server("EXCH03"))?.scannedVerdict, "attempted");
  assert.equal(await s.unacknowledge({ fingerprint: fp, by: "bob" }), 1);
  assert.equal((await s.server("EXCH03"))?.verdict, "attempted");
  const acks = await s.acknowledgements("EXCH03", true);
  assert.equal(acks.length, 1);
  assert.equal(acks[0].revokedBy, "bob");
  assert.equal((await s.acknowledgements("EXCH03")).length, 0, "revoked ones left out by default");

  // Status: the workflow history, the latest on the fleet row.
  await s.setStatus("EXCH01", "notified", "mailed the owner", "carol", at(8));
  await s.setStatus("EXCH01", "in-progress", 'rebuild "tonight"', "dave", at(9));
  assert.equal((await s.server("EXCH01"))?.status, "in-progress");
  assert.equal((await s.server("EXCH01"))?.statusAt, at(9));
  const notes = await s.notes("EXCH01");
  assert.deepEqual(notes.map((n) => [n.status, n.by, n.text]).sort(), [
    ["in-progress", "dave", 'rebuild "tonight"'],
    ["notified", "carol", "mailed the owner"],
  ]);

  // Export: every record, in an order both drivers share.
  const exported: unknown[] = [];
  for await (const r of s.exportAll()) exported.push(r);
  const kinds = exported.map((r) => (r as { type: string }).type);
  assert.equal(kinds.filter((k) => k === "run").length, 4);
  assert.equal(kinds.filter((k) => k === "server").length, 3);

  const server1 = await s.server("EXCH01");
  return byRank(
    {
      rows: rows.map(({ verdictAt: _v, statusAt: _s, ...r }) => r),
      server1: server1 && { ...server1, verdictAt: undefined },
      history,
      first,
      acks: acks.map(({ revokedAt, ...x }) => ({ ...x, revoked: revokedAt !== null })),
      notes,
      exported: exported.map((r) => {
        const x = r as Record<string, unknown>;
        return x.type === "ack" ? { ...x, revokedAt: x.revokedAt !== null } : x;
      }),
    },
    ids,
  );
}

describe("store contract: SQLite file and PostgreSQL", { skip: NO_PG }, () => {
  let pg: PgServer;
  before(async () => {
    pg = await startPg();
  });
  after(() => pg?.destroy());

  it("the same writes give the same runs, findings, history, acknowledgements, status and export", async (t) => {
    const seen: unknown[] = [];
    for (const where of [join(tempDir(t), "fleet.db"), pg.url]) {
      const s = await openStore(where);
      try {
        seen.push(await contract(s));
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).stack}`);
      } finally {
        await s.close();
      }
    }
    assert.deepEqual(seen[1], seen[0], "PostgreSQL as SQLite");
  });
});
