// Where a ProxyLogon SSRF was pointed: the back-end anchor of an X-BEResource / X-AnonResource-Backend
// cookie (as IIS logs the cookie) or of the HttpProxy AnchorMailbox it became (`ServerInfo~<host>/<path>`).
// Mass scanners (Microsoft's nmap script, nuclei, internet-wide surveys) point it at `localhost` or at
// Autodiscover, which proves the server vulnerable and reaches nothing; attackers point it at a real
// back-end server (`a]@exch01.contoso.local:444/ecp/DDI/...`). Test-ProxyLogon's exclusion
// (`ServerInfo~*/autodiscover*`, `ServerInfo~localhost*/*`) is the same test, widened to loopback addresses.
import { canonicalUri } from "../../readers/uri.js";

export interface Anchor {
  /** The host the SSRF names (after any `user@`, without the port), lower-case. */
  host: string;
  /** The back-end path, lower-case, decoded. */
  path: string;
  /** Only the front end itself or Autodiscover: the shape of scanners. */
  scanner: boolean;
}

const LOOPBACK = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[?::1\]?)$/;

/** An anchor value `host/path` (the part after `ServerInfo~`, or a cookie value), or null. */
export function parseAnchor(value: string): Anchor | null {
  const v = canonicalUri(value.trim());
  const slash = v.indexOf("/");
  if (slash <= 0) return null;
  const authority = v.slice(0, slash);
  const path = v.slice(slash);
  const at = authority.lastIndexOf("@");
  let host = at >= 0 ? authority.slice(at + 1) : authority;
  host = host.replace(/:\d*$/, "");
  const scanner = host.startsWith("localhost") || LOOPBACK.test(host) || path.startsWith("/autodiscover");
  return { host, path, scanner };
}

/** The anchor of an HttpProxy AnchorMailbox `ServerInfo~<host>/<path>`, or null for other anchors. */
export function anchorOfMailbox(anchorMailbox: string): Anchor | null {
  const m = /^serverinfo~/i.exec(anchorMailbox);
  return m ? parseAnchor(anchorMailbox.slice(m[0].length)) : null;
}

const COOKIE = /(?:^|[;\s+])(x-beresource|x-anonresource-backend)=([^;]*)/gi;

/** The SSRF anchors an IIS `cs(Cookie)` value carries (IIS writes spaces as `+`). */
export function anchorsOfCookie(cookie: string): { cookie: string; anchor: Anchor }[] {
  const out: { cookie: string; anchor: Anchor }[] = [];
  for (const m of cookie.matchAll(COOKIE)) {
    // The routing cookies end in `~<version>`; the anchor is what precedes it.
    const value = m[2].replace(/~[^~]*$/, "");
    const anchor = parseAnchor(value);
    if (anchor) out.push({ cookie: m[1], anchor });
    if (out.length >= 8) break;
  }
  return out;
}

/** Back-end paths that are the ECP/OAB stage of the ProxyLogon chain (CVE-2021-27065 through the SSRF). */
export function isEcpOabStage(path: string): boolean {
  const p = path.toLowerCase();
  return (
    p.includes("/ecp/ddi/ddiservice.svc") ||
    p.includes("/ecp/proxylogon.ecp") ||
    p.includes("virtualdirectory") ||
    p.includes("/oab/")
  );
}
