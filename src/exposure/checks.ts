// The checks the exposure module emits (effect "exposure": the server is open, nothing about use).
// Registered in detections/registry.ts so the verdict and reports know them.
import type { CheckInfo, Severity } from "../model/types.js";
import { CVES } from "./cves.js";

const MSRC = "https://msrc.microsoft.com/update-guide/vulnerability/";
const BUILDS = "https://learn.microsoft.com/en-us/exchange/new-features/build-numbers-and-release-dates";

const TITLES: Record<string, string> = {
  "CVE-2021-26855": "ProxyLogon SSRF (CVE-2021-26855)",
  "CVE-2021-26857": "ProxyLogon UM deserialization (CVE-2021-26857)",
  "CVE-2021-26858": "ProxyLogon OAB file write (CVE-2021-26858)",
  "CVE-2021-27065": "ProxyLogon ECP file write (CVE-2021-27065)",
  "CVE-2021-34473": "ProxyShell path confusion (CVE-2021-34473)",
  "CVE-2021-34523": "ProxyShell PowerShell elevation (CVE-2021-34523)",
  "CVE-2021-31207": "ProxyShell mailbox export file write (CVE-2021-31207)",
  "CVE-2022-41040": "ProxyNotShell SSRF (CVE-2022-41040)",
  "CVE-2022-41082": "ProxyNotShell PowerShell RCE (CVE-2022-41082)",
};

const SEVERITY: Record<string, Severity> = {
  "CVE-2022-41040": "high",
  "CVE-2022-41082": "high",
};

/** Check id for the build-based status of one CVE, e.g. `exposure-cve-2021-26855`. */
export function exposureCheckId(cve: string): string {
  return `exposure-${cve.toLowerCase()}`;
}

export const PROBE_CHECKS = {
  ssrf: "probe-cve-2021-26855",
  proxyShell: "probe-proxyshell",
  notShellMitigation: "probe-proxynotshell-unmitigated",
} as const;

export const exposureChecks: CheckInfo[] = [
  ...CVES.map(
    (cve): CheckInfo => ({
      id: exposureCheckId(cve),
      title: `Build is vulnerable to ${TITLES[cve]}`,
      cves: [cve],
      severity: SEVERITY[cve] ?? "critical",
      effect: "exposure",
      description:
        "The server's build (ExSetup.exe, a log header, --build or a remote fingerprint) is below the first build that fixes this CVE on its CU, or its CU never received a fix.",
      references: [MSRC + cve, BUILDS],
    }),
  ),
  {
    id: PROBE_CHECKS.ssrf,
    title: "Server answers the CVE-2021-26855 SSRF probe (ProxyLogon)",
    cves: ["CVE-2021-26855"],
    severity: "critical",
    effect: "exposure",
    description:
      "GET /owa/auth/x.js with the X-AnonResource-Backend / X-BEResource cookies of Microsoft's nmap script: the response carries X-CalculatedBETarget naming localhost, so the front end routed the request to a back end chosen by the cookie.",
    references: ["https://github.com/microsoft/CSS-Exchange/tree/main/Security", `${MSRC}CVE-2021-26855`],
  },
  {
    id: PROBE_CHECKS.proxyShell,
    title: "Server answers the ProxyShell autodiscover.json probe",
    cves: ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
    severity: "critical",
    effect: "exposure",
    description:
      "GET /autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com reached the OWA back end without authentication (OwaADUserNotFoundException in the body).",
    references: [`${MSRC}CVE-2021-34473`, "https://github.com/projectdiscovery/nuclei-templates"],
  },
  {
    id: PROBE_CHECKS.notShellMitigation,
    title: "ProxyNotShell URL Rewrite mitigation not seen (and the build is not known to be fixed)",
    cves: ["CVE-2022-41040", "CVE-2022-41082"],
    severity: "medium",
    effect: "exposure",
    description:
      "The autodiscover.json request with Protocol=XYZ&FooProtocol=Powershell was not aborted: no EOMTv2 / Emergency Mitigation Service rule is in front of the server. Matters only when the build is below the November 2022 SU.",
    references: [`${MSRC}CVE-2022-41040`, "https://microsoft.github.io/CSS-Exchange/Security/EOMTv2/"],
  },
];

const byId = new Map(exposureChecks.map((c) => [c.id, c]));

/** The metadata of an exposure or probe check, by id. */
export function exposureCheckInfo(id: string): CheckInfo | undefined {
  return byId.get(id);
}
