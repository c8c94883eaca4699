// Benchmark: rendering and timeline time against the number of findings (10k / 50k / 200k), with peak
// RSS. Results are built like a scan builds them (toFinding + judgeServer, so plan and timeline are
// computed as at scan time) and written through the streaming JSON writer; `exhunt report FILE` then
// renders each output in its own process, and jq flattening the same file is the reference.
// Usage: npx tsx bench/report.bench.ts [--quick] [--runs N] [--sizes 10000,50000,200000]
// (run `npm run build` first, or use `npm run bench -- report`: the CLI runs from dist/).
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../examples/generate.js";
import { checkInfo } from "../src/detections/registry.js";
import { type Finding, type FindingDraft, toFinding } from "../src/model/finding.js";
import type { ServerResult } from "../src/model/types.js";
import { jsonWriter } from "../src/outputs/json.js";
import { writeRun } from "../src/outputs/outputs.js";
import { judgeServer } from "../src/verdict/judge.js";
import { serverTimeline } from "../src/verdict/timeline.js";
import { median, type Run, recordLane, runOnce, table, which } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const argAt = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(argAt("--runs") ?? (QUICK ? 1 : 3));
const SIZES = (argAt("--sizes") ?? "10000,50000,200000").split(",").map(Number);
/** The lane of `npm run bench`: the HTML report of this many findings, against jq over the same JSON. */
const LANE_FINDINGS = 50_000;
/** Findings per server: a fleet of 10k-finding servers (the scan's default cap is 5000 per check). */
const PER_SERVER = 10_000;
const CLI = join(process.cwd(), "dist/cli/exhunt.js");

const CHECKS = [
  ["cve-2021-26855-ssrf", "critical"],
  ["cve-2021-26855-probe", "medium"],
  ["cve-2021-26855-ssrf-failed", "high"],
  ["cve-2021-27065-set-vdir", "critical"],
] as const;

/** One server's findings: attack rows with realistic evidence sizes, some payloads in user agents. */
function findingsOf(name: string, count: number, seed: number): Finding[] {
  const r = rng(seed);
  const t0 = Date.parse("2021-01-05T00:00:00Z");
  const findings: Finding[] = [];
  for (let n = 0; n < count; n++) {
    const [check, severity] = CHECKS[Math.floor(r() * CHECKS.length)];
    const time = new Date(t0 + Math.floor(r() * 60 * 86400_000)).toISOString();
    const ip = `203.0.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
    const draft: FindingDraft = {
      check,
      severity,
      title: `${check} finding`,
      file: `C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_${time.slice(0, 13).replace(/\D/g, "")}-1.LOG`,
      line: 1 + n,
      time,
      evidence: {
        DateTime: time,
        RequestId: `${Math.floor(r() * 1e9).toString(16)}-4b2e-8771-f8c4f6e50316`,
        ClientIpAddress: ip,
        UrlStem: "/ecp/y.js",
        Method: "POST",
        HttpStatus: r() < 0.5 ? "200" : "500",
        UserAgent: r() < 0.1 ? "<script>alert(1)</script>" : "python-requests/2.25.1",
        AnchorMailbox: `ServerInfo~a]@${name}.contoso.local:444/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=${Math.floor(r() * 1e12)}#`,
      },
      subject: {
        kind: "http-request",
        method: "POST",
        uri: "/ecp/y.js",
        query: null,
        status: 200,
        clientIp: ip,
        serverIp: null,
        userAgent: "python-requests/2.25.1",
        user: null,
        requestId: null,
        target: null,
      },
    };
    findings.push(toFinding(draft, name, checkInfo(check)));
  }
  return findings;
}

function judged(name: string, findings: Finding[]): ServerResult {
  return judgeServer({
    name,
    root: `/evidence/${name}`,
    coverage: {
      sources: [],
      missing: [],
      window: { exploitationFrom: "2021-01-03T00:00:00.000Z", patchedOn: "2021-03-02T00:00:00.000Z" },
      coversWindow: true,
      notes: [],
    },
    findings,
    omittedFindings: {},
    skipped: [],
    stats: { files: 0, bytes: 0, logFiles: 0, logBytes: 0, records: 0, badRows: 0, durationMs: 0 },
    installPath: null,
    exposure: null,
  });
}

/** The fleet, one server at a time (never held whole, as scanServers yields it). */
function* fleet(total: number): Generator<ServerResult> {
  for (let s = 0; s * PER_SERVER < total; s++) {
    const name = `EXCH${String(s + 1).padStart(3, "0")}`;
    yield judged(name, findingsOf(name, Math.min(PER_SERVER, total - s * PER_SERVER), 7 + s));
  }
}

