// Exposure findings from an assessment: one per CVE the build leaves open.
import type { FindingDraft } from "../model/finding.js";
import type { Assessment } from "./assess.js";
import { exposureCheckId } from "./checks.js";

export function exposureDrafts(a: Assessment, buildSource: string, asOf: string | null): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const [cve, s] of Object.entries(a.cves)) {
    if (s.status !== "vulnerable") continue;
    const evidence: Record<string, string> = {
      Build: a.build,
      BuildSource: buildSource,
      Product: a.product,
      CU: a.cu,
      Update: a.update,
      FixedIn: s.fixedIn ?? "no fix for this CU",
      Recommendation: a.recommendation.summary,
    };
    if (s.note) evidence.Note = s.note;
    out.push({
      check: exposureCheckId(cve),
      time: asOf,
      evidence,
      file: null,
      line: null,
      subject: { kind: "build", build: a.build, product: a.product, buildSource },
    });
  }
  return out;
}
