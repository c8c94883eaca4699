// ProxyShell/ProxyNotShell IIS rows joined to the HttpProxy rows of the same request (request id, or the
// same client within 60 s and the same URL or stage): the HttpProxy row names the back end and the stage;
// its success makes a high-confidence compromise; near misses (another client, too late) are not joined.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HTTPPROXY_FIELDS, httpProxyLine, preamble, type Row } from "../../examples/generate.js";
import { joinProxyShell } from "../../src/detections/correlation/proxyshell-join.js";
import { checkInfo } from "../../src/detections/registry.js";
import { scan } from "../../src/index.js";
import { type HttpRequestSubject, toFinding } from "../../src/model/finding.js";
import type { ServerResult } from "../../src/model/types.js";
import { tempDir } from "../helpers.js";
import { type IisReq, iisLog } from "../iis-helpers.js";

const LOGGING = "C/Program Files/Microsoft/Exchange Server/V15/Logging";
const AD = "/autodiscover/autodiscover.json";
const EMAIL = "&Email=autodiscover/autodiscover.json%3F@evil.corp";
const ATTACKER = "203.0.113.78";
const MAPI = `@evil.corp/mapi/nspi/?${EMAIL}`;
const PS = `@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz${EMAIL}`;

function hp(time: string, folder: string, query: string, status: string, extra: Row = {}): Row {
  return {
    DateTime: time,
    RequestId: `req-${time}`,
    Protocol: folder,
    UrlHost: "mail.contoso.local",
    UrlStem: AD,
    UrlQuery: `?${query}`,
    ClientIpAddress: ATTACKER,
    HttpStatus: status,
    Method: "POST",
    TargetServer: "exch02.contoso.local",
    ...extra,
  };
}

async function scanServer(
  t: { after(fn: () => void): void },
  iis: IisReq[],
  proxy: Record<string, Row[]>,
  site = "W3SVC1",
): Promise<ServerResult> {
  const root = join(tempDir(t), "EXCH01");
  const w3 = join(root, `C/inetpub/logs/LogFiles/${site}`);
  mkdirSync(w3, { recursive: true });
  writeFileSync(join(w3, "u_ex210813.log"), iisLog(iis));
  for (const [folder, rows] of Object.entries(proxy)) {
    const dir = join(root, LOGGING, "HttpProxy", folder);
    mkdirSync(dir, { recursive: true });
    const sorted = [...rows].sort((a, b) => a.DateTime.localeCompare(b.DateTime));
    writeFileSync(
      join(dir, "HttpProxy_2021081306-1.LOG"),
      preamble("HttpProxy Logs", sorted[0].DateTime, HTTPPROXY_FIELDS.join(",")) +
        sorted.map((r) => `${httpProxyLine(r)}\r\n`).join(""),
    );
  }
  return (await scan([root], { workers: 0 })).servers[0];
}

const REQ: HttpRequestSubject = {
  kind: "http-request",
  method: "GET",
  uri: AD,
  query: null,
  status: null,
  clientIp: null,
  serverIp: null,
  userAgent: null,
  user: null,
  requestId: null,
  target: null,
};

const joined = (s: ServerResult) => s.findings.filter((f) => f.check.startsWith("proxyshell-joined"));

