// The correlated timeline: order, sources and the links between HttpProxy, ECP, OAB, sweep and IIS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { correlationKeys, firstMaliciousRequest, serverPaths, webPathOf } from "../../src/verdict/facts.js";
import { serverTimeline, timeline } from "../../src/verdict/timeline.js";
import {
  attemptedFindings,
  CANARY,
  compromisedFindings,
  finding,
  result,
  SHELL,
  server,
} from "./fixtures.js";

describe("timeline", () => {
  it("orders entries by time and names the source of each record", () => {
    const s = server("EXCH01", compromisedFindings());
    const t = serverTimeline(s);
    const times = t.entries.map((e) => e.time as string);
    assert.deepEqual(times, [...times].sort());
    assert.deepEqual(
      t.entries.map((e) => e.source),
      ["HttpProxy/Owa", "HttpProxy/Ecp", "ECP Server", "File", "OABGeneratorLog", "Event log", "IIS", "File"],
    );
    assert.match(t.entries[1].summary, /POST \/ecp\/y\.js from 203\.0\.113\.77 → 200/);
  });

  it("links the SSRF, the ECP cmdlet (canary), the OAB write, the sweep and the IIS hits (path, IP) into one incident", () => {
    const s = server("EXCH01", compromisedFindings());
    const t = serverTimeline(s);
    assert.equal(t.groups.length, 1);
    const g = t.groups[0];
    const byCheck = new Map(s.findings.map((f) => [f.id, f.check]));
    assert.deepEqual(g.findingIds.map((id) => byCheck.get(id)).sort(), [
      "cve-2021-26855-ssrf",
      "cve-2021-26858-oab-write",
      "cve-2021-26858-oab-write",
      "cve-2021-27065-set-vdir",
      "iis-webshell-request",
      "webshell-file-created",
    ]);
    assert.deepEqual(g.ips, ["203.0.113.77"]);
    assert.ok(g.paths.includes(SHELL), g.paths.join());
    assert.ok(g.links.includes(`canary:${CANARY}`));
    assert.ok(g.links.includes("file:/aspnet_client/system_web/discover.aspx"));
    assert.equal(g.first, "2021-03-03T06:49:51.000Z");
    assert.equal(g.last, "2021-03-03T07:00:01.000Z");
    // The scanner from another address and the LSASS dump stay outside the incident.
    const loose = t.entries.filter((e) => e.groupKey === null).map((e) => e.check);
    assert.deepEqual(loose.sort(), ["cve-2021-26855-probe", "lsass-dump"]);
  });

  it("an IP only links activity: a listed file with the same address is not pulled in (trap)", () => {
    const fs = [
      ...attemptedFindings("S"),
      finding("S", "suspicious-archive", "2021-03-05T00:00:00.000Z", {
        Path: "C:\\ProgramData\\x.7z",
        ClientIp: "192.0.2.9",
      }),
    ];
    assert.equal(serverTimeline(server("S", fs)).groups.length, 0);
  });

  it("keeps coverage gaps out and undated findings last", () => {
    const fs = [
      finding("S", "log-coverage", null, { Source: "OABGeneratorLog" }),
      finding("S", "lsass-dump", null, { Path: "C:\\Windows\\Temp\\lsass.dmp" }),
      ...attemptedFindings("S"),
    ];
    const t = serverTimeline(server("S", fs));
    assert.deepEqual(
      t.entries.map((e) => e.check),
      ["cve-2021-26855-ssrf-failed", "lsass-dump"],
    );
  });

  it("merges servers in time order and keeps group keys per server", () => {
    const r = result([server("A", compromisedFindings("A")), server("B", attemptedFindings("B"))]);
    const t = timeline(r);
    assert.equal(t.entries.length, 9);
    assert.deepEqual(
      t.entries.map((e) => e.time as string),
      t.entries.map((e) => e.time as string).sort(),
    );
    assert.deepEqual(
      t.groups.map((g) => g.key),
      ["A#1"],
    );
  });

  it("reads paths and keys from the shared evidence names", () => {
    assert.equal(
      webPathOf("\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\a.aspx"),
      "/aspnet_client/a.aspx",
    );
    assert.equal(
      webPathOf("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx"),
      "/owa/auth/x.aspx",
    );
    assert.equal(webPathOf("C:\\Windows\\Temp\\a.aspx"), null);
    const cmd = finding("S", "cve-2021-27065-reset-vdir", null, {
      Command:
        "Reset-OabVirtualDirectory -FilePath '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx'",
    });
    assert.deepEqual(serverPaths(cmd), ["C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx"]);
    const bad = finding("S", "x", null, { ClientIp: "not-an-ip<script>", RequestId: "R" });
    assert.deepEqual(correlationKeys(bad), ["request:r"]);
    const port = finding("S", "x", null, { ClientIpAddress: "203.0.113.5:51234" });
    assert.deepEqual(correlationKeys(port), ["ip:203.0.113.5"]);
  });

  it("finds the first malicious request, not an earlier listed file", () => {
    const fs = compromisedFindings();
    const first = firstMaliciousRequest(fs);
    assert.equal(first?.check, "cve-2021-26855-probe");
    assert.equal(firstMaliciousRequest([fs[fs.length - 1]]), null);
  });
});
