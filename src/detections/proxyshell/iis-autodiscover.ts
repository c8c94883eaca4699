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
import { decodedLower, requestEvidence, requestTarget, statusOf } from "../iis/request.js";
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
    title: "ProxyShell autodiscover SSRF answered by the server (IIS)",
    cves: PS_CVES,
    severity: "critical",
    effect: "compromise",
    description:
      "A request to /autodiscover/autodiscover.json with `@` or `Email=autodiscover/autodiscover.json` that routes to " +
      "/powershell, /mapi/nspi, /EWS or carries X-Rps-CAT, answered 200, 301 or 302 (the statuses Sigma's ProxyShell " +
      "rules take as success): the front end forwarded the anonymous request to the back end.",
    references: PS_REFS,
  },
  proxyShellFailed: {
    id: "iis-proxyshell-failed",
    title: "ProxyShell autodiscover SSRF refused (IIS)",
    cves: PS_CVES,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyShell request shape, answered with another status (401 on patched servers, 404, 5xx): attempted, " +
      "no sign that it worked.",
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

const PS_TARGETS = ["/powershell", "/mapi/nspi", "/ews", "x-rps-cat"];

export type AutodiscoverShape = "proxyshell" | "proxynotshell" | null;

/** Which campaign a request's decoded, lower-case target and its user name point at. */
export function autodiscoverShape(target: string, user: string): AutodiscoverShape {
  if (!target.includes("autodiscover.json")) return null;
  const powershell = target.includes("powershell");
  if (powershell && user !== "") return "proxynotshell";
  const marker = target.includes("@") || target.includes("email=autodiscover/autodiscover.json");
  if (marker && PS_TARGETS.some((t) => target.includes(t))) return "proxyshell";
  return powershell ? "proxynotshell" : null;
}

export const iisAutodiscoverSsrf: RowDetection = {
  type: "row",
  id: "iis-autodiscover-ssrf",
  checks: [checks.proxyShell, checks.proxyShellFailed, checks.proxyNotShell, checks.proxyNotShellFailed],
  kinds: ["iis-w3c"],
  // In any case: autodiscover.json, AutoDiscover.JSON, ... (a percent-encoded name is not seen).
  literals: ["iscover.json"],
  ignoreCase: true,
  match(row) {
    const target = requestTarget(row);
    const shape = autodiscoverShape(target, decodedLower(row.field("user") ?? ""));
    if (!shape) return null;
    const status = statusOf(row);
    const check =
      shape === "proxyshell"
        ? status === 200 || status === 301 || status === 302
          ? checks.proxyShell.id
          : checks.proxyShellFailed.id
        : status === 200
          ? checks.proxyNotShell.id
          : checks.proxyNotShellFailed.id;
    return { check, time: row.time(), evidence: requestEvidence(row) };
  },
};
