// Condition forms (and/or/not, brackets, `1 of sel_*`, `all of them`, `N of`), keyword lists, the
// log source index (4688 renames, channels, event ids) and the IIS webserver fields.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCondition } from "../../src/sigma/condition.js";
import { loadRuleText } from "../../src/sigma/load.js";
import { buildRuleSet, matchEvent, matchRow } from "../../src/sigma/ruleset.js";
import { fakeRow } from "../helpers.js";
import { compileOne, event, problemOf, rowView, ruleYaml, view } from "./helpers.js";

const SELS =
  "    sel_a:\n      Image|endswith: '\\a.exe'\n    sel_b:\n      CommandLine|contains: 'bee'\n    _helper:\n      User: 'x'\n    filter:\n      ParentImage|endswith: '\\ok.exe'\n";
const m = (cond: string, data: Record<string, string>) =>
  compileOne(`${SELS}    condition: ${cond}`).match(view(data));

describe("sigma conditions", () => {
  test("and / or / not with the right precedence (not > and > or) and brackets", () => {
    assert.equal(m("sel_a and not filter", { Image: "C:\\a.exe", ParentImage: "C:\\ok.exe" }), false);
    assert.equal(m("sel_a and not filter", { Image: "C:\\a.exe", ParentImage: "C:\\bad.exe" }), true);
    // `sel_a or sel_b and filter` is `sel_a or (sel_b and filter)`.
    assert.equal(m("sel_a or sel_b and filter", { Image: "C:\\a.exe" }), true);
    assert.equal(m("(sel_a or sel_b) and filter", { Image: "C:\\a.exe" }), false);
    assert.equal(m("not (sel_a or sel_b)", { Image: "C:\\z.exe" }), true);
    assert.equal(m("NOT sel_a AND sel_b", { CommandLine: "bee" }), true);
  });

  test("1 of sel_* / all of sel_* / any of / 2 of", () => {
    assert.equal(m("1 of sel_*", { CommandLine: "a bee" }), true);
    assert.equal(m("1 of sel_*", { Image: "C:\\z.exe" }), false);
    assert.equal(m("all of sel_*", { CommandLine: "bee" }), false);
    assert.equal(m("all of sel_*", { Image: "C:\\a.exe", CommandLine: "bee" }), true);
    assert.equal(m("any of sel_*", { Image: "C:\\a.exe" }), true);
    assert.equal(m("2 of sel_* or filter", { Image: "C:\\a.exe" }), false);
    assert.equal(m("2 of sel_*", { Image: "C:\\a.exe", CommandLine: "bee" }), true);
  });

  test("`them` means every search identifier except those starting with _", () => {
    const data = { Image: "C:\\a.exe", CommandLine: "bee", ParentImage: "C:\\ok.exe" };
    assert.equal(m("all of them", data), true, "_helper (User) is not part of them");
    assert.equal(m("all of them", { Image: "C:\\a.exe", CommandLine: "bee" }), false);
    assert.equal(m("1 of them", { ParentImage: "x\\ok.exe" }), true);
  });

  test("a list of conditions is any of them", () => {
    const r = compileOne(`${SELS}    condition:\n      - sel_a\n      - sel_b`);
    assert.equal(r.match(view({ CommandLine: "bee" })), true);
    assert.equal(r.match(view({ CommandLine: "wasp" })), false);
  });

  test("a list of maps is any of the maps", () => {
    const r = compileOne(
      "    s:\n      - Image|endswith: '\\a.exe'\n      - CommandLine: 'b'\n    condition: s",
    );
    assert.equal(r.match(view({ CommandLine: "b" })), true);
    assert.equal(r.match(view({ CommandLine: "c", Image: "x" })), false);
  });

  test("bad conditions are reported, with what is wrong", () => {
    assert.match(problemOf(`${SELS}    condition: sel_a and`).reason, /ends too early/);
    assert.match(
      problemOf(`${SELS}    condition: sel_a and sel_z`).reason,
      /unknown search identifier 'sel_z'/,
    );
    assert.match(problemOf(`${SELS}    condition: 1 of nothing_*`).reason, /matches no search identifier/);
    assert.match(problemOf(`${SELS}    condition: (sel_a`).reason, /expected '\)'/);
    const agg = problemOf(`${SELS}    condition: sel_a | count() by Image > 5`);
    assert.equal(agg.kind, "unsupported");
    assert.match(agg.reason, /aggregation/);
  });

  test("the parser builds the tree it should", () => {
    assert.deepEqual(parseCondition("a or b and not c", ["a", "b", "c"]), {
      op: "or",
      args: [
        { op: "id", name: "a" },
        {
          op: "and",
          args: [
            { op: "id", name: "b" },
            { op: "not", arg: { op: "id", name: "c" } },
          ],
        },
      ],
    });
  });
});

