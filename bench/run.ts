// `npm run bench [-- [NAME...] [--quick]]`: builds, then runs every bench/*.bench.ts (or those whose file
// name contains a NAME, keeping the other lanes of latest.json) in turn as its own process; --quick
// (smaller inputs) goes to every bench. Other flags differ per bench: run that bench directly (npx tsx bench/X.bench.ts --help lists them in its header).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { lanesTable, readResults } from "./lanes.js";
import { RESULTS } from "./lib.js";

const args = process.argv.slice(2);
const flags: string[] = [];
const only: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (!args[i].startsWith("--")) only.push(args[i]);
  else if (args[i] === "--quick") flags.push(args[i]);
  else {
    console.error(`unknown flag ${args[i]}: only --quick is passed to every bench`);
    process.exit(2);
  }
}
const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
// A whole run starts a fresh results file; a run of some benches (NAME given) replaces only their lanes and
// keeps the others with the date they were measured. Either way the last file stays as previous.json.
const PREVIOUS = "bench/results/previous.json";
mkdirSync("bench/results", { recursive: true });
if (existsSync(RESULTS)) (only.length ? copyFileSync : renameSync)(RESULTS, PREVIOUS);
let failed = 0;
for (const f of readdirSync("bench")
  .filter((n) => n.endsWith(".bench.ts"))
  .sort()) {
  if (only.length && !only.some((o) => f.includes(o))) continue;
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join("bench", f), ...flags], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed++;
}
const now = readResults(RESULTS);
if (now) {
  console.log(`\n=== lanes (${RESULTS}; scripts/bench-readme.ts writes them into README.md) ===`);
  console.log(lanesTable(now, readResults(PREVIOUS)));
}
process.exit(failed ? 1 : 0);
