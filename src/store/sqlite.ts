// The embedded store: one SQLite file through better-sqlite3, in WAL mode so readers never block the
// writer, with every write in an IMMEDIATE transaction and a busy timeout, so that several processes
// writing at once queue instead of failing or losing rows. The file holds evidence excerpts: it is
// created mode 0600.
import { chmodSync, closeSync, existsSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import type { Finding } from "../model/finding.js";
import type { ServerResult } from "../model/types.js";
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from "./migrations.js";
import { ackRow, fleetRow, json, LIST_COLUMNS, type Row, runExport, runRow, str } from "./row-map.js";
import {
  coverageWindow,
  evidenceDigest,
  likeLiteral,
  resultShell,
  type StoredRun,
  summarize,
  summaryColumns,
} from "./rows.js";
import {
  type AckInput,
  type Acknowledgement,
  type ExportRecord,
  type FleetRow,
  type FleetStore,
  type ListFilter,
  type Note,
  type RunDetail,
  type RunInput,
  type RunKind,
  type RunMeta,
  type ServerInfo,
  type ServerStatus,
  StoreError,
  type WriteOutcome,
} from "./types.js";

type Db = Database.Database;

// Loaded on first open, not at import: the native module costs nothing to runs that write no store.
function sqlite(): typeof Database {
  return createRequire(import.meta.url)("better-sqlite3") as typeof Database;
}

const SQLITE_MAGIC = "SQLite format 3\u0000";
const BUSY_TIMEOUT_MS = 30_000;

/** SQLite's own words for a damaged or foreign file, turned into one clear sentence. */
function translate(path: string, e: unknown): never {
  const code = (e as { code?: string }).code ?? "";
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"))
    throw new StoreError(
      `${path} is damaged (${(e as Error).message}): restore it from a backup, or start a new store`,
    );
  throw e;
}

function checkHeader(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n === 0) return false;
    if (n < 16 || head.toString("latin1") !== SQLITE_MAGIC)
      throw new StoreError(`${path} is not an exhunt store: it is not an SQLite database`);
    return true;
  } finally {
    closeSync(fd);
  }
}

function createPrivate(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return; // another process created it first: it set the mode
  }
  chmodSync(path, 0o600); // the umask may have taken bits away, never added: make it exact anyway
}

