// Sigma 2 correlation rules: event_count and value_count, grouped, within a timespan; and the
// problems a correlation can have.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BaseMatch, baseMatch, runCorrelations } from "../../src/sigma/correlation.js";
import { loadRuleText } from "../../src/sigma/load.js";
import { buildRuleSet, matchEvent } from "../../src/sigma/ruleset.js";
import { event } from "./helpers.js";

const RULES = `title: Failed logon
id: 10000000-0000-0000-0000-000000000001
name: failed_logon
author: T
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Many failed logons from one address
id: 10000000-0000-0000-0000-000000000002
author: Corr Author
level: high
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        gte: 3
---
title: Password spraying
id: 10000000-0000-0000-0000-000000000003
author: Corr Author
level: high
correlation:
    type: value_count
    rules:
        - 10000000-0000-0000-0000-000000000001
    group-by:
        - IpAddress
    timespan: 10m
    condition:
        field: TargetUserName
        gte: 3
`;

function run(events: { ip: string; user: string; at: string }[]) {
  const loaded = loadRuleText(RULES, "corr.yml");
  assert.deepEqual(loaded.problems, []);
  const set = buildRuleSet(loaded);
  const base: BaseMatch[] = [];
  let reported = 0;
  for (const e of events) {
    const ev = event(
      { IpAddress: e.ip, TargetUserName: e.user },
      { eventId: 4625, channel: "Security", time: e.at },
    );
    matchEvent(set, ev, (rule, view) => {
      if (rule.generate) reported++;
      const m = baseMatch(rule, view, ev.time, ["IpAddress", "TargetUserName"]);
      if (m) base.push(m);
    });
  }
  return { hits: runCorrelations(set.correlations, base), reported };
}

const t = (min: number, sec = 0) => new Date(Date.UTC(2021, 2, 3, 6, min, sec)).toISOString();

describe("sigma correlations", () => {
  test("event_count: 3 within 5 minutes from one address, not from spread-out or mixed addresses", () => {
    const { hits, reported } = run([
      { ip: "10.0.0.1", user: "a", at: t(0) },
      { ip: "10.0.0.2", user: "a", at: t(1) },
      { ip: "10.0.0.1", user: "a", at: t(2) },
      { ip: "10.0.0.1", user: "a", at: t(4, 59) },
      { ip: "10.0.0.2", user: "a", at: t(9) },
      { ip: "10.0.0.2", user: "a", at: t(15) },
    ]);
    const ec = hits.filter((h) => h.rule.type === "event_count");
    assert.equal(ec.length, 1);
    assert.deepEqual(ec[0].group, { IpAddress: "10.0.0.1" });
    assert.equal(ec[0].count, 3);
    assert.equal(ec[0].rule.meta.author, "Corr Author");
    assert.equal(
      reported,
      0,
      "a rule a correlation counts does not report on its own (Sigma 2 generate: false)",
    );
  });

  test("value_count: distinct user names per address, in any record order", () => {
    const { hits } = run([
      { ip: "10.0.0.9", user: "carol", at: t(8) },
      { ip: "10.0.0.9", user: "alice", at: t(1) },
      { ip: "10.0.0.9", user: "alice", at: t(2) },
      { ip: "10.0.0.9", user: "bob", at: t(3) },
    ]);
    const vc = hits.filter((h) => h.rule.type === "value_count");
    assert.equal(vc.length, 1);
    assert.equal(vc[0].count, 3);
    const none = run([
      { ip: "10.0.0.9", user: "alice", at: t(1) },
      { ip: "10.0.0.9", user: "bob", at: t(3) },
      { ip: "10.0.0.9", user: "carol", at: t(30) },
    ]).hits.filter((h) => h.rule.type === "value_count");
    assert.equal(none.length, 0, "outside the timespan");
  });

  test("unsupported correlation types and bad timespans are reported, not dropped", () => {
    const bad = (c: string) =>
      loadRuleText(`title: C\nid: c1\nlevel: high\ncorrelation:\n${c}\n`, "c.yml").problems[0];
    assert.match(
      bad("    type: temporal\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 1}").reason,
      /correlation type 'temporal'/,
    );
    assert.match(
      bad("    type: event_count\n    rules: [a]\n    timespan: soon\n    condition: {gte: 1}").reason,
      /timespan/,
    );
    assert.match(
      bad("    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {about: 1}").reason,
      /condition 'about'/,
    );
  });
});

describe("sigma correlations with an upper bound", () => {
  test("lt: windows are judged when they close, consecutively from a group's first match", () => {
    const text = `title: Logon
id: 20000000-0000-0000-0000-000000000001
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
---
title: Few logons
id: 20000000-0000-0000-0000-000000000002
level: low
correlation:
    type: event_count
    rules:
        - 20000000-0000-0000-0000-000000000001
    group-by:
        - TargetUserName
    timespan: 1h
    condition:
        lt: 2
`;
    const set = buildRuleSet(loadRuleText(text, "lt.yml"));
    const base: BaseMatch[] = [];
    const add = (user: string, min: number) => {
      const ev = event({ TargetUserName: user }, { eventId: 4624, channel: "Security", time: t(min) });
      matchEvent(set, ev, (rule, view) => {
        const m = baseMatch(rule, view, ev.time, ["TargetUserName"]);
        if (m) base.push(m);
      });
    };
    add("busy", 0);
    add("busy", 10);
    add("quiet", 0);
    const hits = runCorrelations(set.correlations, base);
    assert.deepEqual(
      hits.map((h) => [h.group.TargetUserName, h.count]),
      [["quiet", 1]],
    );
  });
});
