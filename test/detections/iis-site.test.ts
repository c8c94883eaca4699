// Which IIS site is Exchange: applicationHost.config, the signs in a site's own log, and the decision
// (positive and trap cases; the whole-server cases are in test/scenarios/sites.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signsOf, siteOf, siteOfPath } from "../../src/detections/iis/site.js";
import { decideSite, isExchangeSiteCheck } from "../../src/detections/iis/site-scope.js";
import { checkInfo } from "../../src/detections/registry.js";
import { buildCoverage } from "../../src/evidence/coverage.js";
import { iisSites } from "../../src/evidence/iis-config.js";
import { type Finding, toFinding } from "../../src/model/finding.js";
import type { SourceCoverage } from "../../src/model/types.js";

function probe(line: number, status: number, user: string | null = null, site?: string): Finding {
  return toFinding(
    {
      check: status === 404 ? "iis-proxylogon-request-failed" : "iis-proxylogon-request",
      time: "2021-03-05T01:00:00Z",
      file: "C/inetpub/logs/LogFiles/W3SVC3/u_ex210305.log",
      line,
      subject: {
        kind: "http-request",
        method: "POST",
        uri: "/ecp/y.js",
        query: null,
        status,
        clientIp: "198.51.100.23",
        serverIp: null,
        userAgent: null,
        user,
        requestId: null,
        target: null,
      },
      evidence: { UriStem: "/ecp/y.js", Status: String(status), ...(site ? { Site: site } : {}) },
    },
    "S",
    checkInfo("iis-proxylogon-request-failed"),
  );
}

function coverage(sources: Partial<SourceCoverage>[]) {
  return buildCoverage(
    sources.map((s) => ({
      source: "IIS W3SVC3",
      kind: "iis-w3c",
      files: 1,
      bytes: 100,
      oldest: "2021-03-05T00:00:00Z",
      newest: "2021-03-05T23:00:00Z",
      ...s,
    })),
  );
}

describe("IIS sites: applicationHost.config", () => {
  it("names each site's Exchange virtual directories, applications and nested virtual directories", () => {
    const sites = iisSites(`<sites>
      <site name="Default Web Site" id="1">
        <application path="/"><virtualDirectory path="/" physicalPath="C:\\inetpub\\wwwroot" />
          <virtualDirectory path="/Rpc" physicalPath="C:\\ex\\rpc" /></application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool"><virtualDirectory path="/" physicalPath="C:\\ex\\owa" /></application>
      </site>
      <site name="Intranet &amp; wiki" id="7"><application path="/"><virtualDirectory path="/" physicalPath="D:\\web" /></application>
        <application path="/owasp-demo"><virtualDirectory path="/" physicalPath="D:\\demo" /></application></site>
      <site name="Empty" id="9" />
      <siteDefaults><logFile directory="%SystemDrive%\\inetpub\\logs\\LogFiles" /></siteDefaults>
    </sites>`);
    assert.deepEqual(
      sites.map((s) => [s.id, s.exchangePaths]),
      [
        ["1", ["/Rpc", "/owa"]],
        ["7", []], // /owasp-demo is not /owa
        ["9", []],
      ],
    );
  });
});