function migrate(db: Db, path: string, upTo: number, refreshAll: (db: Db) => void): number {
  const apply = db.transaction(() => {
    const app = db.pragma("application_id", { simple: true }) as number;
    const version = db.pragma("user_version", { simple: true }) as number;
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number }).n;
    if (app !== APPLICATION_ID && (app !== 0 || tables > 0 || version !== 0))
      throw new StoreError(`${path} is an SQLite database, but not an exhunt store`);
    if (version > LATEST_VERSION)
      throw new StoreError(
        `${path} is store version ${version}, written by a newer exhunt; this one reads up to version ${LATEST_VERSION}`,
      );
    for (const m of MIGRATIONS) {
      if (m.version <= version || m.version > upTo) continue;
      db.exec(m.sql);
      if (m.after === "refresh-all") refreshAll(db);
      db.pragma(`user_version = ${m.version}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
    return db.pragma("user_version", { simple: true }) as number;
  });
  return apply.immediate();
}

export interface OpenOptions {
  /** Tests: stop at an older schema version, to test the migration from it. */
  upToVersion?: number;
  readonly?: boolean;
}

/** Open (and create or upgrade) the store at `path`. Throws StoreError for a foreign, damaged or newer file. */
export function openSqliteStore(path: string, opts: OpenOptions = {}): FleetStore {
  const exists = checkHeader(path);
  if (!exists) {
    if (opts.readonly) throw new StoreError(`${path}: no such store`);
    createPrivate(path);
  }
  let db: Db;
  try {
    db = new (sqlite())(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = NORMAL");
  } catch (e) {
    translate(path, e);
  }
  let version: number;
  try {
    version = migrate(db, path, opts.upToVersion ?? LATEST_VERSION, (d) => {
      const ids = d.prepare("SELECT id FROM servers").pluck().all() as number[];
      for (const id of ids) refreshServer(d, id);
    });
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    translate(path, e);
  }
  return sqliteStore(db, path, version);
}

function serverId(db: Db, name: string): number | null {
  const id = db.prepare("SELECT id FROM servers WHERE name_key = ?").pluck().get(name.toLowerCase());
  return typeof id === "number" ? id : null;
}

function union(a: string[], b: string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])].sort();
}

function upsertServer(db: Db, s: ServerInfo, at: string): number {
  const name = s.name.trim();
  if (!name) throw new StoreError("a server needs a name");
  const row = db.prepare("SELECT * FROM servers WHERE name_key = ?").get(name.toLowerCase()) as
    | Row
    | undefined;
  if (!row) {
    const r = db
      .prepare(
        "INSERT INTO servers (name, name_key, addresses, owner, contact, asn, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        name,
        name.toLowerCase(),
        JSON.stringify(union([], s.addresses)),
        s.owner ?? null,
        s.contact ?? null,
        s.asn ?? null,
        JSON.stringify(union([], s.tags)),
        at,
      );
    return Number(r.lastInsertRowid);
  }
  db.prepare(
    "UPDATE servers SET addresses = ?, tags = ?, owner = coalesce(?, owner), contact = coalesce(?, contact), asn = coalesce(?, asn) WHERE id = ?",
  ).run(
    JSON.stringify(union(json<string[]>(row.addresses, []), s.addresses)),
    JSON.stringify(union(json<string[]>(row.tags, []), s.tags)),
    s.owner ?? null,
    s.contact ?? null,
    s.asn ?? null,
    row.id,
  );
  return row.id as number;
}

function loadFindings(db: Db, runId: number): Finding[] {
  return (
    db.prepare("SELECT body FROM findings WHERE run_id = ? ORDER BY seq").pluck().all(runId) as string[]
  ).map((b) => JSON.parse(b) as Finding);
}

function activeAcks(db: Db, id: number): { fingerprints: Set<string>; rules: Set<string> } {
  const rows = db
    .prepare("SELECT fingerprint, rule FROM acknowledgements WHERE server_id = ? AND revoked_at IS NULL")
    .all(id) as { fingerprint: string | null; rule: string | null }[];
  return {
    fingerprints: new Set(rows.map((r) => r.fingerprint).filter((v): v is string => !!v)),
    rules: new Set(rows.map((r) => r.rule).filter((v): v is string => !!v)),
  };
}

/** Recompute one server's summary from its latest run of each kind and its acknowledgements. */
function refreshServer(db: Db, id: number): void {
  const latest = db
    .prepare(
      `SELECT r.id, r.kind, r.at, r.verdict, r.result FROM runs r
       WHERE r.server_id = ? AND r.id = (SELECT r2.id FROM runs r2 WHERE r2.server_id = r.server_id AND r2.kind = r.kind
                                         ORDER BY r2.at DESC, r2.id DESC LIMIT 1)`,
    )
    .all(id) as Row[];
  const runs: StoredRun[] = latest.map((r) => ({
    id: r.id as number,
    kind: r.kind as RunKind,
    at: r.at as string,
    verdict: r.verdict as string,
    shell: JSON.parse(r.result as string) as StoredRun["shell"],
    findings: loadFindings(db, r.id as number),
  }));
  const s = summarize(runs, activeAcks(db, id));
  const count = db.prepare("SELECT count(*) FROM runs WHERE server_id = ?").pluck().get(id) as number;
  db.prepare(
    `UPDATE servers SET verdict = ?, confidence = ?, reasons = ?, scanned_verdict = ?, verdict_at = ?, last_scan_at = ?,
       last_kind = ?, build = ?, open_cves = ?, update_action = ?, logs_from = ?, logs_to = ?, covers_window = ?,
       open_findings = ?, acknowledged = ?, run_count = ? WHERE id = ?`,
  ).run(...summaryColumns(s), count, id);
}

function sqliteStore(db: Db, path: string, version: number): FleetStore {
  const guard = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      if (e instanceof StoreError) return Promise.reject(e);
      try {
        translate(path, e);
      } catch (t) {
        return Promise.reject(t);
      }
    }
  };
  const tx = <A extends unknown[], T>(fn: (...a: A) => T) => {
    const t = db.transaction(fn);
    return (...a: A): T => t.immediate(...a);
  };
  const requireServer = (name: string): number => {
    const id = serverId(db, name);
    if (id === null) throw new StoreError(`no server named ${JSON.stringify(name)} in ${path}`);
    return id;
  };

  const recordRun = tx((run: RunMeta, input: RunInput): WriteOutcome => {
    const r: ServerResult = input.result;
    const id = upsertServer(db, input.server, run.at);
    const digest = evidenceDigest(r);
    const win = coverageWindow(r.coverage);
    const ins = db
      .prepare(
        `INSERT OR IGNORE INTO runs (server_id, kind, run_key, digest, at, version, options, verdict, confidence, build,
           logs_from, logs_to, covers_window, finding_count, result)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        run.kind,
        run.key,
        digest,
        run.at,
        run.version,
        JSON.stringify(run.options),
        r.verdict,
        r.confidence,
        r.exposure?.build ?? null,
        win.from,
        win.to,
        run.kind === "scan" || run.kind === "result" ? (r.coverage.coversWindow ? 1 : 0) : null,
        r.findings.length,
        JSON.stringify(resultShell(r)),
      );
    if (ins.changes === 0) {
      const existing = db
        .prepare("SELECT id FROM runs WHERE server_id = ? AND run_key = ? AND digest = ?")
        .pluck()
        .get(id, run.key, digest) as number;
      return { runId: existing, inserted: false };
    }
    const runId = Number(ins.lastInsertRowid);
    const add = db.prepare(
      "INSERT INTO findings (run_id, seq, server_id, finding_id, fingerprint, check_id, effect, severity, time, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    r.findings.forEach((f, i) => {
      add.run(runId, i, id, f.id, f.fingerprint, f.check, f.effect, f.severity, f.time, JSON.stringify(f));
    });
    if (input.probe)
      db.prepare(
        "INSERT INTO probes (run_id, server_id, target, address, port, reachable, build, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        runId,
        id,
        input.probe.target,
        input.probe.address,
        input.probe.port,
        input.probe.reachable ? 1 : 0,
        input.probe.build,
        JSON.stringify(input.probe.body),
      );
    refreshServer(db, id);
    return { runId, inserted: true };
  });

  const acknowledge = tx((a: AckInput): Acknowledgement[] => {
    const at = a.at ?? new Date().toISOString();
    if (!a.reason.trim()) throw new StoreError("an acknowledgement needs a reason (--reason)");
    const targets = ackTargets(a);
    const out: Acknowledgement[] = [];
    for (const t of targets) {
      const existing = db
        .prepare(
          "SELECT a.*, s.name AS server FROM acknowledgements a JOIN servers s ON s.id = a.server_id WHERE a.server_id = ? AND a.fingerprint IS ? AND a.rule IS ? AND a.revoked_at IS NULL",
        )
        .get(t.serverId, t.fingerprint, t.rule) as Row | undefined;
      if (existing) {
        out.push(ackRow(existing));
        continue;
      }
      const r = db
        .prepare(
          "INSERT INTO acknowledgements (server_id, fingerprint, rule, reason, by, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(t.serverId, t.fingerprint, t.rule, a.reason, a.by, at);
      out.push(
        ackRow(
          db
            .prepare(
              "SELECT a.*, s.name AS server FROM acknowledgements a JOIN servers s ON s.id = a.server_id WHERE a.id = ?",
            )
            .get(r.lastInsertRowid) as Row,
        ),
      );
      refreshServer(db, t.serverId);
    }
    return out;
  });

  function ackTargets(
    a: Omit<AckInput, "reason">,
  ): { serverId: number; fingerprint: string | null; rule: string | null }[] {
    if (a.fingerprint) {
      const ids = db
        .prepare("SELECT DISTINCT server_id FROM findings WHERE fingerprint = ?")
        .pluck()
        .all(a.fingerprint) as number[];
      const only = a.server ? requireServer(a.server) : null;
      const hit = ids.filter((i) => only === null || i === only);
      if (hit.length === 0) throw new StoreError(`no finding with fingerprint ${a.fingerprint} in ${path}`);
      return hit.map((serverId) => ({ serverId, fingerprint: a.fingerprint ?? null, rule: null }));
    }
    if (a.rule && a.server) return [{ serverId: requireServer(a.server), fingerprint: null, rule: a.rule }];
    throw new StoreError("acknowledge a FINGERPRINT, or a --rule on a --server");
  }

  const unacknowledge = tx((a: Omit<AckInput, "reason">): number => {
    let n = 0;
    for (const t of ackTargets(a)) {
      n += db
        .prepare(
          "UPDATE acknowledgements SET revoked_at = ?, revoked_by = ? WHERE server_id = ? AND fingerprint IS ? AND rule IS ? AND revoked_at IS NULL",
        )
        .run(a.at ?? new Date().toISOString(), a.by, t.serverId, t.fingerprint, t.rule).changes;
      refreshServer(db, t.serverId);
    }
    return n;
  });

  const setStatus = tx((server: string, status: ServerStatus, note: string, by: string, at?: string) => {
    const id = requireServer(server);
    const when = at ?? new Date().toISOString();
    db.prepare("UPDATE servers SET status = ?, status_at = ? WHERE id = ?").run(status, when, id);
    db.prepare("INSERT INTO notes (server_id, at, by, status, text) VALUES (?, ?, ?, ?, ?)").run(
      id,
      when,
      by,
      status,
      note,
    );
  });

  const list = (f: ListFilter = {}): FleetRow[] => {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.verdict?.length) {
      where.push(`verdict IN (${f.verdict.map(() => "?").join(", ")})`);
      args.push(...f.verdict);
    }
    if (f.unpatched) where.push("open_cves <> '[]'");
    if (f.staleLogs) where.push("(covers_window IS NULL OR covers_window = 0)");
    if (f.tag) {
      where.push("EXISTS (SELECT 1 FROM json_each(servers.tags) WHERE value = ?)");
      args.push(f.tag);
    }
    if (f.search) {
      where.push(
        "(name LIKE ? ESCAPE '\\' OR addresses LIKE ? ESCAPE '\\' OR coalesce(owner, '') LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\')",
      );
      const p = likeLiteral(f.search);
      args.push(p, p, p, p);
    }
    const sql = `SELECT ${LIST_COLUMNS} FROM servers${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY name_key`;
    return (db.prepare(sql).all(...args) as Row[]).map(fleetRow);
  };

  return {
    path,
    version,
    recordRun: (run, input) => guard(() => recordRun(run, input)),
    list: (f) => guard(() => list(f)),
    resolveName: (key) =>
      guard(() => {
        const byName = db
          .prepare("SELECT name FROM servers WHERE name_key = ?")
          .pluck()
          .get(key.toLowerCase());
        if (typeof byName === "string") return byName;
        const byAddress = db
          .prepare(
            "SELECT name FROM servers WHERE EXISTS (SELECT 1 FROM json_each(servers.addresses) WHERE value = ?) ORDER BY id LIMIT 1",
          )
          .pluck()
          .get(key);
        return typeof byAddress === "string" ? byAddress : null;
      }),
    server: (name) =>
      guard(() => {
        const r = db.prepare("SELECT * FROM servers WHERE name_key = ?").get(name.toLowerCase()) as
          | Row
          | undefined;
        return r ? { ...fleetRow(r), reasons: json<string[]>(r.reasons, []) } : null;
      }),
    runs: (name) =>
      guard(() =>
        (
          db
            .prepare("SELECT * FROM runs WHERE server_id = ? ORDER BY at DESC, id DESC")
            .all(requireServer(name)) as Row[]
        ).map(runRow),
      ),
    run: (id) =>
      guard((): RunDetail | null => {
        const r = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
        if (!r) return null;
        const shell = JSON.parse(r.result as string) as Omit<ServerResult, "findings">;
        return {
          ...runRow(r),
          reasons: shell.reasons,
          plan: shell.plan,
          timeline: shell.timeline,
          coverage: shell.coverage ?? null,
          exposure: shell.exposure ?? null,
          omittedFindings: shell.omittedFindings ?? {},
          findingList: loadFindings(db, id),
        };
      }),
    acknowledge: (a) => guard(() => acknowledge(a)),
    unacknowledge: (a) => guard(() => unacknowledge(a)),
    acknowledgements: (name, includeRevoked = false) =>
      guard(() =>
        (
          db
            .prepare(
              `SELECT a.*, s.name AS server FROM acknowledgements a JOIN servers s ON s.id = a.server_id
               WHERE a.server_id = ?${includeRevoked ? "" : " AND a.revoked_at IS NULL"} ORDER BY a.id`,
            )
            .all(requireServer(name)) as Row[]
        ).map(ackRow),
      ),
    setStatus: (server, status, note, by, at) => guard(() => setStatus(server, status, note, by, at)),
    notes: (name) =>
      guard(() =>
        (
          db
            .prepare("SELECT at, by, status, text FROM notes WHERE server_id = ? ORDER BY id")
            .all(requireServer(name)) as Note[]
        ).map((n) => ({ at: n.at, by: n.by, status: n.status, text: n.text })),
      ),
    exportAll: () => exportAll(db, path),
    close: () => guard(() => void db.close()),
  };
}

