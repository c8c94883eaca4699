// The contract between the engine and the detections. A detection declares what it reads and what it
// emits (its checks, with metadata next to the match), and turns one record into zero or more drafts.

import type { IisSite } from "../evidence/iis-config.js";
import type { Assessment } from "../exposure/assess.js";
import type { Finding, FindingDraft } from "../model/finding.js";
import type { EventRecord, FileEntry, HttpField, LogKind, LogRow } from "../model/records.js";
import type { CheckInfo, Coverage } from "../model/types.js";
import type { RowPrefilter } from "../readers/types.js";
import type { HuntContext } from "./context.js";

export type { FindingDraft } from "../model/finding.js";

/** Where a record was read: plain data, sent to worker threads with each task. */
export interface TaskContext {
  server: string;
  /** The file being read, relative to the scanned root. */
  file: string;
  /** Exchange install path as on the server, with a trailing backslash (`C:\Program Files\...\V15\`), if known. */
  installPath: string | null;
}

/** What a detection sees besides the record: where it was read, and the scan's hunt context. */
export interface MatchContext extends TaskContext {
  hunt: HuntContext;
  /**
   * Hand plain data to the server's findings detections (`FindingsInput.collected[channel]`), for
   * correlations over more than a finding shows (Sigma correlation rules count matches of rules that
   * make no finding of their own). Bounded per file by the engine; absent outside a scan.
   */
  collect?(channel: string, item: unknown): void;
}

export type Drafts = FindingDraft | FindingDraft[] | null | undefined;

/** A prefilter on one column: see RowDetection.field. */
export interface FieldFilter {
  /** A canonical field of the rows' family; the reader finds its column through the format's field map. */
  field: HttpField;
  /** Omitted: the field's gate literals alone decide (the column is not read). */
  accept?: (value: string) => boolean;
  /**
   * ASCII literals (either case) one of which every accepted value contains: rows without any are not
   * looked at. Omit when no such set exists; every row's field is then read.
   */
  literals?: string[];
  /**
   * Rows whose gate is open also pass this test of the whole line as logged (Latin-1, lower-cased)
   * before the row is made: for conditions on several literals at once. Exact-or-looser than `match`.
   * `gateHits`: the gate literals (or the plan's pieces of them, lower case) the row holds, when the
   * one-pass search gated it; null when every row comes (then nothing is known of them).
   */
  line?: (lower: string, gateHits: readonly string[] | null) => boolean;
}

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
  /** Match `literals` in either case (ASCII letters): `/ecp/` also finds `/ECP/` and `/eCp/`. */
  ignoreCase?: boolean;
  /**
   * Instead of `literals` (which must then be []): the rows whose canonical field `field`
   * passes `accept`, given the decoded value. The scanner finds that one field without splitting the
   * row, so a check on one column (e.g. a list of IP addresses) costs about one short walk per row.
   * `accept` must be exact-or-looser than `match`. Read when the plan is made, so it may depend on
   * loaded indicator feeds; null: no row can match.
   */
  field?: (kind: LogKind, hunt: HuntContext) => FieldFilter | null;
  /**
   * A second look at a line that contains one of `literals`, declared as data and done by the reader on
   * raw bytes before fields are split (the split costs more than the search): more literals the line
   * must contain, tests on the field token the literal occurs in. Must be exact-or-looser than `match`
   * (it may let through rows `match` rejects, never the reverse).
   */
  prefilter?: RowPrefilter;
  /**
   * An occurrence of a literal counts only when `need` follows it before any of `stops` (at most four
   * ASCII characters), a line break or the end of the line. The reader applies it (in the one-pass
   * search, or after indexOf). Must accept every row `match` accepts.
   */
  literalGuard?: { need: string; stops: string };
  /** `memory`: scratch space of this detection for the read task (one file or byte range); absent when a test calls it alone. */
  match(row: LogRow, ctx: MatchContext, memory?: EventMemory): Drafts;
}

/** Looks at files found in the evidence (by path and metadata). */
export interface FileDetection {
  type: "file";
  id: string;
  checks: CheckInfo[];
  match(file: FileEntry, ctx: MatchContext): Drafts;
}

