// The shipped build tables (data/builds, see SOURCES.md there), loaded once.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataPath } from "../data-path.js";
import { type BuildNumber, parseVersion } from "./version.js";

export const DATA_DIR = dataPath("builds");

export type UpdateKind = "rtm" | "cu" | "su" | "ru";

export interface BuildRow {
  product: string;
  name: string;
  /** Short update label: "CU19", "Mar21SU", "Update Rollup 32", "RTM". */
  update: string;
  short: string;
  build: BuildNumber;
  date: string;
  kind: UpdateKind;
  /** "CU19"; Exchange 2013 SP1 is "CU4"; Exchange 2010 is "SP3". */
  cu: string;
  fixes: string[];
  kb: string | null;
}

export interface FixRow {
  product: string;
  cu: string;
  cve: string;
  fixedIn: BuildNumber;
  fixedInShort: string;
  fixedBy: string;
  /** True when the CU itself ships with the fix. */
  cuBase: boolean;
  kb: string | null;
  note: string;
}

export interface CuLine {
  product: string;
  cu: string;
  /** RTM = 0, CU1 = 1, ... (Exchange 2013 SP1 = 4). */
  index: number;
  base: BuildRow;
  /** Security updates of this CU, oldest first. */
  updates: BuildRow[];
}

export interface BuildTable {
  rows: BuildRow[];
  fixes: FixRow[];
  /** Key `major.minor.build` (CU-first matching, notes §5.4). Exchange 2010 rows are keyed the same way, one per RU. */
  lines: Map<string, CuLine>;
  byProduct: Map<string, CuLine[]>;
}

/** One CSV line (RFC 4180 quoting, no embedded newlines: true of these tables). */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quote");
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(v);
      i++; // the comma
    } else {
      const c = line.indexOf(",", i);
      const end = c < 0 ? line.length : c;
      cells.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}

function parseCsv(text: string, file: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const head = splitCsvLine(lines[0]);
  return lines.slice(1).map((l, i) => {
    const cells = splitCsvLine(l);
    if (cells.length !== head.length)
      throw new Error(`${file}:${i + 2}: ${cells.length} cells, expected ${head.length}`);
    return Object.fromEntries(head.map((h, j) => [h, cells[j]]));
  });
}

function read(name: string): Record<string, string>[] {
  const file = join(DATA_DIR, name);
  return parseCsv(readFileSync(file, "utf8"), name);
}

function cuIndex(cu: string): number {
  if (cu === "RTM" || cu === "SP3") return 0;
  const m = /^CU(\d+)$/.exec(cu);
  if (!m) throw new Error(`build table: unexpected CU name ${cu}`);
  return Number(m[1]);
}

function updateLabel(product: string, name: string, kind: UpdateKind, cu: string): string {
  if (kind === "ru") return /Update Rollup \d+/.exec(name)?.[0] ?? name;
  if (kind === "su") return name.split(" ").pop() ?? name;
  return product === "Exchange 2013" && cu === "CU4" ? "CU4" : cu;
}

function lineKey(b: BuildNumber): string {
  return `${b.major}.${b.minor}.${b.build}`;
}

let cached: BuildTable | null = null;

export function buildTable(): BuildTable {
  if (cached) return cached;
  const kbs = new Map<string, string>();
  for (const r of read("update-kbs.csv")) kbs.set(`${r.product}|${r.update}`, r.kb);
  const rows: BuildRow[] = read("exchange-builds.csv").map((r) => {
    const kind = r.kind as UpdateKind;
    const update = updateLabel(r.product, r.version_name, kind, r.cu_base);
    return {
      product: r.product,
      name: r.version_name,
      update,
      short: r.build_short,
      build: parseVersion(r.build_short).build,
      date: r.release_date,
      kind,
      cu: r.cu_base,
      fixes: r.fixes ? r.fixes.split(";") : [],
      kb: kbs.get(`${r.product}|${update}`) ?? null,
    };
  });
  const fixes: FixRow[] = read("exchange-cve-fixed-builds.csv").map((r) => ({
    product: r.product,
    cu: r.cu_base,
    cve: r.cve,
    fixedIn: parseVersion(r.fixed_in_build_short).build,
    fixedInShort: r.fixed_in_build_short,
    fixedBy: r.fixed_by,
    cuBase: r.fixed_by.startsWith("CU base"),
    kb: r.kb || null,
    note: r.note,
  }));
  const lines = new Map<string, CuLine>();
  for (const row of rows) {
    const key = lineKey(row.build);
    if (row.kind === "su") continue;
    if (lines.has(key)) throw new Error(`build table: two CU rows for ${key}`);
    lines.set(key, { product: row.product, cu: row.cu, index: cuIndex(row.cu), base: row, updates: [] });
  }
  for (const row of rows) {
    if (row.kind !== "su") continue;
    const line = lines.get(lineKey(row.build));
    if (!line || line.cu !== row.cu) throw new Error(`build table: SU ${row.short} has no CU row`);
    line.updates.push(row);
  }
  const byProduct = new Map<string, CuLine[]>();
  for (const line of lines.values()) {
    line.updates.sort((a, b) => (a.build.revision ?? 0) - (b.build.revision ?? 0));
    byProduct.set(line.product, [...(byProduct.get(line.product) ?? []), line]);
  }
  for (const ls of byProduct.values()) ls.sort((a, b) => a.base.build.build - b.base.build.build);
  cached = { rows, fixes, lines, byProduct };
  return cached;
}

export function lineFor(b: BuildNumber): CuLine | undefined {
  return buildTable().lines.get(lineKey(b));
}
