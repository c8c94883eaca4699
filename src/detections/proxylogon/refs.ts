// References shared by the ProxyLogon checks.
export const REF = {
  msBlog: "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
  testProxyLogon: "https://microsoft.github.io/CSS-Exchange/Security/Test-ProxyLogon/",
  cisaAA21062A: "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
  cve26855: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-26855",
  cve26857: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-26857",
  cve26858: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-26858",
  cve27065: "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2021-27065",
  cssIssue310: "https://github.com/microsoft/CSS-Exchange/issues/310",
  cssIssue312: "https://github.com/microsoft/CSS-Exchange/issues/312",
  chirp: "https://github.com/cisagov/CHIRP",
  volexity:
    "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
  sigma: "https://github.com/SigmaHQ/sigma",
  signatureBase: "https://github.com/Neo23x0/signature-base",
} as const;
