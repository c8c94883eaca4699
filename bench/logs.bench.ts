// Benchmark: the ProxyLogon log hunt over >= 1 GB of realistic HttpProxy + ECP + OAB logs with a
// handful of attack rows, against ripgrep counting the same literals in the same files.
// Usage: npx tsx bench/logs.bench.ts [--gb N] [--runs N]
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  benignRow,
  COMPROMISED,
  HTTPPROXY_FIELDS,
  httpProxyLine,
  preamble,
  rng,
} from "../examples/generate.js";
import { median, numArg, pair, type Run, recordLane, runOnce, table, which, writeParts } from "./lib.js";

const GB = numArg("--gb", 1);
const RUNS = numArg("--runs", 5);
const VERSION = "logs-v1";
const ROOT = join(process.cwd(), ".bench", `logs-${GB}g`);
const INSTALL = "C/Program Files/Microsoft/Exchange Server/V15";
const FOLDERS = ["Owa", "Ews", "Mapi", "Eas", "Autodiscover", "Ecp", "RpcHttp", "PowerShell", "Oab"];
const ATTACKS = [
  "ServerInfo~a]@exch01.contoso.local:444/mapi/emsmdb?MailboxId=f26bc937@contoso.local#",
  "ServerInfo~a]@exch01.contoso.local:444/ecp/proxyLogon.ecp?#",
  "ServerInfo~a]@exch01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=c&schema=ResetOABVirtualDirectory#",
];

/** Writes the corpus once (cached under .bench/); returns bytes and the attack rows planted. */
async function corpus(): Promise<{ bytes: number; planted: number }> {
  const marker = join(ROOT, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8").startsWith(VERSION)) {
    return JSON.parse(readFileSync(marker, "utf8").slice(VERSION.length + 1));
  }
  rmSync(ROOT, { recursive: true, force: true });
  const r = rng(42);
  const target = GB * 2 ** 30;
  const rowsPerFile = 16_000; // ~12 MB: a busy server's hourly HttpProxy file
  let bytes = 0;
  let planted = 0;
  let hour = Date.parse("2021-03-01T00:00:00Z");
  process.stderr.write(`generating ${GB} GB of logs in ${ROOT} ...\n`);
  while (bytes < target) {
    for (const folder of FOLDERS) {
      if (bytes >= target) break;
      const t0 = new Date(hour);
      const parts = [preamble("HttpProxy Logs", t0.toISOString(), HTTPPROXY_FIELDS.join(","))];
      const attackAt = folder === "Ecp" ? Math.floor(r() * rowsPerFile) : -1;
      for (let i = 0; i < rowsPerFile; i++) {
        const t = new Date(hour + Math.floor((i / rowsPerFile) * 3_600_000));
        const { row } = benignRow(r, COMPROMISED, t, folder);
        if (i === attackAt) {
          row.AnchorMailbox = ATTACKS[planted % ATTACKS.length];
          row.HttpStatus = "200";
          planted++;
        }
        parts.push(`${httpProxyLine(row)}\r\n`);
      }
      const file = join(
        ROOT,
        INSTALL,
        "Logging/HttpProxy",
        folder,
        `HttpProxy_${t0.toISOString().slice(0, 13).replace(/[-T]/g, "")}-1.LOG`,
      );
      await writeParts(file, parts);
      bytes += statSync(file).size;
    }
    hour += 3_600_000;
  }
  // ECP Server and OAB logs: smaller, as on real servers.
  const ecp = [
    preamble(
      "ECP Server Log",
      "2021-03-01T00:00:00.000Z",
      "TimeStamp,ServerName,EventId,EventData",
      "15.0.0.0",
    ),
  ];
  for (let i = 0; i < 40_000; i++)
    ecp.push(
      `2021-03-01T00:00:${String(i % 60).padStart(2, "0")}.000Z,EXCH01,ECP.Request,"S:TIME=12;S:CMD=Get-InboxRule;S:URL=/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=${i};S:EX="\r\n`,
    );
  await writeParts(join(ROOT, INSTALL, "Logging/ECP/Server/ECPServer20210301-1.LOG"), ecp);
  const oab = [preamble("OABGenerator Log", "2021-03-01T00:00:00.000Z", "DateTime,Message")];
  for (let i = 0; i < 20_000; i++)
    oab.push(`2021-03-01T01:00:00.000Z,"OABGen: generation of OAB completed. Files: ${i}"\r\n`);
  await writeParts(join(ROOT, INSTALL, "Logging/OABGeneratorLog/OABGenerator20210301-1.LOG"), oab);
  bytes = 0;
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else bytes += st.size;
    }
  };
  walk(ROOT);
  writeFileSync(marker, `${VERSION} ${JSON.stringify({ bytes, planted })}`);
  return { bytes, planted };
}

