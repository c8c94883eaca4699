// A server's verdict across a fleet store: the findings of its latest runs (a scan, a probe, an
// imported scan report), less the ones a person acknowledged, judged by the same evidence ladder as a
// scan (decideVerdict). Kept here, not in the store's SQL, so that "acknowledged" can never mean a
// second, drifting copy of the verdict rules.
import type { Finding } from "../model/finding.js";
import type { Confidence, Coverage, VerdictName } from "../model/types.js";
import { CAMPAIGN_WINDOW } from "../model/types.js";
import { verdictConfidence } from "./judge.js";
import { decideVerdict } from "./verdict.js";

/** What one stored run contributes: its findings, coverage and per-check overflow counts. */
export interface VerdictPart {
  findings: readonly Finding[];
  coverage: Coverage | null;
  omittedFindings: Readonly<Record<string, number>>;
}

/** An acknowledgement as the verdict sees it: one finding (fingerprint) or a whole rule. */
export interface AckMatcher {
  fingerprints: ReadonlySet<string>;
  /** Check ids acknowledged for every finding of the server (`fleet ack --rule`). */
  rules: ReadonlySet<string>;
}

export interface FleetVerdict {
  verdict: VerdictName;
  confidence: Confidence;
  reasons: string[];
  open: number;
  acknowledged: number;
}

export function isAcknowledged(f: Finding, acks: AckMatcher): boolean {
  return acks.fingerprints.has(f.fingerprint) || acks.rules.has(f.check);
}

const NO_COVERAGE: Coverage = {
  sources: [],
  missing: [],
  window: { ...CAMPAIGN_WINDOW },
  coversWindow: false,
  notes: [],
};

/**
 * The verdict of the unacknowledged findings of `parts`. Coverage is the first part's that has one
 * (callers put the evidence scan first); an acknowledged rule also drops its overflow count, since
 * those findings are of the same rule. Reasons end with what was set aside, so a lowered verdict
 * always says why.
 */
export function fleetVerdict(parts: readonly VerdictPart[], acks: AckMatcher): FleetVerdict {
  const open: Finding[] = [];
  let acknowledged = 0;
  const omitted: Record<string, number> = {};
  for (const p of parts) {
    for (const f of p.findings) {
      if (isAcknowledged(f, acks)) acknowledged++;
      else open.push(f);
    }
    for (const [check, n] of Object.entries(p.omittedFindings)) {
      if (acks.rules.has(check)) acknowledged += n;
      else omitted[check] = (omitted[check] ?? 0) + n;
    }
  }
  const coverage = parts.find((p) => p.coverage)?.coverage ?? NO_COVERAGE;
  const { verdict, reasons } = decideVerdict(open, coverage, omitted);
  if (acknowledged > 0)
    reasons.push(
      `${acknowledged} acknowledged finding${acknowledged === 1 ? "" : "s"} listed but not weighed (fleet ack).`,
    );
  // "Open" is what a person must look at: findings that weigh (or would with company), not coverage notes.
  const weighs = (f: Finding) => f.effect !== "coverage" && f.effect !== "info";
  const openCount = open.filter(weighs).length + Object.values(omitted).reduce((a, n) => a + n, 0);
  return {
    verdict,
    confidence: verdictConfidence(verdict, open, coverage),
    reasons,
    open: openCount,
    acknowledged,
  };
}
