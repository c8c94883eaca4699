// Streaming scanner for line-oriented logs with `#` preamble lines and a `#Fields:` header (Exchange
// CSV logs, IIS W3C). One pass over the bytes: lines are found with memchr-speed `indexOf`, and a
// line is split into fields only when it contains one of the literals a detection asked for (and
// passes the declarative prefilter that came with it).
import { closeSync, openSync, readSync } from "node:fs";
import { once } from "../model/once.js";
import type { LogKind, LogRow } from "../model/records.js";
import { sourceHintOf } from "./fields.js";
import {
  type CompiledPrefilter,
  compilePrefilter,
  type DecodedRow,
  guardHolds,
  newDecodedRow,
  piecesOf,
  prefilterPasses,
} from "./prefilter.js";
import { columnOf, headerFromText, Row } from "./row.js";
import type { BadRow, Dialect, Header, LiteralGuard, LiteralPlan, Preamble, ReadStats } from "./types.js";
import { type MultiLiteral, type MultiSearch, multiSearch } from "./wasm/multi.js";

export { headerFromText, makeHeader } from "./row.js";
export type { BadRow, Dialect, Header, LiteralPlan, Preamble, RowPrefilter } from "./types.js";

export const CHUNK_SIZE = 1 << 18;
/** Longer lines are not decoded: they are counted as bad rows and reported. */
export const MAX_LINE = 8 << 20;

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
  /** What the first rows name as their source (see fields.ts SOURCE_COLUMNS), or null. */
  sourceHint: string | null;
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
    sourceHint: stats.sourceHint,
  };
}

const NL = 10;
const CR = 13;
const HASH = 35;
/** Rows read for the first time stamp even when nobody asked for them. */
const TIME_ROWS = 50;

/**
 * The read buffer: one per thread, reused across files (allocating 2 MiB per small file costs more than
 * reading it); readers are synchronous, so one file at a time fills it. It is the one-pass searcher's
 * memory when there is one, so bytes are searched where read.
 */
const scratch = once((): Buffer => multiSearch()?.buffer ?? Buffer.allocUnsafe(CHUNK_SIZE * 2));

/** A plan's literals in the forms the scan needs, made once per plan. */
interface CompiledPlan {
  multi: MultiLiteral[];
  bytes: Buffer[];
  fold: boolean[];
  guard: (LiteralGuard | undefined)[];
  /** The literal lower-cased (Latin-1), for fold literals on the indexOf path. */
  lower: string[];
  /** prefilter[i][j]: the compiled prefilter of consumer j of literal i, or null. */
  prefilter: (CompiledPrefilter | null)[][];
}

const compiledPlans = new WeakMap<LiteralPlan, CompiledPlan>();
function compiled(plan: LiteralPlan): CompiledPlan {
  let c = compiledPlans.get(plan);
  if (!c) {
    const lits = plan.literals;
    c = {
      multi: lits.map((l) => ({ bytes: l.bytes, fold: l.fold === true, guard: l.guard })),
      bytes: lits.map((l) => l.bytes),
      fold: lits.map((l) => l.fold === true),
      guard: lits.map((l) => l.guard),
      lower: lits.map((l) => (l.fold ? l.bytes.toString("latin1").toLowerCase() : "")),
      prefilter: lits.map((l) =>
        l.consumers.map((_, j) => {
          const p = l.prefilter?.[j];
          if (!p) return null;
          const pf = compilePrefilter(p);
          pf.allOfPieces = piecesOf(pf, lits);
          return pf;
        }),
      ),
    };
    compiledPlans.set(plan, c);
  }
  return c;
}

