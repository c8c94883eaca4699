// The raw-line pre-test of the webserver rules (sigma/web-line.ts): each field test becomes literals
// of the line as IIS writes it, and a row passes only when every test of some rule holds. Derivation,
// positives and traps (Exchange's own traffic with one of a rule's literals), and the reader's gate
// through a real scan of a W3C log: the row a rule matches is found, the look-alikes are not made.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TEXT_FIELD } from "../../src/sigma/anchors.js";
import { huntSigma } from "../../src/sigma/hunt.js";
import { compileSources } from "../../src/sigma/ruleset.js";
import { webLineGate } from "../../src/sigma/web-index.js";
import { buildLinePlan, lineForm, lineHolds, lineReset } from "../../src/sigma/web-line.js";

const rule = (id: string, detection: string) =>
  `title: t${id}\nid: 00000000-0000-0000-0000-0000000000${id}\nlevel: high\nlogsource:\n    category: webserver\ndetection:\n${detection}\n`;

describe("sigma web line tests: derivation", () => {
  test("the line forms of field literals", () => {
    assert.equal(lineForm("cs-uri-query", "/ecp/"), "/ecp/");
    // The whole URI has a space in the line where the rule's `?` is: the longest piece stands for it.
    assert.equal(lineForm("cs-uri-query", "autodiscover.json?@"), "autodiscover.json");
    assert.equal(lineForm("cs-uri-query", "?"), null);
    // The user agent is logged with `+` for its spaces (or spaces in look-alike exports).
    assert.equal(lineForm("cs-user-agent", "fuzz faster u fool"), "faster");
    // Raw values hold no space: a literal with one on another field implies nothing of the line.
    assert.equal(lineForm("cs-uri-stem", "a b"), null);
    // Keywords are searched in the line itself.
    assert.equal(lineForm(TEXT_FIELD, "cmd /c"), "cmd /c");
  });

  test("a rule passes only when each of its tests has a literal in the line; keys come last", () => {
    const plan = buildLinePlan([
      [
        [{ field: "cs-method", lits: ["post"], key: true }],
        [{ field: "cs-uri-query", lits: ["/ecp/", "/ecp/default.flt", "/owa/auth/current/"] }],
      ],
    ]);
    // The longer literal that contains `/ecp/` adds nothing; the URI test comes before the key.
    assert.deepEqual(
      plan.rules[0].map((c) => plan.clauses[c].lits),
      [["/owa/auth/current/", "/ecp/"], ["post"]],
    );
    const holds = (line: string) => {
      lineReset(plan);
      return lineHolds(plan, plan.rules[0], line);
    };
    assert.ok(holds("2021-03-03 01:02:03 10.0.0.1 post /ecp/y.js - 443"));
    // Traps: each line lacks one test (a GET of the same page, a POST elsewhere).
    assert.ok(!holds("2021-03-03 01:02:03 10.0.0.1 get /ecp/y.js - 443"));
    assert.ok(!holds("2021-03-03 01:02:03 10.0.0.1 post /ews/exchange.asmx - 443"));
  });

  test("the reader's gate: a rule's literals together open it, one of them alone does not", () => {
    const set = compileSources(
      [
        rule(
          "c1",
          "    sel:\n        cs-method: POST\n        sc-status: 200\n        cs-uri-query|contains: '/autodiscover.json'\n    ps:\n        cs-uri-query|contains:\n            - '/powershell'\n            - '/mapi/nspi'\n    condition: sel and ps",
        ),
      ].map((text, i) => ({ file: `r${i}.yml`, licence: null, text })),
      {},
    );
    const g = webLineGate(set.webIndex);
    assert.ok(g);
    const gate = (lower: string) => g(lower, null);
    const lower = (l: string) => l.toLowerCase();
    assert.ok(gate(lower("POST /autodiscover/autodiscover.json a=/powershell/x 443 - 10.1.1.1 python 200")));
    // Traps: Outlook's autodiscover request, and PowerShell remoting on its own.
    assert.ok(
      !gate(lower("POST /autodiscover/autodiscover.json Email=a%40b&Protocol=EWS 443 - 10.1.1.1 ua 200")),
    );
    assert.ok(!gate(lower("POST /powershell clientApplication=x 80 - 10.1.1.1 ua 200")));
    // A character that lower-cases to an ASCII letter (the Kelvin sign, as UTF-8 read as Latin-1): the
    // field test sees `/powershell`, the line as logged does not; the gate lets it through.
    const k = Buffer.concat([
      Buffer.from("POST /autodiscover/autodiscover.json a=/powers"),
      Buffer.from("\u212a", "utf8"),
      Buffer.from("ell 443 - 1.1.1.1 ua 200"),
    ]);
    assert.ok(gate(k.toString("latin1").toLowerCase()));
  });
});

