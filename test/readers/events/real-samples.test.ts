// Real exports from public repositories (excerpts, sources and licences in test/fixtures/events/real/
// README.md), each read into the canonical event: channel, id, provider, computer, record id, time in
// UTC and parameters; and what each file's notes say about its clock.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EventRecord } from "../../../src/model/records.js";
import { clockOffset } from "../../../src/readers/events/clock.js";
import { hasZone, isoTime } from "../../../src/readers/events/fields.js";
import { readerFor, sniff } from "../../../src/readers/index.js";
import type { ReadStats } from "../../../src/readers/types.js";
import { tempDir } from "../../helpers.js";

const DIR = join(import.meta.dirname, "../../fixtures/events/real");

function read(name: string): { format: string; events: EventRecord[]; stats: ReadStats } {
  const path = name.startsWith("/") ? name : join(DIR, name);
  const size = statSync(path).size;
  const s = sniff(readFileSync(path).subarray(0, 16 * 1024), path);
  assert.ok(s && s.kind === "event", `${name} is recognised as events`);
  const reader = readerFor(s.format);
  assert.ok(reader);
  const events: EventRecord[] = [];
  const stats = reader.read(
    path,
    size,
    s,
    { start: 0, end: size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [] }),
      onRow: () => assert.fail("row"),
      onEvent: (e) => events.push(e),
    },
  );
  assert.equal(stats.badRows, 0, JSON.stringify(stats.badSamples));
  assert.deepEqual(stats.damage, []);
  return { format: s.format, events, stats };
}

describe("real exports read into canonical events", () => {
  it("NXLog JSON (OTRF Security-Datasets, mordor): EventTime is the collector's local clock, converted by EventReceivedTime against @timestamp", () => {
    const { format, events, stats } = read("otrf-mordor-nxlog.jsonl");
    assert.equal(format, "event-json");
    assert.equal(events.length, 2);
    const [a, b] = events;
    assert.equal(a.channel, "Microsoft-Windows-Sysmon/Operational");
    assert.equal(a.provider, "Microsoft-Windows-Sysmon");
    assert.equal(a.eventId, 10);
    assert.equal(a.computer, "WORKSTATION5.theshire.local");
    assert.equal(a.recordId, 403185);
    // EventTime "2020-08-06 12:13:04" at UTC-4 (EventReceivedTime 12:13:07, @timestamp 16:13:07.802Z);
    // Sysmon's own UtcTime (16:13:04.932) confirms it. NXLog writes whole seconds.
    assert.equal(a.time, "2020-08-06T16:13:04.000Z");
    assert.equal(a.data.UtcTime, "2020-08-06 16:13:04.932");
    assert.equal(
      Math.abs(Date.parse(a.time!) - Date.parse(`${a.data.UtcTime.replace(" ", "T")}Z`)) < 1000,
      true,
    );
    assert.equal(b.time, "2020-08-06T16:13:05.000Z");
    // Event parameters are the flat fields; NXLog's own fields are not parameters.
    assert.equal(a.data.SourceImage, "C:\\windows\\system32\\svchost.exe");
    assert.equal(a.data.GrantedAccess, "0x1000");
    for (const meta of ["EventReceivedTime", "SourceModuleName", "Hostname", "Keywords", "@timestamp"])
      assert.equal(meta in a.data, false, meta);
    assert.deepEqual(stats.notes, [
      "2 events: EventTime has no zone; read as the collector's local clock, UTC-04:00 (its EventReceivedTime against the forwarder's @timestamp), and converted to UTC",
    ]);
  });

  it("NXLog JSON without the forwarder's @timestamp: taken as UTC and said so in the notes", (t) => {
    const lines = readFileSync(join(DIR, "otrf-mordor-nxlog.jsonl"), "utf8").trim().split("\n");
    const docs = lines.map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      delete o["@timestamp"];
      return JSON.stringify(o);
    });
    // A temp copy: the fixture stays as published.
    const path = join(tempDir(t), "nxlog-no-timestamp.jsonl");
    writeFileSync(path, `${docs.join("\n")}\n`);
    const { events, stats } = read(path);
    assert.equal(events[0].time, "2020-08-06T12:13:04.000Z");
    assert.deepEqual(stats.notes, [
      "2 events: EventTime has no zone and nothing in the event tells the collector's clock; taken as UTC (if the export was written in local time, these times are off by that machine's UTC offset)",
      // and Sysmon's own UtcTime shows it was local time
      "2 Sysmon events: the exported time is -4 h from the event's own UtcTime; this export's time stamps are probably local time labelled as UTC (kept as exported)",
    ]);
  });

  it("JSON array with EventData as an XML string (OTRF Security-Datasets 2022, Security): TimeCreated, record id, parameters from the XML", () => {
    const { events, stats } = read("otrf-security.json");
    assert.equal(events.length, 1);
    const e = events[0];
    assert.equal(e.channel, "Security");
    assert.equal(e.eventId, 4688);
    assert.equal(e.provider, "Microsoft-Windows-Security-Auditing");
    assert.equal(e.computer, "WORKSTATION6.mssentinel.local");
    assert.equal(e.recordId, 1350050);
    // The event's own TimeCreated, not TimeGenerated (8 h earlier in this export).
    assert.equal(e.time, "2022-09-22T12:31:14.259Z");
    assert.equal(e.data.NewProcessName, "C:\\Windows\\System32\\notepad.exe");
    assert.equal(e.data.CommandLine, '"C:\\Windows\\system32\\notepad.exe"');
    assert.equal(e.data.ParentProcessName, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
    // Read from the XML once (the export repeats every parameter as a top-level field).
    assert.equal(e.values.length, 15);
    assert.equal(stats.notes, undefined);
  });

  it("the same export's Sysmon events: the time disagrees with Sysmon's own UtcTime, and the notes say so", () => {
    const { events, stats } = read("otrf-sysmon.json");
    const e = events[0];
    assert.equal(e.channel, "Microsoft-Windows-Sysmon/Operational");
    assert.equal(e.eventId, 1);
    assert.equal(e.recordId, 3327974);
    assert.equal(e.data.Image, "C:\\Windows\\System32\\notepad.exe");
    assert.equal(e.data.ParentImage, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
    assert.equal(e.time, "2022-09-22T12:31:14.266Z");
    assert.equal(e.data.UtcTime, "2022-09-22 16:31:14.259");
    assert.deepEqual(stats.notes, [
      "1 Sysmon event: the exported time is -4 h from the event's own UtcTime; this export's time stamps are probably local time labelled as UTC (kept as exported)",
    ]);
  });

  it("Log Analytics portal export (Azure-Sentinel sample data, SecurityEvent): US-style times in UTC, flat parameters", () => {
    const { events, stats } = read("sentinel-securityevent.json");
    assert.equal(events.length, 2);
    const [logon, proc] = events;
    assert.equal(logon.eventId, 4624);
    assert.equal(logon.channel, "Security");
    assert.equal(logon.provider, "Microsoft-Windows-Security-Auditing");
    assert.equal(logon.computer, "benjamin-pc");
    assert.equal(logon.recordId, null);
    assert.equal(logon.time, "2022-03-31T10:51:35.857Z");
    assert.equal(logon.data.IpAddress, "104.168.141.190");
    assert.equal(logon.data.LogonType, "3");
    // Log Analytics' own columns are not parameters.
    for (const meta of ["Account", "Activity", "ManagementGroupName", "EventOriginId", "TimeGenerated"])
      assert.equal(meta in logon.data, false, meta);
    // "14:51:35.857 PM": a 24-hour clock with the mark, as the sample has it.
    assert.equal(proc.time, "2022-03-31T14:51:35.857Z");
    assert.equal(proc.eventId, 4688);
    assert.equal(proc.data.NewProcessName, "C:\\tools\\mimikatz_trunk\\x64\\mimikatz.exe");
    assert.equal(proc.data.ParentProcessName, "C:\\Windows\\System32\\cmd.exe");
    assert.equal(stats.notes, undefined);
  });

  it("Windows event XML (elastic/beats test data, rendered by Windows): unnamed parameters in order", () => {
    const { format, events } = read("beats-application-wer.xml");
    assert.equal(format, "event-xml");
    const e = events[0];
    assert.equal(e.channel, "Application");
    assert.equal(e.provider, "Windows Error Reporting");
    assert.equal(e.eventId, 1001);
    assert.equal(e.recordId, 420107);
    assert.equal(e.level, 4);
    assert.equal(e.computer, "vagrant");
    assert.equal(e.time, "2020-02-18T02:52:37.121Z");
    assert.deepEqual(e.data, {});
    assert.equal(e.values.length, 23);
    assert.equal(e.values[2], "WindowsWcpOtherFailure3");
    assert.equal(e.values[7], "Windows::Rtl::AutoHive::Unload");
  });
});

