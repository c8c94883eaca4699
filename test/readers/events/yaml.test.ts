// Chainsaw's `search` output (YAML, its default): each hit a YAML document of the evtx_dump event.
// Layout from WithSecureLabs/chainsaw e2e/search_expected.yml (GPL; nothing of it is copied: the
// fixture below is made for this test in that layout: `---`, the event, a blank line; strings that
// would read as numbers quoted, as serde_yaml writes them).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { scan } from "../../../src/index.js";
import { eventYamlReader } from "../../../src/readers/event-yaml.js";
import { fromDocument } from "../../../src/readers/events/apply.js";
import { sniff } from "../../../src/readers/index.js";
import { readEventFile } from "../../events-helpers.js";
import { tempDir, tempFile } from "../../helpers.js";

const SEARCH = `---
Event:
  "#attributes":
    xmlns: "http://schemas.microsoft.com/win/2004/08/events/event"
  EventData:
    CommandLine: "cmd.exe /c whoami /all"
    Image: "C:\\\\Windows\\\\System32\\\\cmd.exe"
    ParentImage: "C:\\\\Windows\\\\System32\\\\inetsrv\\\\w3wp.exe"
    ParentCommandLine: "c:\\\\windows\\\\system32\\\\inetsrv\\\\w3wp.exe -ap \\"MSExchangeOWAAppPool\\""
    ProcessId: 4242
    LogonId: "0x3e7"
    Counter: 18446744073709551615
    RuleName: ""
    Extra: ~
  System:
    Channel: Microsoft-Windows-Sysmon/Operational
    Computer: EXCH01.contoso.local
    Correlation: ~
    EventID: 1
    EventRecordID: 77001
    Keywords: "0x8000000000000000"
    Level: 4
    Provider:
      "#attributes":
        Guid: 5770385F-C22A-43E0-BF4C-06F5698FFBD9
        Name: Microsoft-Windows-Sysmon
    TimeCreated:
      "#attributes":
        SystemTime: "2021-03-03T07:05:12.123456Z"

---
Event:
  "#attributes":
    xmlns: "http://schemas.microsoft.com/win/2004/08/events/event"
  System:
    Channel: Security
    Computer: EXCH01.contoso.local
    EventID: 1102
    EventRecordID: 5021
    Level: 4
    Provider:
      "#attributes":
        Name: Microsoft-Windows-Eventlog
    TimeCreated:
      "#attributes":
        SystemTime: "2021-03-04T02:10:11.250000Z"
  UserData:
    LogFileCleared:
      "#attributes":
        xmlns: "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
      SubjectDomainName: CONTOSO
      SubjectUserName: mallory

`;

function read(path: string) {
  return readEventFile(path, eventYamlReader);
}

