// The shared store: PostgreSQL through `pg`, for fleets worked by many machines. Same tables, same
// migrations and the same driver-independent pieces as the SQLite store (rows.ts, row-map.ts); what
// SQLite gets from one IMMEDIATE transaction per write, this driver gets from a transaction that locks
// the server's row first (SELECT … FOR UPDATE), so concurrent writers of one server queue while
// writers of different servers run side by side. Every statement is parameterised.
import type { Finding } from "../model/finding.js";
import type { ServerResult } from "../model/types.js";
import { exportAllPg } from "./pg-export.js";
import { PG_APPLICATION, PG_MIGRATIONS } from "./pg-migrations.js";
import { connectPool, type Pg, type PgClient, redact, translatePg, withTx } from "./pg-pool.js";
import { ackRow, fleetRow, json, LIST_COLUMNS, type Row, runRow } from "./row-map.js";
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

const LATEST = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;
/** One advisory lock for migrations: fifty workers starting at once upgrade the schema once. */
const MIGRATION_LOCK = 0x45584846;

async function migrate(pool: Pg, where: string, upTo: number): Promise<number> {
  return withTx(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    const schema = await c.query("SELECT 1 FROM pg_namespace WHERE nspname = 'exhunt'");
    let version = 0;
    if (schema.rowCount) {
      const meta = await c.query("SELECT to_regclass('exhunt.meta') AS t");
      if (!meta.rows[0].t)
        throw new StoreError(`${where} has an "exhunt" schema, but it is not an exhunt store`);
      const rows = (await c.query("SELECT key, value FROM exhunt.meta")).rows as {
        key: string;
        value: string;
      }[];
      const m = new Map(rows.map((r) => [r.key, r.value]));
      if (m.get("application") !== PG_APPLICATION)
        throw new StoreError(`${where} has an "exhunt" schema, but it is not an exhunt store`);
      version = Number(m.get("version") ?? 0);
    } else {
      await c.query("CREATE SCHEMA exhunt");
      await c.query("CREATE TABLE exhunt.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      await c.query("INSERT INTO exhunt.meta VALUES ('application', $1), ('version', '0')", [PG_APPLICATION]);
    }
    if (version > LATEST)
      throw new StoreError(
        `${where} is store version ${version}, written by a newer exhunt; this one reads up to version ${LATEST}`,
      );
    for (const m of PG_MIGRATIONS) {
      if (m.version <= version || m.version > upTo) continue;
      await c.query(m.sql);
      if (m.after === "refresh-all") {
        const ids = (await c.query("SELECT id FROM exhunt.servers ORDER BY id")).rows as { id: number }[];
        for (const { id } of ids) await refreshServer(c, id);
      }
      await c.query("UPDATE exhunt.meta SET value = $1 WHERE key = 'version'", [String(m.version)]);
      version = m.version;
    }
    return version;
  });
}

export interface PgOpenOptions {
  /** Connections this process may hold (pg's pool size). */
  poolSize?: number;
  /** Tests: stop at an older schema version. */
  upToVersion?: number;
}

/** Connect to (and create or upgrade) the store at a postgres:// URL. Throws StoreError naming the server. */
export async function openPostgresStore(url: string, opts: PgOpenOptions = {}): Promise<FleetStore> {
  const where = redact(url);
  const pool = await connectPool(url, opts.poolSize ?? 4);
  let version: number;
  try {
    version = await migrate(pool, where, opts.upToVersion ?? LATEST);
  } catch (e) {
    await pool.end();
    if (e instanceof StoreError) throw e;
    translatePg(where, e);
  }
  return pgStore(pool, where, version);
}

function union(a: string[], b: string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])].sort();
}

/** The server's row, created if new, locked for the rest of the transaction. */
async function lockServer(c: PgClient, s: ServerInfo, at: string): Promise<number> {
  const name = s.name.trim();
  if (!name) throw new StoreError("a server needs a name");
  const key = name.toLowerCase();
  await c.query(
    `INSERT INTO exhunt.servers (name, name_key, addresses, owner, contact, asn, tags, created_at)
     VALUES ($1, $2, '[]', $3, $4, $5, '[]', $6) ON CONFLICT (name_key) DO NOTHING`,
    [name, key, s.owner ?? null, s.contact ?? null, s.asn ?? null, at],
  );
  const row = (await c.query("SELECT * FROM exhunt.servers WHERE name_key = $1 FOR UPDATE", [key]))
    .rows[0] as Row;
  await c.query(
    `UPDATE exhunt.servers SET addresses = $1, tags = $2, owner = coalesce($3, owner), contact = coalesce($4, contact),
       asn = coalesce($5, asn) WHERE id = $6`,
    [
      JSON.stringify(union(json<string[]>(row.addresses, []), s.addresses)),
      JSON.stringify(union(json<string[]>(row.tags, []), s.tags)),
      s.owner ?? null,
      s.contact ?? null,
      s.asn ?? null,
      row.id,
    ],
  );
  return row.id as number;
}

