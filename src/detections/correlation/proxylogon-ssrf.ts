// ProxyLogon judged on the whole request, not on one log row. An IIS row with the shape of the SSRF
// (POST to /ecp/<x>.js answered 200, an X-BEResource cookie) looks the same for a mass scanner and for
// HAFNIUM; the HttpProxy rows of the same request (same client, URL and time, the request id where both
// logs carry one) say where the forged anchor pointed. Anchors that only reach localhost or Autodiscover
// are the signature of scanners: an attempt. An anchor to a real back-end server followed by ECP/OAB
// activity (DDI SetObject on the OAB virtual directory, Set-OabVirtualDirectory with script, the reset
// that writes the file, an OAB write) is success. Without HttpProxy logs for the request, IIS alone
// decides, with low confidence, and the finding says so (CSS-Exchange #92 asked for exactly this join).
import type { Finding, FindingDraft } from "../../model/finding.js";
import type { CheckInfo, Coverage } from "../../model/types.js";
import { decodedLower } from "../iis/request.js";
import { siteOf } from "../iis/site.js";
import { nonExchangeSites } from "../iis/site-scope.js";
import { anchorOfMailbox, anchorsOfCookie, isEcpOabStage } from "../proxylogon/anchor.js";
import { checks as iisChecks } from "../proxylogon/iis-26855.js";
import { REF } from "../proxylogon/refs.js";
import { checks as ssrfChecks } from "../proxylogon/ssrf-26855.js";
import type { FindingsDetection } from "../types.js";
import { addresses, msOf, tally } from "./rows.js";

const CVE = ["CVE-2021-26855"];
const REFS = [
  REF.cve26855,
  REF.testProxyLogon,
  REF.cssIssue312,
  "https://github.com/microsoft/CSS-Exchange/issues/92",
];

export const checks = {
  success: {
    id: "proxylogon-ssrf-success",
    title: "ProxyLogon SSRF reached a back-end server and was followed by ECP/OAB activity",
    cves: [...CVE, "CVE-2021-27065"],
    severity: "critical",
    effect: "compromise",
    confidence: "high",
    description:
      "IIS requests of the ProxyLogon shape whose HttpProxy rows (same client, URL and time) carry an anchor to a " +
      "real back-end server, followed by ECP/OAB activity: DDI calls on the OAB virtual directory or proxyLogon.ecp " +
      "through the SSRF, a Set-*VirtualDirectory with script, the reset that writes it to a file, or an OAB " +
      "generator write. This is the HAFNIUM chain that plants the OAB web shell.",
    references: [...REFS, REF.cve27065, REF.msBlog],
  },
  backEnd: {
    id: "proxylogon-ssrf-backend",
    title: "ProxyLogon SSRF reached a back-end server (no ECP/OAB activity seen)",
    cves: CVE,
    severity: "critical",
    effect: "compromise",
    confidence: "medium",
    description:
      "IIS requests of the ProxyLogon shape whose HttpProxy rows carry an anchor to a real back-end server, answered " +
      "2xx: the forged request ran on the back end as SYSTEM (Test-ProxyLogon's CVE-2021-26855 condition). No " +
      "ECP/OAB stage was found in the evidence read; refused back-end anchors are reported as attempts.",
    references: REFS,
  },
  scanner: {
    id: "proxylogon-ssrf-scanner",
    title: "ProxyLogon scanner: SSRF anchors only reach localhost or Autodiscover",
    cves: CVE,
    severity: "medium",
    effect: "attempt",
    description:
      "IIS requests of the ProxyLogon shape whose anchors (HttpProxy AnchorMailbox, or the cookie IIS logged) only " +
      "name localhost or Autodiscover: the signature of mass scanners (Microsoft's nmap script, nuclei), which proves " +
      "the server answered the probe and reaches nothing. A 2xx status here is not success.",
    references: REFS,
  },
  unrouted: {
    id: "proxylogon-ssrf-unrouted",
    title: "ProxyLogon-shaped request that the front end did not route (no SSRF row in HttpProxy)",
    cves: CVE,
    severity: "medium",
    effect: "attempt",
    description:
      "IIS requests of the ProxyLogon shape at a time the HttpProxy logs of that protocol cover, with no SSRF row " +
      "(ServerInfo~ anchor, forged back-end cookie) for them: the request carried no working routing cookie, so " +
      "whatever IIS answered came from the front end itself.",
    references: REFS,
  },
  iisOnly: {
    id: "proxylogon-ssrf-iis-only",
    title: "ProxyLogon SSRF request answered 2xx, judged from IIS alone (no HttpProxy rows for it)",
    cves: CVE,
    severity: "critical",
    effect: "compromise",
    confidence: "low",
    description:
      "IIS requests of the ProxyLogon shape answered 2xx, for which the evidence holds no HttpProxy rows (the " +
      "HttpProxy logs of that protocol and time were not collected). Scanners can get the same answer, so the " +
      "confidence is low: collect <install>\\Logging\\HttpProxy to tell a scanner from an attack.",
    references: REFS,
  },
} satisfies Record<string, CheckInfo>;

