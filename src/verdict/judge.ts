// From what the evidence shows to what the result says: the verdict with its reasons and confidence,
// the remediation plan and the timeline, computed once here and stored in the result, so that every
// renderer (and a result file read back by a later version) shows exactly what the scan decided.
import type { ServerEvidence } from "../hunt/engine.js";
import type { Finding } from "../model/finding.js";
import type { Confidence, Coverage, ServerResult, VerdictName } from "../model/types.js";
import { remediationPlan } from "./plan.js";
import { applySiteScope } from "./scope.js";
import { serverTimeline } from "./timeline.js";
import { decideVerdict } from "./verdict.js";

/**
 * How sure the verdict is (docs/output.md): a raised verdict is as sure as its strongest finding; a
 * clean one only as sure as its coverage (window reached, no expected source missing, no detection
 * failed); unknown is always low.
 */
export function verdictConfidence(
  verdict: VerdictName,
  findings: readonly Finding[],
  coverage: Coverage,
): Confidence {
  const of = (effect: Finding["effect"]) => findings.filter((f) => f.effect === effect);
  const best = (fs: Finding[]): Confidence =>
    fs.some((f) => f.confidence === "high")
      ? "high"
      : fs.some((f) => f.confidence === "medium")
        ? "medium"
        : "low";
  switch (verdict) {
    case "compromised": {
      const c = of("compromise");
      return c.length > 0 ? best(c) : "medium";
    }
    case "attempted":
      return best(of("attempt"));
    case "suspicious":
      // Not proven by definition: never more than medium.
      return best([...of("compromise"), ...of("context")]) === "low" ? "low" : "medium";
    case "vulnerable":
      return best(of("exposure"));
    case "clean": {
      const failed = findings.some((f) => f.check === "detection-failed");
      // A cleared log or another gap finding (not the coverage summary itself) is doubt too.
      const gap = findings.some((f) => f.effect === "coverage" && f.check !== "log-coverage");
      if (!coverage.coversWindow || failed || gap) return "low";
      return coverage.missing.length === 0 ? "high" : "medium";
    }
    default:
      return "low";
  }
}

export function judgeServer(evidence: ServerEvidence): ServerResult {
  const e = { ...evidence, findings: applySiteScope(evidence.findings) };
  const { verdict, reasons, basis } = decideVerdict(
    e.findings,
    e.coverage,
    e.omittedFindings,
    e.stats.logFiles,
  );
  const judged = { ...e, verdict, reasons };
  return {
    name: e.name,
    root: e.root,
    verdict,
    confidence: verdictConfidence(verdict, e.findings, e.coverage),
    reasons,
    basis,
    plan: remediationPlan(judged),
    timeline: serverTimeline(e),
    coverage: e.coverage,
    findings: e.findings,
    omittedFindings: e.omittedFindings,
    skipped: e.skipped,
    stats: e.stats,
    installPath: e.installPath,
    exposure: e.exposure,
    files: e.files,
  };
}
