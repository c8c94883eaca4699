// The autodiscover SSRF in the IIS log: ProxyShell (CVE-2021-34473, pre-auth, 2021) and ProxyNotShell
// (CVE-2022-41040, authenticated, 2022) send the same shape of request: `/autodiscover/autodiscover.json`
// with an `@` or `Email=autodiscover/autodiscover.json` that makes the front end route the rest of the
// URL (`/powershell`, `/mapi/nspi`, `/EWS`) to a back end. Both live in this one detection so that a
// request is counted for one campaign only: an authenticated request (cs-username set) that reaches
// PowerShell is ProxyNotShell, the anonymous shape with a ProxyShell target is ProxyShell.
// Conditions: Sigma web_exchange_proxyshell*, signature-base expl_proxyshell.yar (ProxyShell: 200/301/302
// mean success, 401 failure) and expl_cve_2022_41040_proxynoshell.yar (ProxyNotShell: 200 is success;
// 401/404/444 are what patched or mitigated servers answer).
import type { CheckInfo } from "../../model/types.js";
import { decodedLower, requestEvidence, statusOf } from "../iis/request.js";
import { REF } from "../proxylogon/refs.js";
import type { RowDetection } from "../types.js";

const PS_CVES = ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"];
const PNS_CVES = ["CVE-2022-41040", "CVE-2022-41082"];
const PS_REFS = [
  "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-34473",
  "https://www.cisa.gov/news-events/alerts/2021/08/21/urgent-protect-against-active-exploitation-proxyshell-vulnerabilities",
  REF.sigma,
  REF.signatureBase,
];
const PNS_REFS = [
  "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2022-41040",
  "https://msrc.microsoft.com/blog/2022/09/customer-guidance-for-reported-zero-day-vulnerabilities-in-microsoft-exchange-server/",
  REF.signatureBase,
];

