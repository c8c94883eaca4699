// The SQLite fleet store on real files: migrations, file mode, idempotent and concurrent writes,
// acknowledgements across rescans, diff, export round trip, and files that are not (good) stores.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import type BetterSqlite3 from "better-sqlite3";
import { importExport, openStore, recordServer, runMeta, StoreError, serverDiff } from "../../src/fleet.js";
import { LATEST_VERSION } from "../../src/store/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { ROOT, tempDir } from "../helpers.js";
import {
  attemptedFindings,
  compromisedFindings,
  finding,
  server,
  vulnerableExposure,
} from "../outputs/fixtures.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

async function exportText(path: string): Promise<string> {
  const s = await openStore(path);
  let out = "";
  for await (const r of s.exportAll()) out += `${JSON.stringify(r)}\n`;
  await s.close();
  return out;
}

describe("fleet store: files and migrations", () => {
  it("creates a new store mode 0600, in WAL mode, at the latest version", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "fleet.db");
    const s = await openStore(path);
    assert.equal(s.version, LATEST_VERSION);
    await recordServer(s, runMeta("scan", {}), server("EXCH01", compromisedFindings()));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    // The write-ahead log holds evidence too: SQLite gives it the database file's mode.
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    await s.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), LATEST_VERSION);
    db.close();
  });

  it("migrates a version 1 store with data to the latest, and backfills the fleet summary", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "old.db");
    await openSqliteStore(path, { upToVersion: 1 }).close();
    // Rows as a version 1 exhunt wrote them (its tables have no summary columns).
    const r = server("EXCH01", compromisedFindings());
    const { findings, ...shell } = r;
    const db = new Database(path);
    assert.equal(db.pragma("user_version", { simple: true }), 1);
    db.prepare(
      "INSERT INTO servers (id, name, name_key, created_at) VALUES (1, 'EXCH01', 'exch01', '2021-03-10T00:00:00Z')",
    ).run();
    db.prepare(
      `INSERT INTO runs (id, server_id, kind, run_key, digest, at, version, options, verdict, confidence, finding_count, result)
       VALUES (1, 1, 'scan', 'k1', 'd1', '2021-03-10T00:00:00Z', '0.0.9', '{}', ?, ?, ?, ?)`,
    ).run(r.verdict, r.confidence, findings.length, JSON.stringify(shell));
    const add = db.prepare(
      "INSERT INTO findings (run_id, seq, server_id, finding_id, fingerprint, check_id, effect, severity, time, body) VALUES (1, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
    );
    findings.forEach((f, i) => {
      add.run(i, f.id, f.fingerprint, f.check, f.effect, f.severity, f.time, JSON.stringify(f));
    });
    db.close();

    const s = await openStore(path);
    assert.equal(s.version, LATEST_VERSION);
    const [row] = await s.list();
    assert.equal(row.name, "EXCH01");
    assert.equal(row.verdict, "compromised");
    assert.equal(row.runs, 1);
    assert.ok(row.openFindings > 0);
    await s.close();
  });

  it("refuses a file that is not SQLite, a foreign SQLite database, a newer store and a damaged one", async (t) => {
    const dir = tempDir(t);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello, this is not a database at all\n");
    await assert.rejects(
      () => openStore(text),
      (e: Error) => e instanceof StoreError && /not an SQLite database/.test(e.message),
    );
    assert.equal(readFileSync(text, "utf8"), "hello, this is not a database at all\n", "left as it was");

    const foreign = join(dir, "other.db");
    const db = new Database(foreign);
    db.exec("CREATE TABLE songs (title TEXT)");
    db.close();
    await assert.rejects(
      () => openStore(foreign),
      (e: Error) => e instanceof StoreError && /not an exhunt store/.test(e.message),
    );

    const newer = join(dir, "newer.db");
    await (await openStore(newer)).close();
    const n = new Database(newer);
    n.pragma(`user_version = ${LATEST_VERSION + 5}`);
    n.close();
    await assert.rejects(
      () => openStore(newer),
      (e: Error) => e instanceof StoreError && /newer exhunt/.test(e.message),
    );

    const damaged = join(dir, "damaged.db");
    const s = await openStore(damaged);
    await recordServer(s, runMeta("scan", {}), server("EXCH01", compromisedFindings()));
    await s.close();
    // Overwrite the schema page after the 100-byte header: SQLite can no longer read its own tables.
    const fd = openSync(damaged, "r+");
    writeSync(fd, Buffer.alloc(3000, 0x5a), 0, 3000, 100);
    closeSync(fd);
    await assert.rejects(
      () => openStore(damaged),
      (e: Error) => e instanceof StoreError && /damaged/.test(e.message) && e.message.includes(damaged),
    );
  });
});

