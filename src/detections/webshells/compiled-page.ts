// Pages ASP.NET compiled, found in Temporary ASP.NET Files: each `*.compiled` file names the page's
// virtual path and its App_Web_*.dll. A compiled page from aspnet_client or a non-Exchange page in
// /owa/auth or /ecp/auth proves the page was requested (run) even when the shell itself was deleted.
import { basename, dirname } from "node:path";
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { SHIPPED } from "../webfolders.js";
import { REFS, sweptDraft } from "./common.js";

export const checks = {
  compiled: {
    id: "compiled-unexpected-page",
    title: "Compiled web shell in Temporary ASP.NET Files",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "high",
    effect: "compromise",
    description:
      "Temporary ASP.NET Files holds an App_Web_*.dll compiled from a page under /aspnet_client/, or from " +
      "a page in /owa/auth/ or /ecp/auth/ that Exchange does not ship. ASP.NET compiles a page the first " +
      "time it is requested, so the page was run, even if it has since been deleted. Microsoft's MSERT " +
      "guidance adds this folder to the custom scan; signature-base has rules for such App_Web DLLs.",
    references: [REFS.msert, REFS.sigbase],
  },
} satisfies Record<string, CheckInfo>;

/** Why a compiled page's virtual path is suspect, or null. */
export function suspectVirtualPath(vpath: string): string | null {
  const v = vpath.toLowerCase();
  if (v.startsWith("/aspnet_client/")) return "page under /aspnet_client/";
  for (const [prefix, set] of [
    ["/owa/auth/", SHIPPED["owa-auth"]],
    ["/ecp/auth/", SHIPPED["ecp-auth"]],
  ] as const) {
    if (!v.startsWith(prefix)) continue;
    const rest = v.slice(prefix.length);
    if (rest.includes("/") || !set.has(rest)) return `page Exchange does not ship in ${prefix}`;
  }
  return null;
}

export const compiledPage: ContentDetection = {
  type: "content",
  id: "compiled-page",
  checks: [checks.compiled],
  select: (file) => file.folder === "temp-aspnet" && file.path.toLowerCase().endsWith(".compiled"),
  match(file) {
    const text = file.content.toString("latin1", 0, Math.min(file.content.length, 64 * 1024));
    const vp = /virtualPath="([^"]{1,1000})"/i.exec(text)?.[1];
    if (!vp) return null;
    const why = suspectVirtualPath(vp);
    if (!why) return null;
    const asm = /assembly="([^"]{1,300})"/i.exec(text)?.[1];
    const d = sweptDraft(checks.compiled.id, file, why, vp);
    d.evidence.VirtualPath = vp;
    if (asm) {
      const winDir = dirname((file.winPath ?? file.path).replaceAll("\\", "/")).replaceAll("/", "\\");
      d.evidence.Assembly = `${winDir}\\${basename(asm)}.dll`;
    }
    return d;
  },
};
