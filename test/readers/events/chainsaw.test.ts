// Chainsaw's hunt output: the events its detections wrap, read as the events they are. Layouts from
// WithSecureLabs/chainsaw (GPL; nothing of it is copied here, the fixtures below are made for this test):
// Chainsaw 1 `hunt -j` writes `[{"detection": [rule names], "event": {"Event": …evtx_dump…}}]`
// (e2e/hunt_expected.json, in both evtx_dump attribute layouts across releases); Chainsaw 2
// `hunt --json`/`--jsonl` writes one detection per rule hit (src/cli.rs `Detection`), `kind` "individual"
// with `document: {kind, path, data}` or "aggregate" with `documents: [...]` (src/hunt.rs `Kind`).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { scan } from "../../../src/index.js";
import { eventJsonReader } from "../../../src/readers/event-json.js";
import { sniff } from "../../../src/readers/index.js";
import { readEventFile } from "../../events-helpers.js";
import { scenarioRecords } from "../../events-scenario.js";
import { chainsawJson, chainsawSearchYaml, chainsawV1Json, type Rec } from "../../export-writers.js";
import { tempDir, tempFile } from "../../helpers.js";

function read(path: string) {
  return readEventFile(path, eventJsonReader);
}

/** A Security 1102 in evtx_dump's separate-attributes layout (`X_attributes` next to `X`). */
const CLEARED = {
  Event: {
    System: {
      Channel: "Security",
      Computer: "EXCH01.contoso.local",
      Correlation: null,
      EventID: 1102,
      EventRecordID: 5021,
      Execution_attributes: { ProcessID: 900, ThreadID: 1200 },
      Level: 4,
      Provider_attributes: {
        Guid: "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}",
        Name: "Microsoft-Windows-Eventlog",
      },
      TimeCreated_attributes: { SystemTime: "2021-03-04T02:10:11.250000Z" },
    },
    UserData: {
      LogFileCleared: { SubjectDomainName: "CONTOSO", SubjectUserName: "mallory", SubjectLogonId: "0x3e7" },
      LogFileCleared_attributes: { xmlns: "http://manifests.microsoft.com/win/2004/08/windows/eventlog" },
    },
  },
  Event_attributes: { xmlns: "http://schemas.microsoft.com/win/2004/08/events/event" },
};

/** A 4688 under w3wp in evtx_dump's default layout (`X: {"#attributes": …}`). */
const SPAWN = {
  Event: {
    "#attributes": { xmlns: "http://schemas.microsoft.com/win/2004/08/events/event" },
    System: {
      Channel: "Security",
      Computer: "EXCH01.contoso.local",
      EventID: 4688,
      EventRecordID: 5022,
      Level: 0,
      Provider: { "#attributes": { Name: "Microsoft-Windows-Security-Auditing" } },
      TimeCreated: { "#attributes": { SystemTime: "2021-03-04T02:11:00.000000Z" } },
    },
    EventData: {
      NewProcessName: "C:\\Windows\\System32\\cmd.exe",
      ParentProcessName: "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
      CommandLine: "cmd /c whoami",
      SubjectUserName: "EXCH01$",
    },
  },
};

const detection = (name: string, kind: Record<string, unknown>) => ({
  group: "Sigma",
  ...kind,
  name,
  timestamp: "2021-03-04T02:10:11+00:00",
  authors: ["someone"],
  level: "high",
  source: "sigma",
  status: "stable",
});
const doc = (data: unknown, path = "C:\\evidence\\Security.evtx") => ({ kind: "evtx", path, data });
const individual = (name: string, data: unknown, path?: string) =>
  detection(name, { kind: "individual", document: doc(data, path) });

