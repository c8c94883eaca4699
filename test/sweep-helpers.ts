// Build SweptFile values for content-rule unit tests (the sweep itself has its own tests).
import { createHash } from "node:crypto";
import { draftsOf, type FindingDraft, type SweptFile } from "../src/detections/types.js";
import { webFolderOf } from "../src/detections/webfolders.js";
import { webshellContent } from "../src/detections/webshells/content.js";
import { ctx } from "./helpers.js";

export const OWA_AUTH =
  "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\";
export const ECP_AUTH =
  "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\";
export const ASPNET_CLIENT = "C:\\inetpub\\wwwroot\\aspnet_client\\";
export const TEMP_ASPNET = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\";

export function swept(
  winPath: string | null,
  content: string | Buffer,
  o: { extraRoot?: boolean; path?: string; size?: number } = {},
): SweptFile {
  const bytes = typeof content === "string" ? Buffer.from(content, "latin1") : content;
  let lower: string | null = null;
  return {
    path: o.path ?? (winPath ? winPath.replace(/^([A-Z]):\\/, "$1/").replaceAll("\\", "/") : "x/file"),
    winPath,
    size: o.size ?? bytes.length,
    mtime: "2021-03-03T06:50:13.000Z",
    folder: webFolderOf(winPath),
    extraRoot: o.extraRoot ?? false,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    sha1: null,
    md5: null,
    content: bytes,
    truncated: (o.size ?? bytes.length) > bytes.length,
    lower: () => {
      lower ??= bytes.toString("latin1").toLowerCase();
      return lower;
    },
  };
}

/**
 * Inert fixtures: only the strings a rule keys on, inside an ASP.NET server-side comment (`<%-- --%>`)
 * that IIS never executes. They are not web shells.
 */
export function inertPage(keyed: string, language = "JScript"): string {
  return `<%@ Page Language="${language}" %>\n<%-- exhunt test fixture, inert: ${keyed} --%>\n<html><body>fixture</body></html>\n`;
}

/** A page whose code sits in a server-side comment (`<%-- --%>`, never run by IIS): inert, yet analysed. */
export const inertCode = (code: string, lang = "C#"): string =>
  `<%@ Page Language="${lang}" %>\n<%--\n${code}\n--%>\n`;

/** The drafts of the web-shell content rule for one file (none when it does not select the file). */
export function contentDrafts(f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  return webshellContent.select(f, c) ? draftsOf(webshellContent.match(f, c)) : [];
}
