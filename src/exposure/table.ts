// The build tables (data/builds, see SOURCES.md there): the shipped ones, loaded once, or a newer
// copy in the same format named with `exhunt build --data` (read from disk only, no network).
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { dataPath } from "../data-path.js";
import { once } from "../model/once.js";
import { CVES } from "./cves.js";
import { type BuildNumber, parseVersion } from "./version.js";

export const DATA_DIR = dataPath("builds");

export type UpdateKind = "rtm" | "cu" | "su" | "hu" | "ru";

/** Security and hotfix updates install on a CU and are cumulative within it (notes §1, `hu`). */
export function isUpdateKind(k: UpdateKind): boolean {
  return k === "su" || k === "hu";
}

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
  /** null on the "no fix on this CU line" note rows. */
  fixedIn: BuildNumber | null;
  fixedInShort: string | null;
  fixedBy: string;
  /** True when the CU (or Exchange SE RTM) itself ships with the fix. */
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
  /** Fix rows by `product|cve` (the lookup every CVE of every assessment makes). */
  fixesBy: Map<string, FixRow[]>;
  /** The SettingOverride that switches a CVE's fix off, as the fix table's notes name it (notes §3.12). */
  overrides: Map<string, string>;
  /** The tracked CVEs, in the documented order, then any only a newer table names. */
  cves: string[];
  /** Release date of the newest build in the table (ISO date): its freshness. */
  newestDate: string;
  /** Where the table was read from. */
  source: string;
}

