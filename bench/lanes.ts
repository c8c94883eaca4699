// The lanes table of `npm run bench`, from bench/results/latest.json (and previous.json to compare):
// printed by bench/run.ts and written into README.md by scripts/bench-readme.ts.
import { existsSync, readFileSync } from "node:fs";
import type { Lane } from "./lib.js";

export interface Results {
  date: string;
  loadAverage?: number;
  lanes: Record<string, Lane>;
}

export function readResults(path: string): Results | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Results;
  } catch {
    return null;
  }
}

const fig = (x: number, unit: string) => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${unit}`;

/** A Markdown table: one row per lane, the reference tool of the same run, the ratio and the goal. */
export function lanesTable(now: Results, before: Results | null = null): string {
  const head = ["lane", "input", "exhunt", "peak RSS", "reference (same run)", "time ratio", "goal"];
  if (before) head.push("previous ratio");
  const rows = [head, head.map(() => "---")];
  for (const [name, l] of Object.entries(now.lanes).sort(([a], [b]) => a.localeCompare(b))) {
    const r = [
      `\`${name}\``,
      // A lane recorded at another time than the file's last write says when, and how loaded the machine was.
      l.measured && l.measured.date.slice(0, 16) !== now.date.slice(0, 16)
        ? `${l.input} (measured ${l.measured.date.slice(0, 16).replace("T", " ")} UTC, load ${l.measured.loadAverage.toFixed(1)})`
        : l.input,
      fig(l.exhunt.figure, l.exhunt.unit),
      l.exhunt.peakMiB === null ? "?" : `${l.exhunt.peakMiB.toFixed(0)} MiB`,
      l.reference ? `${l.reference.tool}: ${fig(l.reference.figure, l.reference.unit)}` : "not installed",
      l.timeRatio === null ? "" : `${l.timeRatio.toFixed(2)}×`,
      l.limit ? `${l.goal}; ${l.limit}` : l.goal,
    ];
    if (before) {
      const p = before.lanes[name]?.timeRatio;
      r.push(p === undefined || p === null ? "" : `${p.toFixed(2)}×`);
    }
    rows.push(r);
  }
  return rows.map((r) => `| ${r.join(" | ")} |`).join("\n");
}
