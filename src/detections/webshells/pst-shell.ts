// ProxyShell's mailbox-export web shell: New-MailboxExportRequest writes a PST (magic `!BDN`) to a web
// folder with a page extension; the shell code sits in an encoded draft message inside it.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { hasScriptExt, inScope, REFS, sweptDraft } from "./common.js";

export const checks = {
  pst: {
    id: "webshell-pst-export",
    title: "Mailbox export (PST) in a web folder (ProxyShell web shell)",
    cves: ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
    severity: "critical",
    effect: "compromise",
    description:
      "A file that starts with the PST magic `!BDN` in a web folder or --files root. ProxyShell " +
      "(CVE-2021-31207) exports a mailbox with New-MailboxExportRequest to a .aspx path; IIS then runs " +
      "the script hidden in the exported message. A PST has no reason to be in a web folder.",
    references: [REFS.proxyshell],
  },
} satisfies Record<string, CheckInfo>;

export const pstShell: ContentDetection = {
  type: "content",
  id: "webshell-pst-export",
  checks: [checks.pst],
  select: (file) => inScope(file) || hasScriptExt(file),
  match(file) {
    const c = file.content;
    if (c.length < 4 || c[0] !== 0x21 || c[1] !== 0x42 || c[2] !== 0x44 || c[3] !== 0x4e) return null;
    const page = hasScriptExt(file);
    return sweptDraft(checks.pst.id, file, "PST magic !BDN at offset 0", "!BDN", {
      severity: page ? "critical" : "high",
      title: page
        ? "Mailbox export saved as a web page (ProxyShell web shell)"
        : "Mailbox export (PST) in a web folder",
    });
  },
};
