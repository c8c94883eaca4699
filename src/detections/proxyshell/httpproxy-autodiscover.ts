// ProxyShell and ProxyNotShell as the front end's HttpProxy logs record them, in every protocol folder
// (Autodiscover, PowerShell, Mapi, Ews): the same autodiscover SSRF shape as in IIS, read from UrlStem and
// UrlQuery, with what IIS cannot tell: the back-end server the request was proxied to (TargetServer) and
// which stage ran (the protocol folder, or the back end named after the `@`). A PowerShell row with
// X-Rps-CAT in its query and no authenticated user is the stage after the rewrite (CVE-2021-34523), even
// when the autodiscover part is no longer in the URL. Same status rules as the IIS check.
import type { CheckInfo } from "../../model/types.js";
import { clip, pickFields } from "../evidence.js";
import { decodedLower } from "../iis/request.js";
import { SSRF_FIELDS } from "../proxylogon/ssrf-26855.js";
import type { RowDetection } from "../types.js";
import {
  type AutodiscoverSsrf,
  autodiscoverOutcome,
  autodiscoverSsrf,
  type BackEnd,
  checks as iis,
} from "./iis-autodiscover.js";

const FOLDERS = new Set(["autodiscover", "powershell", "mapi", "ews", "owa"]);

export const checks = {
  proxyShell: {
    id: "httpproxy-proxyshell",
    title: "ProxyShell SSRF proxied to PowerShell or MAPI and answered 200 (HttpProxy, success stage)",
    cves: iis.proxyShell.cves,
    severity: "critical",
    effect: "compromise",
    description:
      "An HttpProxy row (any protocol folder) of the ProxyShell autodiscover SSRF, or an anonymous PowerShell row " +
      "with X-Rps-CAT, whose stage is PowerShell or MAPI and whose status is 200: the front end proxied the " +
      "anonymous request to the back end named in TargetServer, and it ran there.",
    references: iis.proxyShell.references,
  },
  proxyShellAttempt: {
    id: "httpproxy-proxyshell-attempt",
    title: "ProxyShell SSRF probe or recon stage (HttpProxy)",
    cves: iis.proxyShell.cves,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyShell request shape in an HttpProxy log, answered with another status (302, 401, 404, 5xx), or 200 " +
      "from a back end where it runs nothing (/ews, /owa, /autodiscover.xml): attempted, or the recon stage; no " +
      "sign in this row that code ran.",
    references: iis.proxyShell.references,
  },
  proxyNotShell: {
    id: "httpproxy-proxynotshell",
    title: "ProxyNotShell SSRF proxied to PowerShell and answered 200 (HttpProxy)",
    cves: iis.proxyNotShell.cves,
    severity: "critical",
    effect: "compromise",
    description:
      "An HttpProxy row of the authenticated autodiscover SSRF to PowerShell (CVE-2022-41040) answered 200: the " +
      "back end named in TargetServer opened the Remote PowerShell session of CVE-2022-41082.",
    references: iis.proxyNotShell.references,
  },
  proxyNotShellAttempt: {
    id: "httpproxy-proxynotshell-attempt",
    title: "ProxyNotShell SSRF to PowerShell refused (HttpProxy)",
    cves: iis.proxyNotShell.cves,
    severity: "high",
    effect: "attempt",
    description:
      "The ProxyNotShell request shape in an HttpProxy log with a status other than 200: attempted.",
    references: iis.proxyNotShell.references,
  },
} satisfies Record<string, CheckInfo>;

/** The protocol folder of a row: its Protocol column, else the folder under HttpProxy. */
function folderOf(protocol: string, file: string): string {
  const p = protocol.toLowerCase();
  if (p) return p;
  return /(?:^|\/)httpproxy\/([^/]+)\//i.exec(file)?.[1].toLowerCase() ?? "";
}

export const httpProxyAutodiscoverSsrf: RowDetection = {
  type: "row",
  id: "httpproxy-autodiscover-ssrf",
  checks: Object.values(checks),
  kinds: ["httpproxy"],
  literals: ["iscover.json", "x-rps-cat"],
  ignoreCase: true,
  prefilter: { encoded: true },
  match(row, ctx) {
    const stem = decodedLower(row.field("uri") ?? "");
    const query = decodedLower(row.field("query") ?? "").replace(/^\?/, "");
    const user = decodedLower(row.field("user") ?? "");
    let ssrf: AutodiscoverSsrf | null = autodiscoverSsrf(stem, query, user);
    if (!ssrf && user === "" && stem.startsWith("/powershell") && query.includes("x-rps-cat"))
      ssrf = { campaign: "proxyshell", backEnd: "powershell" };
    if (!ssrf) return null;
    const folder = folderOf(row.get("Protocol") ?? "", ctx.file);
    // A row in a back-end protocol's folder ran that stage, whatever the URL names.
    const stage = FOLDERS.has(folder) && folder !== "autodiscover" ? (folder as BackEnd) : ssrf.backEnd;
    const status = (row.field("status") ?? "").trim();
    const outcome = autodiscoverOutcome(
      { ...ssrf, backEnd: stage },
      /^\d{3}$/.test(status) ? Number(status) : null,
    );
    const evidence = pickFields(row, SSRF_FIELDS);
    for (const k of ["UrlQuery", "AnchorMailbox", "BackEndCookie"])
      if (evidence[k]) evidence[k] = clip(evidence[k]);
    evidence.Campaign = ssrf.campaign === "proxyshell" ? "ProxyShell" : "ProxyNotShell";
    if (ssrf.backEnd) evidence.BackEnd = ssrf.backEnd;
    evidence.Stage = stage ?? "autodiscover";
    if (folder) evidence.ProtocolFolder = folder;
    const check =
      ssrf.campaign === "proxynotshell"
        ? outcome === "success"
          ? checks.proxyNotShell.id
          : checks.proxyNotShellAttempt.id
        : outcome === "success"
          ? checks.proxyShell.id
          : checks.proxyShellAttempt.id;
    return { check, time: row.time(), evidence };
  },
};
