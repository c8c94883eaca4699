// The nine CVEs exhunt assesses from a build, by campaign.
export const CAMPAIGNS = {
  ProxyLogon: ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"],
  ProxyShell: ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
  ProxyNotShell: ["CVE-2022-41040", "CVE-2022-41082"],
} as const;

export type Campaign = keyof typeof CAMPAIGNS;

export const CVES: readonly string[] = Object.values(CAMPAIGNS).flat();

export function campaignOf(cve: string): Campaign | undefined {
  for (const [c, list] of Object.entries(CAMPAIGNS))
    if ((list as readonly string[]).includes(cve)) return c as Campaign;
  return undefined;
}

/** End of extended support (Microsoft lifecycle; CSS-Exchange HealthChecker uses the same dates for 2013/2016/2019). */
export const END_OF_SUPPORT: Record<string, string> = {
  "Exchange 2010": "2020-10-13",
  "Exchange 2013": "2023-04-11",
  "Exchange 2016": "2025-10-14",
  "Exchange 2019": "2025-10-14",
};
