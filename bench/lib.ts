// Benchmark helpers: time whole commands (wall clock, peak RSS from /proc) and print tables.
import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname } from "node:path";

export interface Run {
  seconds: number;
  /** Peak resident memory of the process in MiB (Linux /proc VmHWM), or null where unavailable. */
  peakMiB: number | null;
  status: number | null;
  stdout: string;
  /**
   * CPU seconds (user + system, every thread) of the process, from /proc as last seen before it ended
   * (polled every 10 ms, so up to 10 ms short); null where unavailable. On a shared machine this is
   * steadier than the wall clock: "per core" figures divide by it.
   */
  cpuSeconds: number | null;
}

function vmHwm(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** utime + stime of a process in seconds (Linux /proc, USER_HZ 100), or null. */
function cpuOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) in brackets: utime and stime are 14 and 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Run a command once (no shell), polling its peak RSS and CPU time. */
export function runOnce(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let peak: number | null = null;
    let cpu: number | null = null;
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      if (out.length < 1 << 20) out += d.toString();
    });
    child.stderr.resume();
    const poll = setInterval(() => {
      const v = child.pid ? vmHwm(child.pid) : null;
      if (v !== null) peak = Math.max(peak ?? 0, v);
      const c = child.pid ? cpuOf(child.pid) : null;
      if (c !== null) cpu = c;
    }, 10);
    child.on("error", fail);
    child.on("close", (status) => {
      clearInterval(poll);
      ok({
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
        peakMiB: peak,
        status,
        stdout: out,
        cpuSeconds: cpu,
      });
    });
  });
}

/** Writes `parts` to `path` through one stream (its folder made first): a generated input file. */
export function writeParts(path: string, parts: string[]): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  return new Promise((ok, fail) => {
    const s = createWriteStream(path);
    s.on("error", fail);
    s.on("finish", ok);
    for (const p of parts) s.write(p);
    s.end();
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs A and B alternately `n` times after one warm-up each; medians and the median of the A/B ratios. */
export async function pair(
  a: [string, string[]],
  b: [string, string[]],
  n = 5,
): Promise<{ a: Run[]; b: Run[]; ratio: number }> {
  await runOnce(...a);
  await runOnce(...b);
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < n; i++) {
    ra.push(await runOnce(...a));
    rb.push(await runOnce(...b));
  }
  const ratio = median(ra.map((r, i) => r.seconds / rb[i].seconds));
  return { a: ra, b: rb, ratio };
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const w = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  "))
    .join("\n");
}

export function which(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => {
    try {
      accessSync(`${d}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A numeric command-line flag (`--gb 2`), or its default. */
export function numArg(name: string, def: number, argv: readonly string[] = process.argv.slice(2)): number {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? Number(argv[i + 1]) : def;
}

/** One lane of `npm run bench`: exhunt's figure, the reference tool's from the same run, their ratio. */
export interface Lane {
  /** What was measured, e.g. "1 GB W3C logs, all checks". */
  input: string;
  exhunt: {
    figure: number;
    unit: string;
    seconds: number;
    peakMiB: number | null;
    /** Where records are counted (EVTX, logs): records per second, wall clock. */
    recordsPerSecond?: number;
    /** CPU seconds of the run (every thread; Run.cpuSeconds), where the bench measures them. */
    cpuSeconds?: number;
  };
  reference: { tool: string; figure: number; unit: string; seconds: number; cpuSeconds?: number } | null;
  /** exhunt's time over the reference's (median of alternated pairs where the bench pairs them). */
  timeRatio: number | null;
  goal: string;
  /** What the same run measured of this machine's own limit for the lane (shown beside the goal). */
  limit?: string;
  runs: number;
  /** When this lane was recorded and the 1-minute load average then (lanes of one file may differ). */
  measured?: { date: string; loadAverage: number };
}

export const RESULTS = "bench/results/latest.json";

/**
 * Adds (or replaces) a lane in bench/results/latest.json; each bench runs as its own process, so the
 * file is read, merged and written. `npm run bench` starts a fresh file and keeps the last as previous.json.
 */
export function recordLane(name: string, lane: Lane): void {
  let all: { date: string; loadAverage?: number; lanes: Record<string, Lane> } = { date: "", lanes: {} };
  try {
    all = JSON.parse(readFileSync(RESULTS, "utf8"));
  } catch {
    // absent or unreadable: start a new file
  }
  all.date = new Date().toISOString();
  // The machine is shared: the 1-minute load average says how much to trust the seconds.
  all.loadAverage = loadavg()[0];
  all.lanes[name] = { ...lane, measured: { date: all.date, loadAverage: all.loadAverage } };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}