async function resultFile(total: number): Promise<string> {
  const dir = join(process.cwd(), ".bench", "report");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `result-${total}.json`);
  if (!existsSync(file)) {
    const meta = {
      tool: { name: "exhunt", version: "bench" },
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:00:01.000Z",
      live: false,
    };
    await writeRun([jsonWriter(`${file}.tmp`)], meta, fleet(total));
    renameSync(`${file}.tmp`, file);
  }
  return file;
}

/** serverTimeline on one server of `n` findings, in this process (the quadratic bug was per server). */
function timelineSeconds(n: number): number {
  const fs = findingsOf("EXCH001", n, 7);
  const t0 = process.hrtime.bigint();
  serverTimeline({ name: "EXCH001", findings: fs });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build first`);
  console.log(`${RUNS} run(s) each, medians; ${PER_SERVER} findings per server; peak RSS from /proc VmHWM`);
  const tl: (string | number)[][] = [["findings in one server", "timeline s", "µs/finding"]];
  for (const n of SIZES) {
    const s = median(Array.from({ length: RUNS }, () => timelineSeconds(n)));
    tl.push([n, s.toFixed(2), ((s / n) * 1e6).toFixed(1)]);
  }
  console.log(table(tl));
  const outputs: [string, (dir: string) => string[]][] = [
    ["--jsonl -", () => ["--jsonl", "-"]],
    ["--ecs -", () => ["--ecs", "-"]],
    ["--html FILE", (d) => ["--html", join(d, "report.html")]],
    ["--csv DIR", (d) => ["--csv", join(d, "csv")]],
    ["console", () => []],
  ];
  const rows: (string | number)[][] = [
    ["findings", "MiB in", "output", "seconds", "µs/finding", "peak RSS MiB"],
  ];
  for (const n of SIZES) {
    const file = await resultFile(n);
    const dir = join(process.cwd(), ".bench", "report", `out-${n}`);
    mkdirSync(dir, { recursive: true });
    const mb = statSync(file).size / 2 ** 20;
    const measured = new Map<string, Run[]>();
    const measure = async (label: string, cmd: string, args: string[]) => {
      const runs: Run[] = [];
      for (let k = 0; k < RUNS; k++) runs.push(await runOnce(cmd, args, { NO_COLOR: "1" }));
      if (runs.some((r) => r.status !== 0 && r.status !== 1))
        throw new Error(`${label}: exit ${runs[0].status}`);
      const sec = median(runs.map((x) => x.seconds));
      rows.push([
        n,
        mb.toFixed(0),
        label,
        sec.toFixed(2),
        ((sec / n) * 1e6).toFixed(1),
        median(runs.map((x) => x.peakMiB ?? 0)).toFixed(0),
      ]);
      measured.set(label, runs);
    };
    for (const [label, args] of outputs)
      await measure(`exhunt report ${label}`, process.execPath, [
        CLI,
        "report",
        file,
        "--brief",
        ...args(dir),
      ]);
    if (which("jq"))
      await measure("jq -c .servers[].findings[]", "jq", ["-c", ".servers[].findings[]", file]);
    const html = measured.get("exhunt report --html FILE");
    const jq = measured.get("jq -c .servers[].findings[]");
    if (n === LANE_FINDINGS && html) {
      const s = median(html.map((x) => x.seconds));
      const rss = html.map((x) => x.peakMiB).filter((x): x is number => x !== null);
      const r = jq ? median(jq.map((x) => x.seconds)) : null;
      recordLane("report-html", {
        input: `${n} findings (${mb.toFixed(0)} MiB JSON) to one HTML report`,
        exhunt: {
          figure: n / s,
          unit: "findings/s",
          seconds: s,
          peakMiB: rss.length ? Math.max(...rss) : null,
        },
        reference:
          jq && r !== null
            ? {
                tool: "jq -c .servers[].findings[] (same JSON)",
                figure: n / r,
                unit: "findings/s",
                seconds: r,
              }
            : null,
        timeRatio: r === null ? null : s / r,
        goal: "<= 256 MiB peak, time linear in findings",
        runs: html.length,
      });
    }
    if (existsSync(join(dir, "report.html")))
      console.log(
        `${n} findings: HTML ${(statSync(join(dir, "report.html")).size / 2 ** 20).toFixed(1)} MiB`,
      );
  }
  if (!which("jq")) console.log("jq not installed: reference runs skipped");
  console.log(table(rows));
}

await main();
