// Exposure findings from an assessment: one per CVE the build leaves open, one when the product or
// CU line is out of support, one when newer security updates exist. Fixes whose configuration is to
// check are not findings (the build is fixed): they show in the per-CVE status and the notes.
import type { FindingDraft } from "../model/finding.js";
import type { Assessment } from "./assess.js";
import { BUILD_CHECKS, exposureCheckId } from "./checks.js";

export function exposureDrafts(a: Assessment, buildSource: string, asOf: string | null): FindingDraft[] {
  const out: FindingDraft[] = [];
  const r = a.recommendation;
  const base = { Build: a.build, BuildSource: buildSource, Product: a.product, CU: a.cu, Update: a.update };
  const draft = (check: string, evidence: Record<string, string>) =>
    out.push({
      check,
      time: asOf,
      evidence: { ...base, ...evidence },
      file: null,
      line: null,
      subject: { kind: "build", build: a.build, product: a.product, buildSource },
    });
  for (const [cve, s] of Object.entries(a.cves)) {
    if (s.status !== "vulnerable") continue;
    const evidence: Record<string, string> = {
      FixedIn: s.fixedIn ?? "no fix for this CU",
      Recommendation: r.summary,
    };
    if (s.fixedBy) evidence.FixedBy = `${s.fixedBy}${s.kb ? ` (${s.kb})` : ""}`;
    if (s.note) evidence.Note = s.note;
    if (s.check) evidence.Check = `${s.check.what}. Live: ${s.check.live}. Offline: ${s.check.offline}`;
    draft(exposureCheckId(cve), evidence);
  }
  if (r.support && r.support.status !== "supported")
    draft(BUILD_CHECKS.unsupported, {
      Support: r.support.status,
      Notice: r.support.notice,
      UpgradePath:
        r.support.upgradePath.map((s) => `${s.name} (${s.kb ?? "no KB"}, ${s.build})`).join(" → ") ||
        "none known",
    });
  // With CVEs open their findings already name the update; this one is for a build fixed for all.
  const open = Object.values(a.cves).some((s) => s.status === "vulnerable");
  if (r.newerUpdates?.length && !open)
    draft(BUILD_CHECKS.newerUpdates, {
      NewerUpdates: r.newerUpdates
        .map((s) => `${s.name} (${s.kb ?? "no KB"}, ${s.build}${s.esuOnly ? ", ESU only" : ""})`)
        .join("; "),
      Recommendation: r.summary,
    });
  return out;
}
