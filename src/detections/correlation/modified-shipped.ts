// Modified shipped file: a file at a path Exchange installs whose hash differs from what the server's
// build ships. Needs the build (ExSetup.exe, log headers or --build). A held build is judged by its
// own list; a build the data does not hold only by the files on which all held builds of its product
// line agree, inside their span (shipped-baseline.ts expectedHashes): a file whose hash differs
// between builds is not judged without the build's own list, and stays the context finding
// shipped-file-hash-unknown. A findings detection: the build is known only once every record was read.
import type { FindingDraft } from "../../model/finding.js";
import type { CheckInfo } from "../../model/types.js";
import { expectedHashes, shippedBaseline } from "../shipped-baseline.js";
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
      "A page, handler or script Exchange installs in FrontEnd\\HttpProxy (or directly in ClientAccess\\ecp, " +
      "\\Autodiscover) whose SHA-256 differs from the one Microsoft's CSS-Exchange baseline lists for the server's " +
      "build (for a build the data does not hold: the hash every held build of that version agrees on): the " +
      "file was changed after setup. " +
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
    const expected = expectedHashes(shippedBaseline(), exposure?.assessment.build ?? null);
    if (!expected) return null;
    const { build } = expected;
    const basis =
      expected.basis === "build"
        ? `the baseline of build ${build}`
        : `build ${build} is not held; the hash all held ${expected.from.length} builds ${expected.from[0]} to ${expected.from[expected.from.length - 1]} agree on`;
    const out: FindingDraft[] = [];
    for (const f of findings) {
      if (f.check !== shippedChecks.unverified.id) continue;
      const key = f.evidence.BaselinePath;
      const want = key ? expected.files.get(key) : undefined;
      // Not expected: this build does not ship the file, or (build not held) the held builds differ on it.
      if (!want) continue;
      const shell = (f.evidence.LooksLikeShell ?? "no").startsWith("yes");
      const evidence: Record<string, string> = {
        Path: f.evidence.Path ?? "",
        SHA256: f.evidence.SHA256 ?? "",
        ExpectedSHA256: want,
        Build: build,
        BaselinePath: key,
        Basis: basis,
        LooksLikeShell: f.evidence.LooksLikeShell ?? "no",
        Reason: shell
          ? `the hash differs from ${basis} and the content matches a web-shell rule`
          : `the hash differs from ${basis}; the content matches no web-shell rule (review it: an edited page or a file of another build)`,
        LinkedCheck: f.check,
      };
      out.push({
        check: modifiedChecks.modified.id,
        time: f.time,
        evidence,
        effect: shell ? "compromise" : "context",
        severity: "high",
        confidence: shell ? "high" : expected.basis === "build" ? "medium" : "low",
        subject: f.subject,
        file: f.source.file,
        line: null,
      });
    }
    return out;
  },
};
