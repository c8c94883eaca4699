// ProxyShell and ProxyNotShell judged on the whole request: the IIS row of an autodiscover.json…@
// request is read together with the HttpProxy row of the same request (the request id where both logs
// carry one, else the same client address within 60 s and the same URL: the same decoded stem, or the
// HttpProxy stage being the back end the IIS URL names after its `@`). The HttpProxy row says what IIS
// cannot: the back-end server the front end proxied it to (TargetServer) and the stage that ran (its
// protocol folder). HttpProxy success (200 on PowerShell or MAPI) is a compromise with high confidence;
// a joined request the back end refused, or that reached a stage running nothing, is an attempt that
// names its back end. Requests to an IIS site that is not Exchange (iis-site-scope) are left out.
// Same design as the ProxyLogon correlation (proxylogon-ssrf.ts).
import type { Finding, FindingDraft } from "../../model/finding.js";
import type { CheckInfo } from "../../model/types.js";
import { decodedLower } from "../iis/request.js";
import { siteOf } from "../iis/site.js";
import { nonExchangeSites } from "../iis/site-scope.js";
import { checks as hpChecks } from "../proxyshell/httpproxy-autodiscover.js";
import { checks as iisChecks } from "../proxyshell/iis-autodiscover.js";
import type { FindingsDetection } from "../types.js";
import { addresses, msOf, tally } from "./rows.js";

export const checks = {
  success: {
    id: "proxyshell-joined-success",
    title:
      "ProxyShell/ProxyNotShell SSRF ran on a back-end server (IIS and HttpProxy rows of the same request)",
    cves: [...iisChecks.proxyShell.cves, ...iisChecks.proxyNotShell.cves],
    severity: "critical",
    effect: "compromise",
    confidence: "high",
    description:
      "An IIS row of the autodiscover.json SSRF (`@` in its path or query) and the HttpProxy row of the same request " +
      "(request id, or the same client within 60 s and the same URL or the stage it names) in which the front end " +
      "proxied it to the back end named in TargetServer, and the PowerShell or MAPI stage answered 200: the request " +
      "ran on that back end. Both logs agree, so the confidence is high.",
    references: iisChecks.proxyShell.references,
  },
  proxied: {
    id: "proxyshell-joined-attempt",
    title:
      "ProxyShell/ProxyNotShell SSRF proxied to a back end that ran nothing (IIS and HttpProxy rows joined)",
    cves: [...iisChecks.proxyShell.cves, ...iisChecks.proxyNotShell.cves],
    severity: "high",
    effect: "attempt",
    description:
      "The same join, where the HttpProxy row shows the request refused (302, 401, 404, 5xx) or answered by a stage " +
      "that runs nothing (/ews, /owa, /autodiscover.xml): attempted, and the back-end target and stage are named.",
    references: iisChecks.proxyShell.references,
  },
} satisfies Record<string, CheckInfo>;

/** IIS stamps a request when it ends, HttpProxy when it begins: rows of one request lie this close. */
const WINDOW_MS = 60_000;
const MAX_LINKED = 50;

const IIS = new Set(
  [
    iisChecks.proxyShell,
    iisChecks.proxyShellReached,
    iisChecks.proxyShellFailed,
    iisChecks.proxyNotShell,
    iisChecks.proxyNotShellFailed,
  ].map((c) => c.id),
);
const PROXY_SUCCESS = new Set([hpChecks.proxyShell.id, hpChecks.proxyNotShell.id]);
const PROXY = new Set([...PROXY_SUCCESS, hpChecks.proxyShellAttempt.id, hpChecks.proxyNotShellAttempt.id]);

interface Side {
  finding: Finding;
  ms: number | null;
  clients: string[];
  stem: string;
  requestId: string | null;
  /** IIS: the back end named after the `@`; HttpProxy: the stage that ran. */
  stage: string | null;
}

