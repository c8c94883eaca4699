// `exhunt sigma`: rules alone over evidence, table / JSON / CSV, exit codes, and input it cannot read.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { sigmaEffect } from "../../src/sigma/effects.js";
import { loadRuleText } from "../../src/sigma/load.js";
import { runCli, tempDir } from "../helpers.js";

const WEB_RULE = `title: Test webserver rule
id: 22222222-2222-3333-4444-555555555555
author: Web Author
level: high
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|contains: '/ecp/'
        cs-method: POST
    condition: selection
`;

function iisLog(dir: string): string {
  const p = join(dir, "u_ex210303.log");
  writeFileSync(
    p,
    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
      "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
      "2021-03-03 06:49:44 10.0.0.5 POST /ecp/y.js =cmd|'/c+calc'!A0 443 - 198.51.100.7 ExchangeServicesClient/0.0.0.0 - 200 0 0 12\r\n" +
      "2021-03-03 06:49:45 10.0.0.5 GET /ecp/default.aspx - 443 - 198.51.100.8 Mozilla/5.0 - 200 0 0 12\r\n" +
      "2021-03-03 06:49:46 10.0.0.5 POST /owa/auth.owa - 443 - 198.51.100.9 Mozilla/5.0 - 302 0 0 12\r\n",
  );
  return p;
}

describe("exhunt sigma", () => {
  test("table by default, JSON and CSV on request; exit 1 with matches", (t) => {
    const dir = tempDir(t);
    const rules = join(dir, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "web.yml"), WEB_RULE);
    const log = iisLog(dir);
    const r = runCli([
      "sigma",
      "--rules",
      rules,
      log,
      "--json",
      join(dir, "out.json"),
      "--csv",
      join(dir, "out.csv"),
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /1 rules loaded \(0 event, 1 webserver/);
    assert.match(
      r.stdout,
      /HIGH {2}Test webserver rule {2}\[22222222-2222-3333-4444-555555555555\] {2}by Web Author/,
    );
    const j = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
    assert.equal(j.hits.length, 1);
    assert.equal(j.hits[0].line, 5);
    assert.equal(j.hits[0].host, "198.51.100.7");
    assert.equal(j.hits[0].rule.author, "Web Author");
    const csv = readFileSync(join(dir, "out.csv"), "utf8");
    // The attacker's query starts with `=`: neutralised so a spreadsheet never runs it.
    assert.match(csv, /"\{""cs-uri-query"":""\/ecp\/y\.js\?=cmd/);
    assert.ok(!/(^|,)"=/m.test(csv));
  });

  test("--json - puts JSON alone on stdout; no match is exit 0; unreadable files are listed (exit 3)", (t) => {
    const dir = tempDir(t);
    const rules = join(dir, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "web.yml"), WEB_RULE.replace("'/ecp/'", "'/nothing-here/'"));
    const log = iisLog(dir);
    const clean = runCli(["sigma", "--rules", rules, log, "--json", "-"]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.equal(JSON.parse(clean.stdout).hits.length, 0);
    writeFileSync(join(dir, "junk.bin"), Buffer.from([0, 1, 2, 3, 255, 254]));
    const partial = runCli(["sigma", "--rules", rules, dir]);
    assert.equal(partial.status, 3);
    assert.match(partial.stdout, /not read: .*junk\.bin.*unknown-format/);
  });

  test("bundled rules by default; usage errors exit 2", (t) => {
    const dir = tempDir(t);
    const log = iisLog(dir);
    const r = runCli(["sigma", log]);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.match(r.stdout, /Sigma: \d+ rules loaded/);
    assert.equal(runCli(["sigma", "--rules", join(dir, "missing"), log]).status, 2);
    assert.equal(runCli(["sigma", "--level", "severe", log]).status, 2);
  });
});

describe("sigma rule files that are not rules", () => {
  test("garbage, binary, non-maps and missing sections are problems, never crashes", () => {
    const cases: [string, RegExp][] = [
      ["title: [unclosed\n", /YAML/],
      ["\u0000\u0001\u00ff binary", /./],
      ["- just\n- a list\n", /must be a YAML map/],
      ["title: x\nlogsource: {product: windows}\n", /detection: missing/],
      ["title: x\nlogsource: {product: windows}\ndetection:\n  s: {a: 1}\n", /no condition/],
      [
        "title: x\nlevel: severe\nlogsource: {product: windows}\ndetection:\n  s: {a: 1}\n  condition: s\n",
        /level/,
      ],
      [
        "title: x\nlogsource: {product: windows}\ndetection:\n  s: {a: {b: 1}}\n  condition: s\n",
        /map or a nested list/,
      ],
      ["title: x\naction: global\nlogsource: {product: windows}\n", /multi-document rule collection/],
    ];
    for (const [text, reason] of cases) {
      const r = loadRuleText(text, "bad.yml");
      assert.equal(r.rules.length, 0, text);
      assert.equal(r.problems.length, 1, text);
      assert.match(r.problems[0].reason, reason, text);
    }
  });

  test("a file of several documents loads each, and reports the bad one alone", () => {
    const good =
      "title: g\nid: g1\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 1102}\n  condition: s\n";
    const r = loadRuleText(`${good}---\ntitle: b\nid: b1\ndetection: 3\n---\n`, "multi.yml");
    assert.equal(r.rules.length, 1);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].id, "b1");
  });
});

describe("bundled webserver rules on look-alike traffic", () => {
  test("ECP scripts in build folders, theme GETs and normal ECP POSTs: at most context", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "u_ex210303.log");
    const row = (method: string, stem: string, status = 200) =>
      `2021-03-03 06:49:44 10.0.0.5 ${method} ${stem} - 443 - 10.0.0.7 Mozilla/5.0+(Windows+NT+10.0) - ${status} 0 0 12\r\n`;
    writeFileSync(
      p,
      "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n" +
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
        row("GET", "/owa/auth/Current/themes/resources/logon.css") +
        row("POST", "/ecp/DDI/DDIService.svc/GetList") +
        row("POST", "/ecp/15.1.2176/scripts/a.js") +
        row("POST", "/owa/auth.owa", 302),
    );
    const r = runCli(["sigma", p, "--json", "-"]);
    const hits: { rule: { id: string } }[] = JSON.parse(r.stdout).hits;
    for (const h of hits)
      assert.equal(sigmaEffect({ id: h.rule.id, level: "critical" }), "context", h.rule.id);
  });
});
