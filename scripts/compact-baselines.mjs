// Builds data/baselines/exchange-web.json from CSS-Exchange baseline CSVs (`hash,build,path` lines,
// Security/src/Baselines/baseline_<build>.csv): keeps the files of the front-end web folders that IIS
// serves or runs (pages, handlers, configs, scripts), lower-cases their paths, and stores each SHA-256
// once. Usage: node scripts/compact-baselines.mjs OUT.json CSV... (a CSV may hold part of a build).
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const KEEP = /\.(aspx|ashx|asmx|asax|ascx|asp|config|svc|htm|html|js)$/i;
const WEB = /^\\?frontend\\httpproxy\\/i;

const [out, ...csvs] = process.argv.slice(2);
if (!out || csvs.length === 0) {
  console.error("usage: node scripts/compact-baselines.mjs OUT.json baseline_<build>.csv ...");
  process.exit(2);
}
const hashes = [];
const index = new Map();
const builds = {};
for (const csv of csvs) {
  const fromName = /baseline_(\d+\.\d+\.\d+\.\d+)\.csv$/.exec(basename(csv))?.[1];
  for (const line of readFileSync(csv, "utf8").split(/\r?\n/)) {
    if (!line.trim()) continue;
    const m = /^([0-9A-Fa-f]{64}),(\d+\.\d+\.\d+\.\d+),(.+)$/.exec(line.trim());
    if (!m) throw new Error(`${csv}: not a baseline line: ${line}`);
    const [, hash, build, path] = m;
    if (fromName && build !== fromName) throw new Error(`${csv}: line of build ${build}`);
    if (!WEB.test(path) || !KEEP.test(path)) continue;
    const key = path.replace(/^\\/, "").toLowerCase();
    const h = hash.toLowerCase();
    if (!index.has(h)) {
      index.set(h, hashes.length);
      hashes.push(h);
    }
    builds[build] ??= {};
    builds[build][key] = index.get(h);
  }
}
const data = {
  format: 1,
  source:
    "microsoft/CSS-Exchange Security/src/Baselines/baseline_<build>.csv (SHA-256 of the files Exchange installs; MIT, Copyright (c) Microsoft Corporation)",
  scope:
    "FrontEnd\\HttpProxy: pages, handlers, configs and scripts (.aspx .ashx .asmx .asax .ascx .config .svc .htm .js); 'version' stands for the <build> folder under owa\\auth",
  hashes,
  builds: Object.fromEntries(Object.entries(builds).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(out, `${JSON.stringify(data)}\n`);
console.log(`${out}: ${Object.keys(builds).length} builds, ${hashes.length} distinct hashes`);
