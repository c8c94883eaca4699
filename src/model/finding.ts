// The finding of result schema v2: one result of one check, carrying its own meaning (effect,
// severity, confidence, rule metadata) and a typed subject, so that a renderer or a store never needs
// the detection table to understand it. This module imports only model types.
import { createHash } from "node:crypto";
import type { CheckInfo, Confidence, Effect, Severity } from "./types.js";

/** An HTTP request as IIS or an Exchange HttpProxy log recorded it (canonical field names). */
export interface HttpRequestSubject {
  kind: "http-request";
  method: string | null;
  uri: string | null;
  query: string | null;
  status: number | null;
  clientIp: string | null;
  serverIp: string | null;
  userAgent: string | null;
  user: string | null;
  requestId: string | null;
  /** HttpProxy: the back end the request was proxied to (AnchorMailbox / TargetServer), when logged. */
  target: string | null;
}

/** A file of the evidence: a swept web file, a dump, an archive. */
export interface FileSubject {
  kind: "file";
  /** Relative to the scanned root, forward slashes. */
  path: string;
  /** The Windows path it had on the server, when the layout tells. */
  winPath: string | null;
  size: number | null;
  sha256: string | null;
  mtime: string | null;
}

/** A Windows event (EVTX or an export of one). */
export interface EventSubject {
  kind: "event";
  channel: string;
  provider: string;
  eventId: number;
  recordId: number | null;
  computer: string;
}

/** A build number and what it was read from (exposure). */
export interface BuildSubject {
  kind: "build";
  build: string | null;
  product: string | null;
  buildSource: string;
}

/** A network host (probe). */
export interface HostSubject {
  kind: "host";
  host: string;
  address: string | null;
  port: number | null;
}

/** A line of a log that is not an HTTP request (ECP Server cmdlets, OABGeneratorLog). */
export interface LogLineSubject {
  kind: "log-line";
  logKind: string;
}

/** The evidence as a whole (coverage gaps, a failed detection). */
export interface EvidenceSubject {
  kind: "evidence";
  /** The log source or part of the evidence concerned, when there is one. */
  source: string | null;
}

/** Findings about other findings (a web shell linked to its requests). */
export interface CorrelationSubject {
  kind: "correlation";
  /** The finding ids the correlation is built on. */
  findingIds: string[];
  /** What tied them together: a URL path, a client address, a file path. */
  key: string;
}

export type Subject =
  | HttpRequestSubject
  | FileSubject
  | EventSubject
  | BuildSubject
  | HostSubject
  | LogLineSubject
  | EvidenceSubject
  | CorrelationSubject;

export type SubjectKind = Subject["kind"];

/** Where in the evidence the finding was read. */
export interface FindingSource {
  /** Relative to the scanned root, forward slashes; null when not tied to a file. */
  file: string | null;
  /** 1-based line for line logs; null otherwise. */
  line: number | null;
  /** Event record id for event logs; null otherwise. */
  record: number | null;
  /** A bounded excerpt of the raw record (attacker-controlled: escape before display). */
  excerpt: string | null;
}

/** What rule made the finding: a built-in check or a third-party rule (Sigma, YARA). */
export interface RuleMeta {
  id: string;
  title: string;
  references: string[];
  /** Third-party rules: who wrote the rule, and its licence (shown with every match). */
  author?: string;
  licence?: string;
  /** Where the rule comes from: "exhunt", "sigma", "yara", or a feed name. */
  origin?: string;
  tags?: string[];
}

/** One result of one check (schema v2). Field names are part of the JSON output: keep them stable. */
export interface Finding {
  /** Stable: the same evidence gives the same id on every run. */
  id: string;
  /** Stable across runs and evidence copies: the rule and the subject, not the file position. */
  fingerprint: string;
  check: string;
  effect: Effect;
  severity: Severity;
  confidence: Confidence;
  cves: string[];
  title: string;
  server: string;
  subject: Subject;
  source: FindingSource;
  /** ISO 8601 UTC, or null when the evidence carries no time. */
  time: string | null;
  /** The record's fields as the detection kept them (attacker-controlled: escape before display). */
  evidence: Record<string, string>;
  rule: RuleMeta;
}

