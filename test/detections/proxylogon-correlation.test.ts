// The ProxyLogon correlation end to end: IIS rows of the SSRF shape read together with the HttpProxy rows of
// the same request (client, URL, time). A scanner's 200 with localhost/Autodiscover anchors is an attempt,
// a real back-end anchor followed by ECP/OAB calls is a compromise, IIS alone decides with low confidence.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HTTPPROXY_FIELDS, httpProxyLine, preamble, type Row } from "../../examples/generate.js";
import { scan } from "../../src/index.js";
import type { ServerResult } from "../../src/model/types.js";
import { tempDir } from "../helpers.js";
import { type IisReq, iisLog } from "../iis-helpers.js";

const LOGGING = "C/Program Files/Microsoft/Exchange Server/V15/Logging";
const FQDN = "exch01.contoso.local";
const ATTACKER = "203.0.113.77";
const SCANNER = "198.51.100.23";
const ADMIN = "10.20.1.15";

function hp(
  time: string,
  client: string,
  stem: string,
  anchor: string,
  status: string,
  extra: Row = {},
): Row {
  return {
    DateTime: time,
    RequestId: `req-${time}-${client}`,
    Protocol: "Ecp",
    UrlHost: "mail.contoso.local",
    UrlStem: stem,
    AnchorMailbox: anchor,
    UserAgent: "python-requests/2.25.1",
    ClientIpAddress: client,
    ServerHostName: "EXCH01",
    HttpStatus: status,
    Method: "POST",
    TargetServer: FQDN,
    RoutingHint: "X-BEResource-Cookie",
    ...extra,
  };
}

/** An admin's ordinary ECP session, in both logs (what the HttpProxy Ecp folder holds on a clean day). */
function adminSession(hour: string): { iis: IisReq[]; proxy: Row[] } {
  const iis: IisReq[] = [
    { method: "GET", stem: "/ecp/default.aspx", user: "CONTOSO\\admin", ip: ADMIN, time: `${hour}:00:05Z` },
    {
      method: "POST",
      stem: "/ecp/DDI/DDIService.svc/GetList",
      query: "schema=MailboxService&msExchEcpCanary=abc",
      user: "CONTOSO\\admin",
      ip: ADMIN,
      time: `${hour}:59:10Z`,
    },
  ];
  const proxy = [
    hp(`${hour}:00:04.100Z`, ADMIN, "/ecp/default.aspx", "SMTP:admin@contoso.local", "200", {
      AuthenticatedUser: "admin@contoso.local",
      RoutingHint: "Cookie",
      Method: "GET",
    }),
    hp(`${hour}:59:09.500Z`, ADMIN, "/ecp/DDI/DDIService.svc/GetList", "SMTP:admin@contoso.local", "200", {
      AuthenticatedUser: "admin@contoso.local",
      RoutingHint: "Cookie",
    }),
  ];
  return { iis, proxy };
}

async function scanServer(
  t: { after(fn: () => void): void },
  iis: IisReq[],
  proxy: Row[] | null,
): Promise<ServerResult> {
  const root = join(tempDir(t), "EXCH01");
  const w3 = join(root, "C/inetpub/logs/LogFiles/W3SVC1");
  mkdirSync(w3, { recursive: true });
  writeFileSync(join(w3, "u_ex210303.log"), iisLog(iis));
  if (proxy) {
    const dir = join(root, LOGGING, "HttpProxy/Ecp");
    mkdirSync(dir, { recursive: true });
    const rows = [...proxy].sort((a, b) => a.DateTime.localeCompare(b.DateTime));
    writeFileSync(
      join(dir, "HttpProxy_2021030306-1.LOG"),
      preamble("HttpProxy Logs", rows[0].DateTime, HTTPPROXY_FIELDS.join(",")) +
        rows.map((r) => `${httpProxyLine(r)}\r\n`).join(""),
    );
  }
  const r = await scan([root], { workers: 0 });
  return r.servers[0];
}

const corr = (s: ServerResult) =>
  s.findings.filter((f) => f.check.startsWith("proxylogon-ssrf-")).map((f) => [f.check, f.evidence.ClientIp]);

