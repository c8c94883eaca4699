// Benchmark: many small files — 10,000 hourly IIS W3C logs of a few KiB in one tree (a quiet server's
// whole history), against ripgrep counting the IIS literal plan over the same tree, and against exhunt
// on the very same rows in one file (the goal: >= 80 % of the one-big-file rate), same run.
// Usage: npx tsx bench/small-files.bench.ts [--files N] [--rows N] [--runs N] [--quick]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPROMISED, rng } from "../examples/generate.js";
import { benignIisRequest, iisHeader, iisLine, type Req } from "../examples/iis.js";
import { createHuntContext } from "../src/detections/context.js";
import { planFor } from "../src/hunt/task.js";
import { median, numArg, pair, type Run, recordLane, runOnce, table, which } from "./lib.js";

const QUICK = process.argv.includes("--quick");
const FILES = numArg("--files", 10_000);
/** Rows per hourly file: ~12 rows of ~330 bytes = a few KiB. */
const ROWS = numArg("--rows", 12);
const RUNS = numArg("--runs", QUICK ? 3 : 5);
const VERSION = "small-v1";
const BASE = join(process.cwd(), ".bench", `small-${FILES}x${ROWS}`);
const MANY = join(BASE, "many");
const ONE = join(BASE, "one");
const LOGS = "C/inetpub/logs/LogFiles/W3SVC1";
/** One planted attack row every this many files (each yields exactly one IIS finding). */
const PLANT_EVERY = 997;

const plant = (t: Date): Req => ({
  t,
  method: "POST",
  stem: "/ecp/y.js",
  ip: "203.0.113.77",
  ua: "Mozilla/5.0",
  status: 241,
});

function corpus(): { bytes: number; planted: number } {
  const marker = join(BASE, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8").startsWith(VERSION))
    return JSON.parse(readFileSync(marker, "utf8").slice(VERSION.length + 1));
  rmSync(BASE, { recursive: true, force: true });
  mkdirSync(join(MANY, LOGS), { recursive: true });
  mkdirSync(join(ONE, LOGS), { recursive: true });
  process.stderr.write(`generating ${FILES} small IIS logs in ${MANY} ...\n`);
  const r = rng(11);
  const t0 = Date.parse("2021-01-01T00:00:00Z");
  const all: string[] = [iisHeader(new Date(t0))];
  let bytes = 0;
  let planted = 0;
  for (let f = 0; f < FILES; f++) {
    const hour = new Date(t0 + f * 3_600_000);
    const rows: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      const t = new Date(hour.getTime() + Math.floor((i / ROWS) * 3_600_000));
      const req = f % PLANT_EVERY === 0 && i === 0 ? plant(t) : benignIisRequest(r, COMPROMISED, t);
      if (f % PLANT_EVERY === 0 && i === 0) planted++;
      rows.push(`${iisLine(req, "10.20.0.10", false, "")}\r\n`);
    }
    const text = iisHeader(hour) + rows.join("");
    const stamp = hour.toISOString().slice(2, 13).replace(/\D/g, "");
    writeFileSync(join(MANY, LOGS, `u_ex${stamp}.log`), text);
    bytes += Buffer.byteLength(text);
    all.push(...rows);
  }
  writeFileSync(join(ONE, LOGS, "u_ex210101.log"), all.join(""));
  const facts = { bytes, planted };
  writeFileSync(marker, `${VERSION} ${JSON.stringify(facts)}`);
  return facts;
}

interface Json {
  servers: { findings: { check: string }[]; stats: { files: number; records: number } }[];
}