async function lockExisting(c: PgClient, where: string, name: string): Promise<number> {
  const r = await c.query("SELECT id FROM exhunt.servers WHERE name_key = $1 FOR UPDATE", [
    name.toLowerCase(),
  ]);
  if (!r.rowCount) throw new StoreError(`no server named ${JSON.stringify(name)} in ${where}`);
  return r.rows[0].id as number;
}

async function loadFindings(c: Pg | PgClient, runIds: number[]): Promise<Map<number, Finding[]>> {
  const out = new Map<number, Finding[]>(runIds.map((id) => [id, []]));
  if (runIds.length === 0) return out;
  const rows = (
    await c.query(
      "SELECT run_id, body FROM exhunt.findings WHERE run_id = ANY($1::int[]) ORDER BY run_id, seq",
      [runIds],
    )
  ).rows as { run_id: number; body: string }[];
  for (const r of rows) out.get(r.run_id)?.push(JSON.parse(r.body) as Finding);
  return out;
}

/** Recompute one server's summary (same rule as the SQLite driver: latest run of each kind, less acks). */
async function refreshServer(c: PgClient, id: number): Promise<void> {
  const latest = (
    await c.query(
      `SELECT DISTINCT ON (kind) id, kind, at, verdict, result FROM exhunt.runs WHERE server_id = $1
       ORDER BY kind, at COLLATE "C" DESC, id DESC`,
      [id],
    )
  ).rows as Row[];
  const findings = await loadFindings(
    c,
    latest.map((r) => r.id as number),
  );
  const runs: StoredRun[] = latest.map((r) => ({
    id: r.id as number,
    kind: r.kind as RunKind,
    at: r.at as string,
    verdict: r.verdict as string,
    shell: JSON.parse(r.result as string) as StoredRun["shell"],
    findings: findings.get(r.id as number) ?? [],
  }));
  const acks = (
    await c.query(
      "SELECT fingerprint, rule FROM exhunt.acknowledgements WHERE server_id = $1 AND revoked_at IS NULL",
      [id],
    )
  ).rows as { fingerprint: string | null; rule: string | null }[];
  const s = summarize(runs, {
    fingerprints: new Set(acks.map((r) => r.fingerprint).filter((v): v is string => !!v)),
    rules: new Set(acks.map((r) => r.rule).filter((v): v is string => !!v)),
  });
  await c.query(
    `UPDATE exhunt.servers SET verdict = $1, confidence = $2, reasons = $3, scanned_verdict = $4, verdict_at = $5,
       last_scan_at = $6, last_kind = $7, build = $8, open_cves = $9, update_action = $10, logs_from = $11,
       logs_to = $12, covers_window = $13, open_findings = $14, acknowledged = $15,
       run_count = (SELECT count(*)::int FROM exhunt.runs WHERE server_id = $16) WHERE id = $16`,
    [...summaryColumns(s), id],
  );
}

async function recordRun(c: PgClient, run: RunMeta, input: RunInput): Promise<WriteOutcome> {
  const r: ServerResult = input.result;
  const id = await lockServer(c, input.server, run.at);
  const digest = evidenceDigest(r);
  const win = coverageWindow(r.coverage);
  const ins = await c.query(
    `INSERT INTO exhunt.runs (server_id, kind, run_key, digest, at, version, options, verdict, confidence, build,
       logs_from, logs_to, covers_window, finding_count, result)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (server_id, run_key, digest) DO NOTHING RETURNING id`,
    [
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
    ],
  );
  if (!ins.rowCount) {
    const existing = await c.query(
      "SELECT id FROM exhunt.runs WHERE server_id = $1 AND run_key = $2 AND digest = $3",
      [id, run.key, digest],
    );
    return { runId: existing.rows[0].id as number, inserted: false };
  }
  const runId = ins.rows[0].id as number;
  if (r.findings.length)
    // One statement for all of a run's findings: arrays unnested server-side.
    await c.query(
      `INSERT INTO exhunt.findings (run_id, seq, server_id, finding_id, fingerprint, check_id, effect, severity, time, body)
       SELECT $1, s.seq - 1, $2, s.fid, s.fp, s.chk, s.eff, s.sev, s.t, s.body
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         WITH ORDINALITY AS s(fid, fp, chk, eff, sev, t, body, seq)`,
      [
        runId,
        id,
        r.findings.map((f) => f.id),
        r.findings.map((f) => f.fingerprint),
        r.findings.map((f) => f.check),
        r.findings.map((f) => f.effect),
        r.findings.map((f) => f.severity),
        r.findings.map((f) => f.time),
        r.findings.map((f) => JSON.stringify(f)),
      ],
    );
  if (input.probe)
    await c.query(
      "INSERT INTO exhunt.probes (run_id, server_id, target, address, port, reachable, build, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      [
        runId,
        id,
        input.probe.target,
        input.probe.address,
        input.probe.port,
        input.probe.reachable ? 1 : 0,
        input.probe.build,
        JSON.stringify(input.probe.body),
      ],
    );
  await refreshServer(c, id);
  return { runId, inserted: true };
}

