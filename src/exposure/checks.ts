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
  // MSRC titles (exchange-builds-notes.md §4.5).
  "CVE-2024-21410": "NTLM relay elevation of privilege (CVE-2024-21410)",
  "CVE-2024-26198": "remote code execution (CVE-2024-26198)",
  "CVE-2024-49040": "P2 FROM header spoofing (CVE-2024-49040)",
  "CVE-2025-53786": "hybrid deployment elevation of privilege (CVE-2025-53786)",
  "CVE-2025-25005": "tampering (CVE-2025-25005)",
  "CVE-2025-25006": "spoofing (CVE-2025-25006)",
  "CVE-2025-25007": "spoofing (CVE-2025-25007)",
  "CVE-2025-33051": "information disclosure (CVE-2025-33051)",
  "CVE-2025-53782": "elevation of privilege (CVE-2025-53782)",
  "CVE-2025-59249": "elevation of privilege (CVE-2025-59249)",
  "CVE-2025-59248": "spoofing (CVE-2025-59248)",
  "CVE-2025-64666": "elevation of privilege (CVE-2025-64666)",
  "CVE-2025-64667": "spoofing (CVE-2025-64667)",
  "CVE-2026-21527": "spoofing (CVE-2026-21527)",
};

// The 2021 chains are critical (exploited pre-auth RCE); the later CVEs by their MSRC impact.
const SEVERITY: Record<string, Severity> = {
  "CVE-2022-41040": "high",
  "CVE-2022-41082": "high",
  "CVE-2024-21410": "critical",
  "CVE-2024-26198": "high",
  "CVE-2024-49040": "medium",
  "CVE-2025-53786": "high",
  "CVE-2025-25005": "medium",
  "CVE-2025-25006": "medium",
  "CVE-2025-25007": "medium",
  "CVE-2025-33051": "medium",
  "CVE-2025-53782": "high",
  "CVE-2025-59249": "high",
  "CVE-2025-59248": "medium",
  "CVE-2025-64666": "high",
  "CVE-2025-64667": "medium",
  "CVE-2026-21527": "medium",
};

/** Check id for the build-based status of one CVE, e.g. `exposure-cve-2021-26855`. */
export function exposureCheckId(cve: string): string {
  return `exposure-${cve.toLowerCase()}`;
}

/** Build-level checks beyond one CVE: support status, newer updates. */
export const BUILD_CHECKS = {
  unsupported: "exposure-unsupported",
  newerUpdates: "exposure-newer-updates",
} as const;

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
    id: BUILD_CHECKS.unsupported,
    title: "Exchange version or CU line out of support",
    cves: [],
    severity: "high",
    effect: "exposure",
    description:
      "The product is past its end of support (Exchange 2010, 2013; 2016 and 2019 since 2025-10-14, later updates for Extended Security Update customers only), or the CU line no longer gets security updates (e.g. 2019 CU12, CU13): CVEs fixed later stay open. Evidence names the path to Exchange SE.",
    references: ["https://learn.microsoft.com/en-us/lifecycle/products/exchange-server-2019", BUILDS],
  },
  {
    id: BUILD_CHECKS.newerUpdates,
    title: "Newer security updates exist for the build's CU line",
    cves: [],
    severity: "high",
    effect: "exposure",
    description:
      "The build is below the newest security update of its CU line in the build table. Every tracked CVE may be fixed, but the newer updates fix CVEs the table does not map (the 2026 updates after Feb26SU): install the update named in the evidence.",
    references: [BUILDS],
  },
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