describe("Chainsaw 1 hunt -j", () => {
  it("each entry's event is read as evtx_dump, in either attribute layout", (t) => {
    const p = tempFile(
      t,
      "chainsaw1.json",
      JSON.stringify([
        { detection: ["(Built-in Logic) - Security audit log was cleared"], event: CLEARED },
        { detection: ["rule one", "rule two"], event: SPAWN },
      ]),
    );
    const { events, stats } = read(p);
    assert.equal(stats.badRows, 0, JSON.stringify(stats.badSamples));
    assert.deepEqual(
      events.map((e) => [e.eventId, e.provider, e.channel, e.recordId, e.time]),
      [
        [1102, "Microsoft-Windows-Eventlog", "Security", 5021, "2021-03-04T02:10:11.250Z"],
        [4688, "Microsoft-Windows-Security-Auditing", "Security", 5022, "2021-03-04T02:11:00.000Z"],
      ],
    );
    assert.equal(events[0].data.SubjectUserName, "mallory");
    assert.ok(!("xmlns" in events[0].data), "attribute siblings are not parameters");
    assert.equal(events[1].data.ParentProcessName, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    assert.equal(stats.notes, undefined, "Chainsaw 1 lists an event once: nothing repeated");
  });

  it("in a scan: the log clear and the web-shell command are found, the file read by event-json", async (t) => {
    const dir = tempDir(t);
    const p = join(dir, "EXCH01/chainsaw/hunt.json");
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(
      p,
      JSON.stringify([
        { detection: ["a"], event: CLEARED },
        { detection: ["b"], event: SPAWN },
      ]),
    );
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const checks = s.findings
      .map((f) => f.check)
      .filter((c) => c !== "log-coverage" && !c.startsWith("exposure-"));
    assert.ok(checks.includes("event-log-cleared"), checks.join(", "));
    assert.ok(checks.includes("w3wp-spawned-shell"), checks.join(", "));
    assert.equal(s.findings.find((f) => f.check === "event-log-cleared")?.evidence.User, "CONTOSO\\mallory");
    const acc = s.files?.files.find((f) => f.file.endsWith("hunt.json"));
    assert.equal(acc?.reader, "event-json");
    assert.equal(acc?.records, 2);
    assert.deepEqual(s.skipped, []);
  });
});

describe("Chainsaw 2 hunt --json", () => {
  it("an event matched by several rules is read once, and the repeats are counted in the notes", (t) => {
    const p = tempFile(
      t,
      "hits.json",
      JSON.stringify(
        [
          individual("rule A", CLEARED),
          individual("rule B", CLEARED),
          individual("rule C", CLEARED),
          individual("rule A", SPAWN),
        ],
        null,
        2,
      ),
    );
    const { events, stats } = read(p);
    assert.deepEqual(
      events.map((e) => e.eventId),
      [1102, 4688],
    );
    assert.equal(stats.records, 2);
    assert.match(
      (stats.notes ?? []).join("\n"),
      /^2 repeated events in the Chainsaw 2 hunt JSON .*read once$/m,
    );
  });

  it("an aggregate detection gives each of its documents; one also listed alone is read once", (t) => {
    const third = structuredClone(SPAWN);
    third.Event.System.EventRecordID = 5023;
    third.Event.EventData.CommandLine = "cmd /c net user";
    const p = tempFile(
      t,
      "hits.jsonl",
      [
        individual("rule A", SPAWN),
        detection("count rule", { kind: "aggregate", documents: [doc(CLEARED), doc(SPAWN), doc(third)] }),
      ]
        .map((x) => JSON.stringify(x))
        .join("\n"),
    );
    const { events, lines, stats } = read(p);
    assert.deepEqual(
      events.map((e) => e.recordId),
      [5022, 5021, 5023],
    );
    assert.deepEqual(lines, [1, 2, 2], "an aggregate's events are at its line");
    assert.match((stats.notes ?? []).join("\n"), /^1 repeated event /m);
  });

  it("trap: the same event from two different files is two events (as the two .evtx would be)", (t) => {
    const p = tempFile(
      t,
      "hits.json",
      JSON.stringify([
        individual("rule A", CLEARED, "C:\\evidence\\Security.evtx"),
        individual("rule A", CLEARED, "D:\\vss\\Security.evtx"),
      ]),
    );
    const { events, stats } = read(p);
    assert.equal(events.length, 2);
    assert.equal(stats.notes, undefined);
  });

  it("trap: identical unwrapped events are not merged (only a wrapper's repeats are)", (t) => {
    const p = tempFile(t, "dump.jsonl", `${JSON.stringify(CLEARED)}\n${JSON.stringify(CLEARED)}\n`);
    assert.equal(read(p).events.length, 2);
  });

  it("hits on other artefacts (MFT, hives) are counted in the notes, not read and not bad rows", (t) => {
    const mft = (name: string) =>
      detection(name, {
        kind: "individual",
        document: {
          kind: "mft",
          path: "C:\\$MFT",
          data: { FileNamePath: `${name}.aspx`, IsADirectory: false },
        },
      });
    const p = tempFile(
      t,
      "hits.json",
      JSON.stringify([
        individual("rule A", SPAWN),
        mft("a"),
        mft("b"),
        detection("hive rule", {
          kind: "individual",
          document: { kind: "hve", path: "C:\\Amcache.hve", data: { x: 1 } },
        }),
      ]),
    );
    const { events, stats } = read(p);
    assert.equal(events.length, 1);
    assert.equal(stats.badRows, 0);
    assert.deepEqual(stats.damage, []);
    assert.match(
      (stats.notes ?? []).join("\n"),
      /hits on other artefacts, not events, not read \(1 hve, 2 mft\)/,
    );
  });

  it("trap: an evtx document no map knows is still a bad row naming what it held", (t) => {
    const p = tempFile(
      t,
      "hits.json",
      JSON.stringify([individual("rule A", SPAWN), individual("rule B", { Record: { Id: 1, Text: "x" } })]),
    );
    const { events, stats } = read(p);
    assert.equal(events.length, 1);
    assert.equal(stats.badRows, 1);
    assert.match(stats.badSamples[0].reason, /^Chainsaw 2 hunt JSON .*no field map knows .*Record/);
  });

  it("a hunt whose first hit is on an MFT entry is still claimed and its events read", (t) => {
    const mft = detection("mft rule", {
      kind: "individual",
      document: { kind: "mft", path: "C:\\$MFT", data: { FileNamePath: "x.aspx" } },
    });
    const { events, stats } = read(
      tempFile(t, "hits.json", JSON.stringify([mft, individual("rule A", SPAWN)])),
    );
    assert.equal(events.length, 1);
    assert.match((stats.notes ?? []).join("\n"), /\(1 mft\)/);
  });
});

describe("wrappers: traps", () => {
  const claimed = (text: string) => sniff(Buffer.from(text), "x.json")?.format ?? null;

  it("JSON with the wrappers' key names but no event inside is not claimed", () => {
    assert.equal(claimed('[{"detection":"phishing","event":{"type":"click","Event":{"x":1}}}]'), null);
    assert.equal(claimed('{"kind":"library","documents":[{"title":"a","data":{"pages":3}}]}\n'), null);
    assert.equal(
      claimed('{"kind":"individual","document":{"kind":"pdf","data":{"FileNamePath":"a"}}}\n'),
      null,
    );
  });

  it("an event that has wrapper-like keys of its own is read by its map, not unwrapped", (t) => {
    const ecs = {
      "@timestamp": "2021-03-04T02:11:00.000Z",
      event: { code: "4688", kind: "event", Event: "not a wrapped event" },
      detection: "none",
      winlog: {
        event_id: 4688,
        provider_name: "Microsoft-Windows-Security-Auditing",
        channel: "Security",
        event_data: { NewProcessName: "C:\\Windows\\System32\\cmd.exe" },
      },
    };
    const { events } = read(tempFile(t, "beats.ndjson", `${JSON.stringify(ecs)}\n`));
    assert.equal(events.length, 1);
    assert.equal(events[0].data.NewProcessName, "C:\\Windows\\System32\\cmd.exe");
  });
});

describe("the parity generators follow Chainsaw's layouts", () => {
  const evs = scenarioRecords() as Rec[];
  const keys = (o: unknown) => Object.keys(o as object).sort();

  it("Chainsaw 1: the keys of e2e/hunt_expected.json (both attribute layouts)", () => {
    const [sep] = JSON.parse(chainsawV1Json(evs, "_attributes"));
    assert.deepEqual(keys(sep), ["detection", "event"]);
    assert.ok(Array.isArray(sep.detection));
    assert.deepEqual(keys(sep.event), ["Event", "Event_attributes"]);
    for (const k of ["Provider_attributes", "TimeCreated_attributes", "EventID", "EventRecordID", "Channel"])
      assert.ok(k in sep.event.Event.System, k);
    const cleared = JSON.parse(chainsawV1Json(evs, "_attributes")).find(
      (x: { event: { Event: { UserData?: unknown } } }) => x.event.Event.UserData,
    );
    assert.deepEqual(keys(cleared.event.Event.UserData), ["LogFileCleared", "LogFileCleared_attributes"]);
    const [plain] = JSON.parse(chainsawV1Json(evs, "#attributes"));
    assert.ok("#attributes" in plain.event.Event.System.Provider);
  });

  it("Chainsaw 2: the members of src/cli.rs Detection with src/hunt.rs Kind flattened", () => {
    const all = JSON.parse(chainsawJson(evs, { repeats: true }));
    const one = all.find((d: { kind: string }) => d.kind === "individual");
    const agg = all.find((d: { kind: string }) => d.kind === "aggregate");
    const members = ["authors", "group", "kind", "level", "name", "source", "status", "timestamp"];
    assert.deepEqual(keys(one), [...members, "document"].sort());
    assert.deepEqual(keys(agg), [...members, "documents"].sort());
    assert.deepEqual(keys(one.document), ["data", "kind", "path"]);
    assert.equal(one.document.kind, "evtx");
  });

  it("search: YAML documents after --- lines, the event under Event (e2e/search_expected.yml)", () => {
    const text = chainsawSearchYaml(evs.slice(0, 2));
    assert.match(text, /^---\nEvent:\n {2}"#attributes":\n {4}xmlns: /);
    assert.equal(text.split(/^---$/m).length, 3);
  });
});
