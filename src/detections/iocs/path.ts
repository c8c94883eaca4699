// Known-bad file paths (MSTIC, --ioc): compared from the Exchange FrontEnd/ClientAccess folder on (any
// install location) or without the drive letter, case-insensitively.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { insideFolder, isShippedScript } from "../webfolders.js";
import { sweptDraft } from "../webshells/common.js";
import { iocPathKey } from "./feeds.js";
import { IOC_REFS } from "./refs.js";

export const checks = {
  path: {
    id: "ioc-file-path",
    title: "File at a path where ProxyLogon web shells were found",
    cves: [],
    severity: "high",
    // A path alone is a weak signal (feeds list ordinary names, some that Exchange ships): at most
    // suspicious, never compromise, unless a hash or content check on the same file agrees.
    effect: "context",
    confidence: "low",
    description:
      "A file exists at a path listed by MSTIC (104 web-shell locations in owa\\auth, ecp\\auth, OAB, EWS and " +
      "aspnet_client) or by a --ioc feed. Where Exchange itself ships a file of that name (ecp\\auth\\" +
      "TimeoutLogout.aspx), the finding is downgraded to context: compare the file with the build's own.",
    references: [IOC_REFS.mstic],
  },
} satisfies Record<string, CheckInfo>;

export const iocFilePath: ContentDetection = {
  type: "content",
  id: "ioc-file-path",
  checks: [checks.path],
  select: (file, ctx) => file.winPath !== null && ctx.hunt.iocs.path.size > 0,
  match(file, ctx) {
    const hit = ctx.hunt.iocs.path.get(iocPathKey(file.winPath!));
    if (!hit) return null;
    const d = sweptDraft(checks.path.id, file, `path:${hit.value}`);
    d.evidence.Feed = hit.source;
    if (file.folder && isShippedScript(file.folder, insideFolder(file.winPath!, file.folder)) === true) {
      d.severity = "medium";
      d.title = "File Exchange ships, at a path a web shell once replaced: compare it with the build's";
    }
    return d;
  },
};