/** Everything one scan carries from line to line and chunk to chunk. */
interface Scan {
  readonly read: ByteSource;
  readonly dialect: Dialect;
  readonly plan: LiteralPlan;
  readonly lit: CompiledPlan;
  readonly sink: RowSink;
  readonly stats: ScanStats;
  readonly limit: number;
  readonly rangeStart: number;
  header: Header | null;
  /** The one-pass searcher when it holds this plan's literals, else null (indexOf per literal). */
  readonly multi: MultiSearch | null;
  /** Rows can be stepped over unread when only literal hits wake consumers (no every-row consumer, no ungated field). */
  readonly canSkip: boolean;
  /** indexOf path: next position of each literal in the chunk (-2: not searched yet). */
  readonly nextHit: number[];
  /** First position of each literal in the current row (-1: absent); hitList names the entries set. */
  readonly rowHit: number[];
  readonly hitList: number[];
  /** Column of each field filter under `colsFor` (-1: not in it). */
  readonly fieldCol: number[];
  /** Per field filter, whether the current row passed its gate and line test (1) or not (0). */
  readonly fieldReady: Uint8Array;
  colsFor: Header | null | undefined;
  readonly span: number[];
  readonly bounds: number[];
  /** Start of the line `bounds` holds the split of (-1: none) and its field count. */
  splitAt: number;
  splitCount: number;
  readonly consumers: number[];
  /** The gate literals (lower case) a field's line test is told were found in the row (scratch). */
  readonly gateHits: string[];
  /** The current row's decoded form, shared by its encoded prefilters (reset for every row). */
  readonly decoded: DecodedRow;
  // The chunk being scanned.
  buf: Buffer;
  readonly home: Buffer;
  view: Buffer;
  /** File offset of buf[0]. */
  pos: number;
  /** Valid bytes at the front of buf carried over from the previous read. */
  filled: number;
  avail: number;
  eof: boolean;
  done: boolean;
  /** The current line outgrew MAX_LINE: its bytes are being dropped. */
  overlong: boolean;
  skipFirst: boolean;
  /** Whether this chunk is searched by the one-pass searcher (it is in its memory). */
  oneScan: boolean;
  /** Next position of any literal in the chunk (-1: none; -2: not searched yet). */
  mNext: number;
  // The last data row of the chunk, for the range's last time stamp.
  lastLine: number;
  lastS: number;
  lastE: number;
  lastHeader: Header | null;
}

function newStats(range: ScanRange): ScanStats {
  return {
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
    sourceHint: null,
  };
}

/** Where a scan's bytes come from: `readSync`'s shape (into `buf` at `off`, up to `len` bytes of file offset `pos`). */
export type ByteSource = (buf: Buffer, off: number, len: number, pos: number) => number;

/** A file's bytes already in memory, as a source. */
export function bytesSource(bytes: Buffer): ByteSource {
  return (buf, off, len, pos) =>
    pos >= bytes.length ? 0 : bytes.copy(buf, off, pos, Math.min(bytes.length, pos + len));
}

/** A range that starts mid-line belongs to the line's owner: whether its first (partial) line is skipped. */
function startsMidLine(read: ByteSource, start: number): boolean {
  if (start === 0) return false;
  const one = Buffer.allocUnsafe(1);
  return !(read(one, 0, 1, start - 1) === 1 && one[0] === NL);
}

function newScan(
  read: ByteSource,
  range: ScanRange,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
  fileSize: number,
): Scan {
  const nLit = plan.literals.length;
  const lit = compiled(plan);
  const multi = nLit > 0 ? multiSearch() : null;
  const buf = scratch();
  return {
    read,
    dialect,
    plan,
    lit,
    sink,
    stats: newStats(range),
    limit: Math.min(range.end, fileSize),
    rangeStart: range.start,
    header: range.header,
    multi: multi?.load(lit.multi) === true ? multi : null,
    canSkip: plan.everyRow.length === 0 && plan.fields.every((f) => f.gate !== undefined),
    nextHit: new Array<number>(nLit).fill(-2),
    rowHit: new Array<number>(nLit).fill(-1),
    hitList: new Array<number>(nLit).fill(0),
    fieldCol: new Array<number>(plan.fields.length).fill(-1),
    fieldReady: new Uint8Array(plan.fields.length),
    colsFor: undefined,
    span: [0, 0],
    bounds: [],
    splitAt: -1,
    splitCount: -1,
    consumers: [],
    gateHits: [],
    decoded: newDecodedRow(),
    buf,
    home: buf,
    view: buf,
    pos: range.start,
    filled: 0,
    avail: 0,
    eof: false,
    done: false,
    overlong: false,
    skipFirst: startsMidLine(read, range.start),
    oneScan: false,
    mNext: -2,
    lastLine: -1,
    lastS: 0,
    lastE: 0,
    lastHeader: null,
  };
}