async function main(): Promise<void> {
  const bin = join(process.cwd(), "dist/cli/exhunt.js");
  if (!existsSync(bin)) throw new Error("run `npm run build` first");
  const { bytes, planted } = corpus();
  const mb = bytes / 2 ** 20;
  // Both trees must give the same IIS findings: the planted rows, no more.
  for (const root of [MANY, ONE]) {
    const out = join(BASE, "check.json");
    await runOnce(process.execPath, [bin, "scan", root, "--json", out, "--no-progress"]);
    const found = (JSON.parse(readFileSync(out, "utf8")) as Json).servers[0].findings.filter(
      (f) => f.check.startsWith("iis-") && !f.check.endsWith("user-agent"),
    );
    if (found.length !== planted)
      throw new Error(`${root}: exhunt found ${found.length} IIS findings, ${planted} rows were planted`);
  }
  const scan = (root: string): [string, string[]] => [
    process.execPath,
    [bin, "scan", root, "--brief", "--no-progress"],
  ];
  const rows: (string | number)[][] = [["command", "median s", "MB/s", "files/s", "peak RSS MiB"]];
  const fmt = (name: string, runs: Run[], files: number) => {
    const s = median(runs.map((x) => x.seconds));
    const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
    rows.push([
      name,
      s.toFixed(2),
      (mb / s).toFixed(1),
      Math.round(files / s),
      rss.length ? Math.max(...rss).toFixed(0) : "n/a",
    ]);
  };
  const vsOne = await pair(scan(MANY), scan(ONE), RUNS);
  fmt(`exhunt scan, ${FILES} files`, vsOne.a, FILES);
  fmt("exhunt scan, the same rows in 1 file", vsOne.b, 1);
  const lane = (runs: Run[], ref: Run[], ratio: number, tool: string, goal: string) => {
    const s = median(runs.map((x) => x.seconds));
    const r = median(ref.map((x) => x.seconds));
    const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
    return {
      input: `${FILES} IIS W3C logs of ${(bytes / FILES / 1024).toFixed(1)} KiB (${mb.toFixed(0)} MB) in one tree, all checks`,
      exhunt: { figure: mb / s, unit: "MB/s", seconds: s, peakMiB: rss.length ? Math.max(...rss) : null },
      reference: { tool, figure: mb / r, unit: "MB/s", seconds: r },
      timeRatio: ratio,
      goal,
      runs: runs.length,
    };
  };
  const vsOneLane = lane(
    vsOne.a,
    vsOne.b,
    vsOne.ratio,
    "exhunt scan, same rows in one file",
    "<= 1.25x (>= 80 % of the one-file rate)",
  );
  recordLane("small-files-vs-one-file", vsOneLane);
  let rgNote = "ripgrep (rg) not installed: no reference ratio";
  if (which("rg")) {
    const literals = planFor("iis-w3c", createHuntContext()).literals.map((l) => l.bytes.toString("latin1"));
    const rgOn = (root: string): [string, string[]] => [
      "rg",
      ["-c", "-F", ...literals.flatMap((l) => ["-e", l]), root],
    ];
    const rg = rgOn(MANY);
    // What many files cost ripgrep itself on this machine (open, read, close per file): the same
    // literals over the same rows, many files against one, same run.
    const rgOne = await pair(rg, rgOn(ONE), RUNS);
    fmt(`rg -c -F (${literals.length} literals), the same rows in 1 file`, rgOne.b, 1);
    // Microseconds more per file in the many-files run than in the one-file run (medians).
    const perFile = (p: { a: Run[]; b: Run[] }) =>
      ((median(p.a.map((x) => x.seconds)) - median(p.b.map((x) => x.seconds))) * 1e6) / FILES;
    const limit = `rg itself takes ${rgOne.ratio.toFixed(1)}x its one-file time on the ${FILES} files (${perFile(rgOne).toFixed(0)} µs more per file; exhunt ${perFile(vsOne).toFixed(0)} µs), same run`;
    recordLane("small-files-vs-one-file", { ...vsOneLane, limit });
    console.log(limit);
    const p = await pair(scan(MANY), rg, RUNS);
    fmt(`rg -c -F (${literals.length} literals), ${FILES} files`, p.b, FILES);
    rgNote = `exhunt / rg time ratio on ${FILES} files (median of pairs): ${p.ratio.toFixed(2)}x`;
    recordLane(
      "small-files",
      lane(p.a, p.b, p.ratio, `rg -c -F (${literals.length} literals)`, "<= 4x rg's time (as the IIS lane)"),
    );
  }
  console.log(`${FILES} files x ${ROWS} rows, ${mb.toFixed(1)} MB; ${planted} attack rows planted and found`);
  console.log(table(rows));
  console.log(
    `many files / one file time ratio (median of pairs): ${vsOne.ratio.toFixed(2)}x = ${((1 / vsOne.ratio) * 100).toFixed(0)} % of the one-file rate`,
  );
  console.log(rgNote);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
