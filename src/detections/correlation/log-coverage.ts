// Gaps in the evidence as findings: a log source a full assessment needs but that is missing, or one
// that starts after exploitation began. So no consumer of the result can miss a gap.
import { expectedSources, judged } from "../../evidence/coverage.js";
import type { FindingDraft } from "../../model/finding.js";
import type { CheckInfo, Coverage } from "../../model/types.js";
import type { FindingsDetection } from "../types.js";

export const logCoverageCheck: CheckInfo = {
  id: "log-coverage",
  title: "Evidence does not cover the campaign",
  cves: [],
  severity: "info",
  effect: "coverage",
  description:
    "A log source is missing, or starts after exploitation began (2021-01-03): what happened outside the " +
    "covered period cannot be seen, so 'clean' only means 'clean within the coverage'.",
  references: ["https://microsoft.github.io/CSS-Exchange/Security/Test-ProxyLogon/"],
};

/** One `log-coverage` finding per gap. */
export function coverageDrafts(cov: Coverage): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const name of cov.missing) {
    const e = expectedSources.find((x) => x.name === name);
    out.push({
      check: logCoverageCheck.id,
      time: null,
      file: null,
      line: null,
      subject: { kind: "evidence", source: name },
      title: `No ${name} in the evidence`,
      evidence: { Source: name, Impact: e?.impact ?? "" },
    });
  }
  const from = cov.window.exploitationFrom;
  for (const s of cov.sources.filter(judged)) {
    if (s.oldest !== null && s.oldest <= from) continue;
    out.push({
      check: logCoverageCheck.id,
      time: s.oldest,
      file: null,
      line: null,
      subject: { kind: "evidence", source: s.source },
      title: s.oldest
        ? `${s.source} starts ${s.oldest.slice(0, 10)}, after exploitation began (${from.slice(0, 10)})`
        : `${s.source}: no dated record`,
      evidence: {
        Source: s.source,
        Oldest: s.oldest ?? "",
        Newest: s.newest ?? "",
        Files: String(s.files),
        Impact: "activity before the oldest record cannot be seen",
      },
    });
  }
  return out;
}

export const logCoverage: FindingsDetection = {
  type: "findings",
  id: "log-coverage",
  checks: [logCoverageCheck],
  run: (input) => coverageDrafts(input.coverage),
};
