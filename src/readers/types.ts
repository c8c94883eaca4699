// The reader contract (one reader per evidence format, registered in readers/index.ts) and the types
// the line-log readers share: header, preamble, dialect, literal plan and its declarative prefilters.
// Everything here is a type: the scanner (delimited.ts) and the formats import it, it imports none of them.
import type { EventRecord, LogKind, LogRow } from "../model/records.js";
import type { LiteralGuard } from "./wasm/multi.js";

export type { LiteralGuard } from "./wasm/multi.js";

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

export interface BadRow {
  line: number;
  reason: string;
}

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
  /**
   * Bytes that end a field when no quoting is involved (W3C: space and tab). Without them a token
   * prefilter cannot tell a field's extent on raw bytes and lets every row through.
   */
  tokenStops?: readonly number[];
}

/**
 * What a detection may ask the reader to check on a line that contains one of its literals, before any
 * field is split. Declarative, so that the reader does it on raw bytes and detections never see bytes.
 * Every part must be exact-or-looser than the detection's `match`: it may let through rows `match`
 * rejects, never the reverse.
 */
export interface RowPrefilter {
  /** Each group: the line also contains at least one of its literals (case-sensitive). */
  allOf?: readonly (readonly string[])[];
  /**
   * The field value (the token between the dialect's `tokenStops`) around some occurrence of the literal
   * in the line passes these tests. Dialects without `tokenStops` skip this part (they let the row through).
   */
  token?: TokenFilter;
  /**
   * The detection's literals may also be written percent-encoded (`autodiscover.j%73on`, `%252f`,
   * `%u0073`, in any case): the plan then also wakes it on rows containing `%` whose decoded form
   * (readers/uri.ts canonicalUri) contains a literal and passes the other parts, tested on the decoded
   * token (see encodedVariant in prefilter.ts). `match` must decode through the same helper.
   */
  encoded?: boolean;
  /** The line, percent-decoded and lower-cased (canonicalUri), contains one of these (lower-case). */
  decodedAnyOf?: readonly string[];
  /**
   * The whole line passes this test: the line as logged (Latin-1, lower-cased), or on the encoded path
   * its decoded form (canonicalUri). For conditions on several fields at once (e.g. an `@` after the
   * literal and a back end after that), looser than `match` on both forms.
   */
  line?: (text: string) => boolean;
}

export interface TokenFilter {
  /** The token ends with one of these (ASCII, either case), e.g. `.aspx`. Checked on bytes, before `accept`. */
  endsWith?: readonly string[];
  /** The token as logged (Latin-1, lower-cased) is a candidate value: typically the detection's own test. */
  accept?: (token: string) => boolean;
  /** Test the token after canonicalUri (decoded, lower-cased): `endsWith` and `accept` see the decoded form. */
  decoded?: boolean;
}

/** Which literal wakes which consumers. A consumer is an index chosen by the caller. */
export interface LiteralPlan {
  /**
   * All searched in one pass (WebAssembly SIMD), or with one `indexOf` each where that is not
   * available. `prefilter[k]` is a second look at the line for `consumers[k]`, done by the reader. A
   * `fold` literal matches ASCII letters in either case (where the one-pass search is not available,
   * through a lower-cased copy of each row). A `guard` is applied on either path.
   */
  literals: {
    bytes: Buffer;
    fold?: boolean;
    guard?: LiteralGuard;
    consumers: number[];
    prefilter?: (RowPrefilter | undefined)[];
  }[];
  /**
   * Rows whose column `name` (decoded) passes `accept` wake `consumers`. Only that column is found,
   * without splitting the row. A row whose layout cannot be told (no header, too few fields) wakes
   * them too: `accept` is a prefilter, never the reason evidence is missed. With a `gate` (indices
   * of literals), only rows containing one of those literals are looked at (every row when the
   * one-pass search is not available). Without `accept`, the gate alone decides: the column is not
   * found (no split, no decode) and every row with a gate literal wakes the consumers.
   */
  fields: {
    name: string;
    accept?: (value: string) => boolean;
    consumers: number[];
    gate?: number[];
    /**
     * Also the whole line as logged (Latin-1, lower-cased) passes this, before the row is made; told
     * which gate literals (lower case) the row holds when the one-pass search gated it (else null).
     */
    line?: (lower: string, gateHits: readonly string[] | null) => boolean;
  }[];
  /** Consumers that want every data row. */
  everyRow: number[];
}

/** What a reader recognised in a file's first bytes. */
export interface Sniffed {
  format: string;
  /** Kind of records: a LogKind for line logs, "event" for event logs. */
  kind: LogKind | "event";
  preamble: Preamble | null;
  header: Header | null;
}

/** A part of a file to read; whole files have start 0 and end = size. */
export interface ReadRange {
  start: number;
  end: number;
  /** Header in effect at `start` for ranges after the first (line logs). */
  header: Header | null;
  /** The whole file's bytes, when the caller has already read them (a small file is all head). */
  bytes?: Buffer;
  /** What the reading thread keeps about a file between the ranges of it that it reads. */
  memo?: FileMemo;
}

/**
 * A thread's small memory of facts about whole files (an .evtx's chunk id spans), shared by the ranges
 * of one file that the thread reads: `make` runs once per key while the key stays remembered. Keys name
 * the file (path and size); only the last few files are remembered.
 */
export type FileMemo = <T>(key: string, make: () => T) => T;

export interface ReadHandlers {
  /** Which literals wake which detections, for rows of a kind. */
  planFor(kind: LogKind): LiteralPlan;
  onRow(row: LogRow, consumers: number[]): void;
  onEvent(event: EventRecord, line: number | null): void;
}

export interface ReadStats {
  kind: LogKind | "event";
  /** Data records read (rows or events). */
  records: number;
  /** Physical lines in the range, for line logs (offsets line numbers of later ranges). */
  lines: number;
  badRows: number;
  badSamples: BadRow[];
  firstTime: string | null;
  lastTime: string | null;
  bytes: number;
  /** For line logs read in ranges: the header at the end of the range and whether a hit used an inherited one. */
  lastHeader: Header | null;
  usedInheritedHeader: boolean;
  /** Problems that leave the file partly read (corrupt chunk, cut-off end), one sentence each. */
  damage: string[];
  /** Facts about a fully read file (records recovered, a live copy), one sentence each; not damage. */
  notes?: string[];
  /** .evtx: carved records dropped as copies of live (or other carved) records, the event kept once. */
  recoveredDuplicates?: number;
  /** Event exports: events read with no parameter and no message (see events/common.ts bareNote). */
  bareEvents?: number;
  /**
   * What the file's own content names as its source, when it does (IIS: the `s-sitename` of its rows,
   * HttpProxy: the `Protocol` column): coverage names sources from it before the folder path.
   */
  sourceHint?: string | null;
}

export interface Reader {
  format: string;
  /** Whether large files may be read in byte ranges by several workers. */
  splittable: boolean;
  /**
   * Range size for this format when the scan does not set one: smaller for slow formats, so that even
   * one large file keeps every thread busy (default: the engine's, 64 MiB).
   */
  rangeBytes?: number;
  sniff(head: Buffer, name: string): Sniffed | null;
  read(abs: string, size: number, sniffed: Sniffed, range: ReadRange, handlers: ReadHandlers): ReadStats;
}
