// Known-bad domains (MSTIC, --ioc) named in the text of web-folder files: a script that calls out to
// them. (Domains are not looked for in logs: the feeds' domains are payload hosts, not clients.)
import type { CheckInfo } from "../../model/types.js";
import type { HuntContext } from "../context.js";
import type { ContentDetection } from "../types.js";
import { inScope, isServerScript, snippet, sweptDraft } from "../webshells/common.js";
import type { Ioc } from "./feeds.js";
import { IOC_REFS } from "./refs.js";

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

/** Images, fonts and binaries: no script text to name a host in. */
const BINARY_EXT =
  /\.(png|gif|jpe?g|ico|bmp|svgz|woff2?|ttf|eot|otf|dll|exe|pdb|zip|cab|7z|rar|gz|mp3|mp4|wav)$/i;

/** The full host name that ends at `at + key.length` (letters, digits, '-' and '.'), lower case. */
function hostAt(hay: string | Buffer, at: number, key: string, hostChar: (i: number) => boolean): string {
  let from = at;
  while (
    from > 0 &&
    (hostChar(from - 1) ||
      (typeof hay === "string" ? hay[from - 1] : String.fromCharCode(hay[from - 1])) === ".")
  )
    from--;
  const text = typeof hay === "string" ? hay.slice(from, at) : hay.toString("latin1", from, at);
  return (text + key).toLowerCase().replace(/^\.+/, "");
}

/**
 * The domains to search for: a domain whose parent is also listed is found through its parent (one
 * pass over the bytes instead of one per subdomain); the finding names what was found.
 */
function searchedDomains(hunt: HuntContext): [string, Ioc][] {
  return hunt.memo("ioc-domains", () => {
    const all = hunt.iocs.domain;
    const keys = [...all.keys()];
    return [...all].filter(([k]) => !keys.some((p) => p !== k && k.endsWith(`.${p}`)));
  });
}

export const iocDomain: ContentDetection = {
  type: "content",
  id: "ioc-domain-in-file",
  checks: [checks.domain],
  select: (file, ctx) => inScope(file) && !BINARY_EXT.test(file.path) && ctx.hunt.iocs.domain.size > 0,
  match(file, ctx) {
    // Server-side code is searched in any letter case; other files (scripts, HTML) byte by byte as
    // written in lower case, which spares a lower-case copy of every web file.
    const hay: string | Buffer = isServerScript(file) ? file.lower() : file.content;
    const code = (i: number) => (typeof hay === "string" ? hay.charCodeAt(i) : hay[i]);
    const hostChar = (i: number) => {
      if (i < 0 || i >= hay.length) return false;
      const c = code(i) | 0x20; // ASCII letters to lower case; digits and '-' unchanged
      return (c >= 0x61 && c <= 0x7a) || (code(i) >= 0x30 && code(i) <= 0x39) || code(i) === 0x2d;
    };
    for (const [key, ioc] of searchedDomains(ctx.hunt)) {
      for (let at = hay.indexOf(key); at >= 0; at = hay.indexOf(key, at + 1)) {
        // The host or a subdomain of it, not a longer name that merely ends or starts with it.
        if (hostChar(at - 1) || hostChar(at + key.length)) continue;
        // Name the most specific listed host at this place (a subdomain found through its parent).
        const named = hostAt(hay, at, key, (i) => hostChar(i));
        const exact = ctx.hunt.iocs.domain.get(named) ?? ioc;
        const d = sweptDraft(checks.domain.id, file, `domain:${exact.value}`, snippet(file, at, key.length));
        d.evidence.Feed = exact.source;
        return d;
      }
    }
    return null;
  },
};