function bad(st: Scan, line: number, reason: string): void {
  st.stats.badRows++;
  if (st.stats.badSamples.length < 20) st.stats.badSamples.push({ line, reason });
}

/** Read the next chunk behind the carried-over bytes, growing the buffer for a long line. */
function readChunk(st: Scan): void {
  if (st.buf !== st.home && st.filled + CHUNK_SIZE <= st.home.length) {
    // The long line is behind: back to the read buffer the one-pass search works in.
    st.buf.copy(st.home, 0, 0, st.filled);
    st.buf = st.home;
  }
  if (st.filled === st.buf.length) {
    if (st.buf.length >= MAX_LINE) {
      st.overlong = true;
      st.pos += st.filled;
      st.filled = 0;
    } else {
      const bigger = Buffer.allocUnsafe(Math.min(st.buf.length * 2, MAX_LINE + CHUNK_SIZE));
      st.buf.copy(bigger, 0, 0, st.filled);
      st.buf = bigger;
    }
  }
  const n = st.read(st.buf, st.filled, Math.min(st.buf.length - st.filled, CHUNK_SIZE), st.pos + st.filled);
  st.stats.bytes += n;
  if (n === 0) st.eof = true;
  st.avail = st.filled + n;
  // Searches run on a view of the valid bytes: the rest of the buffer is stale.
  st.view = st.buf.subarray(0, st.avail);
  st.nextHit.fill(-2);
  st.mNext = -2;
  // Lines longer than the read buffer move to a bigger one: those chunks use indexOf.
  st.oneScan = st.multi !== null && st.buf === st.multi.buffer;
  st.lastLine = -1;
}

/** Keep the unfinished line at the front of the buffer for the next read. */
function carryOver(st: Scan, ls: number): void {
  if (ls >= st.avail) {
    st.pos += st.avail;
    st.filled = 0;
  } else {
    if (ls > 0) st.buf.copy(st.buf, 0, ls, st.avail);
    st.pos += ls;
    st.filled = st.avail - ls;
  }
}

/**
 * Whole lines before the next literal hit wake nobody: step over them in one call, counting them.
 * Returns where scanning goes on (`ls` when nothing was stepped over).
 */
function skipQuietLines(st: Scan, multi: MultiSearch, ls: number): number {
  if (st.mNext === -2 || (st.mNext >= 0 && st.mNext < ls)) st.mNext = multi.next(ls, st.avail);
  const to = Math.min(st.mNext >= 0 ? st.mNext : st.avail, st.limit - st.pos);
  if (to <= ls) return ls;
  const stop = multi.skipLines(ls, to);
  const k = multi.skipped;
  if (k === 0) return ls;
  st.stats.lines += k;
  st.stats.dataRows += k;
  st.lastS = multi.lastStart;
  st.lastE = multi.lastEnd > st.lastS && st.buf[multi.lastEnd - 1] === CR ? multi.lastEnd - 1 : multi.lastEnd;
  st.lastLine = st.stats.lines;
  st.lastHeader = st.header;
  return stop;
}