describe("Chainsaw search YAML", () => {
  it("each document is the evtx_dump event it holds, values as written", (t) => {
    const { events, lines, stats } = read(tempFile(t, "search.yml", SEARCH));
    assert.equal(stats.badRows, 0, JSON.stringify(stats.badSamples));
    assert.deepEqual(stats.damage, []);
    assert.deepEqual(lines, [2, 32]);
    const [spawn, cleared] = events;
    assert.equal(spawn.eventId, 1);
    assert.equal(spawn.provider, "Microsoft-Windows-Sysmon");
    assert.equal(spawn.recordId, 77001);
    assert.equal(spawn.time, "2021-03-03T07:05:12.123Z");
    assert.equal(spawn.data.ParentImage, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    assert.equal(
      spawn.data.ParentCommandLine,
      'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool"',
    );
    assert.equal(spawn.data.LogonId, "0x3e7", "a quoted hex value stays text");
    assert.equal(spawn.data.Counter, "18446744073709551615", "64-bit values are not rounded");
    assert.equal(spawn.data.RuleName, "");
    assert.equal(spawn.data.Extra, "", "~ is null, as in the JSON");
    assert.equal(cleared.eventId, 1102);
    assert.equal(cleared.data.SubjectUserName, "mallory");
    assert.ok(!("xmlns" in cleared.data));
  });

  it("the same events as evtx_dump JSON give the same records", (t) => {
    const { events } = read(tempFile(t, "search.yml", SEARCH));
    const asJson = [
      {
        Event: {
          EventData: {
            CommandLine: "cmd.exe /c whoami /all",
            Image: "C:\\Windows\\System32\\cmd.exe",
            ParentImage: "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
            ParentCommandLine: 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool"',
            ProcessId: 4242,
            LogonId: "0x3e7",
            Counter: "18446744073709551615",
            RuleName: "",
            Extra: null,
          },
          System: {
            Channel: "Microsoft-Windows-Sysmon/Operational",
            Computer: "EXCH01.contoso.local",
            EventID: 1,
            EventRecordID: 77001,
            Level: 4,
            Provider: { "#attributes": { Name: "Microsoft-Windows-Sysmon" } },
            TimeCreated: { "#attributes": { SystemTime: "2021-03-03T07:05:12.123456Z" } },
          },
        },
      },
    ].map((d) => fromDocument(d));
    assert.deepEqual(events[0], asJson[0]);
  });

  it("in a scan: the web-shell command and the log clear are found", async (t) => {
    const dir = tempDir(t);
    const p = join(dir, "EXCH01/chainsaw/search.yml");
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, SEARCH);
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const checks = s.findings.map((f) => f.check);
    assert.ok(checks.includes("w3wp-spawned-shell"), checks.join(", "));
    assert.ok(checks.includes("event-log-cleared"), checks.join(", "));
    assert.equal(s.findings.find((f) => f.check === "w3wp-spawned-shell")?.source.line, 2);
    const acc = s.files?.files.find((f) => f.file.endsWith("search.yml"));
    assert.equal(acc?.reader, "event-yaml");
    assert.equal(acc?.records, 2);
    assert.deepEqual(s.skipped, []);
  });

  it("a document that is not YAML is a bad row with its line; a cut-off last line is damage", (t) => {
    const [first, second] = SEARCH.split(/^(?=---$)/m);
    const broken = second.replace("    EventID: 1102\n", "    EventID: 1102\n    EventID: 1103\n");
    const { events, stats } = read(
      tempFile(t, "bad.yml", `${first}${broken}${first}---\nEvent:\n  System:\n    EventID: 4`),
    );
    assert.deepEqual(
      events.map((e) => e.eventId),
      [1, 1, 4],
      "the documents around the broken one are read",
    );
    assert.equal(stats.badRows, 1);
    assert.equal(stats.badSamples[0].line, 32);
    assert.equal(stats.badSamples[0].reason, "not YAML: Map keys must be unique (line 39)");
    assert.match(stats.damage.join("\n"), /last line is cut off/);
  });
});

describe("YAML that is not Chainsaw output", () => {
  const claimed = (text: string) => sniff(Buffer.from(text), "x.yml")?.format ?? null;

  it("a Sigma rule, a compose file, Format-List text and a YAML of other things are not claimed", () => {
    assert.equal(
      claimed(
        "title: Exchange web shell\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 1\n",
      ),
      null,
    );
    assert.equal(claimed("services:\n  web:\n    image: nginx\n"), null);
    assert.equal(
      claimed(
        "\r\nTimeCreated  : 3/3/2021 7:05:12 AM\r\nProviderName : MSExchange CmdletLogs\r\nId           : 1\r\nMessage      : Cmdlet suceeded.\r\n",
      ),
      null,
    );
    assert.equal(claimed("---\nEvent:\n  name: party\n  place: garden\n"), null);
  });

  it("aliases are not expanded", (t) => {
    const bomb = `---\nEvent:\n  System: &a\n    EventID: 1\n    Channel: Security\n    TimeCreated:\n      "#attributes":\n        SystemTime: "2021-03-03T07:00:00Z"\n  EventData:\n    A: *a\n`;
    const { events } = read(tempFile(t, "alias.yml", bomb));
    assert.equal(events.length, 1);
    assert.equal(events[0].data.A, "");
  });

  it("in a scan, a .yml that is no event export is listed as not read", async (t) => {
    const dir = tempDir(t);
    const p = join(dir, "EXCH01/tools/rule.yml");
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, "title: x\ndetection:\n  condition: sel\n");
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const acc = s.files?.files.find((f) => f.file.endsWith("rule.yml"));
    assert.equal(acc?.outcome, "not-read");
  });
});
