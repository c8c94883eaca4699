// Benchmark: the fleet store at 1M findings. Builds a store of S servers × R runs × F findings (default
// 200 × 5 × 1,000 = 1,000,000 findings, every run a full scan result), then times the commands a
// responder runs on it as whole processes (dist CLI): fleet list, fleet show, fleet diff, fleet export
// (NDJSON to a file), with their peak RSS, plus the query plans of the per-server lookups (an index or
// a full scan). The store is kept in .bench/ between runs: --rebuild makes it again.
// Usage: npx tsx bench/fleet-findings.bench.ts [--servers S] [--runs R] [--findings F] [--rebuild]
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
import { numArg, runOnce, table } from "./lib.js";

const SERVERS = numArg("--servers", 200);
const RUNS = numArg("--runs", 5);
const FINDINGS = numArg("--findings", 1000);
const DIR = join(process.cwd(), ".bench", `fleet-${SERVERS}x${RUNS}x${FINDINGS}`);
const STORE = join(DIR, "fleet.db");
const CLI = join(process.cwd(), "dist/cli/exhunt.js");
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
const CHECKS = ["cve-2021-26855-ssrf-failed", "cve-2021-26855-probe", "iis-webshell-request"];
const name = (i: number) => `EXCH${String(i).padStart(4, "0")}`;

async function build(): Promise<number> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const s = await openStore(STORE);
  const t0 = performance.now();
  for (let run = 0; run < RUNS; run++) {
    const meta = runMeta("scan", { bench: true });
    for (let i = 0; i < SERVERS; i++) {
      const findings: Finding[] = [];
      for (let n = 0; n < FINDINGS; n++) {
        // Each rescan finds most of the same requests again and some new ones (diff has work to do).
        const k = n + run * Math.floor(FINDINGS / 10);
        const check = CHECKS[k % CHECKS.length];
        findings.push(
          toFinding(
            {
              check,
              time: new Date(Date.parse("2021-03-01T00:00:00Z") + k * 60_000).toISOString(),
              evidence: {
                ClientIp: `203.0.113.${k % 250}`,
                UriStem: `/ecp/${k}.js`,
                UserAgent: "python-requests/2.25",
              },
              file: "Logging/HttpProxy/Ecp/HttpProxy_2021030100-1.LOG",
              line: k + 1,
            },
            name(i),
            checkInfo(check),
          ),
        );
      }
      const coverage = buildCoverage([
        {
          source: "HttpProxy/Ecp",
          kind: "log",
          files: 10,
          bytes: 1e6,
          oldest: "2020-12-01T00:00:00.000Z",
          newest: "2021-03-10T00:00:00.000Z",
        },
      ]);
      const result = judgeServer({
        name: name(i),
        root: `/evidence/${name(i)}`,
        findings,
        omittedFindings: {},
        coverage,
        skipped: [],
        stats: {
          files: 10,
          bytes: 1e6,
          logFiles: 10,
          logBytes: 1e6,
          records: 1e5,
          badRows: 0,
          durationMs: 0,
        },
        installPath: null,
        exposure: null,
      });
      await s.recordRun({ ...meta, key: `${meta.key}-${run}` }, { server: { name: name(i) }, result });
    }
  }
  await s.close();
  return (performance.now() - t0) / 1000;
}

const rebuild = process.argv.includes("--rebuild") || !existsSync(STORE);
const writeSeconds = rebuild ? await build() : null;
const db = new Database(STORE, { readonly: true });
const findingRows = db.prepare("SELECT count(*) FROM findings").pluck().get() as number;
// What SQLite does for the lookups show/diff/ack make (SEARCH … USING INDEX is an index; SCAN a full pass).
const plans = [
  ["runs of a server", "SELECT id, kind, at FROM runs WHERE server_id = 1 ORDER BY at DESC, id DESC"],
  ["findings of a run", "SELECT body FROM findings WHERE run_id = 1 ORDER BY seq"],
  ["servers of a fingerprint (ack)", "SELECT DISTINCT server_id FROM findings WHERE fingerprint = 'x'"],
].map(([what, sql]) => [
  what,
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; "),
]);
db.close();

const rows: (string | number)[][] = [["command (whole process)", "s", "peak MiB"]];
if (existsSync(CLI)) {
  const target = name(Math.floor(SERVERS / 2));
  for (const [what, args] of [
    ["exhunt --version (process start)", ["--version"]],
    ["fleet list --json FILE", ["fleet", "list", "--store", STORE, "--json", join(DIR, "list.json")]],
    [
      "fleet show SERVER --json FILE",
      ["fleet", "show", target, "--store", STORE, "--json", join(DIR, "show.json")],
    ],
    [
      "fleet diff SERVER --json FILE",
      ["fleet", "diff", target, "--store", STORE, "--json", join(DIR, "diff.json")],
    ],
    [
      "fleet export --json FILE (NDJSON)",
      ["fleet", "export", "--store", STORE, "--json", join(DIR, "export.ndjson")],
    ],
  ] as const) {
    const r = await runOnce(process.execPath, [CLI, ...args]);
    if (r.status !== 0) throw new Error(`${what} exited ${r.status}`);
    rows.push([what, r.seconds.toFixed(2), r.peakMiB === null ? "-" : r.peakMiB.toFixed(0)]);
  }
} else rows.push(["no dist: npm run build", "-", "-"]);

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${cpus().length} cores`,
);
console.log(
  `fleet store: ${SERVERS} servers × ${RUNS} runs, ${findingRows.toLocaleString("en-US")} findings, ${(statSync(STORE).size / 2 ** 30).toFixed(2)} GiB` +
    (writeSeconds === null ? " (kept from an earlier run)" : `; written in ${writeSeconds.toFixed(0)} s`),
);
console.log(table(rows));
console.log(table([["query", "plan"], ...plans]));
