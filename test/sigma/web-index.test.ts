// The webserver rules' field index (sigma/web-index.ts) only skips rules that cannot match: its keys
// and anchors are necessary conditions, tested on the fields. Derivation cases, a positive and a trap,
// and the equivalence over every SigmaHQ webserver rule (../shared/sigma) on rows made from the rules'
// own values (so that most rules match some row) and look-alikes of them: the same (row, rule) matches
// with the index as without it, and the reader's line gate lets every matching row through.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { LogRow } from "../../src/model/records.js";
import { TEXT_FIELD } from "../../src/sigma/anchors.js";
import { WEBSERVER_FIELDS } from "../../src/sigma/logsources.js";
import { compileSources, matchRow, type RuleSet, readRuleSources } from "../../src/sigma/ruleset.js";
import { holdsLiteral, webLineGate, webLiterals } from "../../src/sigma/web-index.js";
import { lineHolds, lineReset } from "../../src/sigma/web-line.js";
import { fakeRow } from "../helpers.js";
import { assertShared, NO_SHARED, SIGMA_RULES } from "./helpers.js";

const webRule = (detection: string) =>
  `title: t\nid: 00000000-0000-0000-0000-0000000000a1\nlevel: high\nlogsource:\n    category: webserver\ndetection:\n${detection}\n`;
const compileWeb = (detection: string, o: { index?: boolean } = {}): RuleSet =>
  compileSources([{ file: "w.yml", licence: null, text: webRule(detection) }], o);

const COLUMNS = ["cs-method", "cs-uri-stem", "cs-uri-query", "sc-status", "cs(User-Agent)", "cs(Referer)"];
function iisRow(v: Partial<Record<string, string>>): LogRow {
  const values: Record<string, string> = {
    "cs-method": "GET",
    "cs-uri-stem": "/owa/",
    "cs-uri-query": "-",
    "sc-status": "200",
    "cs(User-Agent)": "Mozilla/5.0",
    "cs(Referer)": "-",
    "cs-username": "-",
    ...v,
  } as Record<string, string>;
  return fakeRow("iis-w3c", values, { text: Object.values(values).join(" ") });
}
const ids = (set: RuleSet, row: LogRow): string[] => {
  const out: string[] = [];
  matchRow(set, row, (r) => out.push(r.meta.id));
  return out;
};