async function main(): Promise<void> {
  const bin = join(process.cwd(), "dist/cli/exhunt.js");
  if (!existsSync(bin)) throw new Error("run `npm run build` first");
  const { bytes, planted } = await corpus();
  const mb = bytes / 2 ** 20;
  const exhunt: [string, string[]] = [process.execPath, [bin, "scan", ROOT, "--brief", "--no-progress"]];
  const check = await runOnce(process.execPath, [bin, "scan", ROOT, "--json", "-", "--no-progress"]);
  const result = JSON.parse(check.stdout) as { servers: { findings: { check: string }[] }[] };
  const found = result.servers[0].findings.filter((f) => f.check === "cve-2021-26855-ssrf").length;
  if (check.status !== 1 || found !== planted) {
    throw new Error(`exhunt found ${found} of the ${planted} planted SSRF rows`);
  }
  const rows: (string | number)[][] = [["command", "median s", "MB/s", "peak RSS MiB"]];
  const fmt = (name: string, runs: { seconds: number; peakMiB: number | null }[]) => {
    const s = median(runs.map((r) => r.seconds));
    const rss = runs.map((r) => r.peakMiB).filter((x): x is number => x !== null);
    rows.push([name, s.toFixed(2), (mb / s).toFixed(0), rss.length ? Math.max(...rss).toFixed(0) : "n/a"]);
  };
  if (which("rg")) {
    const rg: [string, string[]] = [
      "rg",
      [
        "-c",
        "-F",
        "-e",
        "ServerInfo~",
        "-e",
        "Server~",
        "-e",
        "Download failed and temporary file",
        "-e",
        "VirtualDirectory",
        ROOT,
      ],
    ];
    const p = await pair(exhunt, rg, RUNS);
    const w = Math.max(1, availableParallelism() - 1);
    fmt(`exhunt scan (default: main thread + ${w} worker${w === 1 ? "" : "s"})`, p.a);
    fmt("rg -c -F (same literals)", p.b);
    const single = await pair(
      [process.execPath, [bin, "scan", ROOT, "--brief", "--no-progress", "--workers", "0"]],
      rg,
      Math.max(3, Math.floor(RUNS / 2)),
    );
    fmt("exhunt scan --workers 0", single.a);
    console.log(table(rows));
    console.log(
      `\n${mb.toFixed(0)} MB in ${readdirSync(join(ROOT, INSTALL, "Logging/HttpProxy")).length} protocol folders, ${planted} attack rows found`,
    );
    console.log(
      `exhunt / rg time ratio (median of pairs): ${p.ratio.toFixed(2)}x; single-threaded: ${single.ratio.toFixed(2)}x`,
    );
    const lane = (runs: Run[], ref: Run[], ratio: number, how: string) => {
      const s = median(runs.map((x) => x.seconds));
      const r = median(ref.map((x) => x.seconds));
      const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
      return {
        input: `${mb.toFixed(0)} MB Exchange CSV logs (HttpProxy/ECP/OAB), all checks, ${how}`,
        exhunt: { figure: mb / s, unit: "MB/s", seconds: s, peakMiB: rss.length ? Math.max(...rss) : null },
        reference: { tool: "rg -c -F (same literals)", figure: mb / r, unit: "MB/s", seconds: r },
        timeRatio: ratio,
        goal: "<= 3x rg's time",
        runs: runs.length,
      };
    };
    recordLane("logs", lane(p.a, p.b, p.ratio, "default workers"));
    recordLane("logs-1-thread", lane(single.a, single.b, single.ratio, "--workers 0"));
  } else {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce(...exhunt));
    fmt("exhunt scan", runs);
    console.log(table(rows));
    console.log("ripgrep (rg) not installed: no reference ratio");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
