// Benchmark: the fleet store at fleet scale. Builds a store of N servers (one scan each, a few
// findings, every tenth with an acknowledgement), then times `exhunt fleet list` (whole process, JSON
// to a file), the same query through the library, and the floor: one raw SELECT of the same rows.
// Usage: npx tsx bench/fleet.bench.ts [--quick] [--servers N] [--findings N] [--runs N]
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { checkInfo } from "../src/detections/registry.js";
import { buildCoverage } from "../src/evidence/coverage.js";
import { openStore, runMeta } from "../src/fleet.js";
import { type Finding, toFinding } from "../src/model/finding.js";
import { judgeServer } from "../src/verdict/judge.js";
import { median, numArg, runOnce, table } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const SERVERS = numArg("--servers", QUICK ? 2000 : 10_000);
const FINDINGS = numArg("--findings", 5);
const RUNS = numArg("--runs", 5);
const DIR = join(process.cwd(), ".bench", `fleet-${SERVERS}x${FINDINGS}`);
const STORE = join(DIR, "fleet.db");
const CLI = join(process.cwd(), "dist/cli/exhunt.js");
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

const CHECKS = ["cve-2021-26855-ssrf-failed", "cve-2021-26855-probe", "iis-webshell-request"];
const SOURCES = ["HttpProxy/Ecp", "ECP Server", "OABGeneratorLog"];

async function build(): Promise<number> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const s = await openStore(STORE);
  const meta = runMeta("scan", { bench: true });
  const t0 = performance.now();
  for (let i = 0; i < SERVERS; i++) {
    const name = `EXCH${String(i).padStart(5, "0")}`;
    const findings: Finding[] = [];
    for (let n = 0; n < (i % 3 === 0 ? FINDINGS : 0); n++) {
      const check = CHECKS[n % CHECKS.length];
      findings.push(
        toFinding(
          {
            check,
            time: new Date(Date.parse("2021-03-01T00:00:00Z") + n * 60_000).toISOString(),
            evidence: {
              ClientIp: `203.0.113.${n % 250}`,
              UriStem: `/ecp/${n}.js`,
              UserAgent: "python-requests/2.25",
            },
            file: "Logging/HttpProxy/Ecp/HttpProxy_2021030100-1.LOG",
            line: n + 1,
          },
          name,
          checkInfo(check),
        ),
      );
    }
    const oldest = i % 4 === 0 ? "2021-02-15T00:00:00.000Z" : "2020-12-01T00:00:00.000Z";
    const coverage = buildCoverage(
      SOURCES.map((source) => ({
        source,
        kind: "log",
        files: 10,
        bytes: 1e6,
        oldest,
        newest: "2021-03-10T00:00:00.000Z",
      })),
    );
    const result = judgeServer({
      name,
      root: `/evidence/${name}`,
      findings,
      omittedFindings: {},
      coverage,
      skipped: [],
      stats: {
        files: 30,
        bytes: 3e6,
        logFiles: 30,
        logBytes: 3e6,
        records: 30_000,
        badRows: 0,
        durationMs: 0,
      },
      installPath: null,
      exposure: null,
    });
    await s.recordRun(meta, {
      server: { name, tags: [i % 2 ? "dmz" : "internal"], addresses: [`10.${i >> 8}.${i & 255}.1`] },
      result,
    });
    if (i % 30 === 0 && findings.length)
      await s.acknowledge({ fingerprint: findings[0].fingerprint, reason: "bench", by: "bench" });
  }
  const seconds = (performance.now() - t0) / 1000;
  await s.close();
  return seconds;
}

const writeSeconds = await build();
const db = new Database(STORE, { readonly: true });
const findingRows = db.prepare("SELECT count(*) FROM findings").pluck().get() as number;
const floor: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  db.prepare("SELECT * FROM servers ORDER BY name_key").all();
  floor.push(performance.now() - t);
}
db.close();
const s = await openStore(STORE);
const api: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  const rows = await s.list();
  api.push(performance.now() - t);
  if (rows.length !== SERVERS) throw new Error(`listed ${rows.length} of ${SERVERS}`);
}
const filtered: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  await s.list({ verdict: ["attempted"], staleLogs: true, tag: "dmz" });
  filtered.push(performance.now() - t);
}
await s.close();
const cli: number[] = [];
const start: number[] = [];
if (existsSync(CLI)) {
  // What any command costs before it does anything, on this machine now: the part no index can remove.
  for (let r = 0; r < RUNS; r++)
    start.push((await runOnce(process.execPath, [CLI, "--version"])).seconds * 1000);
  for (let r = 0; r < RUNS; r++) {
    const run = await runOnce(process.execPath, [
      CLI,
      "fleet",
      "list",
      "--store",
      STORE,
      "--json",
      join(DIR, "list.json"),
    ]);
    if (run.status !== 0) throw new Error(`fleet list exited ${run.status}`);
    cli.push(run.seconds * 1000);
  }
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${cpus().length} cores`,
);
console.log(
  `fleet store: ${SERVERS.toLocaleString("en-US")} servers, ${findingRows.toLocaleString("en-US")} findings, ${(statSync(STORE).size / 2 ** 20).toFixed(1)} MiB; written in ${writeSeconds.toFixed(1)} s (${Math.round(SERVERS / writeSeconds)} server results/s, one transaction each)`,
);
console.log(
  table([
    ["what", "median ms"],
    ["raw SELECT of the rows (floor)", median(floor).toFixed(1)],
    ["store.list() (library)", median(api).toFixed(1)],
    ["store.list(verdict+stale+tag)", median(filtered).toFixed(1)],
    [
      "exhunt fleet list --json FILE (whole process)",
      cli.length ? median(cli).toFixed(0) : "no dist: npm run build",
    ],
    ["exhunt --version (process start, reference)", start.length ? median(start).toFixed(0) : "-"],
  ]),
);
