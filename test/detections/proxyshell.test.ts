// ProxyShell and ProxyNotShell in the IIS log, complete: `@` anywhere in path or query, every back end,
// every status (probes are attempts, 200 on /powershell or /mapi/ a success stage), X-Rps-CAT and Email=
// variants; and the traps that look alike.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autodiscoverSsrf } from "../../src/detections/proxyshell/iis-autodiscover.js";
import { checksOf, scanIis } from "../iis-helpers.js";

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
