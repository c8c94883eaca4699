// Every detection, registered once: record, file, content and findings detections alike. Adding a
// detection = one file + one line here. The engine has no hand-wired check.
import type { FindingDraft } from "../model/finding.js";
import type { CheckInfo } from "../model/types.js";
import { buildExposure } from "./correlation/exposure.js";
import { logCoverage } from "./correlation/log-coverage.js";
import { lsassTarget } from "./correlation/lsass-target.js";
import { modifiedShipped } from "./correlation/modified-shipped.js";
import { proxyLogonCorrelated } from "./correlation/proxylogon-ssrf.js";
import { proxyShellJoined } from "./correlation/proxyshell-join.js";
import { sigmaCorrelations } from "./correlation/sigma.js";
import { webshellUsed } from "./correlation/webshell-used.js";
import { exchangeCmdlets } from "./events/exchange-cmdlets.js";
import { logCleared } from "./events/log-cleared.js";
import { lsassDump } from "./events/lsass-dump.js";
import { exchangeProcessSpawn } from "./events/process-spawn.js";
import { umDeserialization26857 } from "./events/um-26857.js";
import { webshellDrop } from "./events/webshell-drop.js";
import { werExchangeCrash } from "./events/wer-crash.js";
import { suspiciousFiles } from "./files/suspicious-files.js";
import { iisExchangeSigns } from "./iis/site.js";
import { iisSiteScope } from "./iis/site-scope.js";
import { iocDomain } from "./iocs/domain.js";
import { iocFileHash } from "./iocs/hash.js";
import { iocClientIp } from "./iocs/ip.js";
import { iocFilePath } from "./iocs/path.js";
import { ecpSetVdir27065, resetVdir27065 } from "./proxylogon/ecp-27065.js";
import { iisProxyLogonCookie, iisProxyLogonRequest, iisProxyLogonUserAgent } from "./proxylogon/iis-26855.js";
import { oabWrite26858 } from "./proxylogon/oab-26858.js";
import { backEndCookie26855, ssrf26855 } from "./proxylogon/ssrf-26855.js";
import { iisOwaSsrf } from "./proxynotshell/iis-owassrf.js";
import { httpProxyAutodiscoverSsrf } from "./proxyshell/httpproxy-autodiscover.js";
import { iisAutodiscoverSsrf } from "./proxyshell/iis-autodiscover.js";
import { rpsCmdlets } from "./proxyshell/rps-cmdlet.js";
import { sigmaEvents, sigmaWebRows } from "./sigma.js";
import type { Detection } from "./types.js";
import { compiledPage } from "./webshells/compiled-page.js";
import { webshellContent } from "./webshells/content.js";
import { iisUnexpectedScript } from "./webshells/iis-unexpected-script.js";
import { oabShell } from "./webshells/oab-shell.js";
import { precompiledShell } from "./webshells/precompiled.js";
import { pstShell } from "./webshells/pst-shell.js";
import { shippedFile } from "./webshells/shipped-file.js";
import { unexpectedScript } from "./webshells/unexpected-script.js";
import { yaraRules } from "./yara.js";

export const detections: Detection[] = [
  ssrf26855,
  backEndCookie26855,
  resetVdir27065,
  ecpSetVdir27065,
  oabWrite26858,
  suspiciousFiles,
  umDeserialization26857,
  exchangeCmdlets,
  werExchangeCrash,
  exchangeProcessSpawn,
  webshellDrop,
  lsassDump,
  logCleared,
  iisProxyLogonRequest,
  iisProxyLogonUserAgent,
  iisProxyLogonCookie,
  iisAutodiscoverSsrf,
  httpProxyAutodiscoverSsrf,
  rpsCmdlets,
  iisOwaSsrf,
  iisExchangeSigns,
  iisUnexpectedScript,
  iocClientIp,
  iocFileHash,
  iocFilePath,
  iocDomain,
  webshellContent,
  oabShell,
  pstShell,
  unexpectedScript,
  shippedFile,
  compiledPage,
  precompiledShell,
  yaraRules,
  sigmaEvents,
  sigmaWebRows,
  // Findings detections run once per server, after the record detections, in this order.
  iisSiteScope,
  sigmaCorrelations,
  webshellUsed,
  lsassTarget,
  modifiedShipped,
  proxyLogonCorrelated,
  proxyShellJoined,
  logCoverage,
  buildExposure,
];

/** Findings the engine itself makes: a detection that threw (its error boundary). */
export const detectionFailed: CheckInfo = {
  id: "detection-failed",
  title: "A detection failed on this evidence (please report)",
  cves: [],
  severity: "medium",
  effect: "coverage",
  description:
    "A detection threw an error on a record or file: a bug in exhunt, never the evidence's fault. The scan went " +
    "on, but what that detection looks for was not fully checked, so a clean verdict does not cover it.",
  references: ["https://github.com/exhunt/exhunt/blob/main/docs/architecture.md"],
};

const engineChecks: CheckInfo[] = [detectionFailed];

/** The finding for a detection that threw: the scan goes on, the gap is visible. */
export function failedDetectionDraft(
  detection: string,
  error: unknown,
  file: string | null,
  line: number | null,
): FindingDraft {
  const message = error instanceof Error ? error.message : String(error);
  return {
    check: detectionFailed.id,
    time: null,
    file,
    line,
    title: `Detection ${detection} failed (please report)`,
    subject: { kind: "evidence", source: file },
    evidence: { Detection: detection, Error: message.slice(0, 500) },
  };
}

const byId = new Map<string, CheckInfo>();
for (const d of detections) for (const c of d.checks) byId.set(c.id, c);
for (const c of engineChecks) byId.set(c.id, c);

export function checkInfo(id: string): CheckInfo | undefined {
  return byId.get(id);
}

export function allChecks(): CheckInfo[] {
  return [...byId.values()];
}
