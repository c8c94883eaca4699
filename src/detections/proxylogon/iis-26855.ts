// ProxyLogon as the front end's IIS log sees it (W3SVC1): the SSRF requests of CVE-2021-26855 are POSTs
// to static files that need no authentication, carrying the X-BEResource / X-AnonResource-Backend
// cookie (CISA CHIRP AA21-062A rule `unauthenticated_execution`, Sigma web_exchange_exploitation_hafnium,
// signature-base apt_hafnium_log_sigs.yar), and Volexity's list of attacker user agents.
// Status: 2xx means the back end answered the forged request (the final /ecp/proxyLogon.ecp step
// answers 241), so the SSRF worked; 4xx/5xx (and 3xx redirects to the logon page) mean it did not.
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import { decodedLower, is2xx, requestEvidence, statusOf } from "../iis/request.js";
import type { RowDetection } from "../types.js";
import { anchorsOfCookie } from "./anchor.js";
import { REF } from "./refs.js";

const CVE = ["CVE-2021-26855"];
const REFS = [REF.cve26855, REF.cisaAA21062A, REF.chirp, REF.volexity, REF.sigma];

export const checks = {
  served: {
    id: "iis-proxylogon-request",
    title: "ProxyLogon SSRF request shape answered 2xx (IIS)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "A POST to one of the static paths the ProxyLogon exploits use as SSRF entry point (/owa/auth/Current/…, " +
      "/ecp/default.flt, /ecp/main.css, /ecp/<1-3 characters>.js, /owa/auth/x.js, /owa/auth/w.js, /ecp/auth/w.js), " +
      "answered with a 2xx status (CHIRP AA21-062A, Sigma web_exchange_exploitation_hafnium). Mass scanners get " +
      "the same answer, so this row alone is an attempt: the ProxyLogon correlation (proxylogon-ssrf-*) reads it " +
      "with the HttpProxy rows of the same request and decides whether the SSRF reached a back end.",
    references: REFS,
  },
  failed: {
    id: "iis-proxylogon-request-failed",
    title: "ProxyLogon SSRF request that was refused (IIS)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "The same POST to a ProxyLogon SSRF entry path, answered with a non-2xx status (typically 400, 404, 500, or a " +
      "302 to the logon page): the exploit was tried; nothing in this row says it worked.",
    references: REFS,
  },
  cookie: {
    id: "iis-proxylogon-cookie",
    title: "Request carrying a ProxyLogon routing cookie (X-BEResource / X-AnonResource-Backend, IIS)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "The cs(Cookie) column (logged when the site enables it) holds an X-BEResource or X-AnonResource-Backend cookie " +
      "with a back-end anchor: the SSRF of CVE-2021-26855 (EOMT's URL Rewrite rules abort exactly these). The anchor " +
      "is in the evidence: localhost or Autodiscover is the shape of mass scanners, a real server name that of an " +
      "attack; the ProxyLogon correlation weighs it with the HttpProxy rows and ECP/OAB activity.",
    references: REFS,
  },
  userAgent: {
    id: "iis-proxylogon-user-agent",
    title: "POST to an Exchange path with a user agent of the ProxyLogon attackers (IIS)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "A POST to /owa/auth/, /ecp/ or /aspnet_client/ whose User-Agent is one of the 15 that Volexity saw in the " +
      "March 2021 attacks (CHIRP AA21-062A `ecp_user_agents`: crawler names such as DuckDuckBot, Baiduspider, " +
      "Googlebot sent by exploit scripts, python-requests, ExchangeServicesClient/0.0.0.0, antSword). Crawlers do " +
      "not POST to these paths. A user agent is a label anyone can send, so this is an attempt, whatever the status.",
    references: REFS,
  },
} satisfies Record<string, CheckInfo>;

/**
 * Volexity's user agents as CHIRP lists them (raw W3C form: spaces written as `+`). Source: cisagov/CHIRP
 * indicators/AA21062A.yaml, rule `ecp_user_agents` (CISA, CC0 1.0 public domain dedication).
 */
export const ATTACKER_USER_AGENTS = [
  "ExchangeServicesClient/0.0.0.0",
  "python-requests/2.19.1",
  "python-requests/2.25.1",
  "DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)",
  "facebookexternalhit/1.1+(+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)",
  "Mozilla/5.0+(compatible;+Bingbot/2.0;++http://www.bing.com/bingbot.htm)",
  "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html",
  "Mozilla/5.0+(compatible;+Konqueror/3.5;+Linux)+KHTML/3.5.5+(like+Gecko)+(Exabot-Thumbnails)",
  "Mozilla/5.0+(compatible;+Yahoo!+Slurp;+http://help.yahoo.com/help/us/ysearch/slurp)",
  "Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)",
  "Mozilla/5.0+(X11;+Linux+x86_64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/51.0.2704.103+Safari/537.36",
  "antSword/v2.1",
  "Googlebot/2.1+(+http://www.googlebot.com/bot.html)",
];

const FIXED_STEMS = new Set([
  "/ecp/default.flt",
  "/ecp/main.css",
  "/owa/auth/x.js",
  "/owa/auth/w.js",
  "/ecp/auth/w.js",
]);
const SHORT_ECP_JS = /^\/ecp\/[0-9a-z]{1,3}\.js$/;

/** Whether a (lower-case) URI stem is a ProxyLogon SSRF entry path. */
export function isProxyLogonStem(stem: string): boolean {
  return stem.startsWith("/owa/auth/current/") || FIXED_STEMS.has(stem) || SHORT_ECP_JS.test(stem);
}

/** Whether a URI stem as logged (any case, percent-encoded or not) is a ProxyLogon SSRF entry path. */
export function isProxyLogonUri(uri: string): boolean {
  return isProxyLogonStem(decodedLower(uri));
}

/** The literals both IIS ProxyLogon detections wake on (either case; the prefilters then look at the line). */
const PATH_LITERALS = ["/auth/", "/ecp/"];
/** The method token as IIS writes it between its neighbours (methods are case-sensitive). */
const POST = [" POST "];

export const iisProxyLogonRequest: RowDetection = {
  type: "row",
  id: "iis-proxylogon-request",
  checks: [checks.served, checks.failed],
  kinds: ["iis-w3c"],
  literals: PATH_LITERALS,
  ignoreCase: true,
  // Before the split: a POST, and the token the path literal is in is an entry path (looser than `match`).
  // Encoded forms (`/ecp/y.j%73`) too: rows with `%` whose decoded token passes the same test.
  prefilter: { allOf: [POST], token: { accept: isProxyLogonStem }, encoded: true },
  match(row) {
    if (row.field("method") !== "POST") return null; // HTTP methods are case-sensitive; IIS logs them as sent
    if (!isProxyLogonUri(row.field("uri") ?? "")) return null;
    const check = is2xx(statusOf(row)) ? checks.served.id : checks.failed.id;
    return { check, time: row.time(), evidence: requestEvidence(row) };
  },
};

const UA_PATHS = ["/owa/auth/", "/ecp/", "/aspnet_client/"];

export const iisProxyLogonUserAgent: RowDetection = {
  type: "row",
  id: "iis-proxylogon-user-agent",
  checks: [checks.userAgent],
  kinds: ["iis-w3c"],
  // The paths (and `.as` for scripts in aspnet_client) rather than the 14 user agents: one pass each.
  literals: [...PATH_LITERALS, ".as"],
  ignoreCase: true,
  prefilter: { allOf: [POST, ATTACKER_USER_AGENTS], encoded: true },
  match(row) {
    if (row.field("method") !== "POST") return null;
    const ua = row.field("userAgent") ?? ""; // raw W3C form, as the list is written
    const hit = ATTACKER_USER_AGENTS.find((u) => ua.includes(u));
    if (!hit) return null;
    const stem = decodedLower(row.field("uri") ?? "");
    if (!UA_PATHS.some((p) => stem.startsWith(p))) return null;
    const evidence = requestEvidence(row);
    evidence.Match = hit; // as logged: `+` may stand for a space or be a real plus
    return { check: checks.userAgent.id, time: row.time(), evidence };
  },
};

export const iisProxyLogonCookie: RowDetection = {
  type: "row",
  id: "iis-proxylogon-cookie",
  checks: [checks.cookie],
  kinds: ["iis-w3c"],
  literals: ["x-beresource=", "x-anonresource-backend="],
  ignoreCase: true,
  match(row) {
    const anchors = anchorsOfCookie(row.field("cookie") ?? "");
    if (anchors.length === 0) return null;
    const evidence = requestEvidence(row);
    evidence.Cookie = clip(row.field("cookie") ?? "");
    evidence.Anchor = anchors.map((a) => `${a.anchor.host}${a.anchor.path}`).join(" | ");
    evidence.AnchorReach = anchors.every((a) => a.anchor.scanner)
      ? "localhost/Autodiscover only (scanner shape)"
      : "a back-end server";
    return { check: checks.cookie.id, time: row.time(), evidence };
  },
};
