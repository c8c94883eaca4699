// The two drivers' schemas, read back from the databases themselves after their migrations ran: the
// same tables with the same columns, the same NOT NULL columns and the same column defaults. The
// migrations are written twice (one text per SQL dialect, src/store/migrations.ts and
// pg-migrations.ts); this is what keeps the two texts from drifting apart. PostgreSQL's own
// bookkeeping table (`exhunt.meta`, SQLite's user_version and application_id) is not compared.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore } from "../../src/fleet.js";
import { tempDir } from "../helpers.js";
import { NO_PG, type PgServer, startPg } from "./pg-server.js";

interface Column {
  notNull: boolean;
  /** The default as a plain value (quotes and PostgreSQL's type casts taken off), or null. */
  default: string | null;
}
type Schema = Record<string, Record<string, Column>>;

/** 'unknown'::text → unknown, '[]' → [], 0 → 0; serial defaults (nextval) count as none. */
function plainDefault(d: string | null): string | null {
  if (d === null || /^nextval\(/i.test(d)) return null;
  return d.replace(/::[a-z ]+$/i, "").replace(/^'(.*)'$/s, "$1");
}

function sqliteSchema(file: string): Schema {
  const db = new Database(file, { readonly: true });
  try {
    const out: Schema = {};
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[];
    for (const { name } of tables) {
      const cols = db.prepare(`PRAGMA table_info("${name.replaceAll('"', '""')}")`).all() as {
        name: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
      }[];
      // A SQLite INTEGER PRIMARY KEY is NOT NULL in fact (it is the row id) though table_info says 0.
      out[name] = Object.fromEntries(
        cols.map((c) => [
          c.name,
          { notNull: c.notnull === 1 || c.pk > 0, default: plainDefault(c.dflt_value) },
        ]),
      );
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgSchema(url: string): Promise<Schema> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{
      table_name: string;
      column_name: string;
      is_nullable: string;
      column_default: string | null;
    }>(
      `SELECT table_name, column_name, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = $1 AND table_name <> $2 ORDER BY table_name, ordinal_position`,
      ["exhunt", "meta"],
    );
    const out: Schema = {};
    for (const c of r.rows) {
      out[c.table_name] ??= {};
      out[c.table_name][c.column_name] = {
        notNull: c.is_nullable === "NO",
        default: plainDefault(c.column_default),
      };
    }
    return out;
  } finally {
    await client.end();
  }
}

describe("store schemas: SQLite and PostgreSQL after their migrations", { skip: NO_PG }, () => {
  let server: PgServer | undefined;
  before(async () => {
    server = await startPg();
  });
  after(() => server?.destroy());

  it("have the same tables, columns, NOT NULL columns and defaults", async (t) => {
    const file = join(tempDir(t), "fleet.db");
    await (await openStore(file)).close();
    if (!server) throw new Error("no PostgreSQL server");
    await (await openStore(server.url)).close();
    const lite = sqliteSchema(file);
    const post = await pgSchema(server.url);
    // Not vacuous: the tables every fleet command reads are there, with their columns.
    for (const table of ["servers", "runs", "findings", "probes", "acknowledgements", "notes"]) {
      assert.ok(Object.keys(lite[table] ?? {}).length > 3, `SQLite has the ${table} table`);
    }
    assert.ok("verdict" in lite.servers, "migration 2 ran on SQLite");
    assert.deepEqual(Object.keys(post).sort(), Object.keys(lite).sort(), "the same tables");
    for (const table of Object.keys(lite)) {
      assert.deepEqual(
        Object.keys(post[table]).sort(),
        Object.keys(lite[table]).sort(),
        `the same columns in ${table}`,
      );
      assert.deepEqual(post[table], lite[table], `the same NOT NULL columns and defaults in ${table}`);
    }
  });
});
