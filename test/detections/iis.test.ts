// IIS detections, run the way a scan runs them: rows written to a W3C file, read by the reader, routed by
// the literal plan (and each detection's byte refine) to `match`. Every check has positives and traps.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isProxyLogonStem } from "../../src/detections/proxylogon/iis-26855.js";
import { autodiscoverShape } from "../../src/detections/proxyshell/iis-autodiscover.js";
import type { FindingDraft } from "../../src/detections/types.js";
import { isUnexpectedScript } from "../../src/detections/webshells/iis-unexpected-script.js";
import { CORPUS, NO_CORPUS, tempDir } from "../helpers.js";
import { runOwnChecks } from "../iis-helpers.js";

const HEADER =
  "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
  "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";

interface Req {
  method?: string;
  stem: string;
  query?: string;
  user?: string;
  ua?: string;
  status?: number;
  ip?: string;
}

const BROWSER =
  "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0";

function line(r: Req, i: number): string {
  const t = `06:${String(10 + (i % 50)).padStart(2, "0")}:00`;
  return [
    "2021-03-03",
    t,
    "10.0.0.5",
    r.method ?? "GET",
    r.stem,
    r.query || "-",
    "443",
    r.user || "-",
    r.ip ?? "203.0.113.77",
    r.ua ?? BROWSER,
    "-",
    String(r.status ?? 200),
    "0",
    "0",
    "15",
  ].join(" ");
}

