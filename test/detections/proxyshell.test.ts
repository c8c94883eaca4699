// ProxyShell and ProxyNotShell in the IIS log, complete: `@` anywhere in path or query, every back end,
// every status (probes are attempts, 200 on /powershell or /mapi/ a success stage), X-Rps-CAT and Email=
// variants; and the traps that look alike.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HTTPPROXY_FIELDS, httpProxyLine, preamble, type Row } from "../../examples/generate.js";
import { autodiscoverSsrf } from "../../src/detections/proxyshell/iis-autodiscover.js";
import type { FindingDraft } from "../../src/detections/types.js";
import { tempDir } from "../helpers.js";
import { checksOf, runOwnChecks, scanIis } from "../iis-helpers.js";

const AD = "/autodiscover/autodiscover.json";
const email = "&Email=autodiscover/autodiscover.json%3F@evil.corp";

describe("IIS ProxyShell: stages by back end and status", () => {
  it("200 on /powershell (X-Rps-CAT) or /mapi/ is the success stage; 200 elsewhere reached; probes attempts", (t) => {
    const d = scanIis(t, [
      {
        method: "POST",
        stem: AD,
        query: `@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz${email}`,
        status: 200,
      },
      { method: "POST", stem: AD, query: `@evil.corp/mapi/emsmdb/?${email}`, status: 200 },
      { method: "POST", stem: AD, query: `@evil.corp/autodiscover/autodiscover.xml?${email}`, status: 200 },
      { method: "POST", stem: AD, query: `@evil.corp/EWS/Exchange.asmx?${email}`, status: 200 },
      { stem: AD, query: `@test.com/owa/?${email}`, status: 302 },
      { stem: AD, query: `@test.com/mapi/nspi/?${email}`, status: 401 },
      { stem: AD, query: `@test.com/mapi/nspi/?${email}`, status: 404 },
      { stem: `${AD}@evil.corp/mapi/nspi/`, status: 200 },
      { stem: AD, query: "a@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz", status: 200 },
    ]);
    assert.deepEqual(checksOf(d), [
      "iis-proxyshell",
      "iis-proxyshell",
      "iis-proxyshell",
      "iis-proxyshell",
      "iis-proxyshell-failed",
      "iis-proxyshell-failed",
      "iis-proxyshell-failed",
      "iis-proxyshell-reached",
      "iis-proxyshell-reached",
    ]);
    const byQuery = (q: string) => d.find((x) => x.evidence.UriQuery?.startsWith(q));
    assert.equal(byQuery("@evil.corp/powershell")?.evidence.BackEnd, "powershell");
    assert.equal(byQuery("@evil.corp/mapi")?.evidence.BackEnd, "mapi");
    assert.equal(byQuery("@evil.corp/EWS")?.evidence.BackEnd, "ews");
    assert.equal(byQuery("@evil.corp/mapi")?.evidence.Campaign, "ProxyShell");
  });

  it("ProxyNotShell: the same SSRF with credentials to PowerShell; 200 success, 401/444 refused", (t) => {
    const q = `@evil.com/PowerShell/?serializationLevel=Full;clientApplication=ManagementShell${email}`;
    const nuclei =
      "a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=Powershell";
    const d = scanIis(t, [
      { method: "POST", stem: AD, query: q, user: "contoso\\alice", status: 200 },
      { method: "POST", stem: AD, query: q, user: "contoso\\alice", status: 444 },
      { stem: AD, query: nuclei, status: 302 },
    ]);
    assert.deepEqual(checksOf(d), [
      "iis-proxynotshell",
      "iis-proxynotshell-failed",
      "iis-proxynotshell-failed",
    ]);
  });

  it("traps: autodiscover.json without `@`, Email= in another path, a local Kerberos /powershell, Outlook lookups", (t) => {
    const d = scanIis(t, [
      { stem: AD, query: "Protocol=Powershell&RedirectCount=1", user: "contoso\\admin" },
      { stem: AD, query: "Email=alice%40contoso.com&Protocol=ActiveSync&RedirectCount=1" },
      { stem: `${AD}/v1.0/alice@contoso.com`, query: "Protocol=EWS&RedirectCount=1" },
      { stem: `${AD}/v1.0/alice@contoso.com`, query: "Protocol=AutodiscoverV1" },
      { method: "POST", stem: "/owa/service.svc", query: `action=x${email}`, user: "alice" },
      { stem: "/ecp/", query: "Email=autodiscover/autodiscover.json" },
      {
        method: "POST",
        stem: "/powershell",
        query: "serializationLevel=Full;ExchClientVer=15.1.2176.9;clientApplication=ManagementShell",
        user: "CONTOSO\\admin",
        ip: "127.0.0.1",
        ua: "Microsoft+WinRM+Client",
        status: 200,
      },
    ]);
    assert.deepEqual(checksOf(d), []);
    assert.equal(autodiscoverSsrf("/owa/", "email=autodiscover/autodiscover.json?@x/mapi/", ""), null);
  });
});

