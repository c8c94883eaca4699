// Sigma 2 correlation rules: event_count, value_count, temporal and temporal_ordered, grouped (also
// through aliases), within a timespan, chained; and the problems a correlation can have.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BaseMatch, baseMatch, capturedFields, runCorrelations } from "../../src/sigma/correlation.js";
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
      bad("    type: value_sum\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 1}").reason,
      /correlation type 'value_sum'/,
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

/** Base rules: EventID 4625 (failed), 4624 (success), 4672 (special privileges) on Security. */
const BASE = `title: Failed logon
id: 30000000-0000-0000-0000-000000000001
name: failed
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Logon
id: 30000000-0000-0000-0000-000000000002
name: success
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
---
title: Privileges
id: 30000000-0000-0000-0000-000000000003
name: privileged
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4672
    condition: selection
`;

interface Ev {
  id: number;
  at: string;
  data: Record<string, string>;
}

function correlateText(correlations: string, events: Ev[]) {
  const loaded = loadRuleText(`${BASE}---\n${correlations}`, "c.yml");
  assert.deepEqual(loaded.problems, []);
  const set = buildRuleSet(loaded);
  assert.deepEqual(set.problems, []);
  const base: BaseMatch[] = [];
  for (const e of events) {
    const ev = event(e.data, { eventId: e.id, channel: "Security", time: e.at });
    matchEvent(set, ev, (rule, view) => {
      const cap = capturedFields(set.correlations, rule);
      if (!cap) return;
      const m = baseMatch(rule, view, ev.time, cap);
      if (m) base.push(m);
    });
  }
  return runCorrelations(set.correlations, base);
}

const TEMPORAL = (type: string, extra = "") => `title: Failed, success and privileges together
id: 30000000-0000-0000-0000-0000000000a1
level: high
correlation:
    type: ${type}
    rules:
        - failed
        - success
        - privileged
    group-by:
        - TargetUserName
    timespan: 10m
${extra}`;

const ev = (id: number, min: number, user: string, more: Record<string, string> = {}): Ev => ({
  id,
  at: t(min),
  data: { TargetUserName: user, ...more },
});

