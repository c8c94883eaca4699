// Not every IIS site is Exchange. A server may host a WordPress or intranet site next to Exchange, and
// internet scanners send their ProxyLogon/ProxyShell probes to every site: on a site that is not
// Exchange those requests prove nothing about Exchange. Per site that logged Exchange exploit requests,
// this decides whether it is an Exchange site: from applicationHost.config when the evidence holds it
// (a site with an Exchange virtual directory is), else W3SVC1 (Default Web Site) and W3SVC2 (Exchange
// Back End) of a known Exchange server are, else the site's own log decides: any Exchange sign (see
// site.ts) makes it Exchange; Exchange paths all answered 404, no sign, and other requests served make it
// not Exchange; anything else leaves it Exchange (judged as before). A site found not Exchange gets one
// info finding; the verdict stage then records the findings of Exchange-only checks (isExchangeSiteCheck)
// from it as info (src/verdict/scope.ts). Generic web-shell and IOC checks still apply to it.
import type { IisSite } from "../../evidence/iis-config.js";
import type { Finding, FindingDraft } from "../../model/finding.js";
import type { CheckInfo, Coverage } from "../../model/types.js";
import { checks as iisProxyLogon } from "../proxylogon/iis-26855.js";
import { checks as owaSsrf } from "../proxynotshell/iis-owassrf.js";
import { checks as autodiscover } from "../proxyshell/iis-autodiscover.js";
import { sigmaChecks } from "../sigma.js";
import type { FindingsDetection, FindingsInput } from "../types.js";
import { type ExchangeSign, SIGN_CHANNEL, type SignKind, signsOf, siteOf } from "./site.js";

export const checks = {
  notExchange: {
    id: "iis-site-not-exchange",
    title: "IIS site that is not an Exchange site: Exchange exploit checks do not apply to its requests",
    cves: [],
    severity: "info",
    effect: "info",
    confidence: "medium",
    description:
      "IIS logs are per site (W3SVC<id>). This site's ProxyLogon/ProxyShell/ProxyNotShell requests come from " +
      "internet scanners that probe every site: applicationHost.config gives the site no Exchange virtual " +
      "directory, or (without it) the site's log shows no Exchange sign (no authenticated user on an Exchange " +
      "path, no build-numbered OWA/ECP file served, no health probe), answers every Exchange path 404 and serves " +
      "other requests. Its Exchange exploit findings are recorded as info; web-shell and IOC checks still apply.",
    references: ["https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/"],
  },
} satisfies Record<string, CheckInfo>;

/**
 * The Exchange exploit checks of IIS requests: their findings from a non-Exchange site do not apply (the
 * verdict stage, src/verdict/scope.ts, records them as info; docs/checks.md marks them).
 */
const EXCHANGE_SITE_CHECKS: ReadonlySet<string> = new Set(
  [
    ...Object.values(iisProxyLogon),
    ...Object.values(autodiscover),
    ...Object.values(owaSsrf),
    // Sigma's Exchange rules on IIS rows (their findings from event logs name no site and stay).
    sigmaChecks.attempt,
    sigmaChecks.compromise,
  ].map((c) => c.id),
);

/** Whether a check is an Exchange exploit check of IIS requests (a Sigma check `class:rule` by its class). */
export function isExchangeSiteCheck(check: string): boolean {
  return EXCHANGE_SITE_CHECKS.has(check.split(":")[0]);
}

/** The Exchange exploit checks, sorted (docs/checks.md marks them). */
export const exchangeSiteChecks = (): string[] => [...EXCHANGE_SITE_CHECKS].sort();

/** Exchange's own logs (anything read that is neither IIS nor an event log): the server runs Exchange. */
function exchangeServer(input: Pick<FindingsInput, "coverage" | "installPath" | "exposure">): boolean {
  if (input.installPath) return true;
  return input.coverage.sources.some((s) => s.kind !== "iis-w3c" && s.kind !== "event");
}

export interface SiteDecision {
  site: string;
  exchange: boolean;
  /** Why, in one sentence (names the evidence). */
  why: string;
}

const SIGN_WORDS: Record<Exclude<SignKind, "answered">, string> = {
  "health-probe": "an Exchange health probe",
  "build-static": "a build-numbered OWA/ECP file served",
  authenticated: "an authenticated user on an Exchange path",
};

/** Rows of a site's log, from the coverage (null when not counted). */
function siteRecords(coverage: Coverage, site: string): number | null {
  const s = coverage.sources.find((x) => x.kind === "iis-w3c" && x.source.toUpperCase() === `IIS ${site}`);
  return s?.records ?? null;
}

