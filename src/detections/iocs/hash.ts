// Known-bad file hashes (MSTIC, the HAFNIUM blog post, --ioc) on every swept file: the web folders,
// --files roots and every other file of the evidence that is not read as a log.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { sweptDraft } from "../webshells/common.js";
import { IOC_REFS } from "./refs.js";

export const checks = {
  hash: {
    id: "ioc-file-hash",
    title: "File with a known-bad hash",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "The file's SHA-256 (or SHA-1/MD5 when a --ioc feed lists those) is in an indicator feed: MSTIC's " +
      "Exchange March 2021 feed (web shells; three are DearCry ransomware), the three web-shell hashes of " +
      "Microsoft's HAFNIUM post missing from it, or a --ioc feed.",
    references: [IOC_REFS.mstic, IOC_REFS.msBlog],
  },
} satisfies Record<string, CheckInfo>;

export const iocFileHash: ContentDetection = {
  type: "content",
  id: "ioc-file-hash",
  checks: [checks.hash],
  select: () => true,
  match(file, ctx) {
    const set = ctx.hunt.iocs;
    const found = [
      file.sha256 ? set.sha256.get(file.sha256) : undefined,
      file.sha1 ? set.sha1.get(file.sha1) : undefined,
      file.md5 ? set.md5.get(file.md5) : undefined,
    ].find((x) => x !== undefined);
    if (!found) return null;
    const d = sweptDraft(checks.hash.id, file, `${found.type}:${found.key}`);
    d.evidence.Feed = found.source;
    return d;
  },
};