const ACK_SELECT = `SELECT a.*, s.name AS server FROM exhunt.acknowledgements a JOIN exhunt.servers s ON s.id = a.server_id`;

async function ackTargets(
  c: PgClient,
  where: string,
  a: Omit<AckInput, "reason">,
): Promise<{ serverId: number; fingerprint: string | null; rule: string | null }[]> {
  if (a.fingerprint) {
    const ids = (
      await c.query(
        "SELECT DISTINCT server_id FROM exhunt.findings WHERE fingerprint = $1 ORDER BY server_id",
        [a.fingerprint],
      )
    ).rows.map((r: Row) => r.server_id as number);
    const only = a.server ? await lockExisting(c, where, a.server) : null;
    const hit = ids.filter((i) => only === null || i === only);
    if (hit.length === 0) throw new StoreError(`no finding with fingerprint ${a.fingerprint} in ${where}`);
    for (const i of hit) await c.query("SELECT 1 FROM exhunt.servers WHERE id = $1 FOR UPDATE", [i]);
    return hit.map((serverId) => ({ serverId, fingerprint: a.fingerprint ?? null, rule: null }));
  }
  if (a.rule && a.server)
    return [{ serverId: await lockExisting(c, where, a.server), fingerprint: null, rule: a.rule }];
  throw new StoreError("acknowledge a FINGERPRINT, or a --rule on a --server");
}

