// Known-bad domains (MSTIC, --ioc) named in the text of web-folder files: a script that calls out to
// them. (Domains are not looked for in logs: the feeds' domains are payload hosts, not clients.)
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { inScope, isServerScript, snippet, sweptDraft } from "../webshells/common.js";
import { IOC_REFS } from "./refs.js";
import { activeIocs } from "./state.js";

export const checks = {
  domain: {
    id: "ioc-domain-in-file",
    title: "Web file names a known-bad domain",
    cves: [],
    severity: "high",
    effect: "compromise",
    description:
      "A file in a web folder or a --files root contains a domain from an indicator feed (MSTIC lists three " +
      "krebsonsecurity.top hosts used in follow-up campaigns on ProxyLogon victims) or a --ioc feed.",
    references: [IOC_REFS.mstic],
  },
} satisfies Record<string, CheckInfo>;

export const iocDomain: ContentDetection = {
  type: "content",
  id: "ioc-domain-in-file",
  checks: [checks.domain],
  select: (file) => inScope(file) && activeIocs().domain.size > 0,
  match(file) {
    // Server-side code is searched in any letter case; other files (scripts, HTML) byte by byte as
    // written in lower case, which spares a lower-case copy of every web file.
    const hay: string | Buffer = isServerScript(file) ? file.lower() : file.content;
    const code = (i: number) => (typeof hay === "string" ? hay.charCodeAt(i) : hay[i]);
    const hostChar = (i: number) => {
      if (i < 0 || i >= hay.length) return false;
      const c = code(i) | 0x20; // ASCII letters to lower case; digits and '-' unchanged
      return (c >= 0x61 && c <= 0x7a) || (code(i) >= 0x30 && code(i) <= 0x39) || code(i) === 0x2d;
    };
    for (const [key, ioc] of activeIocs().domain) {
      for (let at = hay.indexOf(key); at >= 0; at = hay.indexOf(key, at + 1)) {
        // The host or a subdomain of it, not a longer name that merely ends or starts with it.
        if (hostChar(at - 1) || hostChar(at + key.length)) continue;
        const d = sweptDraft(checks.domain.id, file, `domain:${ioc.value}`, snippet(file, at, key.length));
        d.evidence.Feed = ioc.source;
        return d;
      }
    }
    return null;
  },
};
