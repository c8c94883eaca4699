// CVE-2021-26855, the ProxyLogon SSRF, in the HttpProxy logs of every protocol folder.
// Condition (Test-ProxyLogon since 19778cd80): AnchorMailbox -like 'ServerInfo~*/*' and not
// 'ServerInfo~*/autodiscover*' and not 'ServerInfo~localhost*/*'. The excluded rows are kept as their
// own lower-severity check: they are mass scanning or attempts that did not find a mailbox.
import type { CheckInfo } from "../../model/types.js";
import { clip, pickFields } from "../evidence.js";
import { like } from "../like.js";
import type { RowDetection } from "../types.js";
import { REF } from "./refs.js";

const CVE = ["CVE-2021-26855"];
const REFS = [REF.cve26855, REF.msBlog, REF.testProxyLogon];

/** The columns of Test-ProxyLogon's <server>-Cve-2021-26855.csv, then a few that help triage. */
export const SSRF_FIELDS = [
  "DateTime",
  "RequestId",
  "ClientIpAddress",
  "UrlHost",
  "UrlStem",
  "RoutingHint",
  "UserAgent",
  "AnchorMailbox",
  "HttpStatus",
  "BackEndStatus",
  "Method",
  "AuthenticatedUser",
  "TargetServer",
  "BackEndCookie",
  "UrlQuery",
  "Protocol",
] as const;

export const checks = {
  served: {
    id: "cve-2021-26855-ssrf",
    title: "ProxyLogon SSRF request served by the back end (CVE-2021-26855)",
    cves: CVE,
    severity: "critical",
    effect: "compromise",
    description:
      "An HttpProxy request whose AnchorMailbox (ServerInfo~<server>/<path>) was set by an X-BEResource / " +
      "X-AnonResource-Backend cookie, routed as SYSTEM to a back-end path, and answered with a 2xx status. " +
      "This is Test-ProxyLogon's CVE-2021-26855 condition; the status says the request went through.",
    references: REFS,
  },
  failed: {
    id: "cve-2021-26855-ssrf-failed",
    title: "ProxyLogon SSRF request that did not succeed (CVE-2021-26855)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "Matches Test-ProxyLogon's CVE-2021-26855 condition, but the request ended with a non-2xx status: " +
      "exploitation was attempted against a real back-end path; nothing in this row says it worked.",
    references: REFS,
  },
  probe: {
    id: "cve-2021-26855-probe",
    title: "ProxyLogon scanning or failed attempt (autodiscover / localhost anchor)",
    cves: CVE,
    severity: "medium",
    effect: "attempt",
    description:
      "AnchorMailbox ServerInfo~*/autodiscover* or ServerInfo~localhost*/*: the rows Test-ProxyLogon drops as " +
      "false positives. They are vulnerability scanners (Microsoft's nmap script sends localhost) or attackers " +
      "who did not find a valid mailbox. Kept here so that 'attempted' is visible (CSS-Exchange #312).",
    references: [...REFS, REF.cssIssue312],
  },
  cookie: {
    id: "cve-2021-26855-backend-cookie",
    title: "Forged back-end routing cookie (BackEndCookie Server~*/*~*)",
    cves: CVE,
    severity: "high",
    effect: "attempt",
    description:
      "The BackEndCookie column holds a server name with a path (Server~<host>/<path>~<n>), which Exchange never " +
      "writes itself: an X-BEResource cookie crafted for the SSRF. Suggested in CSS-Exchange #310 for servers " +
      "that the autodiscover/localhost exclusion left without hits.",
    references: [...REFS, REF.cssIssue310],
  },
} satisfies Record<string, CheckInfo>;

function isServed(status: string | undefined): boolean {
  return status !== undefined && /^2\d\d$/.test(status.trim());
}

export const ssrf26855: RowDetection = {
  type: "row",
  id: "proxylogon-ssrf",
  checks: [checks.served, checks.failed, checks.probe],
  kinds: ["httpproxy"],
  literals: ["ServerInfo~"],
  match(row) {
    const anchor = row.get("AnchorMailbox") ?? "";
    if (!like(anchor, "ServerInfo~*/*")) return null;
    const excluded = like(anchor, "ServerInfo~*/autodiscover*") || like(anchor, "ServerInfo~localhost*/*");
    const evidence = pickFields(row, SSRF_FIELDS);
    if (evidence.AnchorMailbox) evidence.AnchorMailbox = clip(evidence.AnchorMailbox);
    const check = excluded
      ? checks.probe.id
      : isServed(row.field("status"))
        ? checks.served.id
        : checks.failed.id;
    return { check, time: row.time(), evidence };
  },
};

export const backEndCookie26855: RowDetection = {
  type: "row",
  id: "proxylogon-backend-cookie",
  checks: [checks.cookie],
  kinds: ["httpproxy"],
  literals: ["Server~"],
  // Only a `Server~` followed by a `/` before its next `~`, comma or quote (the shape of a forged cookie)
  // wakes the detection, checked by the reader on bytes: a third of HttpProxy rows carry a benign
  // cookie (`Server~host~1942063431~date`), and none of them is split.
  literalGuard: { need: "/", stops: '~,"' },
  match(row) {
    const cookie = row.get("BackEndCookie") ?? "";
    if (!cookie || !like(cookie, "Server~*/*~*")) return null;
    return { check: checks.cookie.id, time: row.time(), evidence: pickFields(row, SSRF_FIELDS) };
  },
};