describe("fleet store: writes", () => {
  it("stores a retried write once (same run key and evidence), a rescan as a new run", async (t) => {
    const s = await openStore(join(tempDir(t), "f.db"));
    const r = server("EXCH01", compromisedFindings());
    const meta = runMeta("scan", {});
    const a = await s.recordRun(meta, { server: { name: r.name }, result: r });
    const b = await s.recordRun(meta, {
      server: { name: r.name },
      result: { ...r, stats: { ...r.stats, durationMs: 999 } },
    });
    assert.equal(a.inserted, true);
    assert.equal(b.inserted, false);
    assert.equal(b.runId, a.runId);
    await recordServer(s, runMeta("scan", {}), r);
    assert.equal((await s.runs("EXCH01")).length, 2);
    const detail = await s.run(a.runId);
    assert.equal(detail?.findingList.length, r.findings.length);
    assert.deepEqual(detail?.findingList, r.findings);
    await s.close();
  });

  it("two processes writing at once lose nothing", async (t) => {
    const path = join(tempDir(t), "shared.db");
    await (await openStore(path)).close(); // created once, so both writers race on writes, not on creation
    const N = 60;
    const child = (prefix: string) =>
      new Promise<string>((res, rej) => {
        const p = spawn(
          process.execPath,
          ["--import", "tsx", join(ROOT, "test/store/writer.ts"), path, prefix, String(N)],
          {
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("close", (code) =>
          code === 0 ? res(out) : rej(new Error(`writer ${prefix} exited ${code}: ${err}`)),
        );
      });
    const outs = await Promise.all([child("A"), child("B")]);
    assert.deepEqual(outs.sort(), [`A wrote ${N}\n`, `B wrote ${N}\n`]);
    const s = await openStore(path);
    const rows = await s.list();
    assert.equal(rows.length, 1 + N, "SHARED plus N/2 servers of each writer");
    assert.equal((await s.runs("SHARED")).length, N, "both writers' runs of the shared server");
    const db = new Database(path, { readonly: true });
    const perRun = compromisedFindings("X", false).length;
    assert.equal(db.prepare("SELECT count(*) FROM runs").pluck().get(), 2 * N);
    assert.equal(db.prepare("SELECT count(*) FROM findings").pluck().get(), 2 * N * perRun);
    db.close();
    await s.close();
  });
});

describe("fleet store: acknowledgements, status, diff", () => {
  it("an acknowledged finding stays listed, stops raising the verdict, and stays acknowledged across a rescan", async (t) => {
    const s = await openStore(join(tempDir(t), "f.db"));
    // A server whose only raising finding is one exploitation attempt.
    const r = server("EXCH03", attemptedFindings());
    await recordServer(s, runMeta("scan", {}), r);
    assert.equal((await s.server("EXCH03"))?.verdict, "attempted");
    const fp = r.findings.find((f) => f.effect === "attempt")?.fingerprint as string;
    const acks = await s.acknowledge({
      fingerprint: fp,
      reason: "our own red-team test, ticket 4711",
      by: "alice",
    });
    assert.equal(acks.length, 1);
    assert.equal(acks[0].by, "alice");
    let row = await s.server("EXCH03");
    assert.equal(row?.verdict, "clean");
    assert.equal(row?.scannedVerdict, "attempted", "the scan's own verdict is kept");
    assert.equal(row?.acknowledged, 1);
    // Rescan: the same evidence again, a new run.
    await recordServer(s, runMeta("scan", {}), server("EXCH03", attemptedFindings()));
    row = await s.server("EXCH03");
    assert.equal(row?.runs, 2);
    assert.equal(row?.verdict, "clean", "still set aside after the rescan");
    const latest = await s.run((await s.runs("EXCH03"))[0].id);
    assert.ok(
      latest?.findingList.some((f) => f.fingerprint === fp),
      "still listed",
    );
    // A new attempt on the rescan raises the verdict again: only the acknowledged one is set aside.
    const another = finding("EXCH03", "cve-2021-26855-ssrf-failed", "2021-03-05T01:00:00.000Z", {
      ClientIpAddress: "192.0.2.77",
      UrlStem: "/ecp/z.js",
    });
    await recordServer(s, runMeta("scan", {}), server("EXCH03", [...attemptedFindings(), another]));
    assert.equal((await s.server("EXCH03"))?.verdict, "attempted");
    // A rule acknowledgement covers every finding of the rule, now and later; unack brings them back.
    await s.acknowledge({
      rule: "cve-2021-26855-ssrf-failed",
      server: "EXCH03",
      reason: "scanner of our MSSP",
      by: "bob",
    });
    assert.equal((await s.server("EXCH03"))?.verdict, "clean");
    assert.equal(
      await s.unacknowledge({ rule: "cve-2021-26855-ssrf-failed", server: "EXCH03", by: "bob" }),
      1,
    );
    assert.equal((await s.server("EXCH03"))?.verdict, "attempted");
    const all = await s.acknowledgements("EXCH03", true);
    assert.equal(all.length, 2);
    assert.equal(all[1].revokedBy, "bob");
    await assert.rejects(
      s.acknowledge({ fingerprint: "0000000000000000", reason: "x", by: "a" }),
      StoreError,
    );
    await assert.rejects(s.acknowledge({ fingerprint: fp, reason: "  ", by: "a" }), /reason/);
    await s.close();
  });

  it("status notes keep the workflow history; list filters by verdict, patch state, logs and tag", async (t) => {
    const s = await openStore(join(tempDir(t), "f.db"));
    await s.recordRun(runMeta("scan", {}), {
      server: { name: "EXCH01", tags: ["dmz"], owner: "Team A", addresses: ["192.0.2.10"] },
      result: server("EXCH01", compromisedFindings(), { exposure: vulnerableExposure() }),
    });
    await recordServer(s, runMeta("scan", {}), server("EXCH02", []));
    await s.setStatus("EXCH01", "notified", "mailed the owner", "cert");
    await s.setStatus("EXCH01", "in-progress", "owner rebuilding", "cert");
    const row = await s.server("EXCH01");
    assert.equal(row?.status, "in-progress");
    assert.deepEqual(
      (await s.notes("EXCH01")).map((n) => n.status),
      ["notified", "in-progress"],
    );
    assert.deepEqual(
      (await s.list({ verdict: ["compromised"] })).map((r) => r.name),
      ["EXCH01"],
    );
    assert.deepEqual(
      (await s.list({ unpatched: true })).map((r) => r.name),
      ["EXCH01"],
    );
    assert.deepEqual(
      (await s.list({ tag: "dmz" })).map((r) => r.name),
      ["EXCH01"],
    );
    assert.deepEqual(
      (await s.list({ search: "team a" })).map((r) => r.name),
      ["EXCH01"],
    );
    assert.deepEqual(
      (await s.list({ search: "192.0.2.1" })).map((r) => r.name),
      ["EXCH01"],
    );
    assert.deepEqual(
      (await s.list({ search: "%" })).map((r) => r.name),
      [],
      "LIKE wildcards are literal",
    );
    assert.deepEqual(
      (await s.list({ staleLogs: true })).map((r) => r.name),
      [],
    );
    assert.deepEqual(row?.openCves, ["CVE-2021-26855", "CVE-2021-34473"]);
    await assert.rejects(s.setStatus("NOPE", "notified", "", "x"), /no server named/);
    await s.close();
  });

  it("diff: new, gone and changed findings between a server's last two runs", async (t) => {
    const s = await openStore(join(tempDir(t), "f.db"));
    const first = compromisedFindings("EXCH01", false);
    await recordServer(s, runMeta("scan", {}), server("EXCH01", first));
    // The next run: one finding gone, one new, one judged differently (severity) on the same subject.
    const kept = first.slice(1);
    const changed = {
      ...kept[0],
      severity: kept[0].severity === "critical" ? ("high" as const) : ("critical" as const),
    };
    const added = finding("EXCH01", "cve-2021-26855-ssrf-failed", "2021-03-06T00:00:00.000Z", {
      ClientIpAddress: "192.0.2.99",
    });
    await recordServer(s, runMeta("scan", {}), server("EXCH01", [changed, ...kept.slice(1), added]));
    const d = await serverDiff(s, "EXCH01");
    assert.deepEqual(
      d.added.map((f) => f.fingerprint),
      [added.fingerprint],
    );
    assert.deepEqual(
      d.removed.map((f) => f.fingerprint),
      [first[0].fingerprint],
    );
    assert.deepEqual(
      d.changed.map((c) => c.fingerprint),
      [kept[0].fingerprint],
    );
    assert.equal(d.unchanged, kept.length - 1);
    await s.close();
  });
});

describe("fleet store: export round trip", () => {
  it("export, import into an empty store, export again: the same records; a second import adds nothing", async (t) => {
    const dir = tempDir(t);
    const a = join(dir, "a.db");
    const s = await openStore(a);
    await s.recordRun(runMeta("scan", { paths: ["/e"] }), {
      server: {
        name: "EXCH01",
        tags: ["dmz"],
        addresses: ["192.0.2.10"],
        owner: "Team A",
        contact: "a@example.net",
      },
      result: server("EXCH01", compromisedFindings(), { exposure: vulnerableExposure() }),
    });
    const r3 = server("EXCH03", attemptedFindings());
    await recordServer(s, runMeta("scan", {}), r3);
    await s.acknowledge({
      fingerprint: r3.findings[0].fingerprint,
      reason: "test",
      by: "alice",
      at: "2026-01-01T00:00:00.000Z",
    });
    await s.acknowledge({
      rule: "lsass-dump",
      server: "EXCH01",
      reason: "backup agent",
      by: "bob",
      at: "2026-01-02T00:00:00.000Z",
    });
    await s.unacknowledge({
      rule: "lsass-dump",
      server: "EXCH01",
      by: "carol",
      at: "2026-01-03T00:00:00.000Z",
    });
    await s.setStatus("EXCH01", "notified", "called", "cert", "2026-01-04T00:00:00.000Z");
    const before = await s.list();
    await s.close();

    const text = await exportText(a);
    const file = join(dir, "export.ndjson");
    writeFileSync(file, text);
    const b = join(dir, "b.db");
    const sb = await openStore(b);
    // Read from the file line by line (twice: checked, then written), never as one string.
    const counts = await importExport(sb, file);
    assert.deepEqual(counts, { servers: 2, runs: 2, runsAlreadyStored: 0, acknowledgements: 2, notes: 1 });
    const again = await importExport(sb, file);
    assert.equal(again.runs, 0);
    assert.equal(again.runsAlreadyStored, 2);
    assert.deepEqual(await sb.list(), before);
    await sb.close();
    assert.equal(await exportText(b), text);
    const bad = join(dir, "bad.ndjson");
    writeFileSync(bad, '{"type":"song"}\n');
    const sc = await openStore(join(dir, "c.db"));
    await assert.rejects(importExport(sc, bad), /line 1/);
    // A bad last line: nothing of the file is written (every line is checked first).
    writeFileSync(bad, `${text}{"type":"run"}\n`);
    await assert.rejects(importExport(sc, bad), new RegExp(`line ${text.split("\n").length}`));
    assert.deepEqual(await sc.list(), []);
    await assert.rejects(importExport(sc, join(dir, "missing.ndjson")), /cannot read .*ENOENT/);
    await sc.close();
  });
});