describe("sigma temporal correlations", () => {
  test("temporal: all three rules within the timespan for one user, in any order", () => {
    const hits = correlateText(TEMPORAL("temporal"), [
      ev(4672, 0, "alice"),
      ev(4624, 3, "alice"),
      ev(4625, 5, "alice"),
    ]);
    assert.equal(hits.length, 1);
    assert.equal(hits[0].rule.type, "temporal");
    assert.deepEqual(hits[0].group, { TargetUserName: "alice" });
    assert.equal(hits[0].count, 3);
    assert.equal(hits[0].first, t(0));
    assert.equal(hits[0].last, t(5));
  });

  test("temporal traps: outside the timespan, different group values, a rule missing", () => {
    assert.deepEqual(
      correlateText(TEMPORAL("temporal"), [
        ev(4672, 0, "alice"),
        ev(4624, 3, "alice"),
        ev(4625, 11, "alice"),
      ]),
      [],
      "the third is 11 minutes after the first",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal"), [ev(4672, 0, "alice"), ev(4624, 1, "bob"), ev(4625, 2, "alice")]),
      [],
      "bob's logon does not complete alice's set",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal"), [ev(4625, 0, "alice"), ev(4625, 1, "alice"), ev(4624, 2, "alice")]),
      [],
      "two failures are one rule, not two",
    );
    // The sliding window: the late events complete a set with the later privileges event.
    const slid = correlateText(TEMPORAL("temporal"), [
      ev(4625, 0, "alice"),
      ev(4672, 12, "alice"),
      ev(4624, 13, "alice"),
      ev(4625, 14, "alice"),
    ]);
    assert.deepEqual(
      slid.map((h) => [h.first, h.last]),
      [[t(12), t(14)]],
    );
  });

  test("temporal with a condition: at least 2 of the 3 rules", () => {
    const hits = correlateText(TEMPORAL("temporal", "    condition:\n        gte: 2\n"), [
      ev(4625, 0, "carol"),
      ev(4625, 1, "carol"),
      ev(4624, 2, "carol"),
    ]);
    assert.equal(hits.length, 1);
    assert.equal(hits[0].count, 2);
  });

  test("temporal_ordered: the rules in the order listed; out of order does not match", () => {
    const inOrder = correlateText(TEMPORAL("temporal_ordered"), [
      ev(4624, 0, "dave"), // a success before any failure is not step 1: ignored
      ev(4625, 1, "dave"),
      ev(4625, 2, "dave"),
      ev(4624, 4, "dave"),
      ev(4672, 6, "dave"),
    ]);
    assert.equal(inOrder.length, 1);
    assert.equal(inOrder[0].count, 3);
    assert.equal(inOrder[0].last, t(6));
    assert.deepEqual(
      correlateText(TEMPORAL("temporal_ordered"), [
        ev(4672, 0, "dave"),
        ev(4624, 1, "dave"),
        ev(4625, 2, "dave"),
      ]),
      [],
      "reverse order",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal_ordered"), [
        ev(4625, 0, "dave"),
        ev(4672, 1, "dave"),
        ev(4624, 2, "dave"),
      ]),
      [],
      "privileges before the logon",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal_ordered"), [
        ev(4624, 0, "dave"),
        ev(4625, 1, "dave"),
        ev(4672, 2, "dave"),
      ]),
      [],
      "the logon before the failure (the last step last)",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal_ordered"), [
        ev(4625, 0, "dave"),
        ev(4624, 4, "dave"),
        ev(4672, 12, "dave"),
      ]),
      [],
      "in order, but over 10 minutes",
    );
    assert.deepEqual(
      correlateText(TEMPORAL("temporal_ordered"), [
        ev(4625, 0, "dave"),
        ev(4624, 1, "erin"),
        ev(4672, 2, "dave"),
      ]),
      [],
      "in order, but the logon is another user's",
    );
    // The same events as `temporal` would accept in any order.
    assert.equal(
      correlateText(TEMPORAL("temporal"), [ev(4672, 0, "dave"), ev(4624, 1, "dave"), ev(4625, 2, "dave")])
        .length,
      1,
    );
  });

  test("aliases: one group name for a different field per rule", () => {
    const text = `title: Logon from the address that failed for another user
id: 30000000-0000-0000-0000-0000000000a2
correlation:
    type: temporal_ordered
    rules:
        - failed
        - success
    group-by:
        - address
    timespan: 5m
    aliases:
        address:
            failed: IpAddress
            success: WorkstationAddress
`;
    const hits = correlateText(text, [
      ev(4625, 0, "a", { IpAddress: "10.1.1.1", WorkstationAddress: "-" }),
      ev(4624, 1, "b", { IpAddress: "-", WorkstationAddress: "10.1.1.1" }),
    ]);
    assert.equal(hits.length, 1);
    assert.deepEqual(hits[0].group, { address: "10.1.1.1" });
    assert.deepEqual(
      correlateText(text, [
        ev(4625, 0, "a", { IpAddress: "10.1.1.1", WorkstationAddress: "-" }),
        ev(4624, 1, "b", { IpAddress: "10.1.1.1", WorkstationAddress: "10.9.9.9" }),
      ]),
      [],
      "the same value in the un-aliased field does not join the groups",
    );
  });

  test("a chain: many failures (event_count) followed by a success (temporal_ordered), as in the specification", () => {
    const text = `title: Failures then success
id: 30000000-0000-0000-0000-0000000000a3
level: high
correlation:
    type: temporal_ordered
    rules:
        - many_failed
        - success
    group-by:
        - TargetUserName
    timespan: 10m
---
title: Many failures
id: 30000000-0000-0000-0000-0000000000a4
name: many_failed
correlation:
    type: event_count
    rules:
        - failed
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 3
`;
    const hits = correlateText(text, [
      ev(4624, 0, "frank"),
      ev(4625, 1, "frank"),
      ev(4625, 2, "frank"),
      ev(4624, 2, "gina"),
      ev(4625, 3, "frank"),
      ev(4624, 5, "frank"),
    ]);
    assert.deepEqual(
      hits.map((h) => [h.rule.meta.id, h.group.TargetUserName, h.last]),
      [["30000000-0000-0000-0000-0000000000a3", "frank", t(5)]],
      "only the outer correlation reports; the success must follow the third failure",
    );
    assert.deepEqual(
      correlateText(text, [
        ev(4625, 1, "frank"),
        ev(4625, 2, "frank"),
        ev(4624, 2, "frank"),
        ev(4625, 3, "frank"),
      ]),
      [],
      "the success came before the failures reached 3",
    );
  });

  test("a correlation naming a rule that is not there, a cycle, or an alias of an uncounted rule is refused", () => {
    const problems = (corr: string) => buildRuleSet(loadRuleText(`${BASE}---\n${corr}`, "c.yml")).problems;
    const corr = (id: string, name: string, rules: string[], extra = "") =>
      `title: C ${id}\nid: ${id}\nname: ${name}\ncorrelation:\n    type: temporal\n    rules: [${rules.join(", ")}]\n    group-by: [TargetUserName]\n    timespan: 5m\n${extra}`;
    assert.match(
      problems(corr("c1", "n1", ["failed", "nothere"]))[0].reason,
      /no rule or correlation .* nothere/,
    );
    const cyc = problems(`${corr("c1", "n1", ["failed", "n2"])}---\n${corr("c2", "n2", ["success", "n1"])}`);
    assert.equal(cyc.length, 2);
    for (const p of cyc) assert.match(p.reason, /cycle/);
    assert.match(
      problems(
        corr(
          "c1",
          "n1",
          ["failed", "success"],
          "    aliases:\n        u:\n            privileged: SubjectUserName\n",
        ),
      )[0].reason,
      /aliases name rules the correlation does not count \(u: privileged\)/,
    );
    assert.match(
      loadRuleText(corr("c1", "n1", ["failed"], "    condition: {lt: 2}\n"), "c.yml").problems[0].reason,
      /condition 'lt' for temporal/,
    );
  });
});