/** Whether one site is Exchange, given its Exchange exploit findings and the signs its log showed. */
export function decideSite(
  site: string,
  findings: readonly Finding[],
  signs: readonly ExchangeSign[],
  input: Pick<FindingsInput, "coverage" | "installPath" | "exposure" | "iisSites">,
): SiteDecision {
  const id = site.replace(/^W3SVC/i, "");
  const config = input.iisSites?.find((s: IisSite) => s.id === id);
  if (config) {
    return config.exchangePaths.length > 0
      ? {
          site,
          exchange: true,
          why: `applicationHost.config: "${config.name}" serves ${config.exchangePaths.join(" ")}`,
        }
      : {
          site,
          exchange: false,
          why: `applicationHost.config: "${config.name}" has no Exchange virtual directory`,
        };
  }
  if ((id === "1" || id === "2") && exchangeServer(input))
    return { site, exchange: true, why: "W3SVC1 and W3SVC2 are Exchange's sites on an Exchange server" };
  const own: ExchangeSign[] = [...signs];
  for (const f of findings) {
    const s = f.subject.kind === "http-request" ? f.subject : null;
    const status = s?.status ?? (f.evidence.Status ? Number(f.evidence.Status) : null);
    for (const sign of signsOf(
      (s?.uri ?? f.evidence.UriStem ?? "").toLowerCase(),
      status,
      (s?.user ?? f.evidence.User ?? "").replace(/^-$/, ""),
      "",
    ))
      own.push({ site, sign, example: `${s?.method ?? "?"} ${s?.uri ?? ""} → ${status ?? "?"}` });
  }
  const sign = own.find((x) => x.sign !== "answered");
  if (sign)
    return {
      site,
      exchange: true,
      why: `${SIGN_WORDS[sign.sign as keyof typeof SIGN_WORDS]}: ${sign.example}`,
    };
  const answered = own.find((x) => x.sign === "answered");
  if (answered)
    return { site, exchange: true, why: `an Exchange path answered other than 404: ${answered.example}` };
  const rows = new Set(findings.map((f) => `${f.source.file}\u0000${f.source.line}`)).size;
  const records = siteRecords(input.coverage, site);
  if (rows === 0 || records === null || records <= rows)
    return {
      site,
      exchange: true,
      why: "its log shows nothing but Exchange exploit requests: not decided, judged as Exchange",
    };
  return {
    site,
    exchange: false,
    why:
      `its log shows no Exchange sign (no authenticated user on an Exchange path, no build-numbered OWA/ECP file ` +
      `served, no health probe), its ${rows} Exchange exploit request${rows === 1 ? " was" : "s were"} all answered ` +
      `404, and it served ${records - rows} other request${records - rows === 1 ? "" : "s"}`,
  };
}

/** The decisions for every site that logged Exchange exploit requests. */
export function decideSites(input: FindingsInput): SiteDecision[] {
  const bySite = new Map<string, Finding[]>();
  for (const f of input.findings) {
    if (!isExchangeSiteCheck(f.check)) continue;
    const site = siteOf(f);
    if (!site) continue;
    const list = bySite.get(site) ?? [];
    list.push(f);
    bySite.set(site, list);
  }
  const signs = (input.collected?.[SIGN_CHANNEL] ?? []) as ExchangeSign[];
  return [...bySite].map(([site, fs]) =>
    decideSite(
      site,
      fs,
      signs.filter((s) => s.site === site),
      input,
    ),
  );
}

/** The sites an `iis-site-not-exchange` finding names (upper case W3SVC<id>). */
export function nonExchangeSites(findings: readonly Finding[]): Set<string> {
  const out = new Set<string>();
  for (const f of findings)
    if (f.check === checks.notExchange.id && f.evidence.Site) out.add(f.evidence.Site);
  return out;
}

function draftOf(d: SiteDecision, findings: readonly Finding[], input: FindingsInput): FindingDraft {
  const mine = findings
    .filter((f) => isExchangeSiteCheck(f.check) && siteOf(f) === d.site)
    .sort((a, b) => (a.time ?? "~").localeCompare(b.time ?? "~"));
  const name = input.iisSites?.find((s) => `W3SVC${s.id}` === d.site)?.name;
  return {
    check: checks.notExchange.id,
    time: mine[0]?.time ?? null,
    file: mine[0]?.source.file ?? null,
    line: null,
    title: `IIS site ${d.site}${name ? ` (${name})` : ""} is not an Exchange site: Exchange exploit checks do not apply to its requests`,
    subject: { kind: "correlation", findingIds: mine.slice(0, 50).map((f) => f.id), key: d.site },
    evidence: {
      Site: d.site,
      ...(name ? { SiteName: name } : {}),
      Reason: d.why,
      ExchangeRequests: String(mine.length),
    },
  };
}

export const iisSiteScope: FindingsDetection = {
  type: "findings",
  id: "iis-site-scope",
  checks: [checks.notExchange],
  run: (input) =>
    decideSites(input)
      .filter((d) => !d.exchange)
      .map((d) => draftOf(d, input.findings, input)),
};
