// Streaming scanner for line-oriented logs with `#` preamble lines and a `#Fields:` header (Exchange
// CSV logs, IIS W3C). One pass over the bytes: lines are found with memchr-speed `indexOf`, and a
// line is split into fields only when it contains one of the literals a detection asked for.
import { closeSync, openSync, readSync } from "node:fs";
import type { HttpField, LogKind, LogRow, RecordFamily } from "../model/records.js";
import { familyOf, mappedField } from "./fields.js";
import type { ReadStats } from "./types.js";
import { type LiteralGuard, type MultiLiteral, multiSearch } from "./wasm/multi.js";

export const CHUNK_SIZE = 1 << 18;
/** Longer lines are not decoded: they are counted as bad rows and reported. */
export const MAX_LINE = 8 << 20;

/** How one log format separates, quotes and names its fields. */
export interface Dialect {
  /** Column names from the text after `#Fields:`. */
  parseFields(text: string): string[];
  /** Split bytes [start,end) into fields; pushes start/end pairs into `bounds`; returns the field count. */
  split(buf: Buffer, start: number, end: number, bounds: number[]): number;
  /** Decode one field. */
  decode(buf: Buffer, start: number, end: number): string;
  /**
   * Bounds of field `col` of bytes [start,end) into out[0], out[1], without splitting the rest of the
   * row (same field boundaries as `split`); false when the row has fewer fields. Without it (or with
   * `fallbackHeader`, where the field count picks the layout) a column filter splits the row.
   */
  fieldAt?(buf: Buffer, start: number, end: number, col: number, out: number[]): boolean;
  /** ISO UTC time of a row, given the field getter, or null. */
  rowTime(get: (name: string) => string | undefined): string | null;
  /** Kind of rows for a `#Log-type:` / `#Software:` preamble; null keeps the current kind. */
  kindFor(preamble: Preamble): LogKind | null;
  /**
   * Columns for a row whose value count does not fit the header in effect (or when there is none), e.g.
   * IIS rows written in an older layout after a `#Fields:` change; null keeps the header.
   */
  fallbackHeader?(count: number): Header | null;
}

export interface Preamble {
  software: string | null;
  version: string | null;
  logType: string | null;
  date: string | null;
}

export interface Header {
  fields: string[];
  index: Map<string, number>;
}

const headerCache = new Map<string, Header>();

/** A header for these columns; the same columns give the same object (every hourly file repeats them). */
export function makeHeader(fields: string[]): Header {
  const key = fields.join("\u0000");
  const hit = headerCache.get(key);
  if (hit) return hit;
  if (headerCache.size > 512) headerCache.clear();
  const h = buildHeader(fields);
  headerCache.set(key, h);
  return h;
}

const textCaches = new Map<Dialect["parseFields"], Map<string, Header>>();

/** The header of a `#Fields:` line, parsed once per distinct line text (and per dialect: commas or spaces). */
export function headerFromText(line: string, dialect: Pick<Dialect, "parseFields">): Header {
  let textCache = textCaches.get(dialect.parseFields);
  if (!textCache) {
    textCache = new Map();
    textCaches.set(dialect.parseFields, textCache);
  }
  let h = textCache.get(line);
  if (!h) {
    if (textCache.size > 512) textCache.clear();
    h = makeHeader(dialect.parseFields(line.slice(line.indexOf(":") + 1)));
    textCache.set(line, h);
  }
  return h;
}

function buildHeader(fields: string[]): Header {
  const index = new Map<string, number>();
  fields.forEach((f, i) => {
    if (!index.has(f)) index.set(f, i);
    const lower = f.toLowerCase();
    if (!index.has(lower)) index.set(lower, i);
  });
  return { fields, index };
}

/**
 * A byte-level second look at a line that contains a literal, before any field is split: returns
 * whether the consumer wants the row. `hit` is where the literal starts.
 */
export type LineRefine = (buf: Buffer, start: number, end: number, hit: number) => boolean;

/** Which literal wakes which consumers. A consumer is an index chosen by the caller. */
export interface LiteralPlan {
  /**
   * All searched in one pass (WebAssembly SIMD), or with one `indexOf` each where that is not
   * available. `refine[k]` is a byte-level second look for `consumers[k]`. A `fold` literal matches
   * ASCII letters in either case (where the one-pass search is not available, through a lower-cased
   * copy of each row).
   */
  literals: {
    bytes: Buffer;
    fold?: boolean;
    /** Applied by the one-pass search only (the consumers' `refine` stays the authority). */
    guard?: LiteralGuard;
    consumers: number[];
    refine?: (LineRefine | undefined)[];
  }[];
  /**
   * Rows whose column `name` (decoded) passes `accept` wake `consumers`. Only that column is found,
   * without splitting the row. A row whose layout cannot be told (no header, too few fields) wakes
   * them too: `accept` is a prefilter, never the reason evidence is missed. With a `gate` (indices
   * of literals), only rows containing one of those literals are looked at (every row when the
   * one-pass search is not available).
   */
  fields: { name: string; accept(value: string): boolean; consumers: number[]; gate?: number[] }[];
  /** Consumers that want every data row. */
  everyRow: number[];
}

