// Benchmark: exhunt probe over 10,000 distinct loopback targets (one mock Exchange listener each,
// 127.1.x.y addresses, five roles mixed), hosts/s and peak RSS, against a plain node:https loop, an
// undici loop doing the same requests without analysis, and curl on a sample — all in the same run.
// Usage: npx tsx bench/probe.bench.ts [--hosts N] [--quick] [--concurrency N]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { numArg, recordLane, runOnce, table, which } from "./lib.js";
import { startNginx } from "./probe-nginx.js";
import { handshakeLimit } from "./tls-limit.js";

/** CPU seconds (user + system) a process has used so far, from /proc (Linux), or null. */
function cpuOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

interface Measured {
  seconds: number;
  peakMiB: number | null;
  /** CPU seconds of the process (last sample before exit), and of the mock servers meanwhile. */
  cpu: number | null;
  serverCpu: number | null;
  status: number | null;
  stdout: string;
}

function hwm(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Run a command (no shell): wall time, peak RSS and CPU time from /proc, and the servers' CPU. */
function measured(cmd: string, args: string[], servers: { pid?: number | null }): Promise<Measured> {
  return new Promise((ok, fail) => {
    const s0 = cpuOf(servers.pid ?? undefined);
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    let peak: number | null = null;
    let cpu: number | null = null;
    child.stdout?.on("data", (d: Buffer) => {
      if (out.length < 1 << 20) out += d.toString();
    });
    const poll = setInterval(() => {
      if (!child.pid) return;
      peak = Math.max(peak ?? 0, hwm(child.pid) ?? 0);
      cpu = cpuOf(child.pid) ?? cpu;
    }, 20);
    child.on("error", fail);
    child.on("close", (status) => {
      clearInterval(poll);
      const s1 = cpuOf(servers.pid ?? undefined);
      ok({
        seconds: (performance.now() - t0) / 1000,
        peakMiB: peak,
        cpu,
        serverCpu: s0 !== null && s1 !== null ? s1 - s0 : null,
        status,
        stdout: out,
      });
    });
  });
}

const QUICK = process.argv.includes("--quick");
const HOSTS = numArg("--hosts", QUICK ? 1000 : 10_000);
const CONC = numArg("--concurrency", 128);
const DIR = join(process.cwd(), ".bench", "probe");
mkdirSync(DIR, { recursive: true });

function addressOf(i: number): string {
  return `127.1.${Math.floor(i / 100) % 250}.${(i % 100) + 1}:${20000 + Math.floor(i / 25000)}`;
}

function startServers(n: number): Promise<ChildProcess> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/probe-servers.ts", DIR, String(n)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("READY")) ok(child);
    });
    child.on("exit", (code) => fail(new Error(`mock servers exited (${code})`)));
  });
}

function targetsFile(n: number): string {
  const f = join(DIR, `targets-${n}.txt`);
  writeFileSync(f, `${Array.from({ length: n }, (_, i) => addressOf(i)).join("\n")}\n`);
  return f;
}

