// The SQLite store's schema, as numbered migrations. A store records the last one applied in
// PRAGMA user_version and carries PRAGMA application_id, so a foreign SQLite file is refused rather
// than written into. Migrations only ever append: a store made by an older exhunt opens in a newer
// one; one made by a newer exhunt is refused by an older one (it cannot know what changed).

/** "EXHF": the exhunt fleet store. */
export const APPLICATION_ID = 0x45584846;

export interface Migration {
  version: number;
  why: string;
  sql: string;
  /** Work SQL cannot do (backfills that need the verdict layer), run inside the same transaction. */
  after?: "refresh-all";
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: "servers, runs, findings (schema v2 JSON), probes, acknowledgements, notes",
    sql: `
CREATE TABLE servers (
  id INTEGER PRIMARY KEY,
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
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id),
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
CREATE INDEX runs_server_kind_at ON runs(server_id, kind, at);
CREATE TABLE findings (
  run_id INTEGER NOT NULL REFERENCES runs(id),
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
) WITHOUT ROWID;
CREATE INDEX findings_fingerprint ON findings(fingerprint);
CREATE TABLE probes (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  server_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  address TEXT,
  port INTEGER,
  reachable INTEGER,
  build TEXT,
  body TEXT NOT NULL
);
CREATE TABLE acknowledgements (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id),
  fingerprint TEXT,
  rule TEXT,
  reason TEXT NOT NULL,
  by TEXT NOT NULL,
  at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_by TEXT,
  CHECK ((fingerprint IS NULL) <> (rule IS NULL))
);
CREATE INDEX acks_server ON acknowledgements(server_id);
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id),
  at TEXT NOT NULL,
  by TEXT NOT NULL,
  status TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX notes_server ON notes(server_id);
`,
  },
  {
    version: 2,
    why: "fleet summary per server (the judged verdict with acknowledgements set aside), so `fleet list` is one indexed read",
    sql: `
ALTER TABLE servers ADD COLUMN verdict TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE servers ADD COLUMN confidence TEXT NOT NULL DEFAULT 'low';
ALTER TABLE servers ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE servers ADD COLUMN scanned_verdict TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE servers ADD COLUMN verdict_at TEXT;
ALTER TABLE servers ADD COLUMN last_scan_at TEXT;
ALTER TABLE servers ADD COLUMN last_kind TEXT;
ALTER TABLE servers ADD COLUMN build TEXT;
ALTER TABLE servers ADD COLUMN open_cves TEXT NOT NULL DEFAULT '[]';
ALTER TABLE servers ADD COLUMN update_action TEXT;
ALTER TABLE servers ADD COLUMN logs_from TEXT;
ALTER TABLE servers ADD COLUMN logs_to TEXT;
ALTER TABLE servers ADD COLUMN covers_window INTEGER;
ALTER TABLE servers ADD COLUMN open_findings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE servers ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE servers ADD COLUMN run_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX servers_verdict ON servers(verdict);
`,
    after: "refresh-all",
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
