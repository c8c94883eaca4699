// Builds data/baselines/exchange-web.json from CSS-Exchange baseline CSVs (`hash,build,path` lines,
// Security/src/Baselines/baseline_<build>.csv). Keeps the web-served files of
//   - FrontEnd\HttpProxy (every folder: pages, handlers, configs, scripts: .aspx .ashx .asmx .asax
//     .ascx .asp .config .svc .htm .html .js), and
//   - the roots of the back-end apps ClientAccess\owa, \ecp and \Autodiscover (files directly in
//     them: .aspx .ashx .asmx .asax .ascx .svc .config),
// lower-cases their paths and stores each SHA-256 once. Output is deterministic (builds in version
// order, paths sorted). A CSV may hold the whole upstream list or only the rows in scope
// (data/baselines/upstream holds the extracted rows); the result is the same.
//
// Usage: node scripts/compact-baselines.mjs OUT.json [--sources SOURCES.csv] baseline_<build>.csv ...
//   SOURCES.csv: `build,commit,path` lines: the CSS-Exchange commit each list was taken from,
//   recorded in the output. Prints the number of files kept per build.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const FE = /^frontend\\httpproxy\\.+\.(aspx|ashx|asmx|asax|ascx|asp|config|svc|htm|html|js)$/;
const CA = /^clientaccess\\(owa|ecp|autodiscover)\\[^\\]+\.(aspx|ashx|asmx|asax|ascx|svc|config)$/;

/** Baseline key of an upstream path (`\FrontEnd\HttpProxy\owa\auth\logon.aspx`), or null when out of scope. */
export function keyOf(path) {
  const key = path.replace(/^\\/, "").toLowerCase();
  return FE.test(key) || CA.test(key) ? key : null;
}

function byVersion(a, b) {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function readSources(file) {
  const out = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const [build, commit, path] = line.split(",");
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(build) || !/^[0-9a-f]{40}$/.test(commit ?? ""))
      throw new Error(`${file}: not a build,commit,path line: ${line}`);
    out[build] = { repository: "microsoft/CSS-Exchange", commit, path };
  }
  return out;
}

function main(argv) {
  const args = [...argv];
  const out = args.shift();
  let sources = {};
  const si = args.indexOf("--sources");
  if (si >= 0) {
    sources = readSources(args[si + 1]);
    args.splice(si, 2);
  }
  if (!out || args.length === 0) {
    console.error(
      "usage: node scripts/compact-baselines.mjs OUT.json [--sources SOURCES.csv] baseline_<build>.csv ...",
    );
    process.exit(2);
  }
  const rows = {}; // build -> key -> hash
  for (const csv of args) {
    const fromName = /baseline_(\d+\.\d+\.\d+\.\d+)\.csv$/.exec(basename(csv))?.[1];
    for (const line of readFileSync(csv, "utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      const m = /^([0-9A-Fa-f]{64}),(\d+\.\d+\.\d+\.\d+),(.+)$/.exec(line.trim());
      if (!m) throw new Error(`${csv}: not a baseline line: ${line}`);
      const [, hash, build, path] = m;
      if (fromName && build !== fromName) throw new Error(`${csv}: line of build ${build}`);
      const key = keyOf(path);
      if (key === null) continue;
      rows[build] ??= {};
      const h = hash.toLowerCase();
      if (rows[build][key] && rows[build][key] !== h) throw new Error(`${csv}: two hashes for ${key}`);
      rows[build][key] = h;
    }
  }
  const hashes = [];
  const index = new Map();
  const builds = {};
  for (const build of Object.keys(rows).sort(byVersion)) {
    builds[build] = {};
    for (const key of Object.keys(rows[build]).sort()) {
      const h = rows[build][key];
      if (!index.has(h)) {
        index.set(h, hashes.length);
        hashes.push(h);
      }
      builds[build][key] = index.get(h);
    }
  }
  const missing = Object.keys(builds).filter((b) => !sources[b]);
  const data = {
    format: 1,
    source:
      "microsoft/CSS-Exchange Security/src/Baselines/baseline_<build>.csv (SHA-256 of the files Exchange installs; MIT, Copyright (c) Microsoft Corporation)",
    scope:
      "FrontEnd\\HttpProxy: .aspx .ashx .asmx .asax .ascx .asp .config .svc .htm .html .js in every folder; ClientAccess\\owa, \\ecp, \\Autodiscover: .aspx .ashx .asmx .asax .ascx .svc .config directly in the folder; 'version' stands for the <build> folder under owa\\auth",
    generatedBy: "scripts/compact-baselines.mjs",
    sources: Object.fromEntries(Object.keys(builds).map((b) => [b, sources[b] ?? null])),
    hashes,
    builds,
  };
  writeFileSync(out, `${JSON.stringify(data)}\n`);
  for (const [build, files] of Object.entries(builds)) {
    const keys = Object.keys(files);
    const fe = keys.filter((k) => k.startsWith("frontend\\")).length;
    const commit = sources[build]?.commit.slice(0, 12) ?? "(commit not recorded)";
    console.log(
      `${build}: ${keys.length} files (FrontEnd ${fe}, ClientAccess ${keys.length - fe}) from ${commit}`,
    );
  }
  console.log(`${out}: ${Object.keys(builds).length} builds, ${hashes.length} distinct hashes`);
  if (missing.length) console.log(`no source commit for: ${missing.join(", ")}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