async function acknowledge(c: PgClient, where: string, a: AckInput): Promise<Acknowledgement[]> {
  const at = a.at ?? new Date().toISOString();
  if (!a.reason.trim()) throw new StoreError("an acknowledgement needs a reason (--reason)");
  const out: Acknowledgement[] = [];
  for (const t of await ackTargets(c, where, a)) {
    const existing = await c.query(
      `${ACK_SELECT} WHERE a.server_id = $1 AND a.fingerprint IS NOT DISTINCT FROM $2 AND a.rule IS NOT DISTINCT FROM $3
       AND a.revoked_at IS NULL`,
      [t.serverId, t.fingerprint, t.rule],
    );
    if (existing.rowCount) {
      out.push(ackRow(existing.rows[0]));
      continue;
    }
    const ins = await c.query(
      `INSERT INTO exhunt.acknowledgements (server_id, fingerprint, rule, reason, "by", at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [t.serverId, t.fingerprint, t.rule, a.reason, a.by, at],
    );
    out.push(ackRow((await c.query(`${ACK_SELECT} WHERE a.id = $1`, [ins.rows[0].id])).rows[0]));
    await refreshServer(c, t.serverId);
  }
  return out;
}

async function unacknowledge(c: PgClient, where: string, a: Omit<AckInput, "reason">): Promise<number> {
  let n = 0;
  for (const t of await ackTargets(c, where, a)) {
    const r = await c.query(
      `UPDATE exhunt.acknowledgements SET revoked_at = $1, revoked_by = $2 WHERE server_id = $3
       AND fingerprint IS NOT DISTINCT FROM $4 AND rule IS NOT DISTINCT FROM $5 AND revoked_at IS NULL`,
      [a.at ?? new Date().toISOString(), a.by, t.serverId, t.fingerprint, t.rule],
    );
    n += r.rowCount ?? 0;
    await refreshServer(c, t.serverId);
  }
  return n;
}

async function list(pool: Pg, f: ListFilter = {}): Promise<FleetRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  if (f.verdict?.length) where.push(`verdict = ANY(${arg(f.verdict)}::text[])`);
  if (f.unpatched) where.push("open_cves <> '[]'");
  if (f.staleLogs) where.push("(covers_window IS NULL OR covers_window = 0)");
  if (f.tag) where.push(`(tags::jsonb) ? ${arg(f.tag)}`);
  if (f.search) {
    // ILIKE: SQLite's LIKE is case-insensitive too.
    const p = arg(likeLiteral(f.search));
    where.push(
      `(name ILIKE ${p} ESCAPE '\\' OR addresses ILIKE ${p} ESCAPE '\\' OR coalesce(owner, '') ILIKE ${p} ESCAPE '\\' OR tags ILIKE ${p} ESCAPE '\\')`,
    );
  }
  // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
  const sql = `SELECT ${LIST_COLUMNS} FROM exhunt.servers${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY name_key COLLATE "C"`;
  return ((await pool.query(sql, args)).rows as Row[]).map(fleetRow);
}

async function serverIdOf(pool: Pg, where: string, name: string): Promise<number> {
  const r = await pool.query("SELECT id FROM exhunt.servers WHERE name_key = $1", [name.toLowerCase()]);
  if (!r.rowCount) throw new StoreError(`no server named ${JSON.stringify(name)} in ${where}`);
  return r.rows[0].id as number;
}

function pgStore(pool: Pg, where: string, version: number): FleetStore {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      translatePg(where, e);
    }
  };
  const tx = <T>(fn: (c: PgClient) => Promise<T>) => guard(() => withTx(pool, fn));
  return {
    path: where,
    version,
    recordRun: (run, input) => tx((c) => recordRun(c, run, input)),
    list: (f) => guard(() => list(pool, f)),
    resolveName: (key) =>
      guard(async () => {
        const byName = await pool.query("SELECT name FROM exhunt.servers WHERE name_key = $1", [
          key.toLowerCase(),
        ]);
        if (byName.rowCount) return byName.rows[0].name as string;
        const byAddress = await pool.query(
          "SELECT name FROM exhunt.servers WHERE (addresses::jsonb) ? $1 ORDER BY id LIMIT 1",
          [key],
        );
        return byAddress.rowCount ? (byAddress.rows[0].name as string) : null;
      }),
    server: (name) =>
      guard(async () => {
        const r = await pool.query("SELECT * FROM exhunt.servers WHERE name_key = $1", [name.toLowerCase()]);
        const row = r.rows[0] as Row | undefined;
        return row ? { ...fleetRow(row), reasons: json<string[]>(row.reasons, []) } : null;
      }),
    runs: (name) =>
      guard(async () => {
        const id = await serverIdOf(pool, where, name);
        const r = await pool.query(
          `SELECT * FROM exhunt.runs WHERE server_id = $1 ORDER BY at COLLATE "C" DESC, id DESC`,
          [id],
        );
        return (r.rows as Row[]).map(runRow);
      }),
    run: (id) =>
      guard(async (): Promise<RunDetail | null> => {
        const r = (await pool.query("SELECT * FROM exhunt.runs WHERE id = $1", [id])).rows[0] as
          | Row
          | undefined;
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
          findingList: (await loadFindings(pool, [id])).get(id) ?? [],
        };
      }),
    acknowledge: (a) => tx((c) => acknowledge(c, where, a)),
    unacknowledge: (a) => tx((c) => unacknowledge(c, where, a)),
    acknowledgements: (name, includeRevoked = false) =>
      guard(async () => {
        const id = await serverIdOf(pool, where, name);
        const r = await pool.query(
          `${ACK_SELECT} WHERE a.server_id = $1${includeRevoked ? "" : " AND a.revoked_at IS NULL"} ORDER BY a.id`,
          [id],
        );
        return (r.rows as Row[]).map(ackRow);
      }),
    setStatus: (server, status: ServerStatus, note, by, at) =>
      tx(async (c) => {
        const id = await lockExisting(c, where, server);
        const when = at ?? new Date().toISOString();
        await c.query("UPDATE exhunt.servers SET status = $1, status_at = $2 WHERE id = $3", [
          status,
          when,
          id,
        ]);
        await c.query(
          `INSERT INTO exhunt.notes (server_id, at, "by", status, text) VALUES ($1, $2, $3, $4, $5)`,
          [id, when, by, status, note],
        );
      }),
    notes: (name) =>
      guard(async () => {
        const id = await serverIdOf(pool, where, name);
        const r = await pool.query(
          `SELECT at, "by", status, text FROM exhunt.notes WHERE server_id = $1 ORDER BY id`,
          [id],
        );
        return (r.rows as Note[]).map((n) => ({ at: n.at, by: n.by, status: n.status, text: n.text }));
      }),
    exportAll: () => exportAllPg(pool, where, (ids) => loadFindings(pool, ids)),
    close: () => guard(() => pool.end()),
  };
}
