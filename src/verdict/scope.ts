// Findings that do not apply: an Exchange exploit check's finding from an IIS site that is not an Exchange
// site (iis-site-not-exchange names it) is recorded as info, so the ladder lists it and weighs nothing
// (docs/verdict.md, "Not every IIS site is Exchange"). Done once here, before the verdict, the plan and
// the timeline, so that every renderer shows the same.

import { siteOf } from "../detections/iis/site.js";
import { isExchangeSiteCheck, nonExchangeSites } from "../detections/iis/site-scope.js";
import type { Finding } from "../model/finding.js";

export function applySiteScope(findings: Finding[]): Finding[] {
  const sites = nonExchangeSites(findings);
  if (sites.size === 0) return findings;
  return findings.map((f) => {
    const site = isExchangeSiteCheck(f.check) ? siteOf(f) : null;
    if (!site || !sites.has(site)) return f;
    return {
      ...f,
      effect: "info",
      severity: "info",
      evidence: {
        ...f.evidence,
        NotApplicable: `IIS site ${site} is not an Exchange site (iis-site-not-exchange): Exchange checks do not apply`,
      },
    };
  });
}