describe("sigma web line tests: the gate literals the row holds choose the rules tried", () => {
  test("only the rules with a literal containing a hit are tried", () => {
    const set = compileSources(
      [
        rule(
          "d1",
          "    sel:\n        cs-method: POST\n        cs-uri-query|contains: '/owa/calendar/a'\n    condition: sel",
        ),
        rule(
          "d2",
          "    sel:\n        cs-method: GET\n        cs-uri-query|contains: 'cmd=read'\n    condition: sel",
        ),
      ].map((text, i) => ({ file: `r${i}.yml`, licence: null, text })),
      {},
    );
    const gate = webLineGate(set.webIndex);
    assert.ok(gate);
    const both = "get /owa/calendar/a cmd=read 443 post";
    // Told nothing, every rule is tried; told the row holds a piece of d1's literal, d1 alone.
    assert.ok(gate(both, null));
    assert.ok(gate(both, ["/calendar/"]));
    assert.ok(gate(both, ["cmd=re"]));
    // A hit of no rule's literal tries none (the reader only tells hits of the gate's own literals).
    assert.ok(!gate(both, ["/autodiscover"]));
    // d1's line tests fail on a GET-only line even when told its literal is there.
    assert.ok(!gate("get /owa/calendar/a 443", ["/owa/calendar/a"]));
  });
});

describe("sigma web line tests: the reader's gate in a scan", () => {
  test("the attack row is found among Exchange's own rows with the rule's literals", () => {
    const dir = mkdtempSync(join(tmpdir(), "exhunt-webline-"));
    try {
      const text = rule(
        "c2",
        "    sel:\n        cs-method: POST\n        cs-uri-query|contains: '/autodiscover.json'\n    ps:\n        cs-uri-query|contains: '/powershell'\n    condition: sel and ps",
      );
      const set = compileSources([{ file: "r.yml", licence: null, text }], {});
      const head = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        "#Date: 2021-03-03 00:00:00",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
      ];
      const rows: string[] = [];
      for (let i = 0; i < 50; i++) {
        rows.push(
          `2021-03-03 00:00:${String(i).padStart(2, "0")} 10.0.0.5 POST /autodiscover/autodiscover.json Email=u${i}%40corp.example&Protocol=ActiveSync 443 - 10.1.1.${i} Microsoft+Office/16.0 - 200 0 0 15`,
          `2021-03-03 00:01:${String(i).padStart(2, "0")} 10.0.0.5 POST /powershell clientApplication=ActiveMonitor;PSVersion=5.1 80 - 10.0.0.5 Microsoft+WinRM+Client - 200 0 0 31`,
        );
      }
      rows.push(
        "2021-03-03 00:02:00 10.0.0.5 POST /autodiscover/autodiscover.json @evil.example/powershell/?X-Rps-CAT=x 443 - 198.51.100.7 python-requests/2.25.1 - 200 0 0 40",
      );
      const log = join(dir, "u_ex210303.log");
      writeFileSync(log, `${[...head, ...rows].join("\r\n")}\r\n`);
      const res = huntSigma([log], set);
      assert.equal(res.records, rows.length);
      assert.deepEqual(
        res.hits.map((h) => h.line),
        [head.length + rows.length],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
