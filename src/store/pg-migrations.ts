// The PostgreSQL store's schema: the same numbered migrations as the SQLite store (migrations.ts),
// written in PostgreSQL's dialect, with the same tables and columns (JSON lists as text, flags as 0/1
// integers) so the row converters (row-map.ts) and the verdict summary serve both drivers. Everything
// lives in the `exhunt` schema, named in every statement (no search_path, which a transaction-mode
// connection pooler would not keep); `exhunt.meta` plays the part of SQLite's application_id and
// user_version.
import { MIGRATIONS, type Migration } from "./migrations.js";

export const PG_SCHEMA = "exhunt";
export const PG_APPLICATION = "exhunt fleet store";

const PG_SQL: Record<number, string> = {
  1: `
CREATE TABLE exhunt.servers (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  addresses TEXT NOT NULL DEFAULT '[]',
  owner TEXT,
  contact TEXT,
  asn TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  status TEXT,
  status_at TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE exhunt.runs (
  id SERIAL PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES exhunt.servers(id),
  kind TEXT NOT NULL,
  run_key TEXT NOT NULL,
  digest TEXT NOT NULL,
  at TEXT NOT NULL,
  version TEXT NOT NULL,
  options TEXT NOT NULL,
  verdict TEXT NOT NULL,
  confidence TEXT NOT NULL,
  build TEXT,
  logs_from TEXT,
  logs_to TEXT,
  covers_window INTEGER,
  finding_count INTEGER NOT NULL,
  result TEXT NOT NULL,
  UNIQUE (server_id, run_key, digest)
);
CREATE INDEX runs_server_kind_at ON exhunt.runs(server_id, kind, at);
CREATE TABLE exhunt.findings (
  run_id INTEGER NOT NULL REFERENCES exhunt.runs(id),
  seq INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  finding_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  check_id TEXT NOT NULL,
  effect TEXT NOT NULL,
  severity TEXT NOT NULL,
  time TEXT,
  body TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX findings_fingerprint ON exhunt.findings(fingerprint);
CREATE TABLE exhunt.probes (
  run_id INTEGER PRIMARY KEY REFERENCES exhunt.runs(id),
  server_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  address TEXT,
  port INTEGER,
  reachable INTEGER,
  build TEXT,
  body TEXT NOT NULL
);
CREATE TABLE exhunt.acknowledgements (
  id SERIAL PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES exhunt.servers(id),
  fingerprint TEXT,
  rule TEXT,
  reason TEXT NOT NULL,
  "by" TEXT NOT NULL,
  at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_by TEXT,
  CHECK ((fingerprint IS NULL) <> (rule IS NULL))
);
CREATE INDEX acks_server ON exhunt.acknowledgements(server_id);
CREATE TABLE exhunt.notes (
  id SERIAL PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES exhunt.servers(id),
  at TEXT NOT NULL,
  "by" TEXT NOT NULL,
  status TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX notes_server ON exhunt.notes(server_id);
`,
  2: `
ALTER TABLE exhunt.servers
  ADD COLUMN verdict TEXT NOT NULL DEFAULT 'unknown',
  ADD COLUMN confidence TEXT NOT NULL DEFAULT 'low',
  ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]',
  ADD COLUMN scanned_verdict TEXT NOT NULL DEFAULT 'unknown',
  ADD COLUMN verdict_at TEXT,
  ADD COLUMN last_scan_at TEXT,
  ADD COLUMN last_kind TEXT,
  ADD COLUMN build TEXT,
  ADD COLUMN open_cves TEXT NOT NULL DEFAULT '[]',
  ADD COLUMN update_action TEXT,
  ADD COLUMN logs_from TEXT,
  ADD COLUMN logs_to TEXT,
  ADD COLUMN covers_window INTEGER,
  ADD COLUMN open_findings INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN run_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX servers_verdict ON exhunt.servers(verdict);
`,
};

/** The SQLite migrations with their PostgreSQL text: same versions, same reasons, same backfills. */
export const PG_MIGRATIONS: readonly Migration[] = MIGRATIONS.map((m) => {
  const sql = PG_SQL[m.version];
  if (sql === undefined) throw new Error(`migration ${m.version} has no PostgreSQL text`);
  return { ...m, sql };
});
