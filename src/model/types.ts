// The types every layer shares. This module imports nothing.

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export const SEVERITY_ORDER: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/**
 * How a check's findings move the verdict.
 * - compromise: proof of successful exploitation or post-exploitation (web shell, file write, dump)
 * - attempt:    exploitation was tried; no sign that it worked
 * - exposure:   the server is vulnerable (build, probe), nothing about use
 * - context:    listed for the responder, raises the verdict only when another check hit
 *               (Test-ProxyLogon's rule for lsass dumps and ProgramData archives)
 * - coverage:   a gap in the evidence (logs too young, source missing)
 */
export type VerdictEffect = "compromise" | "attempt" | "exposure" | "context" | "coverage";

export type VerdictName = "compromised" | "attempted" | "vulnerable" | "clean" | "unknown";

/** One result of one check. The one output schema; keep field names stable. */
export interface Finding {
  /** Stable id: the same evidence gives the same id on every run. */
  id: string;
  check: string;
  cves: string[];
  severity: Severity;
  title: string;
  server: string;
  /** Relative to the scanned root, forward slashes; null when not tied to a file. */
  file: string | null;
  /** 1-based line in `file`; null for findings about whole files. */
  line: number | null;
  /** ISO 8601 UTC, or null when the evidence carries no time. */
  time: string | null;
  evidence: Record<string, string>;
  references: string[];
}

/** What a check is, independent of any single finding. Detections declare it next to their match. */
export interface CheckInfo {
  id: string;
  title: string;
  cves: string[];
  severity: Severity;
  effect: VerdictEffect;
  description: string;
  references: string[];
}

/** Where the evidence came from, per kind of source (e.g. "HttpProxy/Ecp", "ECP Server"). */
export interface SourceCoverage {
  source: string;
  kind: string;
  files: number;
  bytes: number;
  oldest: string | null;
  newest: string | null;
}

export interface Coverage {
  sources: SourceCoverage[];
  /** Sources a full assessment needs but that were not in the evidence. */
  missing: string[];
  /** The campaign window the coverage is judged against. */
  window: { exploitationFrom: string; patchedOn: string };
  /** True when at least one log source reaches back to the start of the window. */
  coversWindow: boolean;
  notes: string[];
}

export type SkipReason =
  | "unreadable"
  | "empty"
  | "corrupt"
  | "unknown-format"
  | "truncated"
  | "partial"
  | "too-large"
  | "refused"
  | "not-found"
  | "loop";

export interface Skipped {
  file: string;
  reason: SkipReason;
  detail: string;
}

/** What became of one file of the evidence: exactly one of read, not read, excluded. */
export interface FileAccount {
  file: string;
  outcome: "read" | "not-read" | "excluded";
  /** read: the reader (`evtx`, `event-json`, `exchange-log`, …, or `file-sweep` for web-shell/IOC checks). */
  reader?: string;
  /** read by a log reader: records read from it. */
  records?: number;
  /** not read / excluded: why, as counted in `byReason` ("Apache/nginx access log", "unreadable", …). */
  reason?: string;
  /** More about it: a skip detail, the keys an unknown JSON holds, notes on a file read (records recovered). */
  detail?: string;
}

/** Every file in the evidence, accounted for: nothing is silently dropped. */
export interface FileAccounting {
  read: number;
  notRead: number;
  excluded: number;
  /** Files read, by reader. */
  byReader: Record<string, number>;
  /** Files not read or excluded, by reason. */
  byReason: Record<string, number>;
  files: FileAccount[];
}

export interface ServerStats {
  /** Every file found in the evidence, and their bytes. */
  files: number;
  bytes: number;
  /** Files read as logs or event logs, and their bytes. */
  logFiles: number;
  logBytes: number;
  /** Files the web-shell/IOC sweep read, and the bytes it read of them (see hunt/sweep.ts caps). */
  sweptFiles?: number;
  sweptBytes?: number;
  /** Data records (log rows, events) read. */
  records: number;
  /** Rows that could not be read as their header says (reported per file in `skipped`). */
  badRows: number;
  durationMs: number;
}

export interface ServerResult {
  name: string;
  root: string;
  verdict: VerdictName;
  /** Why the verdict is what it is, one short sentence each, most important first. */
  reasons: string[];
  coverage: Coverage;
  findings: Finding[];
  /** Findings beyond the per-check limit, counted but not listed (check id -> count). */
  omittedFindings: Record<string, number>;
  skipped: Skipped[];
  stats: ServerStats;
  /** Exchange install path on the server, as given or inferred from the evidence layout. */
  installPath: string | null;
  /** Build and CVE status, when known (live server, log headers, or given). */
  exposure?: Exposure | null;
  /** What became of every file found: read (by which reader), not read (why), excluded. */
  files?: FileAccounting;
}

export type CveStatus = "fixed" | "vulnerable" | "unknown" | "not-affected";

/** What is known of a server's build and the CVEs it leaves open (exposure issue; `exhunt build`). */
export interface Exposure {
  /** Four-part build, e.g. `15.1.2176.2`, or a three-part CU build when only that is known. */
  build: string | null;
  /** Where the build came from: "ExSetup.exe file version", "log header", "probe: X-OWA-Version", ... */
  buildSource: string;
  /** When the build was observed (ISO UTC); for a log header, the newest record carrying it. */
  asOf: string | null;
  product: string | null;
  cu: string | null;
  update: string | null;
  cves: Record<string, { status: CveStatus; fixedIn: string | null }>;
  /** The exact action to close what is open. */
  recommendation: Recommendation | null;
}

/** One update to install. */
export interface UpdateStep {
  name: string;
  build: string;
  kb: string | null;
}

/** What to do about a build (`exhunt build`, `exhunt probe`, scan exposure); names are part of the JSON output. */
export interface Recommendation {
  /** none: nothing of the nine open · install-su: an SU of the current CU · upgrade-cu: a newer CU first · verify: the update level is unknown. */
  action: "none" | "install-su" | "upgrade-cu" | "verify" | "unsupported";
  cuUpgradeNeeded: boolean;
  /** What the server should end up on (the newest update in the table for that CU line). */
  target: UpdateStep | null;
  /** In order: a CU (when needed), then its newest SU. */
  steps: UpdateStep[];
  /** The build is a March 2021 SU for an out-of-support CU: ProxyLogon only, interim. */
  interimOnly: boolean;
  endOfSupport: { date: string; passed: boolean; notice: string } | null;
  summary: string;
  notes: string[];
}

export interface ScanResult {
  schemaVersion: 1;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  servers: ServerResult[];
}

/** The campaign window (MSTIC / Volexity): first exploitation seen, and the day the patches shipped. */
export const CAMPAIGN_WINDOW = {
  exploitationFrom: "2021-01-03T00:00:00.000Z",
  patchedOn: "2021-03-02T00:00:00.000Z",
};
