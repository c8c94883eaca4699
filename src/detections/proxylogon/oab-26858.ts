// CVE-2021-26858, arbitrary file write through the OAB generator: a download that "failed" to a path
// outside <install>\ClientAccess\OAB is where the attacker wrote a file, usually a web shell.
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import type { RowDetection } from "../types.js";
import { REF } from "./refs.js";

const PREFIX = "download failed and temporary file ";
const SUFFIX = " needs to be removed";

export const checks = {
  oabPath: {
    id: "cve-2021-26858-oab-write",
    title: "OAB generator wrote a file outside ClientAccess\\OAB (CVE-2021-26858)",
    cves: ["CVE-2021-26858"],
    severity: "critical",
    effect: "compromise",
    description:
      "OABGeneratorLog: 'Download failed and temporary file <path> needs to be removed' where <path> is not " +
      "under <install>\\ClientAccess\\OAB. Legitimate temporary files live in ClientAccess\\OAB\\Temp; the " +
      "exploit writes to other local or UNC paths. The path in the finding is the likely web-shell location.",
    references: [REF.cve26858, REF.msBlog, REF.testProxyLogon],
  },
} satisfies Record<string, CheckInfo>;

/** The path of "Download failed and temporary file <path> needs to be removed", as logged (quotes kept). */
export function oabDownloadPath(line: string): string | null {
  const l = line.toLowerCase();
  const i = l.indexOf(PREFIX);
  if (i < 0) return null;
  const start = i + PREFIX.length;
  const j = l.indexOf(SUFFIX, start);
  if (j < 0) return null;
  return line.slice(start, j);
}

/**
 * Whether a logged download path is the legitimate OAB location. With the install path known this is
 * Test-ProxyLogon's test; without it, any local-drive path into a ...\ClientAccess\OAB folder passes.
 */
export function isLegitOabPath(logged: string, installPath: string | null): boolean {
  const path = logged.replace(/^['"]+|['"]+$/g, "").toLowerCase();
  if (installPath) {
    const base = `${installPath.replace(/\\?$/, "\\")}ClientAccess\\OAB`.toLowerCase();
    return path.startsWith(base);
  }
  return /^[a-z]:\\(?:[^\\]+\\)*clientaccess\\oab(?:\\|$)/.test(path);
}

export const oabWrite26858: RowDetection = {
  type: "row",
  id: "proxylogon-oab-write",
  checks: [checks.oabPath],
  kinds: ["oab-generator"],
  literals: ["Download failed and temporary file", "download failed and temporary file"],
  match(row, ctx) {
    const text = row.text();
    const logged = oabDownloadPath(text);
    if (logged === null || isLegitOabPath(logged, ctx.installPath)) return null;
    const path = logged.replace(/^['"]+|['"]+$/g, "");
    return {
      check: checks.oabPath.id,
      time: row.time(),
      title: `OAB generator wrote ${clip(path, 200)} (CVE-2021-26858)`,
      evidence: {
        DownloadPath: clip(path),
        InstallPath: ctx.installPath ?? "(unknown: any <drive>:\\...\\ClientAccess\\OAB path accepted)",
        Line: clip(text),
      },
    };
  },
};
