// The CVEs exhunt assesses from a build: the nine of the 2021–2022 campaigns and the fourteen fixed
// by the 2024 – Feb 2026 updates (data/builds/exchange-builds-notes.md §4.5), and what a build
// number cannot show about them (configuration steps, notes §3.12).
export const CAMPAIGNS = {
  ProxyLogon: ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"],
  ProxyShell: ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
  ProxyNotShell: ["CVE-2022-41040", "CVE-2022-41082"],
  "Updates 2024–2026": [
    "CVE-2024-21410",
    "CVE-2024-26198",
    "CVE-2024-49040",
    "CVE-2025-53786",
    "CVE-2025-25005",
    "CVE-2025-25006",
    "CVE-2025-25007",
    "CVE-2025-33051",
    "CVE-2025-53782",
    "CVE-2025-59249",
    "CVE-2025-59248",
    "CVE-2025-64666",
    "CVE-2025-64667",
    "CVE-2026-21527",
  ],
} as const;

export type Campaign = keyof typeof CAMPAIGNS;

export const CVES: readonly string[] = Object.values(CAMPAIGNS).flat();

/**
 * CVEs the 2026 updates after Feb26SU fix, whose first fixed build no second source confirms (notes
 * §3.13): not assessed, named so that a reader knows why those updates matter.
 */
export const UNMAPPED_CVES: Record<string, string> = {
  Jun26SU:
    "CVE-2026-42897 (listed by CISA as exploited), CVE-2026-45500, -45501, -45502, -45503, -45504, -45583, -47631",
  Jul26SU: "CVE-2026-55005, -55006, -55008, -55009",
  Aug26SU: "CVE-2026-62910, -62911, -62912, -62913, -62914, -62915, -65813",
};

/** End of extended support (Microsoft lifecycle; CSS-Exchange HealthChecker uses the same dates for 2013/2016/2019). */
export const END_OF_SUPPORT: Record<string, string> = {
  "Exchange 2010": "2020-10-13",
  "Exchange 2013": "2023-04-11",
  "Exchange 2016": "2025-10-14",
  "Exchange 2019": "2025-10-14",
};

/** What replaces a product that is out of support. */
export const SUCCESSOR = "Exchange SE";

/** What to check on the server for a fix the build alone does not prove (live and from a copy). */
export interface ConfigCheckText {
  what: string;
  live: string;
  offline: string;
}

/** Fixes that need a configuration step as well as the build (notes §3.12): "build fixed, configuration to check". */
export const CONFIG_CHECKS: Record<string, ConfigCheckText> = {
  "CVE-2024-21410": {
    what: "Extended Protection must be on for the Exchange virtual directories (2019 CU14+ and SE Setup turn it on unless /DoNotEnableEP or /DoNotEnableEPFEEWS was used; it can be switched off later)",
    live: "CSS-Exchange ExchangeExtendedProtectionManagement.ps1 -ShowExtendedProtection, or Get-OwaVirtualDirectory, Get-EcpVirtualDirectory, Get-WebServicesVirtualDirectory … | Format-List Identity,ExtendedProtectionTokenChecking (None = off); HealthChecker reports it",
    offline:
      "%windir%\\System32\\inetsrv\\config\\applicationHost.config: <extendedProtection tokenChecking=…> under windowsAuthentication in each Exchange <location> (Default Web Site/… and Exchange Back End/…); None or absent = off",
  },
  "CVE-2025-53786": {
    what: "hybrid deployments only: the dedicated Exchange hybrid application must be configured and the shared service principal's keyCredentials reset (Exchange Team, 2025-04-18)",
    live: "Get-HybridConfiguration (none: not exposed); Get-SettingOverride | Where-Object SectionName -eq ExchangeOnpremAsThirdPartyAppId (expect Enabled=true), Get-AuthServer (evoSTS ApplicationIdentifier = the dedicated app); CSS-Exchange ConfigureExchangeHybridApplication.ps1 does both steps; HealthChecker reports it",
    offline:
      "none on the server's disk: the SettingOverride and auth server are stored in Active Directory, the service principal in Entra ID",
  },
};

/** How to see a SettingOverride that switches a fix off (notes §3.12: names in the fix table's notes). */
export const OVERRIDE_CHECK = {
  live: "Get-SettingOverride | Format-List Name,ComponentName,SectionName,Parameters; HealthChecker reports the CVE again when one switches the fix off",
  offline: "none on the server's disk: SettingOverrides are stored in Active Directory",
};
