export const IOC_REFS = {
  mstic:
    "https://github.com/Azure/Azure-Sentinel/blob/7cc969c5420991f4e65c2ee2a483536075a5f825/Sample%20Data/Feeds/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv",
  chirp: "https://github.com/cisagov/CHIRP/blob/main/indicators/AA21-062A/AA21062A.yaml",
  volexity:
    "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
  msBlog: "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
  cisa: "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
};