/** IIS stamps a request when it ends, HttpProxy when it begins: rows of one request lie this close. */
const WINDOW_MS = 120_000;
/** ECP/OAB activity counts as following the SSRF from a little before its first request to a day after. */
const FOLLOW_BEFORE_MS = 10 * 60_000;
const FOLLOW_AFTER_MS = 24 * 3600_000;
const MAX_LINKED = 50;

const IIS_CHECKS = new Set([iisChecks.served.id, iisChecks.failed.id, iisChecks.cookie.id]);
const PROXY_CHECKS = new Set([
  ssrfChecks.served.id,
  ssrfChecks.failed.id,
  ssrfChecks.probe.id,
  ssrfChecks.cookie.id,
]);
/** Findings of the ECP/OAB stage wherever they were read (ECP log, HttpProxy, OAB log, events, RPS log). */
const FOLLOW_ON = new Set([
  "cve-2021-27065-set-vdir",
  "cve-2021-27065-reset-vdir",
  "cve-2021-26858-oab-write",
  "cve-2021-27065-vdir-cmdlet",
]);

interface ProxyRow {
  finding: Finding;
  ms: number | null;
  clients: string[];
  stem: string;
  requestId: string | null;
  backEnd: boolean;
  served: boolean;
  stage: boolean;
  anchor: string;
}

type Outcome = keyof typeof checks;

interface Request {
  finding: Finding;
  ms: number | null;
  clients: string[];
  stem: string;
  status: number | null;
  requestId: string | null;
  cookieAnchors: { text: string; scanner: boolean }[];
  matched: ProxyRow[];
}

function isServed(status: string | number | null | undefined): boolean {
  return status != null && /^2\d\d$/.test(String(status).trim());
}

function proxyRowOf(f: Finding): ProxyRow {
  const s = f.subject.kind === "http-request" ? f.subject : null;
  const anchorText = f.evidence.AnchorMailbox ?? "";
  const anchor = anchorOfMailbox(anchorText);
  const cookie = f.check === ssrfChecks.cookie.id;
  const status = f.evidence.HttpStatus ?? s?.status ?? null;
  return {
    finding: f,
    ms: msOf(f.time),
    clients: addresses(f.evidence.ClientIpAddress ?? s?.clientIp),
    stem: decodedLower(f.evidence.UrlStem ?? s?.uri ?? ""),
    requestId: f.evidence.RequestId ?? s?.requestId ?? null,
    // A forged BackEndCookie names a real server (its anchor is in the cookie, not in AnchorMailbox).
    backEnd: cookie ? true : anchor !== null && !anchor.scanner,
    served: isServed(status),
    stage: anchor !== null && !anchor.scanner && isEcpOabStage(anchor.path),
    anchor: anchor ? `${anchor.host}${anchor.path}` : anchorText,
  };
}

function requestOf(f: Finding): Request {
  const s = f.subject.kind === "http-request" ? f.subject : null;
  const status = s?.status ?? (f.evidence.Status ? Number(f.evidence.Status) : null);
  return {
    finding: f,
    ms: msOf(f.time),
    clients: addresses(f.evidence.ClientIp ?? s?.clientIp, f.evidence.XForwardedFor),
    stem: decodedLower(f.evidence.UriStem ?? s?.uri ?? ""),
    status,
    requestId: s?.requestId ?? null,
    cookieAnchors: anchorsOfCookie(f.evidence.Cookie ?? "").map((a) => ({
      text: `${a.anchor.host}${a.anchor.path}`,
      scanner: a.anchor.scanner,
    })),
    matched: [],
  };
}

