// Benchmark: the Sigma engine with every Windows SigmaHQ rule loaded, over EVTX end to end (read,
// parse, match), next to the same runs without Sigma. Input: the EVTX corpus's chunks (Security,
// System, Sysmon, ...) and the SigmaHQ regression chunks (Sysmon, mostly process creation) repeated
// into one file, at two sizes (the larger shows the rule loading as the fixed start-up cost it is).
// Figures: MB/s, records/s, peak RSS; one thread each. The rules are loaded cold (an empty parsed-rule
// cache: every YAML file parsed, the cache written) and warm (the cache of the previous run).
// Lanes: sigma-rule-load, sigma-scan-cold/-warm and sigma-scan-cold-big/-warm-big (bench/results).
// Usage: npx tsx bench/sigma.bench.ts [--quick] [--mb N] [--big-mb N] [--runs N]
//   (--big-mb 0: no larger input; npm run bench builds dist first)
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { type Lane, median, numArg, type Run, recordLane, runOnce, table } from "./lib.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--quick") continue;
  if (["--mb", "--big-mb", "--runs"].includes(argv[i]) && i + 1 < argv.length) i++;
  else throw new Error(`unknown argument ${argv[i]} (usage: [--quick] [--mb N] [--big-mb N] [--runs N])`);
}
const MB = numArg("--mb", QUICK ? 30 : 60);
const BIG_MB = numArg("--big-mb", QUICK ? 120 : 500);
const RUNS = numArg("--runs", QUICK ? 1 : 3);
const VERSION = "sigma-v2";
/** Parsed-rule caches of the runs (never the user's own cache folder). */
const CACHES = resolve(".bench", "sigma-cache");
const EVTX = resolve("..", "shared", "corpus", "evtx");
const SIGMA = resolve("..", "shared", "sigma");
/** Every Windows rule: the windows folders, and the emerging-threat rules (their other products are counted, not run). */
const RULE_DIRS = [
  join(SIGMA, "rules", "windows"),
  join(SIGMA, "rules-emerging-threats"),
  join(SIGMA, "rules-threat-hunting", "windows"),
];
const CHUNK = 65536;
const HEADER = 4096;
const CLI = resolve("dist", "cli", "exhunt.js");
const DIST = resolve("dist", "index.js");
const PARSER = resolve("dist", "readers", "evtx", "index.js");

function evtxFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) evtxFiles(p, out);
    else if (e.name.endsWith(".evtx")) out.push(p);
  }
  return out.sort();
}

/** Chunks with records (chunk headers are independent after the file header). */
function chunks(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of evtxFiles(EVTX)) {
    const b = readFileSync(f);
    for (let off = HEADER; off + CHUNK <= b.length; off += CHUNK)
      if (b.toString("latin1", off, off + 8) === "ElfChnk\0") out.push(b.subarray(off, off + CHUNK));
  }
  return out;
}

