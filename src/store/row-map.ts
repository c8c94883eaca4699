// Driver-independent mapping of stored rows to the store's types. Both drivers keep the same columns
// (JSON lists as text, flags as 0/1 integers), so one set of converters serves both.
import type { Finding } from "../model/finding.js";
import type { Confidence, ServerResult, VerdictName } from "../model/types.js";
import type { Acknowledgement, ExportRecord, FleetRow, RunKind, RunRow, ServerStatus } from "./types.js";

export type Row = Record<string, unknown>;

export function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function json<T>(v: unknown, fallback: T): T {
  if (typeof v !== "string") return fallback;
  // Most list cells are empty arrays: no parse for them (fleet list reads three per server).
  if (v === "[]") return [] as T;
  return JSON.parse(v) as T;
}

/** Every column `fleet list` shows, and no more: the reasons stay for the server page. */
export const LIST_COLUMNS = [
  "name",
  "addresses",
  "owner",
  "contact",
  "asn",
  "tags",
  "verdict",
  "confidence",
  "scanned_verdict",
  "verdict_at",
  "last_scan_at",
  "last_kind",
  "build",
  "open_cves",
  "update_action",
  "logs_from",
  "logs_to",
  "covers_window",
  "open_findings",
  "acknowledged",
  "status",
  "status_at",
  "run_count",
].join(", ");

export function fleetRow(r: Row): FleetRow {
  return {
    name: r.name as string,
    addresses: json<string[]>(r.addresses, []),
    owner: str(r.owner),
    contact: str(r.contact),
    asn: str(r.asn),
    tags: json<string[]>(r.tags, []),
    verdict: r.verdict as VerdictName,
    confidence: r.confidence as Confidence,
    scannedVerdict: r.scanned_verdict as VerdictName,
    verdictAt: str(r.verdict_at),
    lastScan: str(r.last_scan_at),
    lastKind: (r.last_kind as RunKind | null) ?? null,
    build: str(r.build),
    openCves: json<string[]>(r.open_cves, []),
    updateAction: str(r.update_action),
    logsFrom: str(r.logs_from),
    logsTo: str(r.logs_to),
    coversWindow: r.covers_window === null || r.covers_window === undefined ? null : r.covers_window === 1,
    openFindings: r.open_findings as number,
    acknowledged: r.acknowledged as number,
    status: (r.status as ServerStatus | null) ?? null,
    statusAt: str(r.status_at),
    runs: r.run_count as number,
  };
}

export function runRow(r: Row): RunRow {
  return {
    id: r.id as number,
    kind: r.kind as RunKind,
    key: r.run_key as string,
    digest: r.digest as string,
    at: r.at as string,
    version: r.version as string,
    options: json<Record<string, unknown>>(r.options, {}),
    verdict: r.verdict as VerdictName,
    confidence: r.confidence as Confidence,
    findings: r.finding_count as number,
    build: str(r.build),
  };
}

export function ackRow(r: Row): Acknowledgement {
  return {
    id: r.id as number,
    server: r.server as string,
    fingerprint: str(r.fingerprint),
    rule: str(r.rule),
    reason: r.reason as string,
    by: r.by as string,
    at: r.at as string,
    revokedAt: str(r.revoked_at),
    revokedBy: str(r.revoked_by),
  };
}

/** A stored run (a runs row joined with its server's name as `server`) as an export record. */
export function runExport(r: Row, findings: Finding[]): ExportRecord {
  const shell = JSON.parse(r.result as string) as Omit<ServerResult, "findings">;
  return {
    type: "run",
    server: r.server as string,
    run: {
      kind: r.kind as RunKind,
      key: r.run_key as string,
      digest: r.digest as string,
      at: r.at as string,
      version: r.version as string,
      options: json<Record<string, unknown>>(r.options, {}),
    },
    result: { ...shell, findings },
  };
}
