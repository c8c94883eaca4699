// A throwaway PostgreSQL server for tests: initdb and pg_ctl from the Debian packages (or $PATH) in a
// temporary folder, on 127.0.0.1 at a free port with its unix socket in that folder, trust login for
// the user `exhunt`. initdb refuses to run as root: as root the server runs as the `postgres` user
// (the Debian package creates it) or `nobody`, in a folder that user owns. Outside CI a missing
// PostgreSQL skips the tests visibly; under CI=true the tests fail instead (like the shared corpus).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IN_CI } from "../helpers.js";

/** The newest installed PostgreSQL's bin folder, or null. */
export function findPgBin(): string | null {
  const fromEnv = process.env.EXHUNT_PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, "initdb"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions.length) return join(root, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const p = which.stdout.trim();
  return which.status === 0 && p ? join(p, "..") : null;
}

export const PG_BIN = findPgBin();
/** A reason to skip (outside CI only), or false. */
export const NO_PG: string | false =
  PG_BIN || IN_CI
    ? false
    : "PostgreSQL (initdb, pg_ctl) not installed: PostgreSQL store and queue tests skipped";

function idOf(user: string): { uid: number; gid: number } | null {
  const r = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PgServer {
  url: string;
  port: number;
  dir: string;
  /** Stop the server (fast shutdown: connections are cut). */
  stop(): void;
  start(): void;
  /** Stop, start again on the same port and data. */
  restart(): void;
  /** Stop and remove everything. */
  destroy(): void;
}

export async function startPg(): Promise<PgServer> {
  if (!PG_BIN)
    throw new Error("PostgreSQL is not installed (initdb and pg_ctl not found; apt-get install postgresql)");
  const bin = PG_BIN;
  const dir = mkdtempSync(join(tmpdir(), "exhunt-pg-"));
  const root = process.getuid?.() === 0;
  const owner = root ? (idOf("postgres") ?? idOf("nobody")) : null;
  if (root && !owner)
    throw new Error("running as root and neither a postgres nor a nobody user exists for initdb");
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const user = owner ? (idOf("postgres") ? "postgres" : "nobody") : null;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const argv = user ? ["runuser", "-u", user, "--", full, ...args] : [full, ...args];
    execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  };
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "exhunt", "-E", "UTF8", "--no-locale", "--no-sync"]);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = () =>
    run("pg_ctl", ["-D", data, "-o", opts, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  start();
  run("createdb", ["-h", dir, "-p", String(port), "-U", "exhunt", "exhunt"]);
  let alive = true;
  return {
    url: `postgres://exhunt@127.0.0.1:${port}/exhunt`,
    port,
    dir,
    stop: () => {
      stop();
      alive = false;
    },
    start: () => {
      start();
      alive = true;
    },
    restart: () => {
      stop();
      start();
    },
    destroy: () => {
      try {
        if (alive) stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