/**
 * Scratch space for one detection over one read task (one file or byte range), for correlating records
 * within it (e.g. an export and its removal, or what was already handed on). Fresh per task; the
 * detection keeps what it stores bounded.
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

/**
 * A file the sweep read: web folders, `--files` roots, and every other file not read as a log. Its
 * bytes are read once and shared by every content detection (and YARA).
 */
export interface SweptFile {
  /** Relative to the scanned root (or the `--files` root as given), forward slashes. */
  path: string;
  /** Windows path it had on the server, when the layout tells. */
  winPath: string | null;
  size: number;
  /** Last write time, ISO UTC. */
  mtime: string;
  /** Web folder the file is in (by its Windows path), or null. */
  folder: WebFolder | null;
  /** Found under a `--files` root: content rules run on it whatever its folder. */
  extraRoot: boolean;
  /** SHA-256 (lower-case hex) of the whole file; null when the file is over the hashing cap. */
  sha256: string | null;
  /** Only computed when an IOC feed holds indicators of that type. */
  sha1: string | null;
  md5: string | null;
  /** The content the rules see: the whole file, or its first bytes when `truncated`. */
  content: Buffer;
  truncated: boolean;
  /** `content` as lower-case Latin-1 text (one byte = one char), computed once, shared by the rules. */
  lower(): string;
}

/** Web folders of an Exchange server that the sweep knows (see detections/webfolders.ts). */
export type WebFolder =
  | "aspnet_client" // %IIS%\wwwroot\aspnet_client (incl. system_web): Exchange ships no scripts there
  | "wwwroot" // %IIS%\wwwroot, outside aspnet_client
  | "webroot" // another IIS site's physical path (applicationHost.config) or inetpub tree
  | "owa-auth" // <install>\FrontEnd\HttpProxy\owa\auth (incl. Current\themes\resources, <build>\)
  | "ecp-auth" // <install>\FrontEnd\HttpProxy\ecp\auth
  | "httpproxy" // other <install>\FrontEnd\HttpProxy\<vdir> folders (OAB, EWS, ...)
  | "clientaccess" // <install>\ClientAccess\<vdir> (back-end OAB, ecp, owa, ...)
  | "temp-aspnet"; // %WINDIR%\Microsoft.NET\Framework*\v*\Temporary ASP.NET Files

/** Reads the content of swept files (web shells, IOC hashes, YARA). */
export interface ContentDetection {
  type: "content";
  id: string;
  checks: CheckInfo[];
  /** Cheap look at path and metadata: false skips `match` for this file. */
  select(file: SweptFile, ctx: MatchContext): boolean;
  match(file: SweptFile, ctx: MatchContext): Drafts;
}

/** What the engine knows of a server once every record was read: the input of findings detections. */
export interface FindingsInput {
  server: string;
  /** The findings of the record, file and content detections (and of findings detections before this one). */
  findings: readonly Finding[];
  /** Findings over the per-check limit, counted (check id -> count). */
  omitted: Readonly<Record<string, number>>;
  coverage: Coverage;
  /** The build assessment, when the build is known. */
  exposure: ExposureFacts | null;
  /** What record detections handed on through `MatchContext.collect`, by channel, in file order. */
  collected?: Readonly<Record<string, readonly unknown[]>>;
  /** Items `collect` could not keep (over the per-file bound), by channel. */
  collectedDropped?: Readonly<Record<string, number>>;
  /** The scan's hunt context (rule sets compiled from its set-up); absent when a test runs one alone. */
  hunt?: HuntContext;
  /** The IIS sites applicationHost.config declares, when the evidence holds it. */
  iisSites?: readonly IisSite[];
  /** Exchange install path on the server, when known (an Exchange server). */
  installPath?: string | null;
}

/** The build assessment and where the build came from. */
export interface ExposureFacts {
  assessment: Assessment;
  buildSource: string;
  asOf: string | null;
}

/**
 * Looks at the findings of a server as a whole (correlation, coverage gaps, exposure): runs once per
 * server, after the record detections, in table order.
 */
export interface FindingsDetection {
  type: "findings";
  id: string;
  checks: CheckInfo[];
  run(input: FindingsInput): Drafts;
}

export type Detection = RowDetection | FileDetection | EventDetection | ContentDetection | FindingsDetection;

export function draftsOf(d: Drafts): FindingDraft[] {
  if (d == null) return [];
  return Array.isArray(d) ? d : [d];
}
