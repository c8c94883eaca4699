// Runs every test file under test/ with node:test through tsx (Node 20 has no globs in --test).
// Extra arguments are passed to node (e.g. --test-name-pattern=...). Exit code: node's.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "fixtures" && name !== "node_modules") out.push(...find(p));
    } else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = only.length ? only : find("test");
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", ...flags, ...files],
  {
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
