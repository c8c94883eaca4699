// The types every layer shares (result schema v2). This module imports only model types.
import type { Finding } from "./finding.js";
import type { RecordFamily } from "./records.js";

export type { Finding } from "./finding.js";

export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** How sure the check is that the finding means what its effect says. */
export type Confidence = "high" | "medium" | "low";

/**
 * How a check's findings move the verdict.
 * - compromise: proof of successful exploitation or post-exploitation (web shell, file write, dump)
 * - attempt:    exploitation was tried; no sign that it worked
 * - exposure:   the server is vulnerable (build, probe), nothing about use
 * - context:    listed for the responder, raises the verdict only when another check hit
 *               (Test-ProxyLogon's rule for lsass dumps and ProgramData archives)
 * - coverage:   a gap in the evidence (logs too young, source missing)
 * - info:       recorded for the responder, never weighed (a detection that failed, a note)
 */
export type Effect = "compromise" | "attempt" | "exposure" | "context" | "coverage" | "info";

/** @deprecated v1 name of {@link Effect}. */
export type VerdictEffect = Effect;

/**
 * suspicious: evidence an attacker may have been on the server that does not prove it (docs/verdict.md):
 * a proven LSASS dump outside every campaign window, a low-confidence compromise sign.
 */
export type VerdictName = "compromised" | "attempted" | "suspicious" | "vulnerable" | "clean" | "unknown";

/** Which rows of the evidence ladder (docs/verdict.md, src/verdict/ladder.ts) decided a verdict. */
export interface VerdictBasis {
  /** Ladder rule ids that applied, strongest first. */
  rules: string[];
  /** What decided it, one line each (the findings' checks, or the coverage). */
  decidedBy: string[];
  /** What evidence would change it, one line each. */
  wouldChange: string[];
}

/** What a check is, independent of any single finding. Detections declare it next to their match. */
export interface CheckInfo {
  id: string;
  title: string;
  cves: string[];
  severity: Severity;
  effect: Effect;
  /** Default confidence of the check's findings (medium when not said). */
  confidence?: Confidence;
  description: string;
  references: string[];
}

/** Where the evidence came from, per kind of source (e.g. "HttpProxy/Ecp", "ECP Server"). */
export interface SourceCoverage {
  /** Named from the records' kind and content (IIS site, HttpProxy protocol) first, the folder path only as a hint. */
  source: string;
  /** The log kind (`httpproxy`, `iis-w3c`, ...) or `event`. */
  kind: string;
  /** The record family its records were read as (absent in results upgraded from version 1). */
  family?: RecordFamily;
  files: number;
  bytes: number;
  /** Data records read (log rows, events); absent in results of earlier versions. */
  records?: number;
  oldest: string | null;
  newest: string | null;
  /** How much of the campaign window this source's records span (gaps between files count). */
  window?: WindowCoverage;
}

/** full: records through the whole window; partial: some of it; none: the logs end before it, start after it, or have a gap across it. */
export type WindowCoverage = "full" | "partial" | "none";

export interface Coverage {
  sources: SourceCoverage[];
  /** Sources a full assessment needs but that were not in the evidence. */
  missing: string[];
  /** The campaign window the coverage is judged against. */
  window: { exploitationFrom: string; patchedOn: string };
  /** True when at least one log source spans the whole window (from before exploitation to the patches). */
  coversWindow: boolean;
  /** The best window coverage of any log source that judges the campaign. */
  windowCoverage?: WindowCoverage;
  /** Per exploitation wave (ProxyLogon, ProxyShell, ProxyNotShell): how much of its window the logs span. */
  campaigns?: CampaignCoverage[];
  notes: string[];
}

/** How much of one campaign's window the logs span (absent in results written before it existed). */
export interface CampaignCoverage {
  campaign: CampaignName;
  from: string;
  /** When the wave's patches shipped. */
  patchedOn: string;
  coverage: WindowCoverage;
}

export type CampaignName = "ProxyLogon" | "ProxyShell" | "ProxyNotShell";

/**
 * The exploitation waves, with the day exploitation was first seen, the patches, and the end of the mass
 * exploitation that followed (a judgement from the public reporting, used to grade post-exploitation
 * evidence such as an LSASS dump: inside a wave it is compromise-grade). A server left unpatched stays
 * exposed after `activeUntil`; coverage counts logs from `from` on as showing the wave.
 */
export const CAMPAIGNS: readonly {
  name: CampaignName;
  from: string;
  patchedOn: string;
  activeUntil: string;
}[] = [
  // MSTIC/Volexity: first exploitation 2021-01-03; out-of-band patches 2021-03-02.
  {
    name: "ProxyLogon",
    from: "2021-01-03T00:00:00.000Z",
    patchedOn: "2021-03-02T00:00:00.000Z",
    activeUntil: "2021-06-30T23:59:59.999Z",
  },
  // Patched April/May 2021; Orange Tsai's talk 2021-08-05, mass scanning from 2021-08-06.
  {
    name: "ProxyShell",
    from: "2021-08-05T00:00:00.000Z",
    patchedOn: "2021-05-11T00:00:00.000Z",
    activeUntil: "2022-06-30T23:59:59.999Z",
  },
  // GTSC's report 2022-09-28 (exploited since August 2022); patched 2022-11-08.
  {
    name: "ProxyNotShell",
    from: "2022-08-01T00:00:00.000Z",
    patchedOn: "2022-11-08T00:00:00.000Z",
    activeUntil: "2023-12-31T23:59:59.999Z",
  },
];