/** The input of `mb` MB, alone in its folder (the folder is what `exhunt scan` reads). */
function build(mb: number): string {
  const root = resolve(".bench", `sigma-${mb}m`);
  const dir = join(root, "scan");
  const file = join(dir, "Microsoft-Windows-Sysmon%4Operational.evtx");
  const marker = join(root, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8") === VERSION) return file;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const header = readFileSync(join(EVTX, "omerbenamram", "security.evtx")).subarray(0, HEADER);
  const cs = chunks();
  process.stderr.write(`building ${mb} MB of EVTX from ${cs.length} corpus chunks in ${root} ...\n`);
  const fd = openSync(file, "w");
  writeSync(fd, header);
  for (let i = 0, n = HEADER; n < mb * 1e6; i++, n += CHUNK) writeSync(fd, cs[i % cs.length]);
  closeSync(fd);
  writeFileSync(marker, VERSION);
  return file;
}

/** A parsed-rule cache folder: emptied before every run (cold) or kept from the run before (warm). */
function cacheDir(name: string, empty: boolean): string {
  const d = join(CACHES, name);
  if (empty) rmSync(d, { recursive: true, force: true });
  return d;
}

/**
 * A child that reads the file with the built code (file "-": only loads the rules); with rules (loaded through the cache in `cache`,
 * if given), every record meets the indexed rule set.
 */
function child(file: string, withRules: boolean, cache = ""): string[] {
  const code = `import { statSync } from "node:fs";
import { readEvtxEvents } from ${JSON.stringify(PARSER)};
import { huntSigma, loadSigmaRules } from ${JSON.stringify(DIST)};
const file = process.argv[1];
const dirs = JSON.parse(process.argv[2]);
const cache = process.argv[3] || null;
let n = 0;
if (dirs.length === 0) {
  const size = statSync(file).size;
  readEvtxEvents(file, size, () => { n++; });
  const u = process.cpuUsage();
  console.log(JSON.stringify({ records: n, hits: 0, compileMs: 0, cpuMs: (u.user + u.system) / 1000 }));
} else {
  const t0 = performance.now();
  const k0 = process.cpuUsage();
  const { set } = loadSigmaRules({ sigma: dirs, sigmaBundled: false, sigmaCache: cache });
  const compileMs = performance.now() - t0;
  const k = process.cpuUsage(k0);
  const compileCpuMs = (k.user + k.system) / 1000;
  if (file === "-") {
    console.log(JSON.stringify({ compileMs, compileCpuMs, rules: set.rules.length }));
    process.exit(0);
  }
  const c0 = process.cpuUsage();
  const r = huntSigma([file], set);
  const u = process.cpuUsage(c0);
  console.log(JSON.stringify({ records: r.records, hits: r.hits.length, compileMs, compileCpuMs, rules: set.rules.length, cpuMs: (u.user + u.system) / 1000 }));
}`;
  return ["--input-type=module", "-e", code, file, JSON.stringify(withRules ? RULE_DIRS : []), cache];
}

/** The median of RUNS runs; `env` is made afresh before each (a cold run empties its cache there). */
async function best(
  cmd: string,
  args: string[],
  env: () => Record<string, string> = () => ({}),
): Promise<Run> {
  const rs: Run[] = [];
  for (let i = 0; i < RUNS; i++) rs.push(await runOnce(cmd, args, env()));
  const m = median(rs.map((r) => r.seconds));
  const r = rs.find((x) => x.seconds === m) ?? rs[0];
  // 1: findings, 3: some evidence skipped (the corpus holds damaged chunks on purpose)
  if (r.status !== 0 && r.status !== 1 && r.status !== 3)
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (${r.status})`);
  return r;
}

interface Info {
  records: number;
  hits: number;
  compileMs: number;
}

async function main(): Promise<void> {
  if (!existsSync(CLI) || !existsSync(DIST))
    throw new Error("dist/ missing: run `npm run build` (npm run bench does)");
  if (!existsSync(SIGMA)) throw new Error(`${SIGMA} missing: the SigmaHQ rules are needed`);
  const node = process.execPath;
  const rows: (string | number)[][] = [
    [
      "run (same file, 1 thread)",
      "MB",
      "seconds",
      "MB/s",
      "records/s",
      "peak RSS MiB",
      "CPU s",
      "MB/CPU-s",
      "records",
      "matches",
      "rules load s",
    ],
  ];
  const rate = (bytes: number, r: Run, records: number) => ({
    mbps: bytes / 1e6 / r.seconds,
    rps: records / r.seconds,
  });
  const add = (name: string, bytes: number, r: Run, info: Info) =>
    rows.push([
      name,
      (bytes / 1e6).toFixed(0),
      r.seconds.toFixed(2),
      rate(bytes, r, info.records).mbps.toFixed(1),
      Math.round(rate(bytes, r, info.records).rps),
      r.peakMiB === null ? "?" : r.peakMiB.toFixed(0),
      r.cpuSeconds === null ? "?" : r.cpuSeconds.toFixed(2),
      r.cpuSeconds === null ? "?" : (bytes / 1e6 / r.cpuSeconds).toFixed(1),
      info.records,
      info.hits,
      info.compileMs ? (info.compileMs / 1000).toFixed(2) : "",
    ]);
  const note = (name: string, seconds: number, bytes: number | null, records: number | null) =>
    rows.push([
      name,
      "",
      seconds.toFixed(2),
      bytes === null ? "" : (bytes / 1e6 / seconds).toFixed(1),
      records === null ? "" : Math.round(records / seconds),
      "",
      "",
      "",
      "",
      "",
      "",
    ]);
  const off = () => ({ EXHUNT_SIGMA_CACHE: "off" });
  const cold = (name: string) => () => ({ EXHUNT_SIGMA_CACHE: cacheDir(name, true) });
  const warm = (name: string) => () => ({ EXHUNT_SIGMA_CACHE: cacheDir(name, false) });
  const allRules = RULE_DIRS.flatMap((d) => ["--sigma", d]);
  const lanes: Record<string, Lane> = {};
  const goal = ">= 30 MB/s per core, all Windows SigmaHQ rules";

  const sizes = [MB, ...(BIG_MB > MB ? [BIG_MB] : [])];
  for (const [k, mb] of sizes.entries()) {
    const file = build(mb);
    const dir = join(file, "..");
    const bytes = statSync(file).size;
    const plain = await best(node, child(file, false));
    const plainInfo: Info & { cpuMs: number } = JSON.parse(plain.stdout);
    const records = plainInfo.records;
    add("parser only (no Sigma)", bytes, plain, plainInfo);
    if (k === 0) {
      // The library alone: rule loading cold and warm, then reading and matching.
      const loadCold = await best(node, child(file, true, cacheDir("load", true)));
      const coldInfo = JSON.parse(loadCold.stdout);
      add(`parser + Sigma, ${coldInfo.rules} rules, cold cache`, bytes, loadCold, coldInfo);
      const loadWarm = await best(node, child(file, true, cacheDir("load", false)));
      const warmInfo = JSON.parse(loadWarm.stdout);
      add(`parser + Sigma, ${warmInfo.rules} rules, warm cache`, bytes, loadWarm, warmInfo);
      note("  rule load, cold: CPU seconds", coldInfo.compileCpuMs / 1000, null, null);
      note("  rule load, warm: CPU seconds", warmInfo.compileCpuMs / 1000, null, null);
      note("  read + match after loading, CPU seconds", warmInfo.cpuMs / 1000, bytes, records);
      // Loading alone, cold and warm alternated (the load average moves; the ratio of neighbours less).
      const cold1: number[] = [];
      const warm1: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < Math.max(RUNS, 5); i++) {
        const c = JSON.parse((await runOnce(node, child("-", true, cacheDir("load1", true)))).stdout);
        const w = JSON.parse((await runOnce(node, child("-", true, cacheDir("load1", false)))).stdout);
        cold1.push(c.compileMs / 1000);
        warm1.push(w.compileMs / 1000);
        ratios.push(w.compileMs / c.compileMs);
      }
      note("  rule load alone, cold (median of alternated runs)", median(cold1), null, null);
      note("  rule load alone, warm (median of alternated runs)", median(warm1), null, null);
      lanes["sigma-rule-load"] = {
        input: `${warmInfo.rules} Windows SigmaHQ rules (${RULE_DIRS.length} folders), load and compile, warm parsed-rule cache`,
        exhunt: { figure: median(warm1), unit: "s", seconds: median(warm1), peakMiB: null },
        reference: {
          tool: "the same load, cold cache (YAML parsed)",
          figure: median(cold1),
          unit: "s",
          seconds: median(cold1),
        },
        timeRatio: median(ratios),
        goal: "a fixed start-up cost well under the scan",
        runs: cold1.length,
      };
    }
    const scan = [CLI, "scan", dir, "--workers", "0", "--no-progress", "--json", "/dev/null"];
    const none = await best(node, [...scan, "--no-sigma-bundled"], off);
    add("exhunt scan, no Sigma rules", bytes, none, { records, hits: 0, compileMs: 0 });
    if (k === 0) {
      const bundled = await best(node, scan, off);
      add("exhunt scan, bundled Sigma rules (default)", bytes, bundled, { records, hits: 0, compileMs: 0 });
    }
    const all = [...scan, "--no-sigma-bundled", ...allRules];
    const c = await best(node, all, cold(`scan-${mb}`));
    add("exhunt scan, all Windows SigmaHQ rules, cold cache", bytes, c, { records, hits: 0, compileMs: 0 });
    const w = await best(node, all, warm(`scan-${mb}`));
    add("exhunt scan, all Windows SigmaHQ rules, warm cache", bytes, w, { records, hits: 0, compileMs: 0 });
    const suffix = k === 0 ? "" : "-big";
    for (const [name, r, how] of [
      ["cold", c, "cold parsed-rule cache (every YAML file parsed)"],
      ["warm", w, "warm parsed-rule cache"],
    ] as const) {
      const x = rate(bytes, r, records);
      lanes[`sigma-scan-${name}${suffix}`] = {
        input: `${(bytes / 1e6).toFixed(0)} MB EVTX (${records} records), exhunt scan --workers 0, all Windows SigmaHQ rules, ${how}`,
        exhunt: {
          figure: x.mbps,
          unit: "MB/s",
          seconds: r.seconds,
          peakMiB: r.peakMiB,
          recordsPerSecond: x.rps,
          ...(r.cpuSeconds === null ? {} : { cpuSeconds: r.cpuSeconds }),
        },
        reference: {
          tool: "exhunt scan without Sigma (same run)",
          figure: bytes / 1e6 / none.seconds,
          unit: "MB/s",
          seconds: none.seconds,
          ...(none.cpuSeconds === null ? {} : { cpuSeconds: none.cpuSeconds }),
        },
        timeRatio: r.seconds / none.seconds,
        goal,
        runs: RUNS,
      };
    }
  }
  console.log(table(rows));
  console.log(
    `load average ${loadavg()[0].toFixed(1)}; median of ${RUNS} run(s) each (by wall clock); CPU s: every thread of the process (MB/CPU-s is the per-core rate); matches and load time from the child; ` +
      `scan rows' 'matches' are not counted; machine: ${(await import("node:os")).cpus().length} cores shared, expect noise`,
  );
  for (const [name, lane] of Object.entries(lanes)) recordLane(name, lane);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