export const checks = {
  proxyShell: {
    id: "iis-proxyshell",
    title: "ProxyShell autodiscover SSRF reached PowerShell or MAPI (IIS, success stage)",
    cves: PS_CVES,
    severity: "critical",
    effect: "compromise",
    description:
      "A request to /autodiscover/autodiscover.json with `@` in its path or query (or `Email=autodiscover/" +
      "autodiscover.json`) that routes to the back-end /powershell (also X-Rps-CAT) or /mapi/, answered 200: the " +
      "anonymous request ran on the back end. /mapi/ gives the attacker the mailbox SID, /powershell the Remote " +
      "PowerShell session of CVE-2021-34523. Microsoft's own hunt is `autodiscover\\.json.*\\@.*200`.",
    references: PS_REFS,
  },
  proxyShellReached: {
    id: "iis-proxyshell-reached",
    title: "ProxyShell autodiscover SSRF answered 200 by another back end (IIS, recon stage)",
    cves: PS_CVES,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyShell request shape routed to /ews, /owa or /autodiscover.xml and answered 200: the path confusion " +
      "of CVE-2021-34473 worked (the server is vulnerable and answered, e.g. with the LegacyDN), but this stage runs " +
      "nothing. Success shows in a later /mapi/ or /powershell stage, or in what follows (mailbox exports, web shells).",
    references: PS_REFS,
  },
  proxyShellFailed: {
    id: "iis-proxyshell-failed",
    title: "ProxyShell autodiscover SSRF probe (IIS)",
    cves: PS_CVES,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyShell request shape answered with another status: 302 (the probe of Beaumont's NSE and nuclei), 401 " +
      "(patched), 400, 404 or 5xx. Attempted, no sign that it worked.",
    references: PS_REFS,
  },
  proxyNotShell: {
    id: "iis-proxynotshell",
    title: "ProxyNotShell autodiscover SSRF to PowerShell answered 200 (IIS)",
    cves: PNS_CVES,
    severity: "critical",
    effect: "compromise",
    description:
      "A request to /autodiscover/autodiscover.json whose decoded URL also names PowerShell, sent with credentials " +
      "(cs-username set) or without the ProxyShell markers, answered 200: the SSRF of CVE-2022-41040 reached the " +
      "back-end PowerShell endpoint, the step before the CVE-2022-41082 code execution.",
    references: PNS_REFS,
  },
  proxyNotShellFailed: {
    id: "iis-proxynotshell-failed",
    title: "ProxyNotShell autodiscover SSRF to PowerShell refused (IIS)",
    cves: PNS_CVES,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyNotShell request shape answered with a status other than 200 (401, 404, or 444 / aborted by the URL " +
      "Rewrite mitigation): attempted, and nothing says it worked. signature-base leaves these out; they are kept as " +
      "attempts here so that 'attempted' is visible.",
    references: PNS_REFS,
  },
} satisfies Record<string, CheckInfo>;

/** The back end an autodiscover SSRF routes to (after the `@`), in the order the ProxyShell chain uses them. */
export type BackEnd = "powershell" | "mapi" | "ews" | "owa" | "autodiscover.xml";

const BACK_ENDS: [BackEnd, RegExp][] = [
  ["powershell", /\/powershell/],
  ["mapi", /\/mapi\//],
  ["ews", /\/ews(?:\/|$|\?)/],
  ["owa", /\/owa(?:\/|$|\?|&)/],
  ["autodiscover.xml", /\/autodiscover\.xml/],
];

export interface AutodiscoverSsrf {
  campaign: "proxyshell" | "proxynotshell";
  /** The back end named after the `@` (X-Rps-CAT counts as PowerShell), or null when none is named. */
  backEnd: BackEnd | null;
}

/**
 * Whether a request is the autodiscover SSRF, given its decoded, lower-case stem and query and its user.
 * The stem must be the autodiscover.json handler (an `Email=autodiscover/autodiscover.json` in another
 * path is not the path confusion); then an `@` anywhere in stem or query, with a back end after it, an
 * `Email=autodiscover/autodiscover.json` marker, or X-Rps-CAT. PowerShell with credentials (or without
 * the ProxyShell markers) is ProxyNotShell.
 */
export function autodiscoverSsrf(stem: string, query: string, user: string): AutodiscoverSsrf | null {
  const at = stem.indexOf("autodiscover.json");
  if (at < 0) return null;
  const target = query ? `${stem}?${query}` : stem;
  const afterAt = target.indexOf("@", at) >= 0 ? target.slice(target.indexOf("@", at)) : "";
  const rps = target.includes("x-rps-cat");
  const email = target.includes("email=autodiscover/autodiscover.json");
  // The SSRF shape itself: an `@` after the handler's name, or the Email= marker. Outlook's own lookups
  // (`autodiscover.json/v1.0/alice@contoso.com?Protocol=EWS`) name no back-end path after their `@`.
  if (!afterAt && !email) return null;
  let backEnd: BackEnd | null = rps ? "powershell" : null;
  if (!backEnd && afterAt) backEnd = BACK_ENDS.find(([, re]) => re.test(afterAt))?.[0] ?? null;
  if (!backEnd && !email) return null;
  const powershell = target.includes("powershell");
  if (powershell && (user !== "" || backEnd !== "powershell"))
    return { campaign: "proxynotshell", backEnd: "powershell" };
  return { campaign: "proxyshell", backEnd };
}

/** The back-end names of BACK_ENDS as plain substrings (a line has ` ` where the target has `?`). */
const BACK_END_MARKS = ["/powershell", "/mapi/", "/ews", "/owa", "/autodiscover.xml"];

/**
 * The prefilter's test of a whole lower-case (or decoded) log line: looser than autodiscoverSsrf on the
 * request's target, which is part of the line (stem and query, with a space for the `?`): the marker, or
 * an `@` after the first `autodiscover.json` with X-Rps-CAT or a back end somewhere after it.
 */
export function maybeAutodiscoverSsrfLine(line: string): boolean {
  const at = line.indexOf("autodiscover.json");
  if (at < 0) return false;
  if (line.includes("email=autodiscover/autodiscover.json")) return true;
  const amp = line.indexOf("@", at);
  if (amp < 0) return false;
  if (line.includes("x-rps-cat")) return true;
  return BACK_END_MARKS.some((m) => line.includes(m, amp));
}

export type AutodiscoverShape = "proxyshell" | "proxynotshell" | null;

/** Which campaign a request's decoded, lower-case target (`stem?query`) and its user name point at. */
export function autodiscoverShape(target: string, user: string): AutodiscoverShape {
  const q = target.indexOf("?");
  const stem = q < 0 ? target : target.slice(0, q);
  return autodiscoverSsrf(stem, q < 0 ? "" : target.slice(q + 1), user)?.campaign ?? null;
}

/**
 * What an autodiscover SSRF's status says: 200 on PowerShell or MAPI (or ProxyNotShell's PowerShell) is
 * the success stage, 200 on another back end reached it without running anything, anything else refused.
 */
export function autodiscoverOutcome(
  ssrf: AutodiscoverSsrf,
  status: number | null,
): "success" | "reached" | "refused" {
  if (status !== 200) return "refused";
  if (ssrf.campaign === "proxynotshell") return "success";
  return ssrf.backEnd === "powershell" || ssrf.backEnd === "mapi" ? "success" : "reached";
}

/** The check of an autodiscover SSRF by its campaign, back end and status. */
export function autodiscoverCheck(ssrf: AutodiscoverSsrf, status: number | null): string {
  const o = autodiscoverOutcome(ssrf, status);
  if (ssrf.campaign === "proxynotshell")
    return o === "success" ? checks.proxyNotShell.id : checks.proxyNotShellFailed.id;
  return o === "success"
    ? checks.proxyShell.id
    : o === "reached"
      ? checks.proxyShellReached.id
      : checks.proxyShellFailed.id;
}

export const iisAutodiscoverSsrf: RowDetection = {
  type: "row",
  id: "iis-autodiscover-ssrf",
  checks: [
    checks.proxyShell,
    checks.proxyShellReached,
    checks.proxyShellFailed,
    checks.proxyNotShell,
    checks.proxyNotShellFailed,
  ],
  kinds: ["iis-w3c"],
  // In any case (autodiscover.json, AutoDiscover.JSON), and percent-encoded (autodiscover.j%73on).
  literals: ["iscover.json"],
  ignoreCase: true,
  // Before the split: the line has the SSRF's shape (an `@` and a back end after the handler, or the
  // marker), tested on the line as logged and, for rows with `%`, decoded.
  prefilter: { line: maybeAutodiscoverSsrfLine, encoded: true },
  match(row) {
    const ssrf = autodiscoverSsrf(
      decodedLower(row.field("uri") ?? ""),
      decodedLower(row.field("query") ?? ""),
      decodedLower(row.field("user") ?? "").replace(/^-$/, ""),
    );
    if (!ssrf) return null;
    const evidence = requestEvidence(row);
    evidence.Campaign = ssrf.campaign === "proxyshell" ? "ProxyShell" : "ProxyNotShell";
    if (ssrf.backEnd) evidence.BackEnd = ssrf.backEnd;
    return { check: autodiscoverCheck(ssrf, statusOf(row)), time: row.time(), evidence };
  },
};