async function curlSample(n: number, parallel: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const paths = [
    "/owa/auth/logon.aspx",
    "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
    "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com",
    "/owa/auth/x.js",
    "/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=Powershell",
  ];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const t = addressOf(next++);
        // One curl per host: its five URLs share one connection, as exhunt's do.
        const args = ["-k", "-s", "-o", "/dev/null", "--max-time", "10"];
        const urls = paths.flatMap((p, i) => [
          ...(i ? ["--next", ...args] : args),
          ...(p === "/owa/auth/x.js"
            ? [
                "-H",
                "Cookie: X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;",
              ]
            : []),
          `https://${t}${p}`,
        ]);
        await runOnce("curl", urls);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const servers = await startServers(HOSTS);
try {
  const file = targetsFile(HOSTS);
  const fewer = Math.min(2000, HOSTS);
  const small = targetsFile(fewer);
  const exhunt = (f: string, threads = 1) =>
    measured(
      process.execPath,
      [
        "dist/cli/exhunt.js",
        "probe",
        `@${f}`,
        "--concurrency",
        String(CONC),
        "--threads",
        String(threads),
        "--csv",
        "/dev/null",
      ],
      servers,
    );
  const reference = (kind: string) =>
    measured(
      process.execPath,
      ["--import", "tsx", "bench/probe-reference.ts", kind, file, String(CONC)],
      servers,
    );
  await exhunt(small); // warm-up
  const full = await exhunt(file);
  const part = await exhunt(small);
  const threaded = await exhunt(file, 2);
  const refs: [string, Measured][] = [
    ["node:https loop (same GETs, no analysis)", await reference("https")],
    ["undici loop (same GETs, no analysis)", await reference("undici")],
    ["TLS handshake only (1 handshake, no request)", await reference("tls")],
  ];
  const exhuntHs = HOSTS / full.seconds;
  const ms = (cpu: number | null, n: number) => (cpu === null ? "?" : ((cpu * 1000) / n).toFixed(2));
  const row = (name: string, n: number, r: Measured, ratio: string): (string | number)[] => [
    name,
    n,
    r.seconds.toFixed(2),
    (n / r.seconds).toFixed(0),
    r.peakMiB?.toFixed(0) ?? "?",
    ms(r.cpu, n),
    ms(r.serverCpu, n),
    ratio,
  ];
  const rows: (string | number)[][] = [
    [
      "run",
      "hosts",
      "seconds",
      "hosts/s",
      "peak RSS MiB",
      "client CPU ms/host",
      "server CPU ms/host",
      "exhunt hosts/s ÷ this",
    ],
    row("exhunt probe", HOSTS, full, "1.00"),
    row("exhunt probe (fewer hosts: memory check)", fewer, part, ""),
    row("exhunt probe --threads 2", HOSTS, threaded, (exhuntHs / (HOSTS / threaded.seconds)).toFixed(2)),
    ...refs.map(([name, r]) => row(name, HOSTS, r, (exhuntHs / (HOSTS / r.seconds)).toFixed(2))),
  ];
  if (which("curl")) {
    const n = Math.min(300, HOSTS);
    const c = await curlSample(n, 16);
    rows.push([
      "curl, one process per host, 16 in parallel",
      n,
      (n / c).toFixed(2),
      c.toFixed(0),
      "-",
      "-",
      "-",
      (exhuntHs / c).toFixed(2),
    ]);
  }
  const os = await import("node:os");
  console.log(
    `probe: ${HOSTS} loopback targets, concurrency ${CONC}, 5 GETs per host (mitigated hosts: 2 extra TLS handshakes); client and mock servers share ${os.availableParallelism()} cores`,
  );
  console.log(table(rows));
  if (full.cpu !== null)
    console.log(
      `exhunt's own CPU: ${ms(full.cpu, HOSTS)} ms per host = ${(HOSTS / full.cpu).toFixed(0)} hosts per CPU-second (one core with the servers elsewhere)`,
    );
  console.log(
    `load average after the run: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  if (full.status !== 1) console.log(`note: exhunt probe exited ${full.status} (expected 1: findings)`);
  // The physical limit, same run: TLS handshakes per second, openssl s_time against nginx on loopback.
  const limit = await handshakeLimit(join(DIR, "nginx"));
  if (limit)
    console.log(
      `TLS handshake limit (openssl s_time -new vs nginx, 1 worker): ${limit.perSecond.toFixed(0)} handshakes/s, ${limit.perClientCpuSecond.toFixed(0)} per client CPU-second; exhunt probe = ${(exhuntHs / limit.perSecond).toFixed(2)} of it`,
    );
  else console.log("nginx or openssl not installed: no handshake limit measured");
  recordLane("probe", {
    input: `${HOSTS} loopback HTTPS hosts (mock Exchange listeners), concurrency ${CONC}`,
    exhunt: { figure: exhuntHs, unit: "hosts/s", seconds: full.seconds, peakMiB: full.peakMiB },
    reference: limit
      ? {
          tool: "openssl s_time -new vs nginx (TLS handshakes)",
          figure: limit.perSecond,
          unit: "handshakes/s",
          seconds: limit.seconds,
        }
      : null,
    // Time per host over time per handshake: how far from the handshake limit.
    timeRatio: limit ? limit.perSecond / exhuntHs : null,
    goal: ">= 1,000 hosts/s, or a fraction of the handshake limit",
    runs: 1,
  });
  // The same targets served by nginx (one worker, canned answers): the prober's rate when the server
  // side is cheap, against the same handshake limit. The mock servers hold the addresses: stop them first.
  servers.stdin?.end();
  servers.kill();
  await new Promise<void>((ok) => (servers.exitCode !== null ? ok() : servers.once("exit", () => ok())));
  const nginx = await startNginx(
    join(DIR, "nginx-targets"),
    Array.from({ length: HOSTS }, (_, i) => addressOf(i)),
  );
  if (nginx) {
    try {
      await exhunt(small); // warm-up
      const worker = { pid: nginx.workerPid() };
      const csv = join(DIR, "nginx-probe.csv");
      const viaNginx = await measured(
        process.execPath,
        [
          "dist/cli/exhunt.js",
          "probe",
          `@${file}`,
          "--concurrency",
          String(CONC),
          "--threads",
          "1",
          "--csv",
          csv,
        ],
        worker,
      );
      const hs = HOSTS / viaNginx.seconds;
      console.log(
        table([
          [
            "run (targets served by nginx, 1 worker)",
            "hosts",
            "seconds",
            "hosts/s",
            "peak RSS MiB",
            "client CPU ms/host",
            "nginx CPU ms/host",
          ],
          row("exhunt probe", HOSTS, viaNginx, "").slice(0, 7),
        ]),
      );
      console.log(`exhunt probe exit status against nginx: ${viaNginx.status} (1 = findings); CSV in ${csv}`);
      recordLane("probe-nginx", {
        input: `${HOSTS} loopback HTTPS hosts served by nginx (1 worker, canned Exchange answers), concurrency ${CONC}`,
        exhunt: { figure: hs, unit: "hosts/s", seconds: viaNginx.seconds, peakMiB: viaNginx.peakMiB },
        reference: limit
          ? {
              tool: "openssl s_time -new vs nginx (TLS handshakes)",
              figure: limit.perSecond,
              unit: "handshakes/s",
              seconds: limit.seconds,
            }
          : null,
        timeRatio: limit ? limit.perSecond / hs : null,
        goal: ">= 1,000 hosts/s, or a fraction of the handshake limit",
        runs: 1,
      });
    } finally {
      nginx.stop();
    }
  }
} finally {
  servers.stdin?.end();
  servers.kill();
}
