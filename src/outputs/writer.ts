// The one interface every output implements (console, JSON, JSON lines, ECS, CSV, HTML): a run is
// begin(meta), then server(result) once per server as each is judged, then end(summary). A writer
// keeps what it has written out of memory, so a run over a large fleet never holds every finding.
import type { ServerResult, VerdictName } from "../model/types.js";

/** What is known of the run before its first server. */
export interface RunMeta {
  tool: { name: string; version: string };
  startedAt: string;
  /** Known when a saved result is rendered again; null while a scan runs. */
  finishedAt: string | null;
  /** The local server is being scanned (no paths): CSV log ages count up to now, not to the newest record. */
  live: boolean;
}

/** The little a run keeps per server: enough for a fleet summary, a title and the exit code. */
export interface ServerSummary {
  name: string;
  verdict: VerdictName;
  headline: string | null;
  /**
   * Findings that weigh in the verdict: compromise, attempt and exposure (the ones counted beyond the
   * per-check cap included). Context findings and log-coverage notes are listed in the server's own
   * section but not counted here: fourteen "this log starts late" notes are not fourteen findings.
   */
  findings: number;
  skipped: number;
  build: string | null;
  /** CVEs the server's build leaves open; null when the build is not known. */
  openCves: string[] | null;
  /** The first dated compromise or attempt finding (ISO UTC). */
  firstActivity: string | null;
}

export interface RunSummary {
  finishedAt: string;
  servers: ServerSummary[];
}

export interface Writer {
  /** The writer's name in the table (json, jsonl, ecs, csv, html, console). */
  readonly name: string;
  begin(meta: RunMeta): Promise<void>;
  server(s: ServerResult): Promise<void>;
  /** Finishes the output; returns one line saying what was written (null: nothing to say). */
  end(summary: RunSummary): Promise<string | null>;
  /** After a failed run: releases what begin() opened (temporary files). Never throws. */
  abort(): Promise<void>;
}

const WEIGHED = new Set(["compromise", "attempt", "exposure"]);

function weighedFindings(s: ServerResult): number {
  const effectOf = new Map<string, string>();
  let n = 0;
  for (const f of s.findings) {
    effectOf.set(f.check, f.effect);
    if (WEIGHED.has(f.effect)) n++;
  }
  // Findings over the per-check cap are counted by check; the listed ones of that check give the effect.
  for (const [check, k] of Object.entries(s.omittedFindings ?? {}))
    if (WEIGHED.has(effectOf.get(check) ?? "")) n += k;
  return n;
}

export function summarizeServer(s: ServerResult): ServerSummary {
  let first: string | null = null;
  for (const f of s.findings)
    if ((f.effect === "compromise" || f.effect === "attempt") && f.time && (first === null || f.time < first))
      first = f.time;
  return {
    name: s.name,
    verdict: s.verdict,
    headline: s.reasons[0] ?? null,
    findings: weighedFindings(s),
    skipped: s.skipped.length,
    build: s.exposure?.build ?? null,
    openCves: s.exposure
      ? Object.entries(s.exposure.cves)
          .filter(([, c]) => c.status === "vulnerable")
          .map(([id]) => id)
          .sort()
      : null,
    firstActivity: first,
  };
}