describe("sigma keyword lists", () => {
  const kw = (yaml: string, values: string[]) =>
    compileOne(yaml).match(view({}, { values, data: {}, channel: "MSExchange Management", eventId: 1 }));

  test("unnamed values are searched in the whole event (any of them)", () => {
    const d =
      "    keywords:\n      - 'Set-OabVirtualDirectory'\n      - 'New-MailboxExportRequest'\n    condition: keywords";
    assert.equal(kw(d, ["New-MailboxExportRequest", "-Mailbox x"]), true);
    assert.equal(kw(d, ["Get-Mailbox"]), false);
  });

  test("'|all' keywords need every value, and see the values as one text", () => {
    const d =
      "    k:\n      '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\n    condition: k";
    assert.equal(kw(d, ["Set-OabVirtualDirectory", "-ExternalUrl 'http://f/<script>'"]), true);
    assert.equal(kw(d, ["Set-OabVirtualDirectory", "-InternalUrl 'http://f'"]), false);
  });

  test("keywords with a named selection", () => {
    const d =
      "    sel:\n      EventID: 1\n    keywords:\n      - 'eval(request'\n    condition: sel and keywords";
    assert.equal(kw(d, ["x eval(Request.Item) y"]), true);
    assert.equal(kw(d, ["x evaluate(request) y"]), false);
  });
});

describe("sigma log sources and the index", () => {
  const load = (detection: string, logsource: string) =>
    buildRuleSet(loadRuleText(ruleYaml(detection, logsource), "t.yml"));
  const hits = (set: ReturnType<typeof load>, ev: ReturnType<typeof event>) => {
    const out: string[] = [];
    matchEvent(set, ev, (r) => out.push(r.meta.id));
    return out.length;
  };

  test("process_creation: Sysmon 1 and Security 4688 with its field renames", () => {
    const set = load(
      "    s:\n      Image|endswith: '\\cmd.exe'\n      ParentImage|endswith: '\\w3wp.exe'\n    condition: s",
      "    product: windows\n    category: process_creation",
    );
    const sysmon = event({ Image: "C:\\Windows\\cmd.exe", ParentImage: "C:\\w3wp.exe" });
    assert.equal(hits(set, sysmon), 1);
    const sec = event(
      { NewProcessName: "C:\\Windows\\cmd.exe", ParentProcessName: "C:\\w3wp.exe" },
      { eventId: 4688, channel: "Security", provider: "Microsoft-Windows-Security-Auditing" },
    );
    assert.equal(hits(set, sec), 1);
    // Other event ids of the same channels never meet the rule.
    assert.equal(hits(set, { ...sysmon, eventId: 11 }), 0);
    assert.equal(hits(set, { ...sec, eventId: 4689 }), 0);
  });

  test("service: msexchange-management is the MSExchange Management channel; the rule's EventID narrows it", () => {
    const set = load(
      "    s:\n      EventID: 6\n    condition: s",
      "    product: windows\n    service: msexchange-management",
    );
    const ev = event({}, { channel: "MSExchange Management", provider: "MSExchange CmdletLogs", eventId: 6 });
    assert.equal(hits(set, ev), 1);
    assert.equal(hits(set, { ...ev, eventId: 1 }), 0);
    assert.equal(hits(set, { ...ev, channel: "Application" }), 0);
    assert.deepEqual([...(set.channels.get("msexchange management")?.byId.keys() ?? [])], [6]);
  });

  test("other products are counted as not in this evidence, with the log source named", () => {
    const set = load(
      "    s:\n      a: b\n    condition: s",
      "    product: linux\n    category: process_creation",
    );
    assert.equal(set.rules.length, 0);
    assert.match(set.notApplicable[0].reason, /linux\/process_creation not in this evidence/);
  });

  test("webserver rules read IIS W3C rows: the whole URI, + for spaces, - for empty", () => {
    const set = load(
      "    s:\n      cs-method: POST\n      cs-uri-query|contains: '/owa/auth/Current/'\n      cs-user-agent|contains: 'Googlebot/2.1 (+http'\n    condition: s",
      "    category: webserver",
    );
    const n = (values: Record<string, string>) => {
      let c = 0;
      matchRow(set, fakeRow("iis-w3c", values), () => c++);
      return c;
    };
    const hit = {
      "cs-method": "POST",
      "cs-uri-stem": "/owa/auth/Current/themes/resources/x.aspx",
      "cs-uri-query": "-",
      "cs(User-Agent)": "Googlebot/2.1+(+http://www.googlebot.com/bot.html)",
    };
    assert.equal(n(hit), 1);
    assert.equal(n({ ...hit, "cs-method": "GET" }), 0);
    assert.equal(n({ ...hit, "cs-uri-stem": "/owa/auth/logon.aspx" }), 0);
    assert.equal(rowView({ "cs-uri-stem": "/a", "cs-uri-query": "b=1" }).get("cs-uri-query"), "/a?b=1");
    assert.equal(rowView({ "cs-uri-stem": "/a", "cs-uri-query": "-" }).get("cs-uri-query"), "/a");
    assert.equal(rowView({ "cs(Referer)": "-" }).get("cs-referer"), "");
  });
});