describe("ProxyLogon: IIS rows read with the HttpProxy rows of the same request", () => {
  it("attack: a back-end anchor followed by DDI calls on the OAB virtual directory is a compromise", async (t) => {
    const be = `ServerInfo~a]@${FQDN}:444`;
    const admin = adminSession("2021-03-03T06");
    const s = await scanServer(
      t,
      [
        ...admin.iis,
        { method: "POST", stem: "/ecp/y.js", ip: ATTACKER, status: 200, time: "2021-03-03T06:49:44Z" },
        { method: "POST", stem: "/ecp/y.js", ip: ATTACKER, status: 241, time: "2021-03-03T06:49:46Z" },
        { method: "POST", stem: "/ecp/y.js", ip: ATTACKER, status: 200, time: "2021-03-03T06:49:53Z" },
      ],
      [
        ...admin.proxy,
        hp(
          "2021-03-03T06:49:43.208Z",
          ATTACKER,
          "/ecp/y.js",
          `${be}/mapi/emsmdb?MailboxId=x@contoso.local#`,
          "200",
        ),
        hp("2021-03-03T06:49:45.877Z", ATTACKER, "/ecp/y.js", `${be}/ecp/proxyLogon.ecp?#`, "241"),
        hp(
          "2021-03-03T06:49:52.611Z",
          ATTACKER,
          "/ecp/y.js",
          `${be}/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=secret&schema=OABVirtualDirectory#`,
          "200",
        ),
      ],
    );
    assert.deepEqual(corr(s), [["proxylogon-ssrf-success", ATTACKER]]);
    const f = s.findings.find((x) => x.check === "proxylogon-ssrf-success");
    assert.equal(f?.effect, "compromise");
    assert.equal(f?.confidence, "high");
    assert.equal(f?.evidence.RequestCount, "3");
    assert.equal(f?.evidence.HttpProxyRows, "3");
    assert.match(f?.evidence.FollowOn ?? "", /ddiservice\.svc\/setobject/);
    assert.doesNotMatch(f?.evidence.FollowOn ?? "", /secret/);
    assert.equal(f?.subject.kind, "correlation");
    assert.equal(s.verdict, "compromised");
  });

  it("scanner: 200s whose anchors reach only localhost or Autodiscover are attempts; the server is attempted", async (t) => {
    const admin = adminSession("2021-03-03T06");
    const s = await scanServer(
      t,
      [
        ...admin.iis,
        { method: "POST", stem: "/ecp/x.js", ip: SCANNER, status: 200, time: "2021-03-03T06:30:01Z" },
        { method: "POST", stem: "/owa/auth/x.js", ip: SCANNER, status: 200, time: "2021-03-03T06:31:01Z" },
        { method: "POST", stem: "/ecp/y.js", ip: "192.0.2.9", status: 200, time: "2021-03-03T06:40:01Z" },
      ],
      [
        ...admin.proxy,
        hp("2021-03-03T06:30:00.400Z", SCANNER, "/ecp/x.js", "ServerInfo~localhost/ecp/default.flt?", "200"),
        hp(
          "2021-03-03T06:31:00.400Z",
          SCANNER,
          "/owa/auth/x.js",
          "ServerInfo~localhost/owa/auth/logon.aspx?",
          "200",
          {
            Protocol: "Owa",
          },
        ),
        hp(
          "2021-03-03T06:40:00.100Z",
          "192.0.2.9",
          "/ecp/y.js",
          `ServerInfo~${FQDN}/autodiscover/autodiscover.xml?#`,
          "200",
        ),
      ],
    );
    assert.deepEqual(corr(s).sort(), [
      ["proxylogon-ssrf-scanner", "192.0.2.9"],
      ["proxylogon-ssrf-scanner", SCANNER],
    ]);
    assert.ok(
      s.findings.filter((f) => f.check.startsWith("proxylogon-ssrf-")).every((f) => f.effect === "attempt"),
    );
    assert.equal(s.verdict, "attempted");
  });

  it("unrouted: HttpProxy covers the time and holds no SSRF row for the request", async (t) => {
    const admin = adminSession("2021-03-03T06");
    const s = await scanServer(
      t,
      [
        ...admin.iis,
        { method: "POST", stem: "/ecp/z.js", ip: "192.0.2.50", status: 200, time: "2021-03-03T06:20:00Z" },
      ],
      admin.proxy,
    );
    assert.deepEqual(corr(s), [["proxylogon-ssrf-unrouted", "192.0.2.50"]]);
    assert.equal(s.verdict, "attempted");
  });

  it("IIS alone: without HttpProxy rows a 2xx is judged from IIS with low confidence, and says so", async (t) => {
    const s = await scanServer(
      t,
      [{ method: "POST", stem: "/ecp/y.js", ip: ATTACKER, status: 200, time: "2021-03-03T06:49:44Z" }],
      null,
    );
    assert.deepEqual(corr(s), [["proxylogon-ssrf-iis-only", ATTACKER]]);
    const f = s.findings.find((x) => x.check === "proxylogon-ssrf-iis-only");
    assert.equal(f?.effect, "compromise");
    assert.equal(f?.confidence, "low");
    assert.match(f?.evidence.Note ?? "", /judged from IIS alone/);
  });

  it("IIS alone with the cookie logged: a localhost X-AnonResource-Backend anchor is a scanner", async (t) => {
    const s = await scanServer(
      t,
      [
        {
          method: "GET",
          stem: "/owa/auth/x.js",
          ip: SCANNER,
          status: 500,
          cookie:
            "X-AnonResource=true;+X-AnonResource-Backend=localhost/ecp/default.flt?~3;+X-BEResource=localhost/owa/auth/logon.aspx?~3;",
          time: "2021-03-03T06:10:00Z",
        },
      ],
      null,
    );
    assert.deepEqual(corr(s), [["proxylogon-ssrf-scanner", SCANNER]]);
    const c = s.findings.find((x) => x.check === "iis-proxylogon-cookie");
    assert.match(c?.evidence.AnchorReach ?? "", /scanner/);
    assert.equal(s.verdict, "attempted");
  });

  it("trap: a clean admin's ECP session in both logs gives no ProxyLogon finding", async (t) => {
    const a = adminSession("2021-03-03T06");
    const b = adminSession("2021-03-03T07");
    const s = await scanServer(t, [...a.iis, ...b.iis], [...a.proxy, ...b.proxy]);
    assert.deepEqual(
      s.findings
        .filter((f) => f.effect !== "exposure" && /proxylogon|26855/.test(f.check))
        .map((f) => f.check),
      [],
    );
  });
});