describe("IIS sites: Exchange signs in a site's log", () => {
  it("health probes, build-numbered OWA/ECP files served and signed-in users on Exchange paths are signs", () => {
    assert.deepEqual(signsOf("/owa/", 200, "", "AMProbe/Local/ClientAccess"), ["health-probe", "answered"]);
    assert.ok(signsOf("/ews/exchange.asmx", 401, "FABRIKAM\\HealthMailbox0b7f", "").includes("health-probe"));
    assert.ok(
      signsOf("/owa/auth/15.1.2242/themes/resources/favicon.ico", 304, "", "").includes("build-static"),
    );
    assert.ok(signsOf("/ecp/15.2.986.5/scripts/common.js", 200, "", "").includes("build-static"));
    assert.ok(signsOf("/mapi/emsmdb/", 200, "alice@fabrikam.com", "").includes("authenticated"));
  });

  it("trap: scanners asking for build-numbered files answered 404, or signed-in users elsewhere, are no sign", () => {
    assert.deepEqual(signsOf("/owa/auth/15.1.2242/themes/resources/x.js", 404, "", "zgrab"), []);
    assert.deepEqual(signsOf("/wp-admin/index.php", 200, "editor", "Mozilla/5.0"), []);
    assert.deepEqual(signsOf("/owasp/index.html", 200, "editor", ""), []);
  });

  it("a row's site is its s-sitename, else its log folder", () => {
    assert.equal(siteOfPath("C/inetpub/logs/LogFiles/w3svc12/u_ex210305.log"), "W3SVC12");
    assert.equal(siteOfPath("IIS/u_ex210305.log"), null);
    assert.equal(siteOf(probe(1, 404, null, "W3SVC4")), "W3SVC4");
    assert.equal(siteOf(probe(1, 404)), "W3SVC3");
  });

  it("the Exchange exploit checks are scoped, generic web-shell and IOC checks are not", () => {
    assert.ok(isExchangeSiteCheck("iis-proxyshell-failed"));
    assert.ok(isExchangeSiteCheck("sigma-exchange-attempt:0123-rule"));
    assert.ok(!isExchangeSiteCheck("iis-request-to-unexpected-script"));
    assert.ok(!isExchangeSiteCheck("ioc-client-ip"));
  });
});

describe("IIS sites: the decision", () => {
  const noExchangeLogs = { coverage: coverage([{ records: 10 }]), installPath: null, exposure: null };

  it("a site answering every Exchange exploit request 404, with no sign, serving other requests: not Exchange", () => {
    const d = decideSite("W3SVC3", [probe(1, 404), probe(2, 404)], [], noExchangeLogs);
    assert.equal(d.exchange, false);
    assert.match(d.why, /2 Exchange exploit requests were all answered 404, and it served 8 other requests/);
  });

  it("trap: one Exchange exploit request answered other than 404 leaves the site Exchange", () => {
    assert.equal(decideSite("W3SVC3", [probe(1, 404), probe(2, 500)], [], noExchangeLogs).exchange, true);
  });

  it("trap: a signed-in user on an Exchange path makes it Exchange, all 404 or not", () => {
    const d = decideSite("W3SVC3", [probe(1, 404, "FABRIKAM\\bob")], [], noExchangeLogs);
    assert.equal(d.exchange, true);
    assert.match(d.why, /authenticated user/);
  });

  it("trap: a sign handed on by the log reading makes it Exchange", () => {
    const sign = { site: "W3SVC3", sign: "health-probe" as const, example: "GET /owa/ → 200" };
    assert.equal(decideSite("W3SVC3", [probe(1, 404)], [sign], noExchangeLogs).exchange, true);
  });

  it("trap: a log holding nothing but the exploit requests is not decided (judged as Exchange)", () => {
    const only = { ...noExchangeLogs, coverage: coverage([{ records: 2 }]) };
    assert.equal(decideSite("W3SVC3", [probe(1, 404), probe(2, 404)], [], only).exchange, true);
  });

  it("W3SVC1 and W3SVC2 of a known Exchange server are Exchange; elsewhere their log decides", () => {
    const w1 = [probe(1, 404, null, "W3SVC1")];
    const onExchange = {
      ...noExchangeLogs,
      installPath: "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
    };
    assert.equal(decideSite("W3SVC1", w1, [], onExchange).exchange, true);
    const plain = { ...noExchangeLogs, coverage: coverage([{ source: "IIS W3SVC1", records: 10 }]) };
    assert.equal(decideSite("W3SVC1", w1, [], plain).exchange, false);
  });

  it("applicationHost.config decides when it names the site", () => {
    const cfg = (paths: string[]) => ({
      ...noExchangeLogs,
      iisSites: [{ id: "3", name: "X", exchangePaths: paths }],
    });
    assert.equal(decideSite("W3SVC3", [probe(1, 404)], [], cfg(["/owa"])).exchange, true);
    assert.equal(decideSite("W3SVC3", [probe(1, 200, "bob")], [], cfg([])).exchange, false);
  });
});
