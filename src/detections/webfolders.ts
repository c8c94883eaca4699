// The web folders of an Exchange server where ProxyLogon/ProxyShell web shells were dropped, recognised
// from a file's Windows path wherever Exchange and IIS were installed, and the files Exchange itself
// ships in the folders whose content is fixed.
import { baselineKey, shippedBaseline } from "./shipped-baseline.js";
import type { WebFolder } from "./types.js";

/** Extensions IIS/ASP.NET executes (or compiles) on request. */
export const SCRIPT_EXT =
  /\.(aspx|ashx|asmx|asax|ascx|asp|asa|cer|cdx|cshtml|vbhtml|soap|rem|svc|shtml|stm|config)$/i;

/** The path from `\FrontEnd\HttpProxy\` on, lower case, when the file is under an Exchange front end. */
function afterMarker(lower: string, marker: string): string | null {
  const i = lower.indexOf(marker);
  return i < 0 ? null : lower.slice(i + marker.length);
}

/** Lower-case Windows path with backslashes. */
export function normWin(path: string): string {
  return path.replaceAll("/", "\\").toLowerCase();
}

/**
 * Which web folder a Windows path is in, or null. `webRoots`: further site roots (lower case, trailing
 * backslash, e.g. from applicationHost.config); any `\inetpub\` tree other than its logs counts too.
 */
export function webFolderOf(winPath: string | null, webRoots: readonly string[] = []): WebFolder | null {
  if (!winPath) return null;
  const p = normWin(winPath);
  const fe = afterMarker(p, "\\frontend\\httpproxy\\");
  if (fe !== null) {
    if (fe.startsWith("owa\\auth\\")) return "owa-auth";
    if (fe.startsWith("ecp\\auth\\")) return "ecp-auth";
    return "httpproxy";
  }
  if (afterMarker(p, "\\v15\\clientaccess\\") !== null || afterMarker(p, "\\v14\\clientaccess\\") !== null)
    return "clientaccess";
  if (p.includes("\\temporary asp.net files\\")) return "temp-aspnet";
  const www = afterMarker(p, "\\inetpub\\wwwroot\\");
  if (www !== null) return www.startsWith("aspnet_client\\") ? "aspnet_client" : "wwwroot";
  const pub = afterMarker(p, "\\inetpub\\");
  if (pub !== null && !pub.startsWith("logs\\") && pub.includes("\\")) return "webroot";
  if (webRoots.some((r) => p.startsWith(r))) return "webroot";
  return null;
}

/** The part of a path below its web folder (`owa\auth\logon.aspx` → `logon.aspx`), lower case. */
export function insideFolder(winPath: string, folder: WebFolder): string {
  const p = normWin(winPath);
  const marker: Record<WebFolder, string> = {
    aspnet_client: "\\inetpub\\wwwroot\\aspnet_client\\",
    wwwroot: "\\inetpub\\wwwroot\\",
    webroot: "\\inetpub\\",
    "owa-auth": "\\frontend\\httpproxy\\owa\\auth\\",
    "ecp-auth": "\\frontend\\httpproxy\\ecp\\auth\\",
    httpproxy: "\\frontend\\httpproxy\\",
    clientaccess: "\\clientaccess\\",
    "temp-aspnet": "\\temporary asp.net files\\",
  };
  return afterMarker(p, marker[folder]) ?? p;
}

/**
 * Files Exchange ships directly in `FrontEnd\HttpProxy\owa\auth` and `ecp\auth` (lower case). Source:
 * microsoft/CSS-Exchange `Security/src/Baselines/baseline_15.1.2176.2.csv` (Exchange 2016 CU19, the
 * per-build hash lists of CompareExchangeHashes.ps1, MIT); `svmfeedback.aspx` from
 * `baseline_15.0.1497.12.csv` (Exchange 2013 CU23 ships it there). The hash baselines in
 * data/baselines add whatever other page a build ships. Subfolders `<build>\` and `Current\` hold only
 * scripts/themes (.js, .css, images, fonts): no page.
 */
export const SHIPPED: Record<"owa-auth" | "ecp-auth", ReadonlySet<string>> = {
  "owa-auth": new Set([
    "errorfe.aspx",
    "expiredpassword.aspx",
    "frowny.aspx",
    "getidtoken.htm",
    "logoff.aspx",
    "logon.aspx",
    "outlookcn.aspx",
    "redirsuiteserviceproxy.aspx",
    "signout.aspx",
    "svmfeedback.aspx",
    "web.config",
  ]),
  "ecp-auth": new Set(["timeoutlogout.aspx", "web.config"]),
};

/**
 * Whether a script is one Exchange ships in that folder. `aspnet_client`: none (Exchange and IIS put
 * only empty `system_web\<version>` folders there). `owa-auth`, `ecp-auth`, `httpproxy`: the names
 * above and whatever a hash baseline lists. `clientaccess`: only the files directly in a back-end app
 * root for which the baselines hold that root's pages (ecp, Autodiscover); its subfolders hold
 * hundreds of pages the data does not list, so they are not judged by name (null).
 */
export function isShippedScript(folder: WebFolder, inside: string): boolean | null {
  if (folder === "aspnet_client") return false;
  if (folder === "owa-auth" || folder === "ecp-auth") {
    if (SHIPPED[folder].has(inside)) return true;
    if (inBaseline(folder, inside)) return true;
    return false; // no page below auth\ (Current\, <build>\ hold no scripts) but what a baseline lists
  }
  if (folder === "httpproxy") {
    // Each front-end vdir has only global.asax and web.config (same baseline); pages live in the back end.
    const parts = inside.split("\\");
    if (parts.length === 2 && (parts[1] === "global.asax" || parts[1] === "web.config")) return true;
    return inBaseline(folder, inside);
  }
  if (folder === "clientaccess") {
    const parts = inside.split("\\");
    if (parts.length !== 2 || !rootsHeld().has(parts[0])) return null;
    return shippedBaseline().byPath.has(`clientaccess\\${inside}`);
  }
  return null;
}

/** The ClientAccess app roots (`ecp`, `autodiscover`) whose own files some baseline lists. */
function rootsHeld(): ReadonlySet<string> {
  const roots = new Set<string>();
  for (const key of shippedBaseline().byPath.keys()) {
    const m = /^clientaccess\\([^\\]+)\\[^\\]+$/.exec(key);
    if (m) roots.add(m[1]);
  }
  return roots;
}

/** Whether some build in the hash baselines ships a file at this place (any hash). */
function inBaseline(folder: "owa-auth" | "ecp-auth" | "httpproxy", inside: string): boolean {
  const dir = { "owa-auth": "owa\\auth\\", "ecp-auth": "ecp\\auth\\", httpproxy: "" }[folder];
  const key = baselineKey(`\\frontend\\httpproxy\\${dir}${inside}`);
  return key !== null && shippedBaseline().byPath.has(key);
}