/** Write the requests as an IIS log and scan it; returns the drafts per check. */
function scan(t: { after(fn: () => void): void }, reqs: Req[]): FindingDraft[] {
  const dir = tempDir(t);
  const abs = join(dir, "u_ex210303.log");
  writeFileSync(abs, HEADER + reqs.map((r, i) => `${line(r, i)}\r\n`).join(""));
  return scanFile(abs, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log");
}

function scanFile(abs: string, rel: string): FindingDraft[] {
  // exhunt's own IIS checks only: Sigma's webserver rules have their tests in test/sigma.
  const r = runOwnChecks(abs, rel);
  assert.deepEqual(
    r.drafts.filter((d) => d.check === "detection-failed"),
    [],
  );
  assert.equal(r.fileKind?.kind, "iis-w3c");
  return r.drafts;
}

const checks = (d: FindingDraft[]) => d.map((x) => x.check).sort();

describe("IIS ProxyLogon SSRF entry paths", () => {
  it("flags POSTs to the CHIRP/Sigma paths: 2xx as served, other statuses as refused", (t) => {
    const d = scan(t, [
      { method: "POST", stem: "/owa/auth/Current/themes/resources/logon.css", status: 200 },
      { method: "POST", stem: "/ecp/y.js", status: 241 },
      { method: "POST", stem: "/ecp/default.flt", status: 500 },
      { method: "POST", stem: "/ECP/MAIN.CSS", status: 404 },
      { method: "POST", stem: "/ecp/abc.js", status: 302 },
      { method: "POST", stem: "/owa/auth/x.js", status: 200 },
    ]);
    assert.deepEqual(checks(d), [
      "iis-proxylogon-request",
      "iis-proxylogon-request",
      "iis-proxylogon-request",
      "iis-proxylogon-request-failed",
      "iis-proxylogon-request-failed",
      "iis-proxylogon-request-failed",
    ]);
    const first = d.find((x) => x.evidence.UriStem === "/owa/auth/Current/themes/resources/logon.css");
    assert.equal(first?.time, "2021-03-03T06:10:00.000Z");
    assert.equal(first?.line, 5);
    assert.deepEqual(
      { ...first?.evidence },
      {
        ClientIp: "203.0.113.77",
        Method: "POST",
        UriStem: "/owa/auth/Current/themes/resources/logon.css",
        Status: "200",
        UserAgent: BROWSER.replaceAll("+", " "),
        UserAgentRaw: BROWSER,
        ServerIp: "10.0.0.5",
        TimeTaken: "15",
      },
    );
  });

  it("traps: GETs of theme resources, normal ECP POSTs, longer script names, ECP scripts in subfolders", (t) => {
    const d = scan(t, [
      { stem: "/owa/auth/Current/themes/resources/logon.css" },
      { stem: "/ecp/y.js" },
      { method: "POST", stem: "/ecp/DDI/DDIService.svc/GetList", query: "schema=MailboxService" },
      { method: "POST", stem: "/ecp/abcd.js" },
      { method: "POST", stem: "/ecp/15.1.2176/scripts/a.js" },
      { method: "POST", stem: "/owa/auth.owa", status: 302 },
    ]);
    assert.deepEqual(checks(d), []);
    assert.ok(isProxyLogonStem("/ecp/x.js") && !isProxyLogonStem("/ecp/x.json"));
  });
});

describe("IIS ProxyLogon attacker user agents", () => {
  it("flags a POST to an Exchange path with one of Volexity's user agents", (t) => {
    const d = scan(t, [
      {
        method: "POST",
        stem: "/owa/auth/Current/themes/resources/lgnbotl.gif",
        ua: "DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)",
        status: 500,
      },
      { method: "POST", stem: "/aspnet_client/discover.aspx", ua: "antSword/v2.1", status: 404 },
    ]);
    const ua = d.filter((x) => x.check === "iis-proxylogon-user-agent");
    assert.equal(ua.length, 2);
    assert.equal(ua[0].evidence.Match, "DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)");
  });

  it("traps: crawlers on a normal web server path, and GETs of OWA by a crawler", (t) => {
    const d = scan(t, [
      { method: "POST", stem: "/blog/comments", ua: "Googlebot/2.1+(+http://www.googlebot.com/bot.html)" },
      { stem: "/owa/", ua: "Mozilla/5.0+(compatible;+Bingbot/2.0;++http://www.bing.com/bingbot.htm)" },
      { method: "POST", stem: "/owa/auth.owa", ua: "python-requests/2.31.0" },
    ]);
    assert.deepEqual(checks(d), []);
  });
});

describe("IIS ProxyShell / ProxyNotShell autodiscover SSRF", () => {
  const psQuery = "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp";
  it("ProxyShell: anonymous @ + /mapi/nspi or /powershell with X-Rps-CAT; 200 served, 302/401 probes", (t) => {
    const d = scan(t, [
      { method: "POST", stem: "/autodiscover/autodiscover.json", query: psQuery, status: 200 },
      {
        method: "POST",
        stem: "/autodiscover/autodiscover.json",
        query:
          "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp",
        status: 302,
      },
      { method: "GET", stem: "/AutoDiscover/AutoDiscover.json", query: psQuery, status: 401 },
    ]);
    assert.deepEqual(checks(d), ["iis-proxyshell", "iis-proxyshell-failed", "iis-proxyshell-failed"]);
  });

  it("ProxyNotShell: authenticated autodiscover + PowerShell; 200 served, 401/444 refused", (t) => {
    const q = "@evil.com/owa/&Email=autodiscover/autodiscover.json%3F@evil.com&Protocol=Powershell";
    const d = scan(t, [
      {
        method: "POST",
        stem: "/autodiscover/autodiscover.json",
        query: q,
        user: "contoso\\alice",
        status: 200,
      },
      {
        method: "POST",
        stem: "/autodiscover/autodiscover.json",
        query: q,
        user: "contoso\\alice",
        status: 444,
      },
      { method: "POST", stem: "/autodiscover/autodiscover.json", query: q, status: 401 },
    ]);
    assert.deepEqual(checks(d), [
      "iis-proxynotshell",
      "iis-proxynotshell-failed",
      "iis-proxynotshell-failed",
    ]);
  });

  it("traps: Outlook's own autodiscover.json lookups (an address, Protocol=EWS/ActiveSync)", (t) => {
    const d = scan(t, [
      {
        stem: "/autodiscover/autodiscover.json",
        query: "Email=alice%40contoso.com&Protocol=ActiveSync&RedirectCount=1",
      },
      {
        stem: "/autodiscover/autodiscover.json/v1.0/alice@contoso.com",
        query: "Protocol=EWS&RedirectCount=1",
      },
      { stem: "/autodiscover/autodiscover.xml", query: "" },
      { stem: "/mapi/nspi/", query: "MailboxId=x@contoso.com", user: "alice" },
    ]);
    assert.deepEqual(checks(d), []);
    assert.equal(autodiscoverShape("/autodiscover/autodiscover.json?email=a@b.com&protocol=ews", ""), null);
  });
});

describe("IIS OWASSRF", () => {
  it("flags POST /owa/<mailbox>@<domain>/powershell: 200 served, else refused", (t) => {
    const d = scan(t, [
      {
        method: "POST",
        stem: "/owa/mastermailbox@outlook.com/powershell",
        ua: "python-requests/2.28.1",
        status: 200,
      },
      { method: "POST", stem: "/owa/alice%40contoso.com/PowerShell", status: 500 },
    ]);
    assert.deepEqual(checks(d), ["iis-owassrf", "iis-owassrf-failed"]);
  });
  it("traps: Exchange's own WinRM client, GETs, the PowerShell vdir itself, OWA service calls", (t) => {
    const d = scan(t, [
      { method: "POST", stem: "/owa/x@contoso.com/powershell", ua: "Microsoft+WinRM+Client" },
      { method: "POST", stem: "/owa/x@contoso.com/powershell", ua: "Exchange+BackEnd+Probes" },
      { stem: "/owa/x@contoso.com/powershell" },
      { method: "POST", stem: "/powershell", user: "contoso\\admin", ua: "Microsoft+WinRM+Client" },
      { method: "POST", stem: "/owa/service.svc", query: "action=GetPowerShellStatus" },
    ]);
    assert.deepEqual(checks(d), []);
  });
});

describe("IIS requests to unexpected scripts", () => {
  it("flags scripts in aspnet_client, unshipped owa/ecp auth pages, OAB, EWS and wwwroot; 2xx raises severity", (t) => {
    const d = scan(t, [
      { method: "POST", stem: "/aspnet_client/system_web/4_0_30319/help.aspx", status: 200 },
      { stem: "/aspnet_client/discover.aspx", status: 404 },
      { stem: "/owa/auth/errorEE.aspx", status: 200 },
      { stem: "/owa/auth/Current/themes/resources/logon.aspx", status: 404 },
      { stem: "/ecp/auth/w.aspx", status: 404 },
      { stem: "/OAB/log.aspx", status: 200 },
      { stem: "/ews/333.aspx", status: 404 },
      { stem: "/shell.ashx", status: 200 },
    ]);
    const u = d.filter((x) => x.check === "iis-request-to-unexpected-script");
    assert.equal(u.length, 8);
    assert.deepEqual(
      u.filter((x) => x.severity === "high").map((x) => x.evidence.UriStem),
      [
        "/aspnet_client/system_web/4_0_30319/help.aspx",
        "/owa/auth/errorEE.aspx",
        "/OAB/log.aspx",
        "/shell.ashx",
      ],
    );
  });
  it("traps: Exchange's own pages, static files in aspnet_client, ECP/OWA application pages", (t) => {
    const d = scan(t, [
      { stem: "/owa/auth/logon.aspx", query: "url=https://mail/owa/&reason=0" },
      { stem: "/owa/auth/errorFE.aspx", query: "httpCode=500" },
      { stem: "/ecp/auth/TimeoutLogout.aspx" },
      { method: "POST", stem: "/EWS/Exchange.asmx", user: "alice" },
      { method: "POST", stem: "/EWS/Exchange.asmx/WSSecurity" },
      { stem: "/aspnet_client/system_web/4_0_30319/WebUIValidation.js" },
      { stem: "/ecp/default.aspx", user: "admin" },
      { stem: "/owa/languageselection.aspx", user: "alice" },
      { stem: "/Microsoft-Server-ActiveSync/default.eas", user: "bob" },
    ]);
    assert.deepEqual(checks(d), []);
    assert.equal(isUnexpectedScript("/owa/auth/15.1.2176/scripts/x.aspx"), true);
  });

  it("Tunna tunnel trace (corpus): every request to the tunnel page is kept", {
    skip: NO_CORPUS,
  }, () => {
    const rel = "sbousseaden/Tunna_rdp_tunnel_IIS.log";
    const d = scanFile(join(CORPUS, "iis", rel), rel);
    const u = d.filter((x) => x.check === "iis-request-to-unexpected-script");
    assert.equal(u.length, 4298);
    assert.ok(u.every((x) => x.evidence.UriStem === "/erp/conn.aspx" && x.severity === "high"));
    assert.equal(d.length, 4298, "nothing else fires on the tunnel trace");
  });
});
