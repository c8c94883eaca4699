// The reader contract: one reader per evidence format, registered in readers/index.ts.
import type { EventRecord, LogKind, LogRow } from "../model/records.js";
import type { BadRow, Header, LiteralPlan, Preamble } from "./delimited.js";

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
}

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
