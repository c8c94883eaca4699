// The OAB-settings web shell of CVE-2021-27065 (and -26858): the attacker saves markup into the OAB
// virtual directory's ExternalUrl/InternalUrl, then has Exchange export the directory's settings to a
// file in a web folder. The file is a settings dump (OfflineAddressBooks, InternalAuthenticationMethods,
// ...) with a <script runat="server"> in a URL value (signature-base WEBSHELL_CVE_2021_27065_Webshells,
// CISA MAR-10328929 rule 02).
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { hasScriptExt, inScope, REFS, snippet, sweptDraft } from "./common.js";

export const checks = {
  oab: {
    id: "webshell-oab-settings",
    title: "OAB virtual-directory settings dump with a script (CVE-2021-27065 web shell)",
    cves: ["CVE-2021-27065", "CVE-2021-26858"],
    severity: "critical",
    effect: "compromise",
    description:
      "A file holding an OAB virtual directory's settings whose ExternalUrl or InternalUrl contains a " +
      "<script> tag: the web shell written by Set-OabVirtualDirectory + Reset-OABVirtualDirectory " +
      "(CVE-2021-27065). IIS runs the script tag when the file has a page extension.",
    references: [REFS.msBlog, REFS.sigbase, REFS.volexity],
  },
} satisfies Record<string, CheckInfo>;

const SETTINGS = [
  "offlineaddressbooks",
  "internalauthenticationmethods",
  "extendedprotectiontokenchecking",
  "pollinterval",
];

export const oabShell: ContentDetection = {
  type: "content",
  id: "webshell-oab-settings",
  checks: [checks.oab],
  // Anywhere on the disk under a page extension: Exchange writes the dump wherever the attacker says.
  select: (file) => inScope(file) || hasScriptExt(file),
  match(file) {
    // IIS runs the dump only under a page extension. Exchange writes it in its own spelling.
    if (!hasScriptExt(file)) return null;
    const c = file.content;
    if (c.indexOf("ternalUrl") < 0 && c.indexOf("ternalurl") < 0 && c.indexOf("TERNALURL") < 0) return null;
    const t = file.lower();
    const tag = t.indexOf("<script");
    if (tag < 0) return null;
    if (!t.includes("externalurl") && !t.includes("internalurl")) return null;
    // An OAB dump by its keys, or any virtual-directory dump (`ExternalUrl : ...<script`) on one line.
    if (!SETTINGS.some((k) => t.includes(k)) && !/(?:external|internal)url\s*:[^\n]*<script/.test(t))
      return null;
    return sweptDraft(
      checks.oab.id,
      file,
      "OAB settings dump with <script> in a URL",
      snippet(file, tag, 100),
    );
  },
};
