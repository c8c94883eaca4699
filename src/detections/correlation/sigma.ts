// Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) inside a scan: the record detections hand on
// every match of a rule some correlation counts (detections/sigma.ts, through MatchContext.collect),
// and once the server's files are all read the correlations run over them, sorted by time, exactly as
// `exhunt sigma` runs them (sigma/correlation.ts). A hit is a finding with the correlation rule's
// metadata, author and licence (DRL 1.1: the author is named with every match), its effect from the
// same documented table as any Sigma rule (context unless listed).
import { type BaseMatch, runCorrelations } from "../../sigma/correlation.js";
import { levelSeverity, ruleEvidence, ruleMeta } from "../../sigma/evidence.js";
import { activeSigma, SIGMA_BASE_CHANNEL, sigmaChecks, sigmaClassOf } from "../sigma.js";
import type { FindingDraft, FindingsDetection } from "../types.js";

const MAX_GROUP_VALUE = 500;

export const sigmaCorrelations: FindingsDetection = {
  type: "findings",
  id: "sigma-correlations",
  checks: [sigmaChecks.context, sigmaChecks.attempt, sigmaChecks.compromise],
  run({ hunt, collected, collectedDropped }) {
    if (!hunt) return [];
    const set = activeSigma({ hunt });
    if (set.correlations.length === 0) return [];
    const base = (collected?.[SIGMA_BASE_CHANNEL] ?? []) as readonly BaseMatch[];
    if (base.length === 0) return [];
    const dropped = collectedDropped?.[SIGMA_BASE_CHANNEL] ?? 0;
    const out: FindingDraft[] = [];
    for (const h of runCorrelations(set.correlations, [...base])) {
      const meta = h.rule.meta;
      const cls = sigmaClassOf(meta);
      const group = Object.entries(h.group).map(([k, v]) => `${k}=${v.slice(0, MAX_GROUP_VALUE)}`);
      const evidence: Record<string, string> = {
        Correlation: h.rule.type,
        Count: String(h.count),
        Events: String(h.events),
        First: h.first,
        Last: h.last,
        Rules: h.rule.rules.join(", "),
        ...(group.length ? { GroupBy: group.join("; ") } : {}),
        ...ruleEvidence(meta),
      };
      if (dropped > 0)
        evidence.Note = `${dropped} base matches over the per-file bound were not counted: the count is a lower bound`;
      out.push({
        check: `${cls.id}:${meta.id}`,
        effect: cls.effect,
        time: h.first,
        title: `Sigma correlation: ${meta.title} (by ${meta.author ?? "no author given"})`,
        severity: levelSeverity(meta.level),
        file: h.firstMatch.file ?? null,
        line: null,
        record: h.firstMatch.record ?? null,
        subject: { kind: "correlation", findingIds: [], key: group.join("; ") || meta.id },
        evidence,
        rule: ruleMeta(meta),
      });
    }
    return out;
  },
};