export interface ScanRange {
  /** First byte to read; a range that starts inside a line skips to the next line. */
  start: number;
  /** Lines that start before `end` belong to this range. */
  end: number;
  /** Header in effect at `start` (from the file's head), for ranges after the first. */
  header: Header | null;
  kind: LogKind;
  preamble: Preamble;
}

export interface BadRow {
  line: number;
  reason: string;
}

export interface ScanStats {
  /** Lines seen, header lines included. Line numbers in findings are 1-based counts of these. */
  lines: number;
  dataRows: number;
  badRows: number;
  /** The first few bad rows, for the report. */
  badSamples: BadRow[];
  firstTime: string | null;
  lastTime: string | null;
  /** Header line numbers where `#Fields:` changed the columns. */
  headerSwitches: number;
  /** The last `#Fields:` seen in this range, and whether a data row came before the first one. */
  lastHeader: Header | null;
  sawHeader: boolean;
  usedInheritedHeader: boolean;
  kind: LogKind;
  preamble: Preamble;
  /** The file ended without a line break after a partial data row. */
  truncatedLastLine: boolean;
  bytes: number;
}

export type RowSink = (row: LogRow, consumers: number[]) => void;

/** What a delimited reader reports for a scanned range, in the reader contract's terms. */
export function readStatsOf(stats: ScanStats, kind: LogKind, damage: string[]): ReadStats {
  return {
    kind,
    records: stats.dataRows,
    lines: stats.lines,
    badRows: stats.badRows,
    badSamples: stats.badSamples,
    firstTime: stats.firstTime,
    lastTime: stats.lastTime,
    bytes: stats.bytes,
    lastHeader: stats.lastHeader,
    usedInheritedHeader: stats.usedInheritedHeader,
    damage,
  };
}

const NL = 10;

let shared: Buffer | null = null;
/**
 * The read buffer: one per thread, reused across files (allocating 2 MiB per small file costs more than
 * reading it). It is the one-pass searcher's memory when there is one, so bytes are searched where read.
 */
function scratch(): Buffer {
  shared ??= multiSearch()?.buffer ?? Buffer.allocUnsafe(CHUNK_SIZE * 2);
  return shared;
}

const multiLiterals = new WeakMap<LiteralPlan, MultiLiteral[]>();
function multiOf(plan: LiteralPlan): MultiLiteral[] {
  let m = multiLiterals.get(plan);
  if (!m) {
    m = plan.literals.map((l) => ({ bytes: l.bytes, fold: l.fold === true, guard: l.guard }));
    multiLiterals.set(plan, m);
  }
  return m;
}
const CR = 13;
const HASH = 35;

class Row implements LogRow {
  readonly kind: LogKind;
  readonly family: RecordFamily;
  readonly line: number;
  private readonly bounds: number[] = [];
  private count = -1;
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
    private header: Header | null,
    private readonly dialect: Dialect,
    kind: LogKind,
    line: number,
  ) {
    this.kind = kind;
    this.family = familyOf(kind);
    this.line = line;
  }
  field(name: HttpField): string | undefined {
    return mappedField(this.kind, name, (c) => this.get(c));
  }
  private splitOnce(): void {
    if (this.count >= 0) return;
    this.count = this.dialect.split(this.buf, this.start, this.end, this.bounds);
    if (this.dialect.fallbackHeader && (!this.header || this.header.fields.length !== this.count)) {
      this.header = this.dialect.fallbackHeader(this.count) ?? this.header;
    }
  }
  get fieldCount(): number {
    this.splitOnce();
    return this.count;
  }
  get headerCount(): number {
    if (this.dialect.fallbackHeader) this.splitOnce();
    return this.header ? this.header.fields.length : 0;
  }
  get(field: string): string | undefined {
    this.splitOnce();
    if (!this.header) return undefined;
    let i = this.header.index.get(field);
    if (i === undefined) i = this.header.index.get(field.toLowerCase());
    if (i === undefined) return undefined;
    if (i >= this.count) return undefined;
    return this.dialect.decode(this.buf, this.bounds[2 * i], this.bounds[2 * i + 1]);
  }
  text(): string {
    return this.buf.toString("utf8", this.start, this.end);
  }
  time(): string | null {
    return this.dialect.rowTime((name) => this.get(name));
  }
}

