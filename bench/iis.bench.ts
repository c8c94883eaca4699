// Benchmark: the IIS hunt over >= 1 GB of W3C logs (daily files of a busy front end, benign traffic with
// look-alikes) with a few planted attack rows, against ripgrep counting the same literals (the literal
// plan exhunt builds for IIS rows) in the same files, in the same run.
// Usage: npx tsx bench/iis.bench.ts [--gb N] [--runs N] [--quick]
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createHuntContext, EMPTY_SETUP } from "../src/detections/context.js";
import { planFor } from "../src/hunt/task.js";
import { corpus, LOGS } from "./iis-corpus.js";
import { median, numArg, pair, type Run, recordLane, runOnce, table, which } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const GB = numArg("--gb", QUICK ? 0.25 : 1);
const RUNS = numArg("--runs", QUICK ? 3 : 5);

interface Json {
  servers: { findings: { check: string }[]; stats: { records: number } }[];
}

async function main(): Promise<void> {
  const bin = join(process.cwd(), "dist/cli/exhunt.js");
  if (!existsSync(bin)) throw new Error("run `npm run build` first");
  const { root: ROOT, bytes, planted, rows } = await corpus(GB);
  const mb = bytes / 2 ** 20;
  const check = await runOnce(process.execPath, [bin, "scan", ROOT, "--json", "-", "--no-progress"]);
  const result = JSON.parse(check.stdout) as Json;
  const found = result.servers[0].findings.filter(
    (f) => f.check.startsWith("iis-") && !f.check.endsWith("user-agent"),
  );
  if (check.status !== 1 || found.length !== planted) {
    throw new Error(`exhunt found ${found.length} IIS findings, ${planted} rows were planted`);
  }
  const records = result.servers[0].stats.records;
  const exhunt: [string, string[]] = [process.execPath, [bin, "scan", ROOT, "--brief", "--no-progress"]];
  // The reference is ripgrep finding the literals of exhunt's own IIS checks and the IOC feed. Sigma's
  // gate literals are left out: with them (63 literals) rg takes about 3.4x as long, which would flatter
  // the ratio; without them the reference is the same search as before Sigma's rules were gated.
  const ownSetup = { ...EMPTY_SETUP, sigma: { bundled: false, user: [], minLevel: null } };
  const literals = planFor("iis-w3c", createHuntContext(ownSetup)).literals.map((l) =>
    l.bytes.toString("latin1"),
  );
  const rowsOut: (string | number)[][] = [["command", "median s", "MB/s", "records/s", "peak RSS MiB"]];
  const fmt = (name: string, runs: { seconds: number; peakMiB: number | null }[], recs: boolean) => {
    const s = median(runs.map((x) => x.seconds));
    const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
    rowsOut.push([
      name,
      s.toFixed(2),
      (mb / s).toFixed(0),
      recs ? Math.round(records / s).toLocaleString("en") : "-",
      rss.length ? Math.max(...rss).toFixed(0) : "n/a",
    ]);
  };
  console.log(
    `${mb.toFixed(0)} MB, ${rows.toLocaleString("en")} rows in ${readdirSync(join(ROOT, LOGS)).length} daily files; ${planted} attack rows planted and found`,
  );
  if (which("rg")) {
    const rg: [string, string[]] = ["rg", ["-c", "-F", ...literals.flatMap((l) => ["-e", l]), ROOT]];
    const p = await pair(exhunt, rg, RUNS);
    fmt("exhunt scan (default workers)", p.a, true);
    fmt(`rg -c -F (${literals.length} literals)`, p.b, false);
    const single = await pair(
      [process.execPath, [bin, "scan", ROOT, "--brief", "--no-progress", "--workers", "0"]],
      rg,
      Math.max(2, Math.floor(RUNS / 2)),
    );
    fmt("exhunt scan --workers 0", single.a, true);
    console.log(table(rowsOut));
    console.log(
      `exhunt / rg time ratio (median of pairs): ${p.ratio.toFixed(2)}x; single-threaded: ${single.ratio.toFixed(2)}x`,
    );
    const lane = (runs: Run[], ref: Run[], ratio: number, how: string) => {
      const s = median(runs.map((x) => x.seconds));
      const r = median(ref.map((x) => x.seconds));
      const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
      return {
        input: `${mb.toFixed(0)} MB IIS W3C logs, all checks, ${how}`,
        exhunt: { figure: mb / s, unit: "MB/s", seconds: s, peakMiB: rss.length ? Math.max(...rss) : null },
        reference: {
          tool: `rg -c -F (${literals.length} literals)`,
          figure: mb / r,
          unit: "MB/s",
          seconds: r,
        },
        timeRatio: ratio,
        goal: "<= 4x rg's time",
        runs: runs.length,
      };
    };
    recordLane("iis", lane(p.a, p.b, p.ratio, "default workers"));
    recordLane("iis-1-thread", lane(single.a, single.b, single.ratio, "--workers 0"));
  } else {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce(...exhunt));
    fmt("exhunt scan", runs, true);
    console.log(table(rowsOut));
    console.log("ripgrep (rg) not installed: no reference ratio");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
