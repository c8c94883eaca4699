// The contract between the engine and the detections. A detection declares what it reads and what it
// emits (its checks, with metadata next to the match), and turns one record into zero or more drafts.

import type { EventRecord, FileEntry, LogKind, LogRow } from "../model/records.js";
import type { CheckInfo, Severity } from "../model/types.js";

/** What a detection returns; the engine adds id, server, file, line and the check's metadata. */
export interface FindingDraft {
  check: string;
  time: string | null;
  evidence: Record<string, string>;
  /** Overrides of the check's defaults for this one finding. */
  title?: string;
  severity?: Severity;
  /** Only for findings not about the record's own file/line (rare). */
  file?: string | null;
  line?: number | null;
}

export interface MatchContext {
  server: string;
  /** The file being read, relative to the scanned root. */
  file: string;
  /** Exchange install path as on the server, with a trailing backslash (`C:\Program Files\...\V15\`), if known. */
  installPath: string | null;
}

export type Drafts = FindingDraft | FindingDraft[] | null | undefined;

/** Reads rows of line-oriented logs. */
export interface RowDetection {
  type: "row";
  id: string;
  checks: CheckInfo[];
  kinds: LogKind[];
  /**
   * Byte prefilter: only lines containing one of these literals (case-sensitive, ASCII) reach `match`.
   * `null` means every data row, which costs a field split per row: use it only where no literal exists.
   */
  literals: string[] | null;
  /**
   * Optional byte-level look at a line that contains a literal, before fields are split (the split
   * costs more than the search): return false to skip the row. Must be cheap and exact-or-looser than
   * `match` (it may let through rows `match` rejects, never the reverse).
   */
  refine?: (line: Buffer, start: number, end: number, hit: number) => boolean;
  match(row: LogRow, ctx: MatchContext): Drafts;
}

/** Looks at files found in the evidence (by path and metadata). */
export interface FileDetection {
  type: "file";
  id: string;
  checks: CheckInfo[];
  match(file: FileEntry, ctx: MatchContext): Drafts;
}

/**
 * Scratch space for one detection over one read task (one file), for correlating events within it
 * (e.g. an export and its removal). Fresh per file; the detection keeps what it stores bounded.
 */
export type EventMemory = Map<string, unknown>;

/** Reads Windows events. */
export interface EventDetection {
  type: "event";
  id: string;
  checks: CheckInfo[];
  /** Prefilter: providers (case-insensitive) whose events reach `match`; null = all. */
  providers: string[] | null;
  match(event: EventRecord, ctx: MatchContext, memory: EventMemory): Drafts;
}

export type Detection = RowDetection | FileDetection | EventDetection;

export function draftsOf(d: Drafts): FindingDraft[] {
  if (d == null) return [];
  return Array.isArray(d) ? d : [d];
}