describe("sigma web index: derivation", () => {
  test("keys and anchors per field, keywords anchored on the line, user-agent literals with spaces", () => {
    const set = compileWeb(
      "    sel:\n        cs-method: POST\n        cs-user-agent|contains: 'python+requests'\n    kw:\n        - 'evil.aspx'\n    condition: sel or kw",
    );
    const r = set.web[0];
    assert.equal(r.keys, null); // the keyword branch has no method
    assert.deepEqual(r.webAnchors, [
      [
        { field: "cs-user-agent", lit: "python requests" },
        { field: TEXT_FIELD, lit: "evil.aspx" },
      ],
    ]);
    const keyed = compileWeb(
      "    sel:\n        cs-method: POST\n        cs-uri-query|contains: '/ecp/'\n    condition: sel",
    ).web[0];
    assert.deepEqual(keyed.keys, [{ field: "cs-method", name: "post" }]);
    // The method is a clause too (a plain value contains itself); the index tests the longer first.
    assert.deepEqual(keyed.webAnchors, [
      [{ field: "cs-method", lit: "post" }],
      [{ field: "cs-uri-query", lit: "/ecp/" }],
    ]);
  });

  test("an AND keeps a clause per branch, `all` one per value; a row with one of them meets none", () => {
    const d =
      "    auto:\n        cs-uri-query|contains: '/autodiscover.json'\n    uri:\n        cs-uri-query|contains:\n            - '/powershell'\n            - '/EWS'\n    both:\n        cs-user-agent|contains|all:\n            - 'curl'\n            - 'x64'\n    condition: auto and uri and both";
    const set = compileWeb(d);
    assert.deepEqual(set.web[0].webAnchors, [
      [{ field: "cs-uri-query", lit: "/autodiscover.json" }],
      [
        { field: "cs-uri-query", lit: "/powershell" },
        { field: "cs-uri-query", lit: "/ews" },
      ],
      [{ field: "cs-user-agent", lit: "curl" }],
      [{ field: "cs-user-agent", lit: "x64" }],
    ]);
    const plain = compileWeb(d, { index: false });
    const hit = iisRow({
      "cs-uri-stem": "/autodiscover/autodiscover.json",
      "cs-uri-query": "a=/EWS/x",
      "cs(User-Agent)": "curl/8.0+(x64)",
    });
    assert.equal(ids(set, hit).length, 1);
    assert.equal(ids(plain, hit).length, 1);
    // Traps: each row lacks one clause (benign Outlook autodiscover; the same URI from another client).
    for (const row of [
      iisRow({
        "cs-uri-stem": "/autodiscover/autodiscover.json",
        "cs-uri-query": "Email=a%40b&Protocol=ActiveSync",
        "cs(User-Agent)": "curl/8.0+(x64)",
      }),
      iisRow({
        "cs-uri-stem": "/autodiscover/autodiscover.json",
        "cs-uri-query": "a=/EWS/x",
        "cs(User-Agent)": "curl/8.0",
      }),
    ]) {
      assert.equal(ids(set, row).length, 0);
      assert.equal(ids(plain, row).length, 0);
    }
  });

  test("an OR joins the best clause of each branch; a NOT branch leaves the rule unanchored", () => {
    const or = compileWeb(
      "    a:\n        cs-uri-query|contains: '/owa/'\n        cs-user-agent|contains: 'python'\n    b:\n        cs-uri-query|contains: 'cmd=read'\n    condition: a or b",
    ).web[0];
    assert.equal(or.webAnchors?.length, 1);
    assert.deepEqual(or.webAnchors?.[0].map((x) => x.lit).sort(), ["cmd=read", "python"]);
    const not = compileWeb(
      "    a:\n        cs-uri-query|contains: '/owa/'\n    b:\n        cs-uri-query|contains: 'cmd=read'\n    condition: a or not b",
    ).web[0];
    assert.equal(not.webAnchors, null);
  });

  test("a rule with keys and anchors matches through the index; rows failing either meet none", () => {
    const d = "    sel:\n        cs-method: POST\n        cs-uri-query|contains: '/ecp/'\n    condition: sel";
    const set = compileWeb(d);
    assert.equal(ids(set, iisRow({ "cs-method": "POST", "cs-uri-stem": "/ECP/x.js" })).length, 1);
    // Traps: the literal elsewhere in the line, or the wrong method.
    assert.equal(
      ids(set, iisRow({ "cs-method": "POST", "cs-uri-stem": "/owa/", "cs(Referer)": "https://x/ecp/" }))
        .length,
      0,
    );
    assert.equal(ids(set, iisRow({ "cs-method": "GET", "cs-uri-stem": "/ecp/x.js" })).length, 0);
  });

  test("an anchor shared by two rules is one test; a clause the keys imply is dropped; dear fields last", () => {
    const rule = (id: string, detection: string) =>
      `title: t\nid: 00000000-0000-0000-0000-0000000000${id}\nlevel: high\nlogsource:\n    category: webserver\ndetection:\n${detection}\n`;
    const sources = [
      // Keys on the user agent (its last segment), a clause on the URI: the URI is read first.
      rule(
        "b1",
        "    sel:\n        cs-user-agent|endswith: '/537.36'\n        cs-uri-query|contains: '/owa/mastermailbox'\n    condition: sel",
      ),
      rule(
        "b2",
        "    sel:\n        cs-method: POST\n        cs-uri-query|contains: '/owa/mastermailbox'\n    condition: sel",
      ),
    ].map((text, i) => ({ file: `r${i}.yml`, licence: null, text }));
    const set = compileSources(sources, {});
    const plain = compileSources(sources, { index: false });
    const ix = set.webIndex;
    assert.ok(ix);
    assert.deepEqual(
      ix.atoms.map((a) => [ix.fields[a.field].name, a.lit]),
      [
        ["cs-user-agent", "/537.36"],
        ["cs-uri-query", "/owa/mastermailbox"],
      ],
    );
    // b2: the `post` clause is implied by the key POST; b1: the URI clause comes before the agent's key
    // (its last segment, `537.36`) and the agent's anchor (`/537.36`, which the key does not imply).
    const steps = (id: string) =>
      ix.rules[set.web.findIndex((r) => r.meta.id.endsWith(id))].steps?.map((s) =>
        s.keys ? "keys" : "atoms",
      );
    assert.deepEqual(steps("b2"), ["keys", "atoms"]);
    assert.deepEqual(steps("b1"), ["atoms", "keys", "atoms"]);
    const ua = "Mozilla/5.0+(Windows+NT+10.0)+AppleWebKit/537.36";
    const hit = iisRow({
      "cs-method": "POST",
      "cs-uri-stem": "/owa/mastermailbox@x.com/powershell",
      "cs(User-Agent)": ua,
    });
    assert.deepEqual(ids(set, hit).sort(), ids(plain, hit).sort());
    assert.equal(ids(set, hit).length, 2);
    // Traps: the literal only in the referer (the field union rejects the URI), the wrong method and agent.
    for (const row of [
      iisRow({
        "cs-method": "POST",
        "cs-uri-stem": "/owa/",
        "cs(User-Agent)": ua,
        "cs(Referer)": "/owa/mastermailbox",
      }),
      iisRow({
        "cs-method": "GET",
        "cs-uri-stem": "/owa/mastermailbox@x.com/",
        "cs(User-Agent)": "curl/8.0",
      }),
    ]) {
      assert.deepEqual(ids(set, row), []);
      assert.deepEqual(ids(plain, row), []);
    }
  });

  test("characters that lower-case to ASCII letters still meet the literal", () => {
    assert.ok(holdsLiteral(/kelvin/i, "\u212aelvin")); // the Kelvin sign lower-cases to k
    assert.ok(!holdsLiteral(/kelvin/i, "celvin"));
    const set = compileWeb("    sel:\n        cs-uri-query|contains: 'kelvin'\n    condition: sel");
    const plain = compileWeb("    sel:\n        cs-uri-query|contains: 'kelvin'\n    condition: sel", {
      index: false,
    });
    const row = iisRow({ "cs-uri-stem": "/\u212aelvin" });
    assert.deepEqual(ids(set, row), ids(plain, row));
  });
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The IIS column a Sigma webserver field is read from (the whole URI: the stem). */
const column = (field: string): string =>
  field === "cs-uri-query" ? "cs-uri-stem" : (WEBSERVER_FIELDS[field] ?? field);
/** A value that a pattern matches: wildcards filled, escapes dropped. */
const fill = (v: unknown): string =>
  String(v)
    .replace(/\\([*?\\])/g, "$1")
    .replace(/[*?]/g, "x");

/** Rows built from a rule's detection: each map's first values together, each value alone, and variants. */
function rowsOf(detection: Obj): LogRow[] {
  const out: LogRow[] = [];
  const maps: Obj[] = [];
  const keywords: string[] = [];
  for (const [k, def] of Object.entries(detection)) {
    if (k === "condition" || k === "timeframe") continue;
    for (const m of Array.isArray(def) ? def : [def]) {
      if (isObj(m)) maps.push(m);
      else if (m !== null) keywords.push(fill(m));
    }
  }
  const together: Record<string, string> = {};
  for (const m of maps) {
    const one: Record<string, string> = {};
    for (const [key, value] of Object.entries(m)) {
      const field = key.split("|")[0];
      const values = (Array.isArray(value) ? value : [value]).filter((x) => x !== null && !isObj(x));
      if (field === "" || values.length === 0) {
        for (const x of values) keywords.push(fill(x));
        continue;
      }
      const col = column(field);
      // contains|all: every value in the field at once
      const v = key.includes("|all") ? values.map(fill).join("/") : fill(values[0]);
      one[col] = v;
      together[col] = v;
      for (const x of values) {
        out.push(iisRow({ [col]: fill(x) }));
        out.push(iisRow({ [col]: fill(x).toUpperCase(), "cs-method": "POST" }));
      }
    }
    out.push(iisRow(one));
    out.push(iisRow({ ...one, "cs-method": "POST" }));
  }
  out.push(iisRow(together));
  for (const status of ["200", "401", "500"]) out.push(iisRow({ ...together, "sc-status": status }));
  if (keywords.length) {
    out.push(iisRow({ ...together, "cs-uri-query": keywords.join("&").replaceAll(" ", "+") }));
    for (const k of keywords) out.push(iisRow({ "cs-uri-query": k.replaceAll(" ", "+") }));
  }
  // Look-alikes: spaces logged as `+`, and the values moved to another field.
  for (const [c, v] of Object.entries(together)) {
    out.push(iisRow({ ...together, [c]: v.replaceAll(" ", "+") }));
    out.push(iisRow({ "cs(Referer)": v, "cs-method": "POST", "sc-status": "401" }));
  }
  return out;
}

describe("sigma web index: equivalence over the SigmaHQ webserver rules", { skip: NO_SHARED }, () => {
  test("every webserver rule finds the same rows with and without the index", (t) => {
    assertShared();
    const sources = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
      .flatMap((f) => readRuleSources(join(SIGMA_RULES, f)))
      .filter((s) => /category:\s*webserver/.test(s.text));
    const indexed = compileSources(sources);
    const plain = compileSources(sources, { index: false });
    assert.ok(indexed.web.length >= 60, `${indexed.web.length} webserver rules`);
    const rows: LogRow[] = [];
    for (const s of sources) {
      const doc = parse(s.text) as Obj;
      if (isObj(doc.detection)) rows.push(...rowsOf(doc.detection));
    }
    // The line tests (the reader's gate: the line as logged, Latin-1, lower-cased) of every rule that
    // matches a row hold on that row (a rule without line tests is never gated).
    const ix = indexed.webIndex;
    assert.ok(ix);
    const lined = ix.line.rules.filter((r) => r.length > 0).length;
    assert.ok(lined >= indexed.web.length * 0.8, `${lined} rules with line tests`);
    const lineHoldsFor = (row: LogRow, ruleIds: string[]): string[] => {
      const lower = Buffer.from(row.text(), "utf8").toString("latin1").toLowerCase();
      lineReset(ix.line);
      return ruleIds.filter(
        (id) => !lineHolds(ix.line, ix.line.rules[indexed.web.findIndex((r) => r.meta.id === id)], lower),
      );
    };
    let found = 0;
    const rulesHit = new Set<string>();
    const differ: string[] = [];
    for (const row of rows) {
      const a = ids(indexed, row);
      const b = ids(plain, row);
      const closed = b.length > 0 ? lineHoldsFor(row, b) : [];
      if (closed.length > 0) differ.push(`line tests fail: ${row.text()} [${closed.join(", ")}]`);
      found += b.length;
      for (const id of b) rulesHit.add(id);
      if (a.join() !== b.join() && differ.length < 20)
        differ.push(
          `${COLUMNS.map((c) => row.get(c)).join(" ")}: indexed [${a.join(", ")}], plain [${b.join(", ")}]`,
        );
    }
    // The reader's gate over the rules with line tests, told which of their gate literals a row holds
    // (as the one-pass search would): every row one of them matches passes.
    const linedSources = sources.filter((_, i) => ix.line.rules[i].length > 0);
    const gated = compileSources(linedSources);
    const gatedPlain = compileSources(linedSources, { index: false });
    const gate = webLineGate(gated.webIndex);
    assert.ok(gate, "the rules with line tests make a gate");
    const gateLits = webLiterals(gated);
    t.diagnostic(`gate literals: ${gateLits ? gateLits.length : "none (every rule tried)"}`);
    for (const row of rows) {
      const b = ids(gatedPlain, row);
      if (b.length === 0) continue;
      const lower = Buffer.from(row.text(), "utf8").toString("latin1").toLowerCase();
      const hits = gateLits ? gateLits.filter((l) => lower.includes(l)) : null;
      if (!gate(lower, hits)) differ.push(`gate closed: ${row.text()} [${b.join(", ")}]`);
    }
    t.diagnostic(
      `${indexed.web.length} rules (${lined} with line tests), ${rows.length} rows, ${found} matches, ${rulesHit.size} rules hit`,
    );
    assert.ok(rulesHit.size >= indexed.web.length / 2, `only ${rulesHit.size} rules matched a row`);
    assert.deepEqual(differ, []);
  });
});
