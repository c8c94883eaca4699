import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { linkShellRequests } from "../../src/detections/correlation/webshell-used.js";
import { checkInfo } from "../../src/detections/registry.js";
import { webUrlOf } from "../../src/evidence/layout.js";
import { type FindingDraft, toFinding } from "../../src/model/finding.js";

const LOG = "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log";

function request(
  stem: string,
  status: string,
  ip: string,
  time: string,
  line: number,
  method = "POST",
): FindingDraft {
  return {
    check: "iis-request-to-unexpected-script",
    time,
    file: LOG,
    line,
    evidence: { ClientIp: ip, Method: method, UriStem: stem, Status: status },
  };
}

/** A file finding as the sweep reports it (synthetic until the sweep's checks land). */
function fileFinding(path: string, check = "webshell-content"): FindingDraft {
  return {
    check,
    time: "2021-03-03T07:00:00.000Z",
    file: `C/${path.slice(3).replaceAll("\\", "/")}`,
    line: null,
    evidence: { Path: path, SHA256: "ab".repeat(32), Rule: "chopper-jscript-eval" },
  };
}

const build = (ds: FindingDraft[]) => ds.map((d) => toFinding(d, "EXCH01", checkInfo(d.check)));

describe("web path → URL", () => {
  it("maps wwwroot, FrontEnd\\HttpProxy and ClientAccess folders to the URLs IIS serves them under", () => {
    assert.equal(
      webUrlOf("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\abc.aspx"),
      "/aspnet_client/system_web/abc.aspx",
    );
    assert.equal(
      webUrlOf("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx"),
      "/owa/auth/x.aspx",
    );
    assert.equal(
      webUrlOf("D:\\Exchange\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx"),
      "/ecp/auth/TimeoutLogout.aspx",
    );
    assert.equal(
      webUrlOf("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\log.aspx"),
      "/OAB/log.aspx",
    );
    assert.equal(
      webUrlOf("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\exchweb\\ews\\333.aspx"),
      "/ews/333.aspx",
    );
    assert.equal(webUrlOf("inetpub/wwwroot/x.aspx"), "/x.aspx");
  });
  it("gives no URL for files outside web folders", () => {
    assert.equal(webUrlOf("C:\\Windows\\Temp\\lsass.dmp"), null);
    assert.equal(webUrlOf("C:\\ProgramData\\it.zip"), null);
    assert.equal(
      webUrlOf("C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\a.dll"),
      null,
    );
  });
});

describe("shell ↔ request linking", () => {
  const shell = "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\Abc.aspx";
  const requests = [
    request(
      "/aspnet_client/system_web/abc.aspx",
      "404",
      "198.51.100.9",
      "2021-03-03T06:50:00.000Z",
      40,
      "GET",
    ),
    request("/aspnet_client/system_web/abc.aspx", "200", "203.0.113.77", "2021-03-03T07:05:00.000Z", 57),
    request("/aspnet_client/system_web/ABC.aspx", "200", "203.0.113.77", "2021-03-04T01:00:00.000Z", 12),
    request("/aspnet_client/other.aspx", "200", "192.0.2.1", "2021-03-03T08:00:00.000Z", 60),
  ];

  it("links a flagged shell to every request for its URL: who, when, how often, statuses", () => {
    const all = build([fileFinding(shell), ...requests]);
    const out = linkShellRequests(all);
    assert.equal(out.length, 1);
    const d = out[0];
    assert.equal(d.check, "webshell-used");
    assert.equal(d.time, "2021-03-03T07:05:00.000Z", "anchored at the first successful request");
    assert.equal(d.file, LOG);
    assert.equal(d.line, 57);
    assert.equal(d.evidence.LinkedFinding, all[0].id);
    assert.equal(d.evidence.LinkedCheck, "webshell-content");
    assert.equal(d.evidence.UriStem, "/aspnet_client/system_web/Abc.aspx");
    assert.equal(d.evidence.RequestCount, "3");
    assert.equal(d.evidence.SuccessCount, "2");
    assert.equal(d.evidence.FirstRequest, "2021-03-03T06:50:00.000Z");
    assert.equal(d.evidence.LastRequest, "2021-03-04T01:00:00.000Z");
    assert.equal(d.evidence.RequestsFrom, "203.0.113.77 (2), 198.51.100.9 (1)");
    assert.equal(d.evidence.Statuses, "200 (2), 404 (1)");
    assert.equal(d.evidence.SHA256, "ab".repeat(32));
    assert.equal(d.evidence.Note, undefined);
  });

  it("says when requests were dropped over the per-check limit", () => {
    const out = linkShellRequests(build([fileFinding(shell), ...requests]), {
      "iis-request-to-unexpected-script": 12,
    });
    assert.match(out[0].evidence.Note ?? "", /12 requests .* lower bound/);
  });

  it("only 404s: the file was looked for, not used", () => {
    const out = linkShellRequests(build([fileFinding(shell), requests[0]]));
    assert.deepEqual(
      out.map((d) => d.check),
      ["webshell-requested"],
    );
  });

  it("traps: non-web files, web files nobody requested, requests with no flagged file", () => {
    const all = build([
      { ...fileFinding("C:\\Windows\\Temp\\lsass.dmp", "lsass-dump") },
      fileFinding("C:\\inetpub\\wwwroot\\aspnet_client\\quiet.aspx"),
      ...requests,
    ]);
    assert.deepEqual(linkShellRequests(all), []);
    assert.deepEqual(linkShellRequests(build(requests)), []);
  });
});
