// The one switch between the drivers: a postgres:// URL is the shared PostgreSQL store, anything
// else a file path of the embedded SQLite store. Each driver is loaded only when asked for.
import type { FleetStore } from "./types.js";

export interface StoreOpenOptions {
  /** PostgreSQL: connections this process may hold (default 4). */
  poolSize?: number;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export async function openStoreAt(location: string, opts: StoreOpenOptions = {}): Promise<FleetStore> {
  if (isPostgresUrl(location)) {
    const { openPostgresStore } = await import("./postgres.js");
    return openPostgresStore(location, { poolSize: opts.poolSize });
  }
  const { openSqliteStore } = await import("./sqlite.js");
  return openSqliteStore(location);
}