/** HttpProxy rows of one protocol folder, scanned the way a scan reads them. */
function scanHttpProxy(t: { after(fn: () => void): void }, folder: string, rows: Row[]): FindingDraft[] {
  const dir = tempDir(t);
  const abs = join(dir, "HttpProxy_2021081306-1.LOG");
  writeFileSync(
    abs,
    preamble("HttpProxy Logs", "2021-08-13T06:00:00.000Z", HTTPPROXY_FIELDS.join(",")) +
      rows.map((r) => `${httpProxyLine(r)}\r\n`).join(""),
  );
  const rel = `C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/${folder}/HttpProxy_2021081306-1.LOG`;
  return runOwnChecks(abs, rel).drafts;
}

function row(protocol: string, stem: string, query: string, status: string, extra: Row = {}): Row {
  return {
    DateTime: "2021-08-13T06:10:00.000Z",
    RequestId: "5a3c1f2e-0000-4000-8000-000000000001",
    Protocol: protocol,
    UrlHost: "mail.contoso.local",
    UrlStem: stem,
    UrlQuery: query,
    ClientIpAddress: "203.0.113.78",
    HttpStatus: status,
    Method: "POST",
    TargetServer: "exch01.contoso.local",
    ...extra,
  };
}

describe("HttpProxy ProxyShell: the Autodiscover, PowerShell, Mapi and Ews folders", () => {
  it("stage by folder or back end; 200 on PowerShell/MAPI success, other stages and statuses attempts", (t) => {
    const ad = scanHttpProxy(t, "Autodiscover", [
      row("Autodiscover", AD, `?@evil.corp/mapi/emsmdb/?${email}`, "200"),
      row("Autodiscover", AD, `?@evil.corp/autodiscover/autodiscover.xml?${email}`, "200"),
      row("Autodiscover", AD, `?@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz${email}`, "401"),
      row("Autodiscover", "/autodiscover/autodiscover.j%73on", "?%40evil.corp%2Fmapi%2Fnspi%2F", "200"),
    ]);
    assert.deepEqual(checksOf(ad), [
      "httpproxy-proxyshell",
      "httpproxy-proxyshell",
      "httpproxy-proxyshell-attempt",
      "httpproxy-proxyshell-attempt",
    ]);
    assert.equal(ad[0].evidence.TargetServer, "exch01.contoso.local");
    assert.equal(ad[0].evidence.Stage, "mapi");
    const ps = scanHttpProxy(t, "PowerShell", [
      row("PowerShell", "/powershell", "?X-Rps-CAT=VgEAVAdXaW5kb3dz&serializationLevel=Full", "200"),
      row("PowerShell", AD, `?@evil.com/PowerShell/?serializationLevel=Full${email}`, "200", {
        AuthenticatedUser: "alice@contoso.local",
      }),
    ]);
    assert.deepEqual(checksOf(ps), ["httpproxy-proxynotshell", "httpproxy-proxyshell"]);
    assert.ok(ps.every((d) => d.evidence.Stage === "powershell"));
  });

  it("traps: Outlook's autodiscover.json lookups, an admin's Kerberos PowerShell session", (t) => {
    const d = [
      ...scanHttpProxy(t, "Autodiscover", [
        row("Autodiscover", `${AD}/v1.0/alice@contoso.local`, "?Protocol=EWS&RedirectCount=1", "200", {
          AuthenticatedUser: "alice@contoso.local",
        }),
        row("Autodiscover", AD, "?Email=alice%40contoso.local&Protocol=ActiveSync", "200"),
      ]),
      ...scanHttpProxy(t, "PowerShell", [
        row(
          "PowerShell",
          "/powershell",
          "?serializationLevel=Full;clientApplication=ManagementShell",
          "200",
          {
            AuthenticatedUser: "CONTOSO\\admin",
            ClientIpAddress: "127.0.0.1",
          },
        ),
      ]),
    ];
    assert.deepEqual(checksOf(d), []);
  });
});