/** Whether an HttpProxy row is a row of the same request as an IIS row. */
function sameRequest(r: Request, p: ProxyRow): boolean {
  if (r.requestId && p.requestId) return r.requestId.toLowerCase() === p.requestId.toLowerCase();
  if (r.stem !== p.stem || r.ms === null || p.ms === null) return false;
  if (Math.abs(r.ms - p.ms) > WINDOW_MS) return false;
  return r.clients.some((c) => p.clients.includes(c));
}

/** The HttpProxy source that would hold a request for this stem (`/ecp/…` → HttpProxy/Ecp). */
function protocolOf(stem: string): string {
  const first = stem.split("/")[1] ?? "";
  return first === "ecp" ? "ecp" : first === "owa" ? "owa" : first;
}

/** Whether the HttpProxy logs of the request's protocol were read and span its time. */
function httpProxyCovers(coverage: Coverage, r: Request): boolean {
  const t = r.finding.time;
  if (!t) return false;
  const proto = protocolOf(r.stem);
  return coverage.sources.some(
    (s) =>
      s.kind === "httpproxy" &&
      s.source.toLowerCase() === `httpproxy/${proto}` &&
      s.oldest !== null &&
      s.newest !== null &&
      s.oldest <= t &&
      t <= s.newest,
  );
}

/** What one request shows, given its HttpProxy rows and the ECP/OAB activity of the server. */
function outcomeOf(
  r: Request,
  followOn: Finding[],
  coverage: Coverage,
  proxyOmitted: boolean,
): Outcome | null {
  const rows = r.matched;
  const anchorsBackEnd = rows.some((p) => p.backEnd) || r.cookieAnchors.some((a) => !a.scanner);
  const anyAnchor = rows.length > 0 || r.cookieAnchors.length > 0;
  if (anyAnchor && !anchorsBackEnd) return "scanner";
  if (rows.length > 0) {
    const servedBackEnd = rows.some((p) => p.backEnd && p.served);
    const stage = rows.some((p) => p.stage && (p.served || p.finding.evidence.HttpStatus === "241"));
    if (servedBackEnd && (stage || followsOn(r, followOn))) return "success";
    return "backEnd";
  }
  // No HttpProxy row for the request: absent logs or an unrouted request.
  if (!proxyOmitted && httpProxyCovers(coverage, r)) return "unrouted";
  return isServed(r.status) ? "iisOnly" : null;
}

function followsOn(r: Request, followOn: Finding[]): boolean {
  const at = r.ms;
  if (at === null) return followOn.length > 0;
  return followOn.some((f) => {
    const t = msOf(f.time);
    return t === null || (t >= at - FOLLOW_BEFORE_MS && t <= at + FOLLOW_AFTER_MS);
  });
}

/** The correlated findings of one server: one per client address and outcome. */
export function correlateProxyLogon(
  findings: readonly Finding[],
  coverage: Coverage,
  omitted: Readonly<Record<string, number>> = {},
): FindingDraft[] {
  // One request per IIS row: the entry-path and the cookie check may both have read it.
  const byRow = new Map<string, Request>();
  const proxy: ProxyRow[] = [];
  const followOn: Finding[] = [];
  // Requests to a site that is not Exchange (iis-site-scope) tell nothing about Exchange.
  const notExchange = nonExchangeSites(findings);
  for (const f of findings) {
    if (IIS_CHECKS.has(f.check) && notExchange.has(siteOf(f) ?? "")) continue;
    if (IIS_CHECKS.has(f.check)) {
      const key = `${f.source.file}\u0000${f.source.line}`;
      const seen = byRow.get(key);
      if (!seen) byRow.set(key, requestOf(f));
      else if (f.check === iisChecks.cookie.id) seen.cookieAnchors = requestOf(f).cookieAnchors;
    } else if (PROXY_CHECKS.has(f.check)) proxy.push(proxyRowOf(f));
    if (FOLLOW_ON.has(f.check)) followOn.push(f);
  }
  if (byRow.size === 0) return [];
  const proxyOmitted = [...PROXY_CHECKS].some((c) => (omitted[c] ?? 0) > 0);
  // HttpProxy rows by stem, so that a flood of IIS rows does not compare every pair.
  const byStem = new Map<string, ProxyRow[]>();
  for (const p of proxy) {
    const list = byStem.get(p.stem);
    if (list) list.push(p);
    else byStem.set(p.stem, [p]);
  }
  const groups = new Map<string, { outcome: Outcome; client: string; requests: Request[] }>();
  for (const r of byRow.values()) {
    const candidates = r.requestId ? proxy : (byStem.get(r.stem) ?? []);
    r.matched = candidates.filter((p) => sameRequest(r, p));
    const outcome = outcomeOf(r, followOn, coverage, proxyOmitted);
    if (!outcome) continue;
    const client = r.clients[0] ?? "(unknown client)";
    const key = `${client}\u0000${outcome}`;
    const g = groups.get(key) ?? { outcome, client, requests: [] };
    g.requests.push(r);
    groups.set(key, g);
  }
  const out: FindingDraft[] = [];
  for (const g of groups.values()) out.push(draftOf(g.outcome, g.client, g.requests, followOn, proxyOmitted));
  return out;
}

