// Requests to server-side scripts where Exchange ships none: anything under aspnet_client (the folder
// most web shells of 2021 were dropped in), pages in owa\auth, ecp\auth, OAB and EWS that are not
// part of Exchange's fixed set, and scripts in inetpub\wwwroot outside Exchange's virtual directories.
// These rows are also what the shell ↔ request linking joins to the files the sweep flags
// (verdict/correlate.ts), so every such request is kept, up to the per-check limit.
// Not covered: a shell written over a page Exchange ships (e.g. ecp\auth\TimeoutLogout.aspx) looks like
// normal traffic here; the file sweep's hash and content checks find those.
import type { CheckInfo } from "../../model/types.js";
import { decodedLower, is2xx, requestEvidence, statusOf } from "../iis/request.js";
import { REF } from "../proxylogon/refs.js";
import type { RowDetection } from "../types.js";

export const checks = {
  request: {
    id: "iis-request-to-unexpected-script",
    title: "Request to a script where Exchange ships none (IIS)",
    cves: [],
    severity: "medium",
    effect: "attempt",
    description:
      "A request for an .aspx/.ashx/.asmx/.asp/.asa/.cer page under /aspnet_client/, under /owa/auth/ or /ecp/auth/ " +
      "but not one of the pages Exchange installs there, under /oab/, directly under /ews/ other than Exchange.asmx, " +
      "or under inetpub\\wwwroot outside Exchange's virtual directories. Scanners probe such names by the thousand " +
      "(404). A 2xx answer means the file existed and ran: severity is raised to high for those; whether it was a web " +
      "shell is settled by the file sweep, which this request is linked to when it flags the file.",
    references: [REF.msBlog, REF.cisaAA21062A, REF.signatureBase],
  },
} satisfies Record<string, CheckInfo>;

const SCRIPT = /\.(aspx|ashx|asmx|asp|asa|cer)$/;

/** Virtual directories of Exchange's front and back end web sites (everything else is wwwroot content). */
const EXCHANGE_VDIRS = new Set([
  "owa",
  "ecp",
  "ews",
  "autodiscover",
  "mapi",
  "rpc",
  "rpcwithcert",
  "oab",
  "powershell",
  "microsoft-server-activesync",
  "api",
  "exchange",
  "exchweb",
  "public",
  "exadmin",
  "pushnotifications",
]);

/** Pages Exchange 2013-2019 install in FrontEnd\HttpProxy\owa\auth and ecp\auth, and EWS's one endpoint. */
const SHIPPED: Record<string, Set<string>> = {
  "owa/auth": new Set([
    "logon.aspx",
    "logoff.aspx",
    "errorfe.aspx",
    "expiredpassword.aspx",
    "frowny.aspx",
    "outlookcn.aspx",
    "redirsuiteserviceproxy.aspx",
    "signout.aspx",
    "svmfeedback.aspx", // Exchange 2013 (CSS-Exchange baseline_15.0.1497.12.csv)
    "timeoutlogout.aspx",
  ]),
  "ecp/auth": new Set(["timeoutlogout.aspx"]),
  ews: new Set(["exchange.asmx"]),
};

/** Whether a decoded, lower-case URI stem is a script Exchange does not ship at that place. */
export function isUnexpectedScript(stem: string): boolean {
  if (!stem.startsWith("/") || !SCRIPT.test(stem)) return false;
  const parts = stem.slice(1).split("/");
  const name = parts[parts.length - 1];
  const first = parts[0];
  if (parts.length === 1) return true; // a script at the site root (inetpub\wwwroot)
  if (!EXCHANGE_VDIRS.has(first)) return true; // aspnet_client and any other wwwroot folder
  if (first === "oab") return true;
  const dir2 = `${first}/${parts[1]}`;
  if (dir2 === "owa/auth" || dir2 === "ecp/auth") return parts.length > 3 || !SHIPPED[dir2].has(name);
  if (first === "ews") return parts.length === 2 && !SHIPPED.ews.has(name);
  return false;
}

const SCRIPT_SUFFIXES = [".aspx", ".ashx", ".asmx", ".asp", ".asa", ".cer"];

/**
 * The prefilter's test of a token that ends in a script extension: as logged, and percent-decoded (so
 * that it is looser than `match` either way).
 */
function maybeUnexpectedScript(token: string): boolean {
  return isUnexpectedScript(token) || (token.includes("%") && isUnexpectedScript(decodedLower(token)));
}

export const iisUnexpectedScript: RowDetection = {
  type: "row",
  id: "iis-request-to-unexpected-script",
  checks: [checks.request],
  kinds: ["iis-w3c"],
  literals: [".as", ".cer"],
  ignoreCase: true, // `.Aspx`, `.ASHX`, `.Cer`: the prefilter and match compare in lower case too
  // Before the split: a token ends in a script extension and may be an unexpected script. Only those
  // tokens cost a string (user agents are full of dots).
  // Encoded forms (`/aspnet_client/x.a%73px`) through the decoded token.
  prefilter: { token: { endsWith: SCRIPT_SUFFIXES, accept: maybeUnexpectedScript }, encoded: true },
  match(row) {
    const stem = decodedLower(row.field("uri") ?? "");
    if (!isUnexpectedScript(stem)) return null;
    const served = is2xx(statusOf(row));
    return {
      check: checks.request.id,
      time: row.time(),
      evidence: requestEvidence(row),
      ...(served
        ? {
            severity: "high" as const,
            title: "Request to a script where Exchange ships none, answered 2xx (IIS)",
          }
        : {}),
    };
  },
};
