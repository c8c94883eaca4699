// Benchmark: exhunt probe over 10,000 distinct loopback targets (one mock Exchange listener each,
// 127.1.x.y addresses, five roles mixed), hosts/s and peak RSS, against a plain node:https loop, an
// undici loop doing the same requests without analysis, and curl on a sample — all in the same run.
// Usage: npx tsx bench/probe.bench.ts [--hosts N] [--quick] [--concurrency N]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOnce, table, which } from "./lib.js";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const QUICK = process.argv.includes("--quick");
const HOSTS = arg("--hosts", QUICK ? 1000 : 10_000);
const CONC = arg("--concurrency", 128);
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
  const small = targetsFile(Math.min(2000, HOSTS));
  const exhunt = (f: string) =>
    runOnce(process.execPath, [
      "dist/cli/bin.js",
      "probe",
      `@${f}`,
      "--concurrency",
      String(CONC),
      "--csv",
      "/dev/null",
    ]);
  await exhunt(small); // warm-up
  const full = await exhunt(file);
  const part = await exhunt(small);
  const refHttps = await runOnce(process.execPath, [
    "--import",
    "tsx",
    "bench/probe-reference.ts",
    "https",
    file,
    String(CONC),
  ]);
  const refUndici = await runOnce(process.execPath, [
    "--import",
    "tsx",
    "bench/probe-reference.ts",
    "undici",
    file,
    String(CONC),
  ]);
  const refTls = await runOnce(process.execPath, [
    "--import",
    "tsx",
    "bench/probe-reference.ts",
    "tls",
    file,
    String(CONC),
  ]);
  const hs = (r: { stdout: string }) =>
    (JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}").hostsPerSecond as number) ?? 0;
  const exhuntHs = HOSTS / full.seconds;
  const rows: (string | number)[][] = [
    ["run", "hosts", "seconds", "hosts/s", "peak RSS MiB", "exhunt / this"],
    [
      "exhunt probe",
      HOSTS,
      full.seconds.toFixed(2),
      exhuntHs.toFixed(0),
      full.peakMiB?.toFixed(0) ?? "?",
      "1.00",
    ],
    [
      "exhunt probe (fewer hosts)",
      Math.min(2000, HOSTS),
      part.seconds.toFixed(2),
      (Math.min(2000, HOSTS) / part.seconds).toFixed(0),
      part.peakMiB?.toFixed(0) ?? "?",
      "",
    ],
    [
      "node:https loop (same GETs, no analysis)",
      HOSTS,
      refHttps.seconds.toFixed(2),
      hs(refHttps).toFixed(0),
      refHttps.peakMiB?.toFixed(0) ?? "?",
      (exhuntHs / hs(refHttps)).toFixed(2),
    ],
    [
      "undici loop (same GETs, no analysis)",
      HOSTS,
      refUndici.seconds.toFixed(2),
      hs(refUndici).toFixed(0),
      refUndici.peakMiB?.toFixed(0) ?? "?",
      (exhuntHs / hs(refUndici)).toFixed(2),
    ],
    [
      "TLS handshake only (floor: 1 handshake, 0 requests)",
      HOSTS,
      refTls.seconds.toFixed(2),
      hs(refTls).toFixed(0),
      refTls.peakMiB?.toFixed(0) ?? "?",
      (exhuntHs / hs(refTls)).toFixed(2),
    ],
  ];
  if (which("curl")) {
    const n = Math.min(300, HOSTS);
    const c = await curlSample(n, 16);
    rows.push([
      `curl, one process per host, 16 in parallel`,
      n,
      (n / c).toFixed(2),
      c.toFixed(0),
      "-",
      (exhuntHs / c).toFixed(2),
    ]);
  }
  console.log(
    `probe: ${HOSTS} loopback targets, concurrency ${CONC}, 5 GETs per host (mitigated hosts: 2 extra TLS handshakes)`,
  );
  console.log(table(rows));
  const load = (await import("node:os")).loadavg();
  console.log(
    `machine load average during the run: ${load.map((l) => l.toFixed(1)).join(" ")} on ${(await import("node:os")).availableParallelism()} cores`,
  );
  if (full.status !== 1) console.log(`note: exhunt probe exited ${full.status} (expected 1: findings)`);
} finally {
  servers.stdin?.end();
  servers.kill();
}
