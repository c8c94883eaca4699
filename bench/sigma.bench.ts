// Benchmark: the Sigma engine with every Windows SigmaHQ rule loaded, over EVTX end to end (read,
// parse, match), next to the same runs without Sigma. Input: the EVTX corpus's chunks (Security,
// System, Sysmon, ...) and the SigmaHQ regression chunks (Sysmon, mostly process creation) repeated
// into one file. Figures: MB/s, records/s, peak RSS; one thread each.
// Usage: npx tsx bench/sigma.bench.ts [--quick] [--mb N] [--runs N]   (npm run bench builds dist first)
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { median, numArg, type Run, runOnce, table } from "./lib.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--quick") continue;
  if (["--mb", "--runs"].includes(argv[i]) && i + 1 < argv.length) i++;
  else throw new Error(`unknown argument ${argv[i]} (usage: [--quick] [--mb N] [--runs N])`);
}
const MB = numArg("--mb", QUICK ? 30 : 100);
const RUNS = numArg("--runs", QUICK ? 1 : 3);
const VERSION = "sigma-v1";
const ROOT = resolve(".bench", `sigma-${MB}m`);
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

function build(): string {
  const big = join(ROOT, "Sysmon-and-more.evtx");
  const marker = join(ROOT, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8") === VERSION) return big;
  mkdirSync(ROOT, { recursive: true });
  const header = readFileSync(join(EVTX, "omerbenamram", "security.evtx")).subarray(0, HEADER);
  const cs = chunks();
  process.stderr.write(`building ${MB} MB of EVTX from ${cs.length} corpus chunks in ${ROOT} ...\n`);
  const fd = openSync(big, "w");
  writeSync(fd, header);
  for (let i = 0, n = HEADER; n < MB * 1e6; i++, n += CHUNK) writeSync(fd, cs[i % cs.length]);
  closeSync(fd);
  writeFileSync(marker, VERSION);
  return big;
}

/** A child that reads the file with the built code; with rules, every record meets the indexed rule set. */
function child(file: string, withRules: boolean): string[] {
  const code = `import { statSync } from "node:fs";
import { readEvtxEvents } from ${JSON.stringify(PARSER)};
import { huntSigma, loadSigmaRules } from ${JSON.stringify(DIST)};
const file = process.argv[1];
const dirs = JSON.parse(process.argv[2]);
let n = 0;
if (dirs.length === 0) {
  const size = statSync(file).size;
  readEvtxEvents(file, size, () => { n++; });
  const u = process.cpuUsage();
  console.log(JSON.stringify({ records: n, hits: 0, compileMs: 0, cpuMs: (u.user + u.system) / 1000 }));
} else {
  const t0 = performance.now();
  const k0 = process.cpuUsage();
  const { set } = loadSigmaRules({ sigma: dirs, sigmaBundled: false });
  const compileMs = performance.now() - t0;
  const k = process.cpuUsage(k0);
  const compileCpuMs = (k.user + k.system) / 1000;
  const c0 = process.cpuUsage();
  const r = huntSigma([file], set);
  const u = process.cpuUsage(c0);
  console.log(JSON.stringify({ records: r.records, hits: r.hits.length, compileMs, compileCpuMs, rules: set.rules.length, cpuMs: (u.user + u.system) / 1000 }));
}`;
  return ["--input-type=module", "-e", code, file, JSON.stringify(withRules ? RULE_DIRS : [])];
}

async function best(cmd: string, args: string[]): Promise<Run> {
  const rs: Run[] = [];
  for (let i = 0; i < RUNS; i++) rs.push(await runOnce(cmd, args));
  const m = median(rs.map((r) => r.seconds));
  const r = rs.find((x) => x.seconds === m) ?? rs[0];
  // 1: findings, 3: some evidence skipped (the corpus holds damaged chunks on purpose)
  if (r.status !== 0 && r.status !== 1 && r.status !== 3)
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (${r.status})`);
  return r;
}

async function main(): Promise<void> {
  if (!existsSync(CLI) || !existsSync(DIST))
    throw new Error("dist/ missing: run `npm run build` (npm run bench does)");
  if (!existsSync(SIGMA)) throw new Error(`${SIGMA} missing: the SigmaHQ rules are needed`);
  const big = build();
  const bytes = statSync(big).size;
  const node = process.execPath;
  const rows: (string | number)[][] = [
    [
      "run (same file, 1 thread)",
      "seconds",
      "MB/s",
      "records/s",
      "peak RSS MiB",
      "records",
      "matches",
      "rules compile s",
    ],
  ];
  const add = (name: string, r: Run, info: { records: number; hits: number; compileMs: number }) =>
    rows.push([
      name,
      r.seconds.toFixed(2),
      (bytes / 1e6 / r.seconds).toFixed(1),
      Math.round(info.records / r.seconds),
      r.peakMiB === null ? "?" : r.peakMiB.toFixed(0),
      info.records,
      info.hits,
      (info.compileMs / 1000).toFixed(2),
    ]);
  const plain = await best(node, child(big, false));
  const plainInfo = JSON.parse(plain.stdout);
  add("parser only (no Sigma)", plain, plainInfo);
  const withRules = await best(node, child(big, true));
  const info = JSON.parse(withRules.stdout);
  add(`parser + Sigma, ${info.rules} rules`, withRules, info);
  const matchOnly = withRules.seconds - info.compileMs / 1000;
  const cpu = (name: string, ms: number, records: number) =>
    rows.push([
      name,
      (ms / 1000).toFixed(2),
      (bytes / 1e6 / (ms / 1000)).toFixed(1),
      Math.round(records / (ms / 1000)),
      "",
      "",
      "",
      "",
    ]);
  cpu("  parser only, CPU seconds (per core)", plainInfo.cpuMs, plainInfo.records);
  cpu("  read + match after compiling, CPU seconds (per core)", info.cpuMs, info.records);
  rows.push([
    "  compiling the rules, CPU seconds",
    (info.compileCpuMs / 1000).toFixed(2),
    "",
    "",
    "",
    "",
    "",
    "",
  ]);
  rows.push([
    "  the same without rule compilation, wall",
    matchOnly.toFixed(2),
    (bytes / 1e6 / matchOnly).toFixed(1),
    Math.round(info.records / matchOnly),
    "",
    "",
    "",
    "",
  ]);
  const dir = join(ROOT, "scan");
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, "Microsoft-Windows-Sysmon%4Operational.evtx");
  if (!existsSync(copy)) writeFileSync(copy, readFileSync(big));
  const scanArgs = [CLI, "scan", dir, "--workers", "0", "--no-progress", "--json", "/dev/null"];
  const none = await best(node, [...scanArgs, "--no-sigma-bundled"]);
  add("exhunt scan, no Sigma rules", none, { records: plainInfo.records, hits: 0, compileMs: 0 });
  const bundled = await best(node, scanArgs);
  add("exhunt scan, bundled Sigma rules (default)", bundled, {
    records: plainInfo.records,
    hits: 0,
    compileMs: 0,
  });
  const all = await best(node, [
    ...scanArgs,
    "--no-sigma-bundled",
    ...RULE_DIRS.flatMap((d) => ["--sigma", d]),
  ]);
  add(`exhunt scan, --sigma all Windows SigmaHQ rules`, all, {
    records: plainInfo.records,
    hits: 0,
    compileMs: 0,
  });
  console.log(table(rows));
  console.log(
    `load average ${(await import("node:os")).loadavg()[0].toFixed(1)}; input ${(bytes / 1e6).toFixed(1)} MB; median of ${RUNS} run(s) each; matches and compile time from the child; ` +
      `scan rows' 'matches' are not counted; machine: ${(await import("node:os")).cpus().length} cores shared, expect noise`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