describe("export times: zones", () => {
  it("a zone-less time is read as UTC whatever this machine's zone", () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ["America/New_York", "Asia/Kolkata", "UTC"]) {
        process.env.TZ = tz;
        assert.equal(isoTime("3/31/2022, 10:51:35.857 AM"), "2022-03-31T10:51:35.857Z", tz);
        assert.equal(isoTime("3/31/2022, 2:51:35 PM"), "2022-03-31T14:51:35.000Z", tz);
        assert.equal(isoTime("12/1/2021, 12:05:00.5 AM"), "2021-12-01T00:05:00.500Z", tz);
        assert.equal(isoTime("2021-03-03 07:00:00"), "2021-03-03T07:00:00.000Z", tz);
        assert.equal(isoTime("Wed, 03 Mar 2021 07:00:00"), "2021-03-03T07:00:00.000Z", tz);
        assert.equal(isoTime("2021-03-03T07:00:00+05:30"), "2021-03-03T01:30:00.000Z", tz);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    assert.equal(isoTime("13/31/2022, 10:51:35 AM"), null);
  });

  it("which values name their zone", () => {
    for (const v of [
      "2021-03-03T07:00:00Z",
      "2021-03-03T07:00:00.1234567Z",
      "2021-03-03T07:00:00+01:00",
      "2021-03-03 07:00:00 UTC",
      1614754800,
      "/Date(1614755565123)/",
      { SystemTime: "2021-03-03T07:00:00Z" },
    ])
      assert.equal(hasZone(v), true, String(v));
    for (const v of [
      "2021-03-03 07:00:00",
      "2021-03-03T07:00:00.123",
      "3/31/2022, 10:51:35.857 AM",
      "",
      null,
    ])
      assert.equal(hasZone(v), false, String(v));
  });

  it("a collector's offset: to the quarter hour, only with a transport delay of minutes", () => {
    const utc = Date.parse("2020-08-06T16:13:07.802Z");
    assert.equal(clockOffset(Date.parse("2020-08-06T12:13:07Z"), utc), -240);
    assert.equal(clockOffset(Date.parse("2020-08-06T21:43:09Z"), utc), 330);
    assert.equal(clockOffset(Date.parse("2020-08-06T16:13:07Z"), utc), 0);
    // 20 minutes off a quarter hour: not an offset, a delay or a wrong clock.
    assert.equal(clockOffset(Date.parse("2020-08-06T12:20:07Z"), utc), null);
    // beyond any zone
    assert.equal(clockOffset(Date.parse("2020-08-07T07:13:07Z"), utc), null);
  });
});