/** A `#` line: preamble values, or a `#Fields:` header that switches the columns. */
function preambleLine(st: Scan, s: number, e: number): void {
  const text = st.buf.toString("utf8", s, e);
  const colon = text.indexOf(":");
  const key = colon < 0 ? "" : text.slice(1, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  const pre = st.stats.preamble;
  switch (key) {
    case "fields":
      if (st.header && st.stats.sawHeader) st.stats.headerSwitches++;
      st.header = headerFromText(text, st.dialect);
      st.stats.lastHeader = st.header;
      st.stats.sawHeader = true;
      return;
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
  const k = st.dialect.kindFor(pre);
  if (k) st.stats.kind = k;
}

/** One-pass path: record the literals that occur in [s, e). Returns how many distinct ones. */
function hitsOneScan(st: Scan, multi: MultiSearch, s: number, e: number): number {
  const { rowHit, hitList } = st;
  let nHits = 0;
  if (st.mNext === -2 || (st.mNext >= 0 && st.mNext < s)) st.mNext = multi.next(s, st.avail);
  while (st.mNext >= 0 && st.mNext < e) {
    for (let m = multi.lo; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m);
      if (rowHit[i] < 0) {
        rowHit[i] = st.mNext;
        hitList[nHits++] = i;
      }
    }
    for (let m = multi.hi; m !== 0; m &= m - 1) {
      const i = 63 - Math.clz32(m & -m);
      if (rowHit[i] < 0) {
        rowHit[i] = st.mNext;
        hitList[nHits++] = i;
      }
    }
    st.mNext = multi.next(st.mNext + 1, st.avail);
  }
  return nHits;
}

/** indexOf path: record the literals that occur in [s, e) (guarded ones only where the guard holds). */
function hitsIndexOf(st: Scan, s: number, e: number): number {
  const { rowHit, hitList, nextHit, lit } = st;
  let nHits = 0;
  let lower: string | null = null; // the row in lower case, for literals of either case
  for (let i = 0; i < lit.bytes.length; i++) {
    let at = -1;
    if (lit.fold[i]) {
      lower ??= st.buf.toString("latin1", s, e).toLowerCase();
      const k = lower.indexOf(lit.lower[i]);
      if (k >= 0) at = s + k;
    } else {
      let h = nextHit[i];
      if (h === -2 || (h >= 0 && h < s)) {
        h = st.view.indexOf(lit.bytes[i], s);
        nextHit[i] = h;
      }
      if (h >= 0 && h < e) at = h;
    }
    const g = lit.guard[i];
    if (at >= 0 && g) at = firstGuarded(st, i, at, e, g, lower, s);
    if (at >= 0) {
      rowHit[i] = at;
      hitList[nHits++] = i;
    }
  }
  return nHits;
}

/** The first occurrence of literal i from `at` on whose guard holds, or -1. */
function firstGuarded(
  st: Scan,
  i: number,
  at: number,
  e: number,
  g: LiteralGuard,
  lower: string | null,
  s: number,
): number {
  const len = st.lit.bytes[i].length;
  for (let h = at; h >= 0 && h + len <= e; ) {
    if (guardHolds(st.buf, h + len, e, g)) return h;
    const k =
      lower !== null
        ? lower.indexOf(st.lit.lower[i], h - s + 1)
        : st.buf.subarray(0, e).indexOf(st.lit.bytes[i], h + 1);
    h = k < 0 ? -1 : lower !== null ? s + k : k;
  }
  return -1;
}

/** Consumers of the literals found in the row, each through its prefilter. */
function wakeLiteralConsumers(st: Scan, s: number, e: number, nHits: number): void {
  const { rowHit, hitList, consumers, lit, plan } = st;
  const stops = st.dialect.tokenStops;
  st.decoded.s = -1; // a new row (offsets repeat when the chunk moves)
  for (let k = 0; k < nHits; k++) {
    const i = hitList[k];
    const h = rowHit[i];
    const bytes = lit.bytes[i];
    if (h + bytes.length > e) continue;
    const cs = plan.literals[i].consumers;
    const pfs = lit.prefilter[i];
    for (let j = 0; j < cs.length; j++) {
      const c = cs[j];
      if (consumers.includes(c)) continue;
      const pf = pfs[j];
      if (
        !pf ||
        prefilterPasses(pf, st.buf, s, e, h, bytes, lit.fold[i], lit.guard[i], stops, st.decoded, rowHit)
      )
        consumers.push(c);
    }
  }
}

/** Whether one of the gate literals occurs (entirely) in the row. */
function gateOpen(st: Scan, gate: number[], e: number): boolean {
  for (const i of gate) if (st.rowHit[i] >= 0 && st.rowHit[i] + st.lit.bytes[i].length <= e) return true;
  return false;
}

/** The gate literals (lower case) found (entirely) in the row, in a scratch list valid until the next call. */
function gateHits(st: Scan, gate: number[], e: number): string[] {
  const out = st.gateHits;
  out.length = 0;
  for (const i of gate)
    if (st.rowHit[i] >= 0 && st.rowHit[i] + st.lit.bytes[i].length <= e)
      out.push(st.lit.lower[i] || st.lit.bytes[i].toString("latin1").toLowerCase());
  return out;
}

/** Consumers of the column filters whose value in this row passes (finding only those columns). */
function wakeFieldConsumers(st: Scan, s: number, e: number, anyHit: boolean): void {
  const { plan, dialect, fieldCol, fieldReady, span, bounds, consumers } = st;
  const nField = plan.fields.length;
  // Fields whose gate literals are all absent from the row, or whose line test fails, are not looked at
  // (no split, no walk). Fields without a test wake their consumers by the gate alone; the others need
  // the column.
  let open = false;
  let lower: string | null = null;
  for (let i = 0; i < nField; i++) {
    const f = plan.fields[i];
    const g = f.gate;
    fieldReady[i] = 0;
    const gated = !g || !st.oneScan || (anyHit && gateOpen(st, g, e));
    if (!gated) continue;
    if (f.line) {
      lower ??= st.buf.toString("latin1", s, e).toLowerCase();
      if (!f.line(lower, g && st.oneScan ? gateHits(st, g, e) : null)) continue;
    }
    fieldReady[i] = 1;
    if (f.accept) open = true;
    else for (const c of f.consumers) if (!consumers.includes(c)) consumers.push(c);
  }
  if (!open) return;
  let h = st.header;
  let varying = false;
  let n = -1; // fields of the split row, when it was split
  if (dialect.fallbackHeader || !dialect.fieldAt) {
    n = dialect.split(st.buf, s, e, bounds);
    st.splitAt = s;
    st.splitCount = n;
    // Rows may follow another layout than the header (IIS): the field count picks it, as in Row.
    if (dialect.fallbackHeader && (!h || h.fields.length !== n)) {
      h = dialect.fallbackHeader(n) ?? h;
      varying = true;
    }
  }
  if (h !== st.colsFor || varying) {
    for (let i = 0; i < nField; i++) fieldCol[i] = columnOf(h, plan.fields[i].name);
    st.colsFor = varying ? undefined : h;
  }
  for (let i = 0; i < nField; i++) {
    const f = plan.fields[i];
    const col = fieldCol[i];
    if (!f.accept || fieldReady[i] === 0) continue;
    // No header, or a header without the column: the row cannot carry the value by name.
    if (col < 0) continue;
    let found: boolean;
    if (n >= 0) {
      found = col < n;
      if (found) {
        span[0] = bounds[2 * col];
        span[1] = bounds[2 * col + 1];
      }
    } else found = dialect.fieldAt?.(st.buf, s, e, col, span) === true;
    const wake = !found || f.accept(dialect.decode(st.buf, span[0], span[1]));
    if (wake) for (const c of f.consumers) if (!consumers.includes(c)) consumers.push(c);
  }
}

/** Build the row when someone wants it (or for the first time stamp, or to check a file's last line). */
function emitRow(st: Scan, s: number, e: number, lineNo: number, lastLineOfFile: boolean): void {
  const { stats, consumers } = st;
  const forTime = stats.firstTime === null && stats.dataRows <= TIME_ROWS;
  if (consumers.length === 0 && !lastLineOfFile && !forTime) return;
  // The field filters split this line already: the row gets a copy of that split.
  const split =
    st.splitAt === s && st.splitCount >= 0
      ? { bounds: st.bounds.slice(0, 2 * st.splitCount), count: st.splitCount }
      : undefined;
  const row = new Row(st.buf, s, e, st.header, st.dialect, stats.kind, lineNo, split);
  if (forTime) {
    stats.firstTime = row.time();
    stats.sourceHint ??= sourceHintOf(row);
  }
  if (lastLineOfFile && row.headerCount > 0 && row.fieldCount !== row.headerCount) {
    stats.truncatedLastLine = true;
    bad(st, lineNo, "last line is cut off (no line break at the end of the file)");
  } else if (consumers.length > 0 && row.headerCount > 0 && row.fieldCount !== row.headerCount) {
    bad(st, lineNo, `${row.fieldCount} fields where the header has ${row.headerCount}`);
  }
  if (consumers.length > 0) {
    if (!stats.sawHeader && st.rangeStart > 0) stats.usedInheritedHeader = true;
    st.sink(row, consumers.slice());
  }
}

/** A data row: which consumers it wakes, then the row for them. */
function dataRow(st: Scan, s: number, e: number, lineNo: number, lastLineOfFile: boolean): void {
  st.stats.dataRows++;
  st.consumers.length = 0;
  st.splitAt = -1;
  const nHits =
    st.oneScan && st.multi
      ? hitsOneScan(st, st.multi, s, e)
      : st.lit.bytes.length > 0
        ? hitsIndexOf(st, s, e)
        : 0;
  if (nHits > 0) wakeLiteralConsumers(st, s, e, nHits);
  if (st.plan.fields.length > 0) wakeFieldConsumers(st, s, e, nHits > 0);
  for (const c of st.plan.everyRow) if (!st.consumers.includes(c)) st.consumers.push(c);
  emitRow(st, s, e, lineNo, lastLineOfFile);
  for (let k = 0; k < nHits; k++) st.rowHit[st.hitList[k]] = -1;
  st.lastS = s;
  st.lastE = e;
  st.lastLine = lineNo;
  st.lastHeader = st.header;
}

/** Scan the whole lines of the chunk; returns the start of the first line not finished. */
function scanLines(st: Scan): number {
  const { buf, view, stats, avail } = st;
  let ls = 0;
  while (ls < avail) {
    if (
      st.oneScan &&
      st.multi &&
      st.canSkip &&
      !st.skipFirst &&
      !st.overlong &&
      (stats.firstTime !== null || stats.dataRows >= TIME_ROWS)
    ) {
      ls = skipQuietLines(st, st.multi, ls);
      if (ls >= avail) break;
    }
    let le = view.indexOf(NL, ls);
    if (le < 0) {
      if (!st.eof) break;
      le = avail; // the file ends without a line break
    }
    const next = le + 1;
    if (st.skipFirst) {
      st.skipFirst = false;
      ls = next;
      continue;
    }
    if (!st.overlong && st.pos + ls >= st.limit) {
      st.done = true;
      break;
    }
    stats.lines++;
    const lineNo = stats.lines;
    if (st.overlong) {
      st.overlong = false;
      bad(st, lineNo, `line longer than ${MAX_LINE >> 20} MiB, not read`);
      ls = next;
      continue;
    }
    let s = ls;
    let e = le;
    if (e > s && buf[e - 1] === CR) e--;
    if (buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf && s + 3 <= e) s += 3; // BOM
    if (s < e && buf[s] === HASH) preambleLine(st, s, e);
    else if (s < e) dataRow(st, s, e, lineNo, le === avail);
    ls = next;
  }
  return ls;
}

/**
 * Scan bytes [range.start, range.end) of an open file. Calls `sink` for every data row that contains a
 * planned literal and passes its prefilter (or every row, for consumers that asked). Never throws on
 * content: bad rows are counted in the returned stats.
 */
export function scanDelimited(
  read: ByteSource,
  range: ScanRange,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
  fileSize: number,
): ScanStats {
  const st = newScan(read, range, dialect, plan, sink, fileSize);
  while (!st.done) {
    readChunk(st);
    const ls = scanLines(st);
    if (st.lastLine >= 0) {
      // Before the buffer is reused.
      const last = new Row(st.buf, st.lastS, st.lastE, st.lastHeader, dialect, st.stats.kind, st.lastLine);
      const t = last.time();
      if (t) st.stats.lastTime = t;
    }
    if (st.eof) break;
    carryOver(st, ls);
  }
  if (st.stats.lastTime === null) st.stats.lastTime = st.stats.firstTime;
  return st.stats;
}

/**
 * Open, scan, close; errors opening or reading are returned, not thrown. `bytes`, when given, is the
 * whole file, already read (a small file's sniffed head): it is scanned without opening the file again.
 */
export function scanFileDelimited(
  path: string,
  range: ScanRange,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
  fileSize: number,
  bytes?: Buffer,
): ScanStats {
  if (bytes && bytes.length === fileSize)
    return scanDelimited(bytesSource(bytes), range, dialect, plan, sink, fileSize);
  const fd = openSync(path, "r");
  try {
    return scanDelimited(
      (buf, off, len, pos) => readSync(fd, buf, off, len, pos),
      range,
      dialect,
      plan,
      sink,
      fileSize,
    );
  } finally {
    closeSync(fd);
  }
}
