// Known-bad domains (MSTIC, --ioc) named in the text of web-folder files: a script that calls out to
// them. (Domains are not looked for in logs: the feeds' domains are payload hosts, not clients.)
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { inScope, snippet, sweptDraft } from "../webshells/common.js";
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
    const text = file.lower();
    for (const [key, ioc] of activeIocs().domain) {
      let at = text.indexOf(key);
      while (at >= 0) {
        const before = at === 0 ? "" : text[at - 1];
        const after = text[at + key.length] ?? "";
        // The host or a subdomain of it, not a longer name that merely ends or starts with it.
        if (!/[a-z0-9-]/.test(before) && !/[a-z0-9-]/.test(after)) {
          const d = sweptDraft(checks.domain.id, file, `domain:${ioc.value}`, snippet(file, at, key.length));
          d.evidence.Feed = ioc.source;
          return d;
        }
        at = text.indexOf(key, at + 1);
      }
    }
    return null;
  },
};
