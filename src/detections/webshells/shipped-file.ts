// Exchange's own files in the front-end web folders and the back-end roots, judged by hash against the per-build baselines
// (../shipped-baseline.ts). A file with a known hash is Exchange's: no web-shell rule judges it. A file
// at a path Exchange ships whose hash no known build has is listed here as info; with the server's
// build known and in the baselines, correlation/modified-shipped.ts then calls it a modified shipped
// file. Without the build the mismatch cannot tell a changed file from a build the data lacks.
import type { CheckInfo } from "../../model/types.js";
import { baselineKey, shippedBaseline } from "../shipped-baseline.js";
import type { ContentDetection, SweptFile } from "../types.js";
import { REFS, sweptDraft } from "./common.js";
import { judge } from "./content.js";

export const checks = {
  unverified: {
    id: "shipped-file-hash-unknown",
    title: "Exchange file with a hash no known build has",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "info",
    effect: "info",
    description:
      "A page, handler or script at a path where Exchange installs one (FrontEnd\\HttpProxy: owa\\auth\\logon.aspx, " +
      "the vdirs' global.asax, owa\\auth\\<build>\\scripts, ...; ClientAccess\\ecp and \\Autodiscover: the pages " +
      "directly in them) whose SHA-256 matches none of the builds in the " +
      "shipped baselines (Microsoft's CSS-Exchange per-build hash lists). Either the file was changed after setup " +
      "(attackers edit logon.aspx to steal passwords, or hide a shell in a stock page) or the server runs a build " +
      "the baselines do not hold (info only: the data holds few builds). With the server's build known and held, " +
      "modified-shipped-file decides; web.config files are not judged (setup and admins edit them).",
    references: [REFS.compareHashes, REFS.msBlog],
  },
} satisfies Record<string, CheckInfo>;

/** Baseline path of a file the hash check judges, or null (not a shipped path, or a web.config). */
export function shippedKey(file: SweptFile): string | null {
  if (!file.winPath || !file.sha256) return null;
  const key = baselineKey(file.winPath);
  if (key === null || key.endsWith("\\web.config")) return null;
  return shippedBaseline().byPath.has(key) ? key : null;
}

export const shippedFile: ContentDetection = {
  type: "content",
  id: "shipped-file",
  checks: [checks.unverified],
  select: (file) => shippedKey(file) !== null,
  match(file) {
    const key = shippedKey(file)!;
    const b = shippedBaseline();
    const known = b.byPath.get(key)!;
    if (known.has(file.sha256!.toLowerCase())) return null;
    // The content rules skip stock files only; this one is not stock, so judge its content here too
    // for the evidence (the content detection reports it on its own as well).
    const shell = judge(file).map((d) => d.check);
    const expected = [...known].map(([hash, builds]) => `${builds.join(", ")}: ${hash}`).join("; ");
    const d = sweptDraft(checks.unverified.id, file, "hash not in the baselines of this path");
    d.evidence.BaselinePath = key;
    d.evidence.ExpectedSHA256 = expected;
    d.evidence.KnownBuilds = b.builds.join(", ");
    d.evidence.LooksLikeShell = shell.length ? `yes (${[...new Set(shell)].join(", ")})` : "no";
    return d;
  },
};
