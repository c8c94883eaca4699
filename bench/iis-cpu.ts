// The IIS read path in one process and one thread, over the IIS bench's corpus (bench/iis-corpus.ts):
// every file read by runTask as a scan reads it (reader, literal plan, prefilters, detections), CPU
// seconds per run, and a census of the rows that reached a detection. For profiles (`node --cpu-prof
// --import tsx bench/iis-cpu.ts`) and instruction counts (`perf stat -e instructions`), which stay
// repeatable on a loaded machine where wall-clock seconds do not. Not a lane of `npm run bench`.
// Usage: npx tsx bench/iis-cpu.ts [--gb N] [--runs N] [--files N] [--no-sigma] [--census]
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHuntContext, EMPTY_SETUP } from "../src/detections/context.js";
import { runTask } from "../src/hunt/task.js";
import { corpus, LOGS } from "./iis-corpus.js";
import { median, numArg, table } from "./lib.js";

const GB = numArg("--gb", 0.25);
const RUNS = numArg("--runs", 1);
const FILES = numArg("--files", Number.POSITIVE_INFINITY);
const SIGMA = !process.argv.includes("--no-sigma");
const CENSUS = process.argv.includes("--census");

async function main(): Promise<void> {
  const { root } = await corpus(GB);
  const dir = join(root, LOGS);
  const files = readdirSync(dir)
    .sort()
    .slice(0, FILES)
    .map((f) => join(dir, f));
  const setup = SIGMA ? EMPTY_SETUP : { ...EMPTY_SETUP, sigma: { bundled: false, user: [], minLevel: null } };
  // --census: every row detection wrapped to count the rows it is handed (and the rows handed to any).
  const woken = new Map<string, number>();
  let rowsWoken = 0;
  let lastRow: unknown = null;
  const table0 = createHuntContext(setup).detections;
  const detections = CENSUS
    ? table0.map((d) =>
        d.type !== "row"
          ? d
          : {
              ...d,
              match(row: Parameters<typeof d.match>[0], ctx: Parameters<typeof d.match>[1]) {
                if (row !== lastRow) rowsWoken++;
                lastRow = row;
                woken.set(d.id, (woken.get(d.id) ?? 0) + 1);
                return d.match(row, ctx);
              },
            },
      )
    : table0;
  const hunt = createHuntContext(setup, detections);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const seconds: number[] = [];
  const findings = new Map<string, number>();
  let records = 0;
  for (let run = 0; run < RUNS; run++) {
    const t0 = process.cpuUsage();
    findings.clear();
    records = 0;
    for (const abs of files) {
      const size = statSync(abs).size;
      const r = runTask(
        {
          id: 0,
          abs,
          rel: abs.slice(root.length + 1),
          size,
          fileKind: null,
          start: 0,
          end: size,
          rangeHeaderFields: null,
          ctx: { server: "BENCH", file: abs, installPath: null },
          maxDraftsPerCheck: 5000,
        },
        hunt,
      );
      if (r.error) throw new Error(`${abs}: ${r.error}`);
      records += r.stats?.records ?? 0;
      for (const d of r.drafts) findings.set(d.check, (findings.get(d.check) ?? 0) + 1);
    }
    const u = process.cpuUsage(t0);
    seconds.push((u.user + u.system) / 1e6);
  }
  const s = median(seconds);
  console.log(
    `${files.length} files, ${(bytes / 2 ** 20).toFixed(0)} MB, ${records.toLocaleString("en")} rows, Sigma ${SIGMA ? "on" : "off"}`,
  );
  console.log(
    table([
      ["CPU s (median)", "runs", "MB/s"],
      [s.toFixed(2), seconds.length, (bytes / 2 ** 20 / s).toFixed(0)],
    ]),
  );
  console.log(
    table([
      ["check", "drafts"],
      ...[...findings].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, v]),
    ]),
  );
  if (CENSUS) {
    const pct = (n: number) => `${((100 * n) / (records * RUNS)).toFixed(2)} %`;
    console.log(`rows handed to some detection: ${rowsWoken.toLocaleString("en")} (${pct(rowsWoken)})`);
    console.log(table([["detection", "rows", "of all rows"], ...[...woken].map(([k, v]) => [k, v, pct(v)])]));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