/** The three files of a table; a folder given with --data may hold any of them. */
export interface TableFiles {
  builds: string;
  fixes: string;
  kbs: string;
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

interface CsvRow {
  line: number;
  cells: Record<string, string>;
}

function parseCsv(text: string, file: string): CsvRow[] {
  const lines = text.split(/\r?\n/);
  if (!lines[0]) throw new Error(`${file}: empty, or no header line`);
  const cellsOf = (l: string, n: number) => {
    try {
      return splitCsvLine(l);
    } catch (e) {
      throw new Error(`${file}:${n}: ${(e as Error).message}`);
    }
  };
  const head = cellsOf(lines[0], 1);
  const out: CsvRow[] = [];
  lines.forEach((l, i) => {
    if (i === 0 || l.length === 0) return;
    const cells = cellsOf(l, i + 1);
    if (cells.length !== head.length)
      throw new Error(`${file}:${i + 1}: ${cells.length} cells, expected ${head.length}`);
    out.push({ line: i + 1, cells: Object.fromEntries(head.map((h, j) => [h, cells[j]])) });
  });
  return out;
}

function read(file: string): CsvRow[] {
  return parseCsv(readFileSync(file, "utf8"), basename(file));
}

/** Parse each row, naming the file and line of the first that is wrong. */
function rowsOf<T>(file: string, parse: (r: Record<string, string>) => T): T[] {
  return read(file).map((r) => {
    try {
      return parse(r.cells);
    } catch (e) {
      throw new Error(`${basename(file)}:${r.line}: ${(e as Error).message}`);
    }
  });
}

function need(r: Record<string, string>, file: string, cols: string[]): void {
  for (const c of cols) if (!(c in r)) throw new Error(`${file}: no column ${c}`);
}

function cuIndex(cu: string): number {
  if (cu === "RTM" || cu === "SP3") return 0;
  const m = /^CU(\d+)$/.exec(cu);
  if (!m) throw new Error(`build table: unexpected CU name ${cu}`);
  return Number(m[1]);
}

function updateLabel(product: string, name: string, kind: UpdateKind, cu: string): string {
  if (kind === "ru") return /Update Rollup \d+/.exec(name)?.[0] ?? name;
  if (isUpdateKind(kind)) return name.split(" ").pop() ?? name;
  return product === "Exchange 2013" && cu === "CU4" ? "CU4" : cu;
}

function lineKey(b: BuildNumber): string {
  return `${b.major}.${b.minor}.${b.build}`;
}

const KINDS: readonly UpdateKind[] = ["rtm", "cu", "su", "hu", "ru"];

/** The shipped table (loaded once: it never changes while the process runs). */
export const buildTable = once((): BuildTable => loadBuildTable(shippedFiles()));

export function shippedFiles(): TableFiles {
  return {
    builds: join(DATA_DIR, "exchange-builds.csv"),
    fixes: join(DATA_DIR, "exchange-cve-fixed-builds.csv"),
    kbs: join(DATA_DIR, "update-kbs.csv"),
  };
}

/**
 * The files named by `--data PATH`: a folder with any of the three table files, or an
 * exchange-builds.csv (its sibling fix and KB files are used when present). A file missing from the
 * newer copy falls back to the shipped one; fixes the newer build table names that the fix table
 * lacks are derived from its `fixes` column (see loadBuildTable).
 */
export function dataFiles(path: string): TableFiles {
  if (!existsSync(path)) throw new Error(`--data ${path}: no such file or folder`);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const builds = statSync(path).isDirectory() ? join(dir, "exchange-builds.csv") : path;
  const pick = (name: keyof TableFiles, file: string) => {
    const p = join(dir, file);
    return existsSync(p) ? p : shippedFiles()[name];
  };
  if (!existsSync(builds)) throw new Error(`--data ${path}: no exchange-builds.csv`);
  return {
    builds,
    fixes: pick("fixes", "exchange-cve-fixed-builds.csv"),
    kbs: pick("kbs", "update-kbs.csv"),
  };
}

function fixRow(r: Record<string, string>): FixRow {
  const short = r.fixed_in_build_short || null;
  return {
    product: r.product,
    cu: r.cu_base,
    cve: r.cve,
    fixedIn: short ? parseVersion(short).build : null,
    fixedInShort: short,
    fixedBy: r.fixed_by,
    cuBase: /^(CU|RTM) base\b/.test(r.fixed_by),
    kb: r.kb || null,
    note: r.note,
  };
}

/**
 * A build row's `fixes` names a CVE the fix table has no row for on that CU line (a newer build
 * table than its fix table): the row itself is the first fixed build on that line.
 */
function derivedFixes(rows: BuildRow[], fixes: FixRow[]): FixRow[] {
  const have = new Set(fixes.map((f) => `${f.product}|${f.cu}|${f.cve}`));
  const out: FixRow[] = [];
  for (const r of rows)
    for (const cve of r.fixes) {
      const key = `${r.product}|${r.cu}|${cve}`;
      if (have.has(key)) continue;
      have.add(key);
      const base = !isUpdateKind(r.kind);
      out.push({
        product: r.product,
        cu: r.cu,
        cve,
        fixedIn: r.build,
        fixedInShort: r.short,
        fixedBy: base ? `${r.cu} base (released ${r.date})` : r.update,
        cuBase: base,
        kb: r.kb,
        note: "derived from the build table's fixes column",
      });
    }
  return out;
}

/** Read and check a table. Throws with the file and line on a malformed row. */
export function loadBuildTable(files: TableFiles): BuildTable {
  const kbs = new Map<string, string>();
  for (const r of rowsOf(files.kbs, (c) => c)) {
    need(r, files.kbs, ["product", "update", "kb"]);
    kbs.set(`${r.product}|${r.cu ?? ""}|${r.update}`, r.kb);
  }
  const rows: BuildRow[] = rowsOf(files.builds, (r) => {
    need(r, files.builds, [
      "product",
      "version_name",
      "build_short",
      "release_date",
      "kind",
      "cu_base",
      "fixes",
    ]);
    const kind = r.kind as UpdateKind;
    if (!KINDS.includes(kind)) throw new Error(`unknown kind ${r.kind}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(r.release_date))
      throw new Error(`release_date ${r.release_date} is not YYYY-MM-DD`);
    cuIndex(r.cu_base);
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
      // Since 2024 one update has a KB per CU (notes §3.9, §4.5): the CU-specific entry first.
      kb: kbs.get(`${r.product}|${r.cu_base}|${update}`) ?? kbs.get(`${r.product}||${update}`) ?? null,
    };
  });
  const listed: FixRow[] = rowsOf(files.fixes, (r) => {
    need(r, files.fixes, ["product", "cu_base", "cve", "fixed_in_build_short", "fixed_by", "kb", "note"]);
    return fixRow(r);
  });
  const fixes = [...listed, ...derivedFixes(rows, listed)];
  const lines = new Map<string, CuLine>();
  for (const row of rows) {
    const key = lineKey(row.build);
    if (isUpdateKind(row.kind)) continue;
    if (lines.has(key)) throw new Error(`build table: two CU rows for ${key}`);
    lines.set(key, { product: row.product, cu: row.cu, index: cuIndex(row.cu), base: row, updates: [] });
  }
  for (const row of rows) {
    if (!isUpdateKind(row.kind)) continue;
    const line = lines.get(lineKey(row.build));
    if (!line || line.cu !== row.cu) throw new Error(`build table: update ${row.short} has no CU row`);
    line.updates.push(row);
  }
  const byProduct = new Map<string, CuLine[]>();
  for (const line of lines.values()) {
    line.updates.sort((a, b) => (a.build.revision ?? 0) - (b.build.revision ?? 0));
    byProduct.set(line.product, [...(byProduct.get(line.product) ?? []), line]);
  }
  for (const ls of byProduct.values()) ls.sort((a, b) => a.base.build.build - b.base.build.build);
  // The documented order (campaign by campaign), then any CVE only a newer table names.
  const rank = (c: string) => (CVES.includes(c) ? CVES.indexOf(c) : CVES.length);
  const cves = [...new Set(fixes.map((f) => f.cve))].sort((a, b) => rank(a) - rank(b));
  const newestDate =
    rows
      .map((r) => r.date)
      .sort()
      .pop() ?? "";
  const fixesBy = new Map<string, FixRow[]>();
  const overrides = new Map<string, string>();
  for (const f of fixes) {
    const key = `${f.product}|${f.cve}`;
    fixesBy.set(key, [...(fixesBy.get(key) ?? []), f]);
    const m = /SettingOverride \(([^)]+)\)/.exec(f.note);
    if (m && !overrides.has(f.cve)) overrides.set(f.cve, m[1]);
  }
  return { rows, fixes, lines, byProduct, fixesBy, overrides, cves, newestDate, source: files.builds };
}

export function lineFor(b: BuildNumber, table: BuildTable = buildTable()): CuLine | undefined {
  return table.lines.get(lineKey(b));
}

/** "2026-08": how the table's freshness is shown. */
export function tableMonth(t: BuildTable): string {
  return t.newestDate.slice(0, 7);
}
