// Hayabusa's csv-timeline (its default output): `Details` holds the event's details template with
// abbreviated names, `ExtraFieldInfo` the other fields by their own names, both as
// `Name: value ¦ Name: value` (Hayabusa splits its templates on " ¦ " and ": "; the 4688 template names
// the new process `Proc`, the Sysmon 11 template the file `Path`). Rows below are made for this test in
// that layout (standard profile columns), not copied from any output.
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { exchangeProcessSpawn } from "../../../src/detections/events/process-spawn.js";
import { draftsOf } from "../../../src/detections/types.js";
import type { EventRecord } from "../../../src/model/records.js";
import { eventCsvReader } from "../../../src/readers/event-csv.js";
import { fromDocument } from "../../../src/readers/events/apply.js";
import { sniff } from "../../../src/readers/index.js";
import { ctx, tempDir } from "../../helpers.js";

const HEADER = "Timestamp,RuleTitle,Level,Computer,Channel,EventID,RecordID,Details,ExtraFieldInfo";
const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const row = (time: string, channel: string, id: number, rec: number, details: string, extra: string) =>
  [
    q(time),
    q("Some Rule"),
    q("high"),
    q("EXCH01.contoso.local"),
    q(channel),
    id,
    rec,
    q(details),
    q(extra),
  ].join(",");

function read(t: { after(fn: () => void): void }, lines: string[]): EventRecord[] {
  const p = join(tempDir(t), "timeline.csv");
  writeFileSync(p, `${[HEADER, ...lines].join("\r\n")}\r\n`);
  const size = statSync(p).size;
  const s = sniff(Buffer.from(`${HEADER}\r\n`), p);
  assert.equal(s?.format, "event-csv");
  const out: EventRecord[] = [];
  const stats = eventCsvReader.read(
    p,
    size,
    s!,
    { start: 0, end: size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [] }),
      onRow: () => {},
      onEvent: (e) => out.push(e),
    },
  );
  assert.equal(stats.badRows, 0, JSON.stringify(stats.badSamples));
  return out;
}

describe("Hayabusa csv-timeline", () => {
  it("4688: Proc is the new process, the parent from ExtraFieldInfo; w3wp → cmd is found", (t) => {
    const [ev] = read(t, [
      row(
        "2021-03-03 09:05:12.123 +02:00",
        "Sec",
        4688,
        5022,
        "Cmdline: cmd.exe /c whoami ¦ Proc: C:\\Windows\\System32\\cmd.exe ¦ PID: 0x2af8 ¦ User: EXCH01$ ¦ LID: 0x3e7",
        "MandatoryLabel: S-1-16-16384 ¦ ParentProcessName: C:\\Windows\\System32\\inetsrv\\w3wp.exe ¦ ProcessId: 0xe5c ¦ SubjectDomainName: CONTOSO ¦ TargetUserName: -",
      ),
    ]);
    assert.equal(ev.provider, "Microsoft-Windows-Security-Auditing");
    assert.equal(ev.channel, "Security");
    assert.equal(ev.time, "2021-03-03T07:05:12.123Z");
    assert.equal(ev.data.NewProcessName, "C:\\Windows\\System32\\cmd.exe");
    assert.equal(ev.data.CommandLine, "cmd.exe /c whoami");
    assert.equal(ev.data.SubjectUserName, "EXCH01$");
    assert.equal(ev.data.ParentProcessName, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    assert.equal(ev.data.TargetUserName, "-", "a value Windows wrote as - stays -");
    assert.ok(!("Image" in ev.data), "in a 4688, Proc is not Image");
    const found = draftsOf(exchangeProcessSpawn.match(ev, ctx("hayabusa/timeline.csv"), new Map()));
    assert.deepEqual(
      found.map((d) => d.check),
      ["w3wp-spawned-shell"],
    );
  });

  it("Sysmon 1 and 11: Proc is Image, Path the created file; a value holding ': ' is kept whole", (t) => {
    const [spawn, file] = read(t, [
      row(
        "2021-03-03 07:05:12.123 +00:00",
        "Sysmon",
        1,
        70,
        "Cmdline: cmd /c echo a: b ¦ Proc: C:\\Windows\\System32\\cmd.exe ¦ User: NT AUTHORITY\\SYSTEM ¦ PID: 4242",
        "ParentImage: C:\\Windows\\System32\\inetsrv\\w3wp.exe ¦ ParentCommandLine: w3wp.exe -ap MSExchangeOWAAppPool",
      ),
      row(
        "2021-03-03 07:06:00.000 +00:00",
        "Sysmon",
        11,
        71,
        "Path: C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx ¦ Proc: C:\\Windows\\System32\\inetsrv\\w3wp.exe ¦ PID: 4100",
        "CreationUtcTime: 2021-03-03 07:06:00.000 ¦ RuleName: -",
      ),
    ]);
    assert.equal(spawn.provider, "Microsoft-Windows-Sysmon");
    assert.equal(spawn.data.Image, "C:\\Windows\\System32\\cmd.exe");
    assert.equal(spawn.data.CommandLine, "cmd /c echo a: b");
    assert.equal(spawn.data.ProcessId, "4242");
    assert.equal(spawn.data.ParentImage, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    assert.ok(!("NewProcessName" in spawn.data));
    assert.equal(file.data.TargetFilename, "C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx");
    assert.equal(file.data.Image, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
  });

  it("unnamed values as Data[n] in order; '-' (nothing to show) gives no parameter", (t) => {
    const [ev] = read(t, [
      row(
        "2021-03-03 07:12:00.000 +00:00",
        "MSExchange Management",
        1,
        102,
        "-",
        "Data[1]: Set-OabVirtualDirectory ¦ Data[2]: -ExternalUrl 'http://f/<script>' ¦ Data[3]: contoso.local/Users/Administrator",
      ),
    ]);
    assert.equal(ev.provider, "MSExchange CmdletLogs");
    assert.deepEqual(ev.values, [
      "Set-OabVirtualDirectory",
      "-ExternalUrl 'http://f/<script>'",
      "contoso.local/Users/Administrator",
    ]);
    assert.deepEqual(ev.data, {});
  });

  it("trap: json-timeline keeps its Details object as it is (no pair splitting of objects)", () => {
    const r = fromDocument({
      Timestamp: "2021-03-03 07:05:12.123 +00:00",
      RuleTitle: "x",
      Level: "high",
      Computer: "EXCH01",
      Channel: "Sec",
      EventID: 4688,
      RecordID: 1,
      Details: { Cmdline: "a ¦ b: c", Proc: "C:\\x.exe" },
    });
    assert.ok(typeof r !== "string");
    assert.equal(r.data.CommandLine, "a ¦ b: c");
    assert.equal(r.data.NewProcessName, "C:\\x.exe");
  });
});
