// The mitigation rules: they must abort exactly the probe's attack-shaped requests, and render as
// well-formed XML / PowerShell with a rollback.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MITIGATION_RULES, mitigationPowerShell, mitigationXml } from "../../src/exposure/mitigations.js";
import { REQUESTS } from "../../src/exposure/probe/probe.js";
import { runCli } from "../helpers.js";

function matches(ruleName: string, value: string): boolean {
  const r = MITIGATION_RULES.find((x) => x.name === ruleName)!;
  // IIS URL Rewrite ECMAScript syntax, case-insensitive by default (ignoreCase="true").
  return new RegExp(r.pattern, "i").test(value);
}

describe("mitigation rules", () => {
  it("the cookie rules catch the CVE-2021-26855 cookies and leave ordinary cookies alone", () => {
    const attack = REQUESTS.ssrf.headers.cookie;
    assert.ok(matches("X-AnonResource-Backend Abort - inbound", attack));
    assert.ok(matches("X-BEResource Abort - inbound", "X-BEResource=a]@srv:444/ecp/x.js?~1942062522"));
    for (const benign of [
      "X-BackEndCookie=S-1-5-21=abc; ClientId=XYZ",
      "cadata=abc; cadataTTL=x; X-OWA-CANARY=1",
    ]) {
      assert.ok(!matches("X-AnonResource-Backend Abort - inbound", benign));
      assert.ok(!matches("X-BEResource Abort - inbound", benign));
    }
  });

  it("the ProxyNotShell rule catches autodiscover+powershell, not plain autodiscover", () => {
    const rule = "PowerShell - inbound";
    assert.ok(matches(rule, decodeURIComponent(REQUESTS.notShell.path)));
    assert.ok(matches(rule, "/autodiscover/autodiscover.json?@evil.com/PowerShell/?Email=x"));
    assert.ok(!matches(rule, "/autodiscover/autodiscover.xml"));
    assert.ok(!matches(rule, "/powershell/?serializationLevel=Full"));
  });

  it("renders XML and PowerShell, each with a rollback naming every rule", () => {
    for (const text of [
      mitigationXml(),
      mitigationXml(true),
      mitigationPowerShell(),
      mitigationPowerShell(true),
    ])
      for (const r of MITIGATION_RULES) assert.ok(text.includes(r.name), r.name);
    assert.match(mitigationXml(), /<action type="AbortRequest" \/>/);
    assert.equal((mitigationXml().match(/<rule /g) ?? []).length, 3);
    assert.equal((mitigationXml(true).match(/<remove name=/g) ?? []).length, 3);
    assert.equal((mitigationPowerShell(true).match(/Clear-WebConfiguration/g) ?? []).length, 3);
    assert.ok(!mitigationPowerShell().includes("Clear-WebConfiguration"));
    assert.match(mitigationXml(), /pattern="\(\?=\.\*autodiscover\)\(\?=\.\*powershell\)"/);
  });

  it("CLI prints both formats and refuses others with exit 2", () => {
    const x = runCli(["mitigate"]);
    assert.equal(x.status, 0);
    assert.match(x.stdout, /^<!-- exhunt mitigate/);
    const p = runCli(["mitigate", "--format", "powershell", "--rollback"]);
    assert.equal(p.status, 0);
    assert.match(p.stdout, /Clear-WebConfiguration/);
    assert.equal(runCli(["mitigate", "--format", "bash"]).status, 2);
  });
});
