// Every detection, registered once. Adding a detection = one file + one line here.
import { exposureChecks } from "../exposure/checks.js";
import type { CheckInfo } from "../model/types.js";
import { exchangeCmdlets } from "./events/exchange-cmdlets.js";
import { logCleared } from "./events/log-cleared.js";
import { lsassDump } from "./events/lsass-dump.js";
import { exchangeProcessSpawn } from "./events/process-spawn.js";
import { umDeserialization26857 } from "./events/um-26857.js";
import { webshellDrop } from "./events/webshell-drop.js";
import { werExchangeCrash } from "./events/wer-crash.js";
import { suspiciousFiles } from "./files/suspicious-files.js";
import { iocDomain } from "./iocs/domain.js";
import { iocFileHash } from "./iocs/hash.js";
import { iocClientIp } from "./iocs/ip.js";
import { iocFilePath } from "./iocs/path.js";
import { ecpSetVdir27065, resetVdir27065 } from "./proxylogon/ecp-27065.js";
import { iisProxyLogonRequest, iisProxyLogonUserAgent } from "./proxylogon/iis-26855.js";
import { oabWrite26858 } from "./proxylogon/oab-26858.js";
import { backEndCookie26855, ssrf26855 } from "./proxylogon/ssrf-26855.js";
import { iisOwaSsrf } from "./proxynotshell/iis-owassrf.js";
import { iisAutodiscoverSsrf } from "./proxyshell/iis-autodiscover.js";
import { rpsCmdlets } from "./proxyshell/rps-cmdlet.js";
import type { Detection } from "./types.js";
import { chopper } from "./webshells/chopper.js";
import { compiledPage } from "./webshells/compiled-page.js";
import { dynamicExec } from "./webshells/dynamic-exec.js";
import { iisUnexpectedScript } from "./webshells/iis-unexpected-script.js";
import { linkChecks } from "./webshells/linked-requests.js";
import { oabShell } from "./webshells/oab-shell.js";
import { pstShell } from "./webshells/pst-shell.js";
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
  iisAutodiscoverSsrf,
  rpsCmdlets,
  iisOwaSsrf,
  iisUnexpectedScript,
  iocClientIp,
  iocFileHash,
  iocFilePath,
  iocDomain,
  chopper,
  oabShell,
  pstShell,
  dynamicExec,
  unexpectedScript,
  compiledPage,
  yaraRules,
];

/** Checks emitted outside the detections (by the verdict stage). */
export const coreChecks: CheckInfo[] = [
  {
    id: "log-coverage",
    title: "Evidence does not cover the campaign",
    cves: [],
    severity: "info",
    effect: "coverage",
    description:
      "A log source is missing, or starts after exploitation began (2021-01-03): what happened outside the " +
      "covered period cannot be seen, so 'clean' only means 'clean within the coverage'.",
    references: ["https://microsoft.github.io/CSS-Exchange/Security/Test-ProxyLogon/"],
  },
  linkChecks.used,
  linkChecks.requested,
];

const byId = new Map<string, CheckInfo>();
for (const d of detections) for (const c of d.checks) byId.set(c.id, c);
for (const c of coreChecks) byId.set(c.id, c);
for (const c of exposureChecks) byId.set(c.id, c);

export function checkInfo(id: string): CheckInfo | undefined {
  return byId.get(id);
}

export function allChecks(): CheckInfo[] {
  return [...byId.values()];
}
