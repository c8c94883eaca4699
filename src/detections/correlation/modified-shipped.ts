// Modified shipped file: a file at a path Exchange installs whose hash differs from the baseline of
// the server's own build. Needs the build (ExSetup.exe, log headers or --build) and that build in the
// shipped baselines: without them a different hash may just be another build's file, and stays the
// context finding shipped-file-hash-unknown. A findings detection: the build is known only once every
// record was read.
import type { FindingDraft } from "../../model/finding.js";
import type { CheckInfo } from "../../model/types.js";
import { shippedBaseline } from "../shipped-baseline.js";
import type { FindingsDetection } from "../types.js";
import { REFS } from "../webshells/common.js";
import { checks as shippedChecks } from "../webshells/shipped-file.js";

export const modifiedChecks = {
  modified: {
    id: "modified-shipped-file",
    title: "Modified Exchange file (hash differs from the server's build)",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "high",
    effect: "compromise",
    description:
      "A page, handler or script Exchange installs in FrontEnd\\HttpProxy whose SHA-256 differs from the one " +
      "Microsoft's CSS-Exchange baseline lists for the server's build: the file was changed after setup. " +
      "Attackers hide shells in stock pages and edit logon.aspx to capture passwords. Compromise-grade when the " +
      "file's content also matches a web-shell rule; otherwise high and for review (a failed or partial update " +
      "can leave another build's file: compare with the ExpectedSHA256 of the evidence).",
    references: [REFS.compareHashes, REFS.msBlog],
  },
} satisfies Record<string, CheckInfo>;

export const modifiedShipped: FindingsDetection = {
  type: "findings",
  id: "modified-shipped",
  checks: Object.values(modifiedChecks),
  run({ findings, exposure }) {
    // Dotted build with parts as integers (ExSetup's FileVersion pads them: 15.02.0792.010).
    const raw = exposure?.assessment.build ?? null;
    if (raw === null || !/^\d+(\.\d+){3}$/.test(raw)) return null;
    const build = raw
      .split(".")
      .map((n) => String(Number(n)))
      .join(".");
    const expected = shippedBaseline().byBuild.get(build);
    if (!expected) return null;
    const out: FindingDraft[] = [];
    for (const f of findings) {
      if (f.check !== shippedChecks.unverified.id) continue;
      const key = f.evidence.BaselinePath;
      const want = key ? expected.get(key) : undefined;
      if (!want) continue; // this build does not ship the file: another build's page, left as context
      const shell = (f.evidence.LooksLikeShell ?? "no").startsWith("yes");
      const evidence: Record<string, string> = {
        Path: f.evidence.Path ?? "",
        SHA256: f.evidence.SHA256 ?? "",
        ExpectedSHA256: want,
        Build: build,
        BaselinePath: key,
        LooksLikeShell: f.evidence.LooksLikeShell ?? "no",
        Reason: shell
          ? `the hash differs from build ${build}'s and the content matches a web-shell rule`
          : `the hash differs from build ${build}'s; the content matches no web-shell rule (review it: an edited page or a file of another build)`,
        LinkedCheck: f.check,
      };
      out.push({
        check: modifiedChecks.modified.id,
        time: f.time,
        evidence,
        effect: shell ? "compromise" : "context",
        severity: "high",
        confidence: shell ? "high" : "medium",
        subject: f.subject,
        file: f.source.file,
        line: null,
      });
    }
    return out;
  },
};
