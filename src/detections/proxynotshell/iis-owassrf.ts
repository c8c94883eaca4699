// OWASSRF (CVE-2022-41080 + CVE-2022-41082, December 2022): the ProxyNotShell URL Rewrite mitigation
// blocked autodiscover, so attackers reached the back-end PowerShell through OWA instead:
// `POST /owa/<mailbox>@<domain>/powershell`. Condition of Sigma web_cve_2022_41080_exchange_owassrf and
// signature-base expl_proxynotshell_owassrf_dec22.yar: status 200 is success; Exchange's own clients
// that use this path (ClientInfo, Microsoft WinRM Client, Exchange BackEnd Probes) are left out.
import type { CheckInfo } from "../../model/types.js";
import { decodedLower, requestEvidence, statusOf, userAgentOf } from "../iis/request.js";
import { REF } from "../proxylogon/refs.js";
import type { RowDetection } from "../types.js";

const CVES = ["CVE-2022-41080", "CVE-2022-41082"];
const REFS = [
  "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2022-41080",
  "https://www.crowdstrike.com/blog/owassrf-exploit-analysis-and-recommendations/",
  REF.sigma,
  REF.signatureBase,
];

export const checks = {
  served: {
    id: "iis-owassrf",
    title: "OWASSRF: POST to /owa/<mailbox>/powershell answered 200 (IIS)",
    cves: CVES,
    severity: "critical",
    effect: "compromise",
    description:
      "A POST to /owa/<user>@<domain>/powershell from a client that is not one of Exchange's own (ClientInfo, " +
      "Microsoft WinRM Client, Exchange BackEnd Probes), answered 200: the OWA front end proxied the request to " +
      "the back-end PowerShell endpoint (CVE-2022-41080), the way Play ransomware operators reached CVE-2022-41082.",
    references: REFS,
  },
  failed: {
    id: "iis-owassrf-failed",
    title: "OWASSRF request to /owa/<mailbox>/powershell refused (IIS)",
    cves: CVES,
    severity: "high",
    effect: "attempt",
    description:
      "The OWASSRF request shape answered with a status other than 200: attempted, no sign that it worked.",
    references: REFS,
  },
} satisfies Record<string, CheckInfo>;

const OWN_CLIENTS = ["clientinfo", "microsoft winrm client", "exchange backend probes"];
const OWA_POWERSHELL = /^\/owa\/[^/]*@[^/]*\/powershell(\/|$)/;

export const iisOwaSsrf: RowDetection = {
  type: "row",
  id: "iis-owassrf",
  checks: [checks.served, checks.failed],
  kinds: ["iis-w3c"],
  literals: ["powershell"],
  ignoreCase: true,
  // Before the split: the token `powershell` is in is the OWASSRF stem (the test `match` makes on the
  // decoded stem), as logged and, for rows with `%` (`/owa/x%40y/powers%68ell`), decoded.
  prefilter: { token: { accept: (t) => OWA_POWERSHELL.test(t) }, encoded: true },
  match(row) {
    if ((row.field("method") ?? "").toUpperCase() !== "POST") return null;
    const stem = decodedLower(row.field("uri") ?? "");
    if (!OWA_POWERSHELL.test(stem)) return null;
    const ua = userAgentOf(row).toLowerCase();
    if (OWN_CLIENTS.some((c) => ua.includes(c))) return null;
    const check = statusOf(row) === 200 ? checks.served.id : checks.failed.id;
    return { check, time: row.time(), evidence: requestEvidence(row) };
  },
};
