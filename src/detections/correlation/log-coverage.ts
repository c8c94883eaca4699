// Gaps in the evidence as findings: a log source a full assessment needs but that is missing, or one
// that starts after exploitation began. So no consumer of the result can miss a gap.
import { expectedSources, judged } from "../../evidence/coverage.js";
import type { FindingDraft } from "../../model/finding.js";
import type { CheckInfo, Coverage, SourceCoverage } from "../../model/types.js";
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
  const { exploitationFrom: from, patchedOn: to } = cov.window;
  for (const s of cov.sources.filter(judged)) {
    if (s.window === "full" || (s.window === undefined && s.oldest !== null && s.oldest <= from)) continue;
    out.push({
      check: logCoverageCheck.id,
      time: s.oldest,
      file: null,
      line: null,
      subject: { kind: "evidence", source: s.source },
      title: gapTitle(s, from, to),
      evidence: {
        Source: s.source,
        Oldest: s.oldest ?? "",
        Newest: s.newest ?? "",
        Files: String(s.files),
        Impact:
          s.window === "none"
            ? "nothing of the campaign window can be seen in this source"
            : "activity outside the covered days cannot be seen",
      },
    });
  }
  return out;
}

function gapTitle(s: SourceCoverage, from: string, to: string): string {
  const d = (t: string) => t.slice(0, 10);
  if (!s.oldest || !s.newest) return `${s.source}: no dated record`;
  if (s.newest < from) return `${s.source} ends ${d(s.newest)}, before exploitation began (${d(from)})`;
  if (s.oldest > to) return `${s.source} starts ${d(s.oldest)}, after the patches (${d(to)})`;
  if (s.oldest > from) return `${s.source} starts ${d(s.oldest)}, after exploitation began (${d(from)})`;
  return `${s.source} has a gap in the campaign window (${d(from)} to ${d(to)})`;
}

export const logCoverage: FindingsDetection = {
  type: "findings",
  id: "log-coverage",
  checks: [logCoverageCheck],
  run: (input) => coverageDrafts(input.coverage),
};