/** The campaign whose active exploitation window holds `time`, or null. */
export function campaignAt(time: string | null): CampaignName | null {
  if (!time) return null;
  for (const c of CAMPAIGNS) if (time >= c.from && time <= c.activeUntil) return c.name;
  return null;
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
  /** read .evtx: carved records that were copies of live ones (recovered-duplicate), not counted in `records`. */
  recoveredDuplicates?: number;
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
  /** How sure the verdict is, given the evidence read and its coverage. */
  confidence: Confidence;
  /** The ladder rows that decided the verdict, what decided it and what would change it. */
  basis?: VerdictBasis;
  /** Why the verdict is what it is, one short sentence each, most important first. */
  reasons: string[];
  /** What to do, in order, as computed at scan time (renderers never recompute it). */
  plan: PlanStep[];
  /** The correlated timeline of the server's activity findings, as computed at scan time. */
  timeline: Timeline;
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

/** config-check: the build has the fix, but the fix also needs a configuration step the build cannot show. */
export type CveStatus = "fixed" | "vulnerable" | "unknown" | "not-affected" | "config-check";

/** What to verify on the server for a CVE whose fix the build alone does not prove. */
export interface ConfigCheck {
  /** required: the fix needs this step (Extended Protection, hybrid app) · override: a SettingOverride can switch the fix off. */
  kind: "required" | "override";
  what: string;
  /** How to check on the running server (cmdlet or script). */
  live: string;
  /** Where to look in a copy of the server (file or registry value), or why there is none. */
  offline: string;
}

/** Per-CVE status of a build; fixedBy, kb and check are present when known. */
export interface CveExposure {
  status: CveStatus;
  fixedIn: string | null;
  /** The update that first fixes it on this CU line ("Aug25SU", "CU base (…)"). */
  fixedBy?: string | null;
  kb?: string | null;
  check?: ConfigCheck;
}

/** Support of the build's product and CU line (Microsoft lifecycle, servicing seen in the build table). */
export interface SupportStatus {
  /** supported · esu-only (out of support, updates for Extended Security Update customers only) · unsupported (no more updates for this product or CU line). */
  status: "supported" | "esu-only" | "unsupported";
  /** The CU line still gets updates (its newest update is the product's newest in the table). */
  lineServiced: boolean;
  notice: string;
  /** To a supported version (Exchange SE) when not supported; empty otherwise. */
  upgradePath: UpdateStep[];
}

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
  cves: Record<string, CveExposure>;
  /** The exact action to close what is open. */
  recommendation: Recommendation | null;
}

/** One update to install. */
export interface UpdateStep {
  name: string;
  build: string;
  kb: string | null;
  /** Release date (ISO), when from the build table. */
  date?: string;
  /** Released for Extended Security Update customers only (2016/2019 after their end of support). */
  esuOnly?: boolean;
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
  /** Product and CU line support (absent in results written before it existed). */
  support?: SupportStatus;
  /** Security updates of the build's CU line newer than the build, oldest first. */
  newerUpdates?: UpdateStep[];
  /** Release date of the newest build the table knows (ISO date). */
  tableDate?: string;
  /** The build is newer than every build of its line in the table. */
  newerThanTable?: boolean;
}

export const SCHEMA_VERSION = 2 as const;

export interface ScanResult {
  schemaVersion: 2;
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

export type StepId =
  | "contain"
  | "preserve"
  | "report"
  | "remove-webshells"
  | "hunt-webshells"
  | "credentials"
  | "update"
  | "mitigate"
  | "collect"
  | "rescan";

/** One step of a server's remediation plan. */
export interface PlanStep {
  id: StepId;
  title: string;
  /** Why this step, in one or two sentences, naming what was found. */
  why: string;
  /** What exactly to do: concrete actions, paths, hashes, update names. */
  actions: string[];
  /** Findings that call for the step (ids). */
  findingIds: string[];
  references: string[];
}

export interface TimelineEntry {
  /** ISO UTC; null for findings without a time (listed after the dated ones). */
  time: string | null;
  server: string;
  /** Where the record comes from: `HttpProxy/Ecp`, `ECP Server`, `OABGeneratorLog`, `IIS`, `Event log`, `File`. */
  source: string;
  summary: string;
  findingIds: string[];
  /** The incident group this entry belongs to (`<server>#<n>`), or null when it links to nothing. */
  groupKey: string | null;
  severity: Severity;
  check: string;
  file: string | null;
  line: number | null;
}

export interface IncidentGroup {
  key: string;
  server: string;
  first: string | null;
  last: string | null;
  ips: string[];
  paths: string[];
  /** What tied the findings together: `ip:…`, `request:…`, `canary:…`, `file:…`. */
  links: string[];
  findingIds: string[];
  checks: string[];
}

export interface Timeline {
  entries: TimelineEntry[];
  groups: IncidentGroup[];
}