describe("ProxyShell: IIS rows joined to the HttpProxy rows of the same request", () => {
  it("the HttpProxy row names the back end and the stage; its success is a compromise with high confidence", async (t) => {
    const s = await scanServer(
      t,
      [
        { method: "GET", stem: AD, query: MAPI, ip: ATTACKER, status: 200, time: "2021-08-13T06:10:01Z" },
        { method: "POST", stem: AD, query: PS, ip: ATTACKER, status: 200, time: "2021-08-13T06:12:03Z" },
      ],
      {
        Autodiscover: [hp("2021-08-13T06:10:00.500Z", "Autodiscover", MAPI, "200")],
        PowerShell: [hp("2021-08-13T06:12:02.100Z", "PowerShell", PS, "200")],
      },
    );
    const j = joined(s);
    assert.deepEqual(
      j.map((f) => f.check),
      ["proxyshell-joined-success"],
    );
    const f = j[0];
    assert.equal(f.effect, "compromise");
    assert.equal(f.confidence, "high");
    assert.equal(f.evidence.RequestCount, "2");
    assert.equal(f.evidence.TargetServer, "exch02.contoso.local (2)");
    assert.equal(f.evidence.Stage, "mapi (1), powershell (1)");
    assert.equal(f.subject.kind === "correlation" && f.subject.findingIds.length, 4);
    assert.equal(s.verdict, "compromised");
  });

  it("a joined request the back end refused is an attempt that names its back end, never a compromise", async (t) => {
    const s = await scanServer(
      t,
      [{ method: "GET", stem: AD, query: PS, ip: ATTACKER, status: 401, time: "2021-08-13T06:20:00Z" }],
      { Autodiscover: [hp("2021-08-13T06:19:59.800Z", "Autodiscover", PS, "401")] },
    );
    const j = joined(s);
    assert.deepEqual(
      j.map((f) => [f.check, f.effect, f.evidence.TargetServer, f.evidence.HttpProxyStatuses]),
      [["proxyshell-joined-attempt", "attempt", "exch02.contoso.local (1)", "401 (1)"]],
    );
    assert.equal(s.verdict, "attempted");
  });

  it("IIS stamps a request when it ends, HttpProxy when it begins: 45 s apart is the same request", async (t) => {
    const s = await scanServer(
      t,
      [{ method: "GET", stem: AD, query: MAPI, ip: ATTACKER, status: 200, time: "2021-08-13T06:30:45Z" }],
      { Autodiscover: [hp("2021-08-13T06:30:00.000Z", "Autodiscover", MAPI, "200")] },
    );
    assert.deepEqual(
      joined(s).map((f) => f.check),
      ["proxyshell-joined-success"],
    );
  });

  it("joins by request id where both rows carry one (and never across two ids), whatever the time", () => {
    const iisRow = (rid: string, time: string) =>
      toFinding(
        {
          check: "iis-proxyshell-failed",
          time,
          file: "C/inetpub/logs/LogFiles/W3SVC1/u_ex210813.log",
          line: 3,
          subject: { ...REQ, requestId: rid },
          evidence: {
            ClientIp: ATTACKER,
            UriStem: AD,
            Status: "302",
            BackEnd: "mapi",
            Campaign: "ProxyShell",
          },
        },
        "EXCH01",
        checkInfo("iis-proxyshell-failed"),
      );
    const proxyRow = (rid: string, time: string) =>
      toFinding(
        {
          check: "httpproxy-proxyshell",
          time,
          file: `${LOGGING}/HttpProxy/Mapi/HttpProxy_2021081306-1.LOG`,
          line: 5,
          subject: { ...REQ, requestId: rid },
          evidence: {
            RequestId: rid,
            ClientIpAddress: "10.0.0.9",
            UrlStem: "/mapi/nspi/",
            HttpStatus: "200",
            Stage: "mapi",
            TargetServer: "exch02",
          },
        },
        "EXCH01",
        checkInfo("httpproxy-proxyshell"),
      );
    const far = joinProxyShell([
      iisRow("rid-1", "2021-08-13T06:00:00Z"),
      proxyRow("RID-1", "2021-08-13T07:30:00Z"),
    ]);
    assert.deepEqual(
      far.map((d) => [d.check, d.evidence.TargetServer]),
      [["proxyshell-joined-success", "exch02 (1)"]],
    );
    const other = joinProxyShell([
      iisRow("rid-1", "2021-08-13T06:00:00Z"),
      proxyRow("rid-2", "2021-08-13T06:00:01Z"),
    ]);
    assert.deepEqual(other, []);
  });

  it("traps: another client, or the same request shape 2 minutes away, is not the same request", async (t) => {
    const s = await scanServer(
      t,
      [
        {
          method: "GET",
          stem: AD,
          query: MAPI,
          ip: "198.51.100.7",
          status: 200,
          time: "2021-08-13T06:40:00Z",
        },
        { method: "GET", stem: AD, query: MAPI, ip: ATTACKER, status: 200, time: "2021-08-13T06:45:00Z" },
      ],
      {
        Autodiscover: [
          hp("2021-08-13T06:39:59.000Z", "Autodiscover", MAPI, "200"),
          hp("2021-08-13T06:47:00.000Z", "Autodiscover", MAPI, "200"),
        ],
      },
    );
    assert.deepEqual(joined(s), []);
    // Each log still speaks for itself.
    assert.ok(s.findings.some((f) => f.check === "iis-proxyshell"));
    assert.ok(s.findings.some((f) => f.check === "httpproxy-proxyshell"));
  });

  it("trap: requests logged by an IIS site that is not Exchange are not joined", async (t) => {
    const s = await scanServer(
      t,
      [
        { method: "GET", stem: AD, query: MAPI, ip: ATTACKER, status: 404, time: "2021-08-13T06:50:00Z" },
        { method: "GET", stem: "/index.php", ip: "192.0.2.10", status: 200, time: "2021-08-13T06:51:00Z" },
      ],
      { Autodiscover: [hp("2021-08-13T06:49:59.500Z", "Autodiscover", MAPI, "404")] },
      "W3SVC4",
    );
    assert.ok(s.findings.some((f) => f.check === "iis-site-not-exchange" && f.evidence.Site === "W3SVC4"));
    assert.deepEqual(joined(s), []);
  });
});
