// Microsoft's IIS URL Rewrite mitigations, as data: the two ProxyLogon cookie rules of EOMT.ps1
// (CVE-2021-26855) and the ProxyNotShell rule of EOMTv2.ps1 (CVE-2022-41040). Rendered as web.config
// XML or as PowerShell (WebAdministration), each with its rollback. They are stopgaps, not fixes.

export interface RewriteRule {
  name: string;
  cves: string[];
  /** Server variable the condition reads. */
  input: string;
  pattern: string;
  source: string;
}

export const MITIGATION_RULES: RewriteRule[] = [
  {
    name: "X-AnonResource-Backend Abort - inbound",
    cves: ["CVE-2021-26855"],
    input: "{HTTP_COOKIE}",
    pattern: "(.*)X-AnonResource-Backend(.*)",
    source: "EOMT.ps1 (microsoft/CSS-Exchange, Security/src)",
  },
  {
    name: "X-BEResource Abort - inbound",
    cves: ["CVE-2021-26855"],
    input: "{HTTP_COOKIE}",
    pattern: "(.*)X-BEResource=(.+)/(.+)~(.+)",
    source: "EOMT.ps1 (microsoft/CSS-Exchange, Security/src)",
  },
  {
    name: "PowerShell - inbound",
    cves: ["CVE-2022-41040", "CVE-2022-41082"],
    input: "{UrlDecode:{REQUEST_URI}}",
    pattern: "(?=.*autodiscover)(?=.*powershell)",
    source: "EOMTv2.ps1 (microsoft/CSS-Exchange, Security/src)",
  },
];

export const SITE = "Default Web Site";

function xmlAttr(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function psString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const NOTE =
  "Stopgap only: install the security update (exhunt build). Needs the IIS URL Rewrite module; applies to the Default Web Site.";

export function mitigationXml(rollback = false): string {
  const rules = MITIGATION_RULES.map((r) =>
    rollback
      ? `        <remove name="${xmlAttr(r.name)}" />`
      : [
          `        <!-- ${r.cves.join(", ")}: ${r.source} -->`,
          `        <rule name="${xmlAttr(r.name)}" patternSyntax="ECMAScript" stopProcessing="true">`,
          `          <match url=".*" />`,
          "          <conditions>",
          `            <add input="${xmlAttr(r.input)}" pattern="${xmlAttr(r.pattern)}" />`,
          "          </conditions>",
          `          <action type="AbortRequest" />`,
          "        </rule>",
        ].join("\n"),
  );
  return [
    `<!-- exhunt mitigate${rollback ? " --rollback" : ""}: ${NOTE} -->`,
    rollback
      ? "<!-- Rollback: delete these rules from the Default Web Site's web.config, or merge the <remove> elements below. -->"
      : `<!-- Merge into the web.config of "${SITE}" (%SystemDrive%\\inetpub\\wwwroot\\web.config). -->`,
    "<configuration>",
    "  <system.webServer>",
    "    <rewrite>",
    "      <rules>",
    ...rules,
    "      </rules>",
    "    </rewrite>",
    "  </system.webServer>",
    "</configuration>",
    "",
  ].join("\n");
}

export function mitigationPowerShell(rollback = false): string {
  const site = `IIS:\\Sites\\${SITE}`;
  const out = [
    `# exhunt mitigate${rollback ? " --rollback" : ""}: ${NOTE}`,
    "# Run in an elevated Windows PowerShell on each Exchange server.",
    "Import-Module WebAdministration",
    `$site = ${psString(site)}`,
    "$filter = 'system.webServer/rewrite/rules'",
  ];
  for (const r of MITIGATION_RULES) {
    const rule = `"$filter/rule[@name='${r.name.replaceAll("'", "''")}']"`;
    out.push("", `# ${r.name} (${r.cves.join(", ")}; ${r.source})`);
    if (rollback) {
      out.push(`Clear-WebConfiguration -PSPath $site -Filter ${rule}`);
      continue;
    }
    out.push(
      `if (-not (Get-WebConfiguration -PSPath $site -Filter ${rule})) {`,
      `  Add-WebConfigurationProperty -PSPath $site -Filter $filter -Name '.' -Value @{ name = ${psString(r.name)}; patternSyntax = 'ECMAScript'; stopProcessing = 'True' }`,
      `  Set-WebConfigurationProperty -PSPath $site -Filter "${`$filter/rule[@name='${r.name.replaceAll("'", "''")}']`}/match" -Name 'url' -Value '.*'`,
      `  Add-WebConfigurationProperty -PSPath $site -Filter "${`$filter/rule[@name='${r.name.replaceAll("'", "''")}']`}/conditions" -Name '.' -Value @{ input = ${psString(r.input)}; pattern = ${psString(r.pattern)} }`,
      `  Set-WebConfigurationProperty -PSPath $site -Filter "${`$filter/rule[@name='${r.name.replaceAll("'", "''")}']`}/action" -Name 'type' -Value 'AbortRequest'`,
      "}",
    );
  }
  out.push("", "iisreset /noforce", "");
  return out.join("\n");
}