function draftOf(
  outcome: Outcome,
  client: string,
  requests: Request[],
  followOn: Finding[],
  proxyOmitted: boolean,
): FindingDraft {
  const sorted = [...requests].sort((a, b) => (a.finding.time ?? "~").localeCompare(b.finding.time ?? "~"));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const rows = sorted.flatMap((r) => r.matched);
  const uniqueRows = [...new Set(rows)];
  const evidence: Record<string, string> = {
    ClientIp: client,
    RequestCount: String(requests.length),
    FirstRequest: first.finding.time ?? "",
    LastRequest: last.finding.time ?? "",
    UriStems: tally(sorted.map((r) => r.finding.evidence.UriStem ?? r.stem)),
    Statuses: tally(sorted.map((r) => String(r.status ?? "?"))),
    HttpProxyRows: String(uniqueRows.length),
  };
  const anchors = [
    ...uniqueRows.map((p) => p.anchor),
    ...sorted.flatMap((r) => r.cookieAnchors.map((a) => a.text)),
  ];
  if (anchors.length > 0) evidence.Anchors = tally(anchors);
  let severity: FindingDraft["severity"];
  let effect: FindingDraft["effect"];
  let title: string | undefined;
  if (outcome === "success") {
    // The stage calls by their back-end path (without the query: canaries are secrets of the session).
    const stages = uniqueRows.filter((p) => p.stage).map((p) => `SSRF to ${p.anchor.replace(/[?#].*$/, "")}`);
    evidence.FollowOn = tally([...stages, ...followOn.map((f) => f.check)]);
  }
  if (outcome === "backEnd" && !uniqueRows.some((p) => p.backEnd && p.served)) {
    effect = "attempt";
    severity = "high";
    title = "ProxyLogon SSRF aimed at a back-end server, refused";
  }
  if (outcome === "iisOnly" || outcome === "unrouted")
    evidence.Note =
      outcome === "iisOnly"
        ? "No HttpProxy rows for these requests in the evidence: judged from IIS alone (collect Logging\\HttpProxy)." +
          (proxyOmitted
            ? " Some HttpProxy SSRF rows were over the per-check limit and could not be matched."
            : "")
        : "The HttpProxy logs of this protocol cover these times and hold no SSRF row for them.";
  const linked = [...sorted.map((r) => r.finding.id), ...uniqueRows.map((p) => p.finding.id)];
  return {
    check: checks[outcome].id,
    time: first.finding.time,
    file: first.finding.source.file,
    line: first.finding.source.line,
    ...(title ? { title } : {}),
    ...(effect ? { effect } : {}),
    ...(severity ? { severity } : {}),
    subject: { kind: "correlation", findingIds: linked.slice(0, MAX_LINKED), key: client },
    evidence,
  };
}

export const proxyLogonCorrelated: FindingsDetection = {
  type: "findings",
  id: "proxylogon-ssrf-correlated",
  checks: Object.values(checks),
  run: (input) => correlateProxyLogon(input.findings, input.coverage, input.omitted),
};