/** Parse a preamble line (`#Software: ...`); returns true when it was a `#Fields:` line. */
function applyPreambleLine(text: string, pre: Preamble): "fields" | "other" {
  const colon = text.indexOf(":");
  if (colon < 0) return "other";
  const key = text.slice(1, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  switch (key) {
    case "fields":
      return "fields";
    case "software":
      pre.software = value;
      break;
    case "version":
      pre.version = value;
      break;
    case "log-type":
      pre.logType = value;
      break;
    case "date":
      pre.date = value;
      break;
  }
  return "other";
}

/** Whether one of the gate literals occurs (entirely) in the row. */
function gateOpen(gate: number[], rowHit: number[], anyHit: boolean, litBytes: Buffer[], e: number): boolean {
  if (!anyHit) return false;
  for (const i of gate) if (rowHit[i] >= 0 && rowHit[i] + litBytes[i].length <= e) return true;
  return false;
}

/**
 * Scan bytes [range.start, range.end) of an open file. Calls `sink` for every data row that contains a
 * planned literal (or every row, for consumers that asked). Never throws on content: bad rows are
 * counted in the returned stats.
 */
export function scanDelimited(
  fd: number,
  range: ScanRange,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
  fileSize: number,
): ScanStats {
  const stats: ScanStats = {
    lines: 0,
    dataRows: 0,
    badRows: 0,
    badSamples: [],
    firstTime: null,
    lastTime: null,
    headerSwitches: 0,
    lastHeader: null,
    sawHeader: false,
    usedInheritedHeader: false,
    kind: range.kind,
    preamble: { ...range.preamble },
    truncatedLastLine: false,
    bytes: 0,
  };
  let header = range.header;
  const limit = Math.min(range.end, fileSize);
  const nLit = plan.literals.length;
  const litBytes = plan.literals.map((l) => l.bytes);
  const nextHit = new Array<number>(nLit).fill(-2);
  // First position of each literal in the current row (-1: absent), from the one-pass search.
  const rowHit = new Array<number>(nLit).fill(-1);
  const hitList = new Array<number>(nLit).fill(0);
  const litLower = plan.literals.map((l) => (l.fold ? l.bytes.toString("latin1").toLowerCase() : ""));
  const multi = nLit > 0 ? multiSearch() : null;
  const multiReady = multi?.load(multiOf(plan)) === true;
  let mNext = -2; // next position of any literal in the chunk (-1: none; -2: not searched yet)
  // Rows can be stepped over unread when only literal hits wake consumers (no every-row consumer, no ungated field).
  const canSkip = plan.everyRow.length === 0 && plan.fields.every((f) => f.gate !== undefined);
  const nField = plan.fields.length;
  // Column of each field filter under the header in effect (-1: not in it), refreshed on a header change.
  const fieldCol = new Array<number>(nField).fill(-1);
  let colsFor: Header | null | undefined;
  const span = [0, 0];
  const bounds: number[] = [];
  const consumers: number[] = [];

  const bad = (line: number, reason: string): void => {
    stats.badRows++;
    if (stats.badSamples.length < 20) stats.badSamples.push({ line, reason });
  };
  const timeOf = (row: Row): string | null => row.time();

  let buf = scratch();
  let pos = range.start; // file offset of buf[0]
  let filled = 0; // valid bytes at the front of buf carried over from the previous read
  let eof = false;
  let done = false;
  let overlong = false; // the current line outgrew MAX_LINE: its bytes are being dropped
  let skipFirst = false;
  if (range.start > 0) {
    // A range that starts mid-line belongs to the line's owner: skip to the next line start.
    const one = Buffer.allocUnsafe(1);
    skipFirst = !(readSync(fd, one, 0, 1, range.start - 1) === 1 && one[0] === NL);
  }

  const home = buf;
  while (!done) {
    if (buf !== home && filled + CHUNK_SIZE <= home.length) {
      // The long line is behind: back to the read buffer the one-pass search works in.
      buf.copy(home, 0, 0, filled);
      buf = home;
    }
    if (filled === buf.length) {
      if (buf.length >= MAX_LINE) {
        overlong = true;
        pos += filled;
        filled = 0;
      } else {
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_LINE + CHUNK_SIZE));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
    }
    const n = readSync(fd, buf, filled, Math.min(buf.length - filled, CHUNK_SIZE), pos + filled);
    stats.bytes += n;
    if (n === 0) eof = true;
    const avail = filled + n;
    // Searches run on a view of the valid bytes: the rest of the buffer is stale.
    const view = buf.subarray(0, avail);
    for (let i = 0; i < nLit; i++) nextHit[i] = -2;
    mNext = -2;
    // Lines longer than the read buffer move to a bigger one: those chunks use indexOf.
    const oneScan = multiReady && buf === multi.buffer;
    let lastLine = -1;
    let lastS = 0;
    let lastE = 0;
    let lastHeader: Header | null = null;
    let ls = 0;
    while (ls < avail) {
      // Whole lines before the next literal hit wake nobody: step over them in one call, counting them.
      if (
        oneScan &&
        canSkip &&
        !skipFirst &&
        !overlong &&
        (stats.firstTime !== null || stats.dataRows >= 50)
      ) {
        if (mNext === -2 || (mNext >= 0 && mNext < ls)) mNext = multi.next(ls, avail);
        const to = Math.min(mNext >= 0 ? mNext : avail, limit - pos);
        if (to > ls) {
          const stop = multi.skipLines(ls, to);
          const k = multi.skipped;
          if (k > 0) {
            stats.lines += k;
            stats.dataRows += k;
            lastS = multi.lastStart;
            lastE =
              multi.lastEnd > lastS && buf[multi.lastEnd - 1] === CR ? multi.lastEnd - 1 : multi.lastEnd;
            lastLine = stats.lines;
            lastHeader = header;
            ls = stop;
            if (ls >= avail) break;
          }
        }
      }
      let le = view.indexOf(NL, ls);
      if (le < 0) {
        if (!eof) break;
        le = avail; // the file ends without a line break
      }
      const next = le + 1;
      if (skipFirst) {
        skipFirst = false;
        ls = next;
        continue;
      }
      if (!overlong && pos + ls >= limit) {
        done = true;
        break;
      }
      stats.lines++;
      const lineNo = stats.lines;
      if (overlong) {
        overlong = false;
        bad(lineNo, `line longer than ${MAX_LINE >> 20} MiB, not read`);
        ls = next;
        continue;
      }
      let s = ls;
      let e = le;
      if (e > s && buf[e - 1] === CR) e--;
      if (buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf && s + 3 <= e) s += 3; // BOM
      if (s < e && buf[s] === HASH) {
        const text = buf.toString("utf8", s, e);
        if (applyPreambleLine(text, stats.preamble) === "fields") {
          if (header && stats.sawHeader) stats.headerSwitches++;
          header = headerFromText(text, dialect);
          stats.lastHeader = header;
          stats.sawHeader = true;
        } else {
          const k = dialect.kindFor(stats.preamble);
          if (k) stats.kind = k;
        }
      } else if (s < e) {
        stats.dataRows++;
        const lastLineOfFile = le === avail;
        consumers.length = 0;
        // Literals found in this row: rowHit[i] is the first position of literal i (-1: absent), and
        // hitList names the entries set, so that only those are looked at and reset.
        let nHits = 0;
        if (oneScan) {
          if (mNext === -2 || (mNext >= 0 && mNext < s)) mNext = multi.next(s, avail);
          while (mNext >= 0 && mNext < e) {
            for (let m = multi.lo; m !== 0; m &= m - 1) {
              const i = 31 - Math.clz32(m & -m);
              if (rowHit[i] < 0) {
                rowHit[i] = mNext;
                hitList[nHits++] = i;
              }
            }
            for (let m = multi.hi; m !== 0; m &= m - 1) {
              const i = 63 - Math.clz32(m & -m);
              if (rowHit[i] < 0) {
                rowHit[i] = mNext;
                hitList[nHits++] = i;
              }
            }
            mNext = multi.next(mNext + 1, avail);
          }
        } else {
          let lower: string | null = null; // the row in lower case, for literals of either case
          for (let i = 0; i < nLit; i++) {
            if (plan.literals[i].fold) {
              lower ??= buf.toString("latin1", s, e).toLowerCase();
              const at = lower.indexOf(litLower[i]);
              if (at >= 0) {
                rowHit[i] = s + at;
                hitList[nHits++] = i;
              }
              continue;
            }
            let h = nextHit[i];
            if (h === -2 || (h >= 0 && h < s)) {
              h = view.indexOf(litBytes[i], s);
              nextHit[i] = h;
            }
            if (h >= 0 && h < e) {
              rowHit[i] = h;
              hitList[nHits++] = i;
            }
          }
        }
        const anyHit = nHits > 0;
        for (let k = 0; k < nHits; k++) {
          const i = hitList[k];
          const h = rowHit[i];
          if (h + litBytes[i].length > e) continue;
          const lit = plan.literals[i];
          for (let j = 0; j < lit.consumers.length; j++) {
            const c = lit.consumers[j];
            const refine = lit.refine?.[j];
            if (!consumers.includes(c) && (!refine || refine(view, s, e, h))) consumers.push(c);
          }
        }
        // Fields whose gate literals are all absent from the row are not looked at (no split, no walk).
        let fieldsOpen = nField > 0;
        if (fieldsOpen && oneScan) {
          fieldsOpen = false;
          for (let i = 0; i < nField && !fieldsOpen; i++) {
            const g = plan.fields[i].gate;
            fieldsOpen = !g || gateOpen(g, rowHit, anyHit, litBytes, e);
          }
        }
        if (fieldsOpen) {
          let h = header;
          let varying = false;
          let n = -1; // fields of the split row, when it was split
          if (dialect.fallbackHeader || !dialect.fieldAt) {
            n = dialect.split(buf, s, e, bounds);
            // Rows may follow another layout than the header (IIS): the field count picks it, as in Row.
            if (dialect.fallbackHeader && (!h || h.fields.length !== n)) {
              h = dialect.fallbackHeader(n) ?? h;
              varying = true;
            }
          }
          if (h !== colsFor || varying) {
            for (let i = 0; i < nField; i++) {
              const name = plan.fields[i].name;
              fieldCol[i] = h ? (h.index.get(name) ?? h.index.get(name.toLowerCase()) ?? -1) : -1;
            }
            colsFor = varying ? undefined : h;
          }
          for (let i = 0; i < nField; i++) {
            const f = plan.fields[i];
            const col = fieldCol[i];
            if (f.gate && oneScan && !gateOpen(f.gate, rowHit, anyHit, litBytes, e)) continue;
            // No header, or a header without the column: the row cannot carry the value by name.
            if (col < 0) continue;
            let found: boolean;
            if (n >= 0) {
              found = col < n;
              if (found) {
                span[0] = bounds[2 * col];
                span[1] = bounds[2 * col + 1];
              }
            } else found = dialect.fieldAt?.(buf, s, e, col, span) === true;
            const wake = !found || f.accept(dialect.decode(buf, span[0], span[1]));
            if (wake) for (const c of f.consumers) if (!consumers.includes(c)) consumers.push(c);
          }
        }
        for (const c of plan.everyRow) if (!consumers.includes(c)) consumers.push(c);
        const needRow =
          consumers.length > 0 || lastLineOfFile || (stats.firstTime === null && stats.dataRows <= 50);
        if (needRow) {
          const row = new Row(buf, s, e, header, dialect, stats.kind, lineNo);
          if (stats.firstTime === null && stats.dataRows <= 50) stats.firstTime = timeOf(row);
          if (lastLineOfFile && row.headerCount > 0 && row.fieldCount !== row.headerCount) {
            stats.truncatedLastLine = true;
            bad(lineNo, "last line is cut off (no line break at the end of the file)");
          } else if (consumers.length > 0 && row.headerCount > 0 && row.fieldCount !== row.headerCount) {
            bad(lineNo, `${row.fieldCount} fields where the header has ${row.headerCount}`);
          }
          if (consumers.length > 0) {
            if (!stats.sawHeader && range.start > 0) stats.usedInheritedHeader = true;
            sink(row, consumers.slice());
          }
        }
        for (let k = 0; k < nHits; k++) rowHit[hitList[k]] = -1;
        lastS = s;
        lastE = e;
        lastLine = lineNo;
        lastHeader = header;
      }
      ls = next;
    }
    if (lastLine >= 0) {
      const t = timeOf(new Row(buf, lastS, lastE, lastHeader, dialect, stats.kind, lastLine)); // before buf is reused
      if (t) stats.lastTime = t;
    }
    if (eof) break;
    if (ls >= avail) {
      pos += avail;
      filled = 0;
    } else {
      if (ls > 0) buf.copy(buf, 0, ls, avail);
      pos += ls;
      filled = avail - ls;
    }
  }
  if (stats.lastTime === null) stats.lastTime = stats.firstTime;
  return stats;
}

/** Open, scan, close; errors opening or reading are returned, not thrown. */
export function scanFileDelimited(
  path: string,
  range: ScanRange,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
  fileSize: number,
): ScanStats {
  const fd = openSync(path, "r");
  try {
    return scanDelimited(fd, range, dialect, plan, sink, fileSize);
  } finally {
    closeSync(fd);
  }
}