async function* exportAll(db: Db, path: string): AsyncGenerator<ExportRecord> {
  try {
    for (const s of db
      .prepare("SELECT * FROM servers ORDER BY name_key")
      .iterate() as IterableIterator<Row>) {
      yield {
        type: "server",
        name: s.name as string,
        addresses: json<string[]>(s.addresses, []),
        owner: str(s.owner),
        contact: str(s.contact),
        asn: str(s.asn),
        tags: json<string[]>(s.tags, []),
        status: (s.status as ServerStatus | null) ?? null,
      };
    }
    // Run ids first, then one run (its result and findings) at a time: the export streams, whatever the
    // store's size (a .all() of the runs held every stored result at once: 789 MiB at 1M findings).
    const ids = db.prepare("SELECT id FROM runs ORDER BY at, id").pluck().all() as number[];
    const one = db.prepare(
      "SELECT r.*, s.name AS server FROM runs r JOIN servers s ON s.id = r.server_id WHERE r.id = ?",
    );
    for (const id of ids) {
      const r = one.get(id) as Row | undefined;
      if (!r) continue;
      yield runExport(r, loadFindings(db, r.id as number));
    }
    const acks = db
      .prepare(
        "SELECT a.*, s.name AS server FROM acknowledgements a JOIN servers s ON s.id = a.server_id ORDER BY a.id",
      )
      .all() as Row[];
    for (const a of acks) {
      const { id: _id, ...rest } = ackRow(a);
      yield { type: "ack", ...rest };
    }
    const notes = db
      .prepare(
        "SELECT n.at, n.by, n.status, n.text, s.name AS server FROM notes n JOIN servers s ON s.id = n.server_id ORDER BY n.id",
      )
      .all() as (Note & { server: string })[];
    for (const n of notes)
      yield { type: "note", server: n.server, at: n.at, by: n.by, status: n.status, text: n.text };
  } catch (e) {
    translate(path, e);
  }
}
