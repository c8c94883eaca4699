// Benchmark: `exhunt report` on a large saved result (a fleet with many findings): JSON lines against
// jq doing the same flattening of the same file, plus the ECS and HTML outputs, with peak RSS.
// Usage: npx tsx bench/report.bench.ts [--quick] [--runs N]
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../examples/generate.js";
import { checkInfo } from "../src/detections/registry.js";
import { type Finding, type FindingDraft, toFinding } from "../src/model/finding.js";
import type { ScanResult, ServerResult } from "../src/model/types.js";
import { judgeServer } from "../src/verdict/judge.js";
import { median, pair, runOnce, table, which } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const i = process.argv.indexOf("--runs");
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;
const SERVERS = QUICK ? 10 : 20;
const PER_SERVER = QUICK ? 1000 : 2500;
const DIR = join(process.cwd(), ".bench", `report-${SERVERS}x${PER_SERVER}`);
const FILE = join(DIR, "result.json");
const CLI = join(process.cwd(), "dist/cli/exhunt.js");

const CHECKS = [
  ["cve-2021-26855-ssrf", "critical"],
  ["cve-2021-26855-probe", "medium"],
  ["cve-2021-26855-ssrf-failed", "high"],
  ["cve-2021-27065-set-vdir", "critical"],
] as const;

/** A fleet result: attack rows with realistic evidence sizes, some payloads in user agents. */
function fleet(): ScanResult {
  const r = rng(7);
  const servers: ServerResult[] = [];
  const t0 = Date.parse("2021-01-05T00:00:00Z");
  for (let s = 0; s < SERVERS; s++) {
    const name = `EXCH${String(s + 1).padStart(3, "0")}`;
    const findings: Finding[] = [];
    for (let n = 0; n < PER_SERVER; n++) {
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
      };
      findings.push(toFinding(draft, name, checkInfo(check)));
    }
    servers.push(
      judgeServer({
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
      }),
    );
  }
  return {
    schemaVersion: 2,
    tool: { name: "exhunt", version: "bench" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    servers,
  };
}

async function main(): Promise<void> {
  if (!existsSync(FILE)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(FILE, JSON.stringify(fleet()));
  }
  const mb = statSync(FILE).size / 2 ** 20;
  const n = SERVERS * PER_SERVER;
  console.log(
    `input: ${FILE} (${mb.toFixed(1)} MiB, ${SERVERS} servers, ${n} findings), ${RUNS} runs each, medians`,
  );
  const env = { NO_COLOR: "1" };
  const rows: (string | number)[][] = [["output", "seconds", "findings/s", "MiB/s in", "peak RSS MiB"]];
  const jsonl: [string, string[]] = [process.execPath, [CLI, "report", FILE, "--jsonl", "-"]];
  if (which("jq")) {
    const p = await pair(jsonl, ["jq", ["-c", ".servers[].findings[]", FILE]], RUNS);
    const sa = median(p.a.map((x) => x.seconds));
    const sb = median(p.b.map((x) => x.seconds));
    rows.push([
      "exhunt report --jsonl -",
      sa.toFixed(2),
      Math.round(n / sa),
      (mb / sa).toFixed(1),
      median(p.a.map((x) => x.peakMiB ?? 0)).toFixed(0),
    ]);
    rows.push([
      "jq -c .servers[].findings[]",
      sb.toFixed(2),
      Math.round(n / sb),
      (mb / sb).toFixed(1),
      median(p.b.map((x) => x.peakMiB ?? 0)).toFixed(0),
    ]);
    console.log(`ratio exhunt/jq (JSON lines, median of paired runs): ${p.ratio.toFixed(2)}`);
  } else console.log("jq not installed: reference run skipped");
  for (const [label, args] of [
    ["exhunt report --ecs -", ["--ecs", "-"]],
    ["exhunt report --html FILE", ["--html", join(DIR, "report.html")]],
  ] as const) {
    const runs = [];
    for (let k = 0; k < Math.max(1, Math.ceil(RUNS / 2)); k++)
      runs.push(await runOnce(process.execPath, [CLI, "report", FILE, "--brief", ...args], env));
    const sec = median(runs.map((x) => x.seconds));
    rows.push([
      label,
      sec.toFixed(2),
      Math.round(n / sec),
      (mb / sec).toFixed(1),
      median(runs.map((x) => x.peakMiB ?? 0)).toFixed(0),
    ]);
  }
  console.log(table(rows));
  if (existsSync(join(DIR, "report.html")))
    console.log(
      `HTML size: ${(statSync(join(DIR, "report.html")).size / 2 ** 20).toFixed(1)} MiB (tables capped at 2000 rows per server)`,
    );
}

await main();