/** What a detection returns; the engine adds id, server, source and the check's metadata. */
export interface FindingDraft {
  check: string;
  time: string | null;
  evidence: Record<string, string>;
  /** Overrides of the check's defaults for this one finding. */
  title?: string;
  severity?: Severity;
  effect?: Effect;
  confidence?: Confidence;
  /** Only for findings not about the record's own file/line (rare). */
  file?: string | null;
  line?: number | null;
  record?: number | null;
  excerpt?: string | null;
  /** The subject when the detection knows it better than the engine (which derives it from the record). */
  subject?: Subject;
  /** Rule metadata of a third-party rule (Sigma, YARA); built-in checks take their CheckInfo. */
  rule?: RuleMeta;
}

/** Excerpts are bounded: a hostile line of megabytes stays a few hundred bytes in the result. */
export const MAX_EXCERPT = 512;

export function clipExcerpt(s: string | null | undefined): string | null {
  if (s == null || s === "") return null;
  return s.length <= MAX_EXCERPT ? s : `${s.slice(0, MAX_EXCERPT - 1)}…`;
}

export function findingId(d: {
  check: string;
  server: string;
  file: string | null;
  line: number | null;
  time: string | null;
  evidence: Record<string, string>;
}): string {
  const h = createHash("sha256");
  h.update([d.check, d.server, d.file ?? "", d.line ?? "", d.time ?? ""].join("\u0000"));
  for (const k of Object.keys(d.evidence).sort()) h.update(`\u0000${k}=${d.evidence[k]}`);
  return h.digest("hex").slice(0, 16);
}

/** The subject's identity, without where it was read: the same request, file or event, whatever copy. */
export function subjectKey(s: Subject): string {
  switch (s.kind) {
    case "http-request":
      return [s.method, s.uri, s.query, s.status, s.clientIp, s.requestId].join("\u0001");
    case "file":
      return s.sha256 ?? (s.winPath ?? s.path).toLowerCase();
    case "event":
      return [s.channel.toLowerCase(), s.provider.toLowerCase(), s.eventId, s.recordId, s.computer].join(
        "\u0001",
      );
    case "build":
      return s.build ?? "";
    case "host":
      return `${s.host}\u0001${s.port ?? ""}`;
    case "log-line":
      return s.logKind;
    case "evidence":
      return s.source ?? "";
    case "correlation":
      return s.key;
  }
}

/** Rule + subject + time: what a fleet store keys acknowledgements on. */
export function fingerprintOf(check: string, server: string, subject: Subject, time: string | null): string {
  const h = createHash("sha256");
  h.update([check, server.toLowerCase(), subject.kind, subjectKey(subject), time ?? ""].join("\u0000"));
  return h.digest("hex").slice(0, 16);
}

const DEFAULT_SUBJECT: EvidenceSubject = { kind: "evidence", source: null };

/** A finding from a draft, with the metadata of its check (unknown checks get safe defaults). */
export function toFinding(d: FindingDraft, server: string, info: CheckInfo | undefined): Finding {
  const file = d.file ?? null;
  const line = d.line ?? null;
  const subject = d.subject ?? DEFAULT_SUBJECT;
  const title = d.title ?? info?.title ?? d.check;
  return {
    id: findingId({ check: d.check, server, file, line, time: d.time, evidence: d.evidence }),
    fingerprint: fingerprintOf(d.check, server, subject, d.time),
    check: d.check,
    effect: d.effect ?? info?.effect ?? "info",
    severity: d.severity ?? info?.severity ?? "medium",
    confidence: d.confidence ?? info?.confidence ?? "medium",
    cves: info?.cves ?? [],
    title,
    server,
    subject,
    source: { file, line, record: d.record ?? null, excerpt: clipExcerpt(d.excerpt) },
    time: d.time,
    evidence: d.evidence,
    rule: d.rule ?? {
      id: d.check,
      title: info?.title ?? title,
      references: info?.references ?? [],
      origin: "exhunt",
    },
  };
}

const SEV: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function severityRank(s: Severity): number {
  return SEV[s] ?? 5;
}

/** Severity first, then time, file, line and check: the order findings are listed in. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.time ?? "~").localeCompare(b.time ?? "~") ||
    (a.source.file ?? "").localeCompare(b.source.file ?? "") ||
    (a.source.line ?? 0) - (b.source.line ?? 0) ||
    a.check.localeCompare(b.check)
  );
}
