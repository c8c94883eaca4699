// Driver-independent pieces of the store: the evidence digest that makes writes idempotent, the part
// of a result kept beside its findings, and the server summary the verdict layer computes.
import { createHash } from "node:crypto";
import type { Finding } from "../model/finding.js";
import type { Coverage, Exposure, ServerResult } from "../model/types.js";
import {
  type AckMatcher,
  type FleetVerdict,
  fleetVerdict,
  type VerdictPart,
} from "../verdict/acknowledged.js";
import type { RunKind } from "./types.js";

/**
 * What the run found, hashed: the same evidence judged by the same version gives the same digest,
 * whatever the time it took. With the run key it makes a retried write a no-op.
 */
export function evidenceDigest(r: ServerResult): string {
  const h = createHash("sha256");
  h.update(
    JSON.stringify([
      r.name,
      r.verdict,
      r.findings.map((f) => f.id),
      r.omittedFindings,
      r.coverage,
      r.skipped,
      { ...r.stats, durationMs: 0 },
      r.exposure?.build ?? null,
    ]),
  );
  return h.digest("hex");
}

/** The result without its findings (those get rows of their own). */
export function resultShell(r: ServerResult): Omit<ServerResult, "findings"> {
  const { findings: _omit, ...rest } = r;
  return rest;
}

export function coverageWindow(c: Coverage | null | undefined): { from: string | null; to: string | null } {
  const times = (c?.sources ?? [])
    .flatMap((s) => [s.oldest, s.newest])
    .filter((t): t is string => !!t)
    .sort();
  return { from: times[0] ?? null, to: times[times.length - 1] ?? null };
}

export function openCves(e: Exposure | null | undefined): string[] {
  if (!e) return [];
  return Object.entries(e.cves)
    .filter(([, s]) => s.status === "vulnerable")
    .map(([c]) => c)
    .sort();
}

/** Runs whose coverage speaks for the server's logs (the others only know its build or its host). */
export const EVIDENCE_KINDS: readonly RunKind[] = ["scan", "result"];

export interface StoredRun {
  id: number;
  kind: RunKind;
  at: string;
  verdict: string;
  shell: Omit<ServerResult, "findings">;
  findings: Finding[];
}

export interface ServerSummary extends FleetVerdict {
  scannedVerdict: string;
  verdictAt: string | null;
  lastScanAt: string | null;
  lastKind: RunKind | null;
  build: string | null;
  openCves: string[];
  updateAction: string | null;
  logsFrom: string | null;
  logsTo: string | null;
  coversWindow: boolean | null;
}

/**
 * A server's summary from the latest run of each kind, newest first. The evidence scan goes first so
 * its coverage is the one the verdict weighs; the build comes from the newest run that knew one.
 */
export function summarize(latestPerKind: StoredRun[], acks: AckMatcher): ServerSummary {
  const byTime = [...latestPerKind].sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
  const evidence = byTime.find((r) => EVIDENCE_KINDS.includes(r.kind)) ?? null;
  const ordered = evidence ? [evidence, ...byTime.filter((r) => r !== evidence)] : byTime;
  const parts: VerdictPart[] = ordered.map((r) => ({
    findings: r.findings,
    coverage: EVIDENCE_KINDS.includes(r.kind) ? r.shell.coverage : null,
    omittedFindings: r.shell.omittedFindings ?? {},
  }));
  const judged = fleetVerdict(parts, acks);
  const exposed = byTime.find((r) => r.shell.exposure?.build);
  const window = coverageWindow(evidence?.shell.coverage);
  return {
    ...judged,
    scannedVerdict: byTime[0]?.verdict ?? "unknown",
    verdictAt: byTime[0]?.at ?? null,
    lastScanAt: evidence?.at ?? null,
    lastKind: byTime[0]?.kind ?? null,
    build: exposed?.shell.exposure?.build ?? null,
    openCves: openCves(exposed?.shell.exposure),
    updateAction: exposed?.shell.exposure?.recommendation?.action ?? null,
    logsFrom: window.from,
    logsTo: window.to,
    coversWindow: evidence ? evidence.shell.coverage.coversWindow : null,
  };
}

/**
 * The server columns a summary sets, in the order both drivers' UPDATE statements name them
 * (verdict, confidence, reasons, scanned_verdict, verdict_at, last_scan_at, last_kind, build,
 * open_cves, update_action, logs_from, logs_to, covers_window, open_findings, acknowledged).
 */
export function summaryColumns(s: ServerSummary): (string | number | null)[] {
  return [
    s.verdict,
    s.confidence,
    JSON.stringify(s.reasons),
    s.scannedVerdict,
    s.verdictAt,
    s.lastScanAt,
    s.lastKind,
    s.build,
    JSON.stringify(s.openCves),
    s.updateAction,
    s.logsFrom,
    s.logsTo,
    s.coversWindow === null ? null : s.coversWindow ? 1 : 0,
    s.open,
    s.acknowledged,
  ];
}

/** Text a LIKE pattern matches literally. */
export function likeLiteral(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