describe("sigma webserver line literals (the IIS prefilter)", () => {
  const lits = (detection: string) =>
    loadRuleText(ruleYaml(detection, "    category: webserver"), "w.yml").rules[0].lineLiterals;

  test("pieces of the values that the raw W3C line must contain, cut at space, + and ?", () => {
    assert.deepEqual(lits("    s:\n      cs-uri-query|contains: '/owa/auth/x.js?a=1'\n    condition: s"), [
      "/owa/auth/x.js",
    ]);
    assert.deepEqual(
      lits("    s:\n      cs-user-agent|contains: 'Nmap Scripting Engine'\n    condition: s"),
      ["scripting"],
    );
    // AND takes the most selective branch; OR needs every branch.
    assert.deepEqual(
      lits(
        "    a:\n      cs-method: POST\n    b:\n      cs-uri-stem|endswith: '/autodiscover.json'\n    condition: a and b",
      ),
      ["/autodiscover.json"],
    );
    assert.deepEqual(
      lits(
        "    a:\n      cs-uri-stem|contains: '/ecp/'\n    b:\n      cs-uri-stem|contains: '/owa/'\n    condition: a or b",
      ),
      ["/ecp/", "/owa/"],
    );
  });

  test("no literal where a match could lack one: regexes, NOT, short values, null", () => {
    assert.equal(lits("    s:\n      cs-uri-query|re: 'a.b'\n    condition: s"), null);
    assert.equal(lits("    s:\n      cs-uri-stem|contains: '/ecp/'\n    condition: not s"), null);
    assert.equal(lits("    s:\n      sc-status: 20\n    condition: s"), null);
    assert.equal(lits("    s:\n      cs-referer: null\n    condition: s"), null);
  });

  test("a line that matches contains one of its rule's literals (bundled rules, constructed lines)", () => {
    const set = buildRuleSet(
      loadRuleText(
        ruleYaml(
          "    s:\n      cs-method: POST\n      cs-uri-query|contains|all:\n        - '/autodiscover.json'\n        - 'Email=autodiscover'\n    condition: s",
          "    category: webserver",
        ),
        "w.yml",
      ),
    );
    const values = {
      "cs-method": "POST",
      "cs-uri-stem": "/autodiscover/autodiscover.json",
      "cs-uri-query": "@x.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@x.com",
    };
    let n = 0;
    matchRow(set, fakeRow("iis-w3c", values), () => n++);
    assert.equal(n, 1);
    const line = Object.values(values).join(" ").toLowerCase();
    assert.ok(set.web[0].lineLiterals?.some((l) => line.includes(l)));
  });

  test("the line gate finds literals in either case and never hides a rule without literals", () => {
    const yaml = [
      ruleYaml(
        "    s:\n      cs-method: POST\n      cs-uri-query|contains|all:\n        - '/autodiscover.json'\n        - 'Email=autodiscover'\n    condition: s",
        "    category: webserver",
      ),
      ruleYaml("    s:\n      sc-status: 599\n    condition: s", "    category: webserver").replace(
        /^id: .*$/m,
        "id: 5b1e3f0e-7c1a-4d7e-9a51-3a2b1c0d9e8f",
      ),
    ].join("\n---\n");
    const set = buildRuleSet(loadRuleText(yaml, "w.yml"));
    assert.equal(set.web.length, 2);
    const hits = (values: Record<string, string>) => {
      const ids: string[] = [];
      matchRow(set, fakeRow("iis-w3c", values), (r) => ids.push(r.meta.id));
      return ids.length;
    };
    const upper = {
      "cs-method": "POST",
      "cs-uri-stem": "/AutoDiscover/AUTODISCOVER.JSON",
      "cs-uri-query": "@x.com/mapi/nspi/?&EMAIL=AutoDiscover/AutoDiscover.Json%3F@x.com",
      "sc-status": "200",
    };
    assert.equal(hits(upper), 1);
    // No literal of the first rule: the gate may drop that rule, never the literal-free one.
    assert.equal(hits({ "cs-method": "GET", "cs-uri-stem": "/owa/", "sc-status": "599" }), 1);
    assert.equal(hits({ "cs-method": "GET", "cs-uri-stem": "/owa/", "sc-status": "200" }), 0);
  });
});
