// The PostgreSQL connection pool of one process, transactions on it, and the server's errors turned
// into sentences that name the database (never its password).
// pg is imported when a pool is opened: loading it (and the parts of Node it pulls in) cost every
// command about 0.1 s of start-up, `exhunt --version` included.
import type pg from "pg";
import { StoreError } from "./types.js";

export type Pg = pg.Pool;
export type PgClient = pg.PoolClient;

/** The URL without its password, for messages and `store.path`. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

/** Errors that mean the connection, not the statement, failed: the caller may try again later. */
export function isConnectionError(e: unknown): boolean {
  const code = String((e as { code?: unknown }).code ?? "");
  return (
    code.startsWith("08") || // connection exception
    code === "57P01" || // admin shutdown
    code === "57P02" ||
    code === "57P03" || // cannot connect now (starting up, shutting down)
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      (e as Error).message ?? "",
    )
  );
}

export function translatePg(where: string, e: unknown): never {
  if (e instanceof StoreError) throw e;
  const code = String((e as { code?: unknown }).code ?? "");
  if (code === "28P01" || code === "28000")
    throw new StoreError(`${where}: the server refused the login (${(e as Error).message})`);
  if (code === "3D000") throw new StoreError(`${where}: ${(e as Error).message}`);
  throw e;
}

/**
 * A pool of at most `max` connections. An idle connection the server drops (a restart, a failover)
 * is an 'error' event on the pool, which would end the process without a listener: it is swallowed
 * here, and the pool opens a new connection on the next query.
 */
export async function connectPool(url: string, max: number): Promise<Pg> {
  const { default: pgLib } = await import("pg");
  const pool = new pgLib.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: "exhunt",
  });
  pool.on("error", () => {});
  try {
    (await pool.connect()).release();
  } catch (e) {
    await pool.end();
    if (String((e as { code?: unknown }).code).startsWith("28") || (e as { code?: unknown }).code === "3D000")
      translatePg(redact(url), e);
    throw new StoreError(`cannot connect to ${redact(url)}: ${(e as Error).message}`);
  }
  return pool;
}

/** Run `fn` in one transaction on one connection; a connection that broke is not returned to the pool. */
export async function withTx<T>(pool: Pg, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query("BEGIN");
    const out = await fn(c);
    await c.query("COMMIT");
    return out;
  } catch (e) {
    if (isConnectionError(e)) broken = e as Error;
    else await c.query("ROLLBACK").catch((r: Error) => (broken = r));
    throw e;
  } finally {
    c.release(broken);
  }
}