function sideOf(f: Finding, proxy: boolean): Side {
  const s = f.subject.kind === "http-request" ? f.subject : null;
  const e = f.evidence;
  return {
    finding: f,
    ms: msOf(f.time),
    clients: proxy
      ? addresses(e.ClientIpAddress ?? s?.clientIp)
      : addresses(e.ClientIp ?? s?.clientIp, e.XForwardedFor),
    stem: decodedLower((proxy ? e.UrlStem : e.UriStem) ?? s?.uri ?? ""),
    requestId: (proxy ? e.RequestId : null) ?? s?.requestId ?? null,
    stage: (proxy ? e.Stage : e.BackEnd) ?? null,
  };
}

/** Whether an HttpProxy row is a row of the same request as an IIS row. */
function sameRequest(i: Side, p: Side): boolean {
  if (i.requestId && p.requestId) return i.requestId.toLowerCase() === p.requestId.toLowerCase();
  if (i.ms === null || p.ms === null || Math.abs(i.ms - p.ms) > WINDOW_MS) return false;
  if (!i.clients.some((c) => p.clients.includes(c))) return false;
  return i.stem === p.stem || (i.stage !== null && i.stage === p.stage);
}

/** The joined findings of one server: one per client address and outcome. */
export function joinProxyShell(findings: readonly Finding[]): FindingDraft[] {
  const notExchange = nonExchangeSites(findings);
  const iis: Side[] = [];
  const proxy: Side[] = [];
  for (const f of findings) {
    if (IIS.has(f.check) && !notExchange.has(siteOf(f) ?? "")) iis.push(sideOf(f, false));
    else if (PROXY.has(f.check)) proxy.push(sideOf(f, true));
  }
  if (iis.length === 0 || proxy.length === 0) return [];
  const groups = new Map<string, { outcome: keyof typeof checks; client: string; pairs: [Side, Side[]][] }>();
  for (const i of iis) {
    const rows = proxy.filter((p) => sameRequest(i, p));
    if (rows.length === 0) continue;
    const outcome = rows.some((p) => PROXY_SUCCESS.has(p.finding.check)) ? "success" : "proxied";
    const client = i.clients[0] ?? "(unknown client)";
    const key = `${client}\u0000${outcome}`;
    const g = groups.get(key) ?? { outcome, client, pairs: [] };
    g.pairs.push([i, rows]);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => draftOf(g.outcome, g.client, g.pairs));
}

function draftOf(outcome: keyof typeof checks, client: string, pairs: [Side, Side[]][]): FindingDraft {
  const sorted = [...pairs].sort((a, b) =>
    (a[0].finding.time ?? "~").localeCompare(b[0].finding.time ?? "~"),
  );
  const first = sorted[0][0].finding;
  const rows = [...new Set(sorted.flatMap(([, r]) => r))];
  const shown = outcome === "success" ? rows.filter((p) => PROXY_SUCCESS.has(p.finding.check)) : rows;
  const ev = (p: Side, k: string) => p.finding.evidence[k] ?? "";
  const campaigns = new Set(sorted.map(([i]) => i.finding.evidence.Campaign).filter(Boolean));
  const evidence: Record<string, string> = {
    ClientIp: client,
    Campaign: [...campaigns].sort().join(", "),
    RequestCount: String(sorted.length),
    FirstRequest: first.time ?? "",
    LastRequest: sorted[sorted.length - 1][0].finding.time ?? "",
    IisStatuses: tally(sorted.map(([i]) => i.finding.evidence.Status ?? "?")),
    HttpProxyRows: String(rows.length),
    TargetServer: tally(shown.map((p) => ev(p, "TargetServer") || "(not logged)")),
    Stage: tally(shown.map((p) => p.stage ?? "autodiscover")),
    HttpProxyStatuses: tally(shown.map((p) => ev(p, "HttpStatus") || "?")),
  };
  const linked = [...sorted.map(([i]) => i.finding.id), ...rows.map((p) => p.finding.id)];
  return {
    check: checks[outcome].id,
    time: first.time,
    file: first.source.file,
    line: first.source.line,
    subject: { kind: "correlation", findingIds: linked.slice(0, MAX_LINKED), key: client },
    evidence,
  };
}

export const proxyShellJoined: FindingsDetection = {
  type: "findings",
  id: "proxyshell-joined",
  checks: Object.values(checks),
  run: (input) => joinProxyShell(input.findings),
};
