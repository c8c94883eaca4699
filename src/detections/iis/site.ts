// Which IIS site a request was logged by, and the Exchange signs in a site's own log. IIS writes one log
// folder per site (`W3SVC<id>`), and rows name their site in `s-sitename` when that column is logged.
// Not every IIS site on a server is Exchange: the signs below say a site is (docs/verdict.md, "Not every
// IIS site is Exchange"). They are rare rows on purpose (a literal in most rows of a busy Exchange
// site would make every row cost a split): Managed Availability's health probes (the AMProbe user agent,
// HealthMailbox users), OWA/ECP files under a build-numbered folder answered 2xx/304, and among the rows
// read, an authenticated user on an Exchange virtual directory or an Exchange path answered other than 404.
import { isExchangeVdirPath } from "../../evidence/iis-config.js";
import type { Finding } from "../../model/finding.js";
import type { LogRow } from "../../model/records.js";
import type { RowDetection } from "../types.js";
import { decodedLower, statusOf, userAgentOf } from "./request.js";

/** The channel the signs travel on to the findings detections (MatchContext.collect). */
export const SIGN_CHANNEL = "iis-exchange-sign";

export type SignKind = "health-probe" | "build-static" | "authenticated" | "answered";

/** One sign of a site, handed on once per site, kind and read task. */
export interface ExchangeSign {
  site: string;
  sign: SignKind;
  /** The request that shows it, in one line (attacker-controlled: clipped, escape before display). */
  example: string;
}

const SITE = /^W3SVC\d{1,9}$/i;

/** The site of a log file by its folder (`.../W3SVC3/u_ex210305.log`), upper case, or null. */
export function siteOfPath(file: string | null): string | null {
  if (!file) return null;
  const part = file.split(/[\\/]/).find((p) => SITE.test(p));
  return part ? part.toUpperCase() : null;
}

/** The site a row was logged by: its `s-sitename`, else its file's folder. */
export function siteOfRow(row: LogRow, file: string): string | null {
  const named = row.field("site");
  return named && SITE.test(named) ? named.toUpperCase() : siteOfPath(file);
}

/** The IIS site of a finding about an IIS request (its `Site` evidence, else its log file's folder). */
export function siteOf(f: Finding): string | null {
  if (f.subject.kind !== "http-request") return null;
  const named = f.evidence.Site;
  return named && SITE.test(named) ? named.toUpperCase() : siteOfPath(f.source.file);
}

/** A file under an OWA/ECP folder named by an Exchange 2013+ build (`/owa/auth/15.1.2242/…`, `/ecp/15.2.986.5/…`). */
const BUILD_STATIC =
  /^\/(?:owa\/(?:auth\/|prem\/)?|ecp\/)15\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?\/[^?]+\.[a-z0-9]{1,5}$/;
const HEALTH = /amprobe|healthmailbox/i;

/** The signs one request shows (lower-case decoded stem, its status, user and user agent). */
export function signsOf(stem: string, status: number | null, user: string, userAgent: string): SignKind[] {
  const out: SignKind[] = [];
  if (HEALTH.test(userAgent) || HEALTH.test(user)) out.push("health-probe");
  const exchangePath = isExchangeVdirPath(stem);
  if (exchangePath && user !== "") out.push("authenticated");
  if (BUILD_STATIC.test(stem) && status !== null && ((status >= 200 && status < 300) || status === 304))
    out.push("build-static");
  if (exchangePath && status !== null && status !== 404) out.push("answered");
  return out;
}

export const iisExchangeSigns: RowDetection = {
  type: "row",
  id: "iis-exchange-signs",
  // Hands facts on to iis-site-scope; makes no finding of its own.
  checks: [],
  kinds: ["iis-w3c"],
  literals: ["amprobe", "healthmailbox", "/auth/15.", "/prem/15.", "/ecp/15.", "/owa/15."],
  ignoreCase: true,
  match(row, ctx, memory) {
    const site = siteOfRow(row, ctx.file);
    if (!site) return null;
    const stem = decodedLower(row.field("uri") ?? "");
    const status = statusOf(row);
    const user = (row.field("user") ?? "").replace(/^-$/, "");
    for (const sign of signsOf(stem, status, user, userAgentOf(row))) {
      const key = `${site}\u0000${sign}`;
      if (memory?.has(key)) continue;
      memory?.set(key, true);
      const example = `${row.field("method") ?? "?"} ${stem.slice(0, 200)} → ${status ?? "?"}${user ? ` as ${user.slice(0, 100)}` : ""}`;
      ctx.collect?.(SIGN_CHANNEL, { site, sign, example } satisfies ExchangeSign);
    }
    return null;
  },
};
