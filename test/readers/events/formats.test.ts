// The field-map reader: name variants of flat exports, rendered-message parsing (through the existing
// detections), JSON layouts, CSV quoting, unknown exports listed with their keys, bad input; and the
// generators checked against real samples (the Sigma twins are real evtx_dump output; evtxexport reads
// what the EVTX writer writes).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { exchangeCmdlets } from "../../../src/detections/events/exchange-cmdlets.js";
import { logCleared } from "../../../src/detections/events/log-cleared.js";
import { exchangeProcessSpawn } from "../../../src/detections/events/process-spawn.js";
import { draftsOf, type EventDetection } from "../../../src/detections/types.js";
import { classifyHead } from "../../../src/evidence/classify.js";
import type { EventRecord } from "../../../src/model/records.js";
import { eventClixmlReader } from "../../../src/readers/event-clixml.js";
import { eventCsvReader } from "../../../src/readers/event-csv.js";
import { eventJsonReader } from "../../../src/readers/event-json.js";
import { fromDocument } from "../../../src/readers/events/apply.js";
import { jsonSplitter } from "../../../src/readers/events/json-stream.js";
import { fillFromMessage } from "../../../src/readers/events/message.js";
import { readEvtxEvents } from "../../../src/readers/evtx/index.js";
import { sniff } from "../../../src/readers/index.js";
import { event, readEventFile } from "../../events-helpers.js";
import { scenarioRecords } from "../../events-scenario.js";
import { writeEvtx } from "../../evtx-writer.js";
import {
  EVTXECMD_COLUMNS,
  evtxDumpJsonl,
  evtxecmdCsv,
  powershellClixml,
  type Rec,
} from "../../export-writers.js";
import { CORPUS, ctx, NO_CORPUS, tempDir } from "../../helpers.js";

const C = ctx("exports/x.json");
const run = (d: EventDetection, ev: EventRecord) => draftsOf(d.match(ev, C, new Map()));
const rec = (doc: unknown): EventRecord => {
  const r = fromDocument(doc);
  assert.ok(typeof r !== "string", String(r));
  return r;
};

describe("flat exports: the name variants", () => {
  it("EventID/EventId/event_id, SourceName/ProviderName/Provider_Name, Hostname/Computer, four time fields", () => {
    const variants = [
      {
        EventID: 4688,
        SourceName: "Microsoft-Windows-Security-Auditing",
        Hostname: "h",
        EventTime: "2021-03-03 07:00:00",
        Channel: "Security",
      },
      {
        EventId: "4688",
        ProviderName: "Microsoft-Windows-Security-Auditing",
        Computer: "h",
        TimeCreated: "2021-03-03T07:00:00.0000000Z",
        channel: "security",
      },
      {
        event_id: 4688,
        Provider_Name: "Microsoft-Windows-Security-Auditing",
        Hostname: "h",
        "@timestamp": "2021-03-03T07:00:00Z",
        Channel: "SECURITY",
      },
      {
        EventID: 4688,
        ProviderName: "Microsoft-Windows-Security-Auditing",
        Computer: "h",
        TimeGenerated: "2021-03-03T07:00:00.000Z",
        channel: "Security",
      },
    ];
    for (const v of variants) {
      const r = rec({
        ...v,
        NewProcessName: "C:\\Windows\\System32\\cmd.exe",
        ParentProcessName: "C:\\w\\w3wp.exe",
      });
      assert.equal(r.eventId, 4688);
      assert.equal(r.provider, "Microsoft-Windows-Security-Auditing");
      assert.equal(r.computer, "h");
      assert.equal(r.time, "2021-03-03T07:00:00.000Z");
      assert.equal(r.channel, "Security", "channel names in Windows' spelling whatever the export's case");
      assert.equal(r.data.NewProcessName, "C:\\Windows\\System32\\cmd.exe");
      assert.ok(!("Hostname" in r.data) && !("EventTime" in r.data), "collector fields are not parameters");
      assert.equal(run(exchangeProcessSpawn, r).length, 1);
    }
  });

  it("PowerShell 5 /Date(ms)/ times and Velociraptor epoch seconds", () => {
    assert.equal(
      rec({ Id: 1, ProviderName: "P", LogName: "L", TimeCreated: "/Date(1614754800000)/" }).time,
      "2021-03-03T07:00:00.000Z",
    );
    assert.equal(
      rec({
        System: { EventID: { Value: 1 }, Provider: { Name: "P" }, TimeCreated: { SystemTime: 1614754800.5 } },
      }).time,
      "2021-03-03T07:00:00.500Z",
    );
  });

  it("a JSON document no map knows is refused with its keys", () => {
    const r = fromDocument({ EventIdentifier: 4688, LogFile: "Security" });
    assert.equal(typeof r, "string");
    assert.match(String(r), /keys: EventIdentifier, LogFile/);
  });
});

describe("rendered messages: parsed into the parameters the detections read", () => {
  const mgmt = (message: string, eventId = 1) =>
    rec({
      EventID: eventId,
      SourceName: "MSExchange CmdletLogs",
      Channel: "MSExchange Management",
      Hostname: "h",
      Message: message,
    });

  it("a message-only Set-OabVirtualDirectory is the CVE-2021-27065 web-shell write", () => {
    const r = mgmt(
      'Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["k"],"unsafe");}</script>" -Identity "OAB (Default Web Site)".',
    );
    assert.equal(r.values[0], "Set-OabVirtualDirectory");
    assert.deepEqual(
      run(exchangeCmdlets, r).map((d) => d.check),
      ["cve-2021-27065-vdir-cmdlet"],
    );
  });

  it("a message-only New-MailboxExportRequest to an .aspx is the ProxyShell export", () => {
    const r = mgmt(
      'Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox "a@b.c" -FilePath "\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\x.aspx".',
    );
    const d = run(exchangeCmdlets, r);
    assert.deepEqual(
      d.map((x) => x.check),
      ["proxyshell-mailbox-export-webshell"],
    );
    assert.match(d[0].evidence.Path, /x\.aspx$/);
  });

  it("failed cmdlets (event 6) are attempts, not compromise", () => {
    const r = mgmt(
      'Cmdlet failed. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "http://f/<script>x</script>" -Identity "OAB".\r\n\r\nThe operation could not be performed.',
      6,
    );
    assert.deepEqual(
      run(exchangeCmdlets, r).map((d) => d.check),
      ["cve-2021-27065-vdir-cmdlet-failed"],
    );
  });

  it("event 8 (unhandled exception) is a failed cmdlet: the cmdlet named, the exception kept", () => {
    const r = mgmt(
      "Task Get-App throwing unhandled exception: System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider'.",
      8,
    );
    assert.equal(r.values[0], "Get-App");
    assert.match(r.values[3], /^Task Get-App throwing unhandled exception: System\.InvalidCastException/);
    // Values as an .evtx could give them: the cmdlet with its parameters, then the exception text.
    const exportTry = event({
      provider: "MSExchange CmdletLogs",
      channel: "MSExchange Management",
      eventId: 8,
      values: [
        "New-MailboxExportRequest",
        '-Mailbox "a@b.c" -FilePath "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\s.aspx"',
        "CONTOSO\\svc",
        "Task New-MailboxExportRequest throwing unhandled exception: System.UnauthorizedAccessException: denied",
      ],
    });
    const d = run(exchangeCmdlets, exportTry);
    assert.deepEqual(
      d.map((x) => x.check),
      ["proxyshell-mailbox-export-failed"],
    );
    assert.match(d[0].evidence.Exception, /UnauthorizedAccessException/);
  });

  it("trap: an event 8 removal after an export is no clean-up (nothing was removed)", () => {
    const memory = new Map();
    const at = (eventId: number, cmd: string, params: string, time: string) =>
      exchangeCmdlets.match(
        event({
          provider: "MSExchange CmdletLogs",
          channel: "MSExchange Management",
          eventId,
          time,
          values: [cmd, params, "u"],
        }),
        C,
        memory,
      );
    at(1, "New-MailboxExportRequest", '-FilePath "\\\\fs\\pst$\\a.pst"', "2021-08-20T10:00:00.000Z");
    const removal = draftsOf(at(8, "Remove-MailboxExportRequest", "-Identity x", "2021-08-20T10:05:00.000Z"));
    assert.deepEqual(removal, []);
    const real = draftsOf(at(1, "Remove-MailboxExportRequest", "-Identity x", "2021-08-20T10:06:00.000Z"));
    assert.deepEqual(
      real.map((x) => x.check),
      ["proxyshell-export-cleanup"],
    );
  });

  it("traps: an ordinary URL, an export to a share, prose that mentions a cmdlet", () => {
    assert.deepEqual(
      run(
        exchangeCmdlets,
        mgmt(
          'Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "https://mail.contoso.com/OAB".',
        ),
      ),
      [],
    );
    assert.deepEqual(
      run(
        exchangeCmdlets,
        mgmt('Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -FilePath "\\\\fs\\pst$\\a.pst".'),
      ),
      [],
    );
    const prose = rec({
      EventID: 1000,
      SourceName: "App",
      Channel: "Application",
      Message: "Run Set-OabVirtualDirectory -ExternalUrl <script> to test.",
    });
    assert.deepEqual(prose.values, []);
  });

  it("4688 from its message: new and creator process, command line, subject", () => {
    const r = event({ provider: "Microsoft-Windows-Security-Auditing", eventId: 4688, values: [] });
    r.message = [
      "A new process has been created.",
      "",
      "Creator Subject:",
      "\tSecurity ID:\t\tS-1-5-18",
      "\tAccount Name:\t\tEXCH01$",
      "",
      "Process Information:",
      "\tNew Process Name:\tC:\\Windows\\System32\\cmd.exe",
      "\tCreator Process Name:\tC:\\Windows\\System32\\inetsrv\\w3wp.exe",
      "\tProcess Command Line:\tcmd /c whoami",
      "",
      "Token Elevation Type indicates the type of token: Type 1 is a full token.",
    ].join("\r\n");
    assert.ok(fillFromMessage(r));
    assert.equal(r.data.NewProcessName, "C:\\Windows\\System32\\cmd.exe");
    assert.equal(r.data.ParentProcessName, "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    assert.equal(r.data.CommandLine, "cmd /c whoami");
    assert.equal(r.data.SubjectUserName, "EXCH01$");
    assert.ok(!("Type 1 is a full token" in r.data));
    assert.deepEqual(
      run(exchangeProcessSpawn, r).map((d) => d.check),
      ["w3wp-spawned-shell"],
    );
  });

  it("never overwrites parameters an export did carry", () => {
    const r = event({ provider: "Microsoft-Windows-Sysmon", eventId: 1, data: { Image: "a.exe" } });
    r.message = "Process Create:\r\nImage: b.exe\r\nParentImage: c.exe\r\nUser: x";
    assert.equal(fillFromMessage(r), false);
    assert.equal(r.data.Image, "a.exe");
  });
});

describe("log cleared (1102, 104)", () => {
  const cleared = (eventId: number, channel: string, provider = "Microsoft-Windows-Eventlog") =>
    event({
      provider,
      eventId,
      channel,
      data: { SubjectUserName: "bob", SubjectDomainName: "CONTOSO", Channel: "System" },
    });
  it("Security 1102 and System 104 are findings, with who cleared", () => {
    const a = run(logCleared, cleared(1102, "Security"));
    assert.deepEqual(
      a.map((d) => d.check),
      ["event-log-cleared"],
    );
    assert.equal(a[0].evidence.User, "CONTOSO\\bob");
    assert.equal(run(logCleared, cleared(104, "System"))[0].evidence.ClearedLog, "System");
  });
  it("traps: the same ids in other channels or from other providers", () => {
    assert.deepEqual(run(logCleared, cleared(104, "Application")), []);
    assert.deepEqual(run(logCleared, cleared(1102, "System")), []);
    assert.equal(logCleared.providers?.includes("Some-Other-Provider"), false);
  });
});

describe("JSON layouts and bad input", () => {
  const split = (text: string, max = 1 << 20) => {
    const got: { v: string; line: number }[] = [];
    const bad: string[] = [];
    const cut: number[] = [];
    const s = jsonSplitter(max, {
      value: (v, line) => got.push({ v, line }),
      bad: (line, r) => bad.push(`${line}: ${r}`),
      cutOff: (line) => cut.push(line),
    });
    // Fed in small pieces: values split across chunk boundaries.
    for (let i = 0; i < text.length; i += 7) s.push(text.slice(i, i + 7), false);
    s.push("", true);
    return { got, bad, cut };
  };
  it("lines, an array, concatenated pretty objects; strings with brackets and escapes", () => {
    assert.deepEqual(
      split('{"a":1}\n{"b":"}{"}\n').got.map((x) => x.line),
      [1, 2],
    );
    assert.equal(split('[\n  {"a":"[x]"},\n  {"b":"\\"}"}\n]').got.length, 2);
    const pretty = split('{\n  "a": 1\n}\n{\n  "b": {\n    "c": 2\n  }\n}\n');
    assert.deepEqual(
      pretty.got.map((x) => x.line),
      [1, 4],
    );
  });
  it("garbage, a torn line, a value cut at the end, an overlong value: reported, the rest read", () => {
    const r = split('not json\n{"a":"torn\n{"b":1}\n{"c":{"d":');
    assert.deepEqual(
      r.got.map((x) => x.v),
      ['{"b":1}'],
    );
    assert.equal(r.bad.length, 2);
    assert.deepEqual(r.cut, [4]);
    const long = split(`{"a":"${"x".repeat(100)}"}\n{"b":2}\n`, 50);
    assert.deepEqual(
      long.got.map((x) => x.v),
      ['{"b":2}'],
    );
    assert.match(long.bad[0], /longer than 50/);
  });
  it("a UTF-16 PowerShell array and a JSON file whose first object no map knows", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "ps.json");
    const doc = [
      {
        Id: 1,
        ProviderName: "MSExchange CmdletLogs",
        LogName: "MSExchange Management",
        TimeCreated: "/Date(1614754800000)/",
        Properties: [{ Value: "Get-Mailbox" }, { Value: "-Identity x" }],
      },
    ];
    writeFileSync(
      p,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(doc, null, 4), "utf16le")]),
    );
    const { events } = readEventFile(p, eventJsonReader);
    assert.deepEqual(events[0].values, ["Get-Mailbox", "-Identity x"]);
    const unknown = Buffer.from('[{"EventIdentifier":4688,"LogFile":"Security"}]');
    assert.equal(sniff(unknown, "x.json"), null);
    const c = classifyHead({ path: "x.json", size: unknown.length }, unknown);
    assert.ok("skip" in c && /EventIdentifier/.test(c.skip.detail), JSON.stringify(c));
  });
});

describe("CSV exports", () => {
  it("EvtxECmd CSV: quoted cells with commas, quotes and line breaks; a short row is a bad row", (t) => {
    const dir = tempDir(t);
    const evs: Rec[] = scenarioRecords().slice(0, 4);
    evs[1] = { ...evs[1], data: ["Set-Mailbox", 'a "quoted",\r\nmulti-line value', "u"] };
    const p = join(dir, "out.csv");
    writeFileSync(p, `${evtxecmdCsv(evs)}1,2,3\r\n`);
    const { events, stats, lines } = readEventFile(p, eventCsvReader);
    assert.equal(events.length, 4);
    assert.equal(events[1].values[1], 'a "quoted",\r\nmulti-line value');
    assert.deepEqual(lines.slice(0, 3), [2, 3, 4]);
    assert.equal(stats.badRows, 1);
    const flat = join(dir, "flat.csv");
    writeFileSync(
      flat,
      'EventID,Channel,Computer,Message\n1,Security,h,"line one,\r\nline ""two"""\n2,Security,h,x\n',
    );
    const f = readEventFile(flat, eventCsvReader);
    assert.deepEqual(f.lines, [2, 4], "line numbers count the line breaks inside cells");
    assert.equal(f.events[0].message, 'line one,\r\nline "two"');
  });
  it("EvtxECmd's header is the column list the tool documents (generator checked)", () => {
    assert.equal(evtxecmdCsv([]).split("\r\n")[0], EVTXECMD_COLUMNS.join(","));
    assert.equal(EVTXECMD_COLUMNS.length, 27);
  });
  it("claims only CSV whose header a map knows", () => {
    assert.equal(sniff(Buffer.from("host,ip,owner\nx,1,2\n"), "a.csv"), null);
    assert.equal(
      sniff(Buffer.from("EventID,Channel,Computer,Message\n1,A,h,m\n"), "a.csv")?.format,
      "event-csv",
    );
  });
});

describe("PowerShell Export-Clixml", () => {
  it("UTF-16 CLIXML: _x000D_ escapes decoded, values in order; a broken stream keeps what came before", (t) => {
    const dir = tempDir(t);
    const evs = scenarioRecords().slice(0, 3);
    const whole = powershellClixml(evs);
    const p = join(dir, "events.xml");
    writeFileSync(p, whole);
    const { events } = readEventFile(p, eventClixmlReader);
    assert.equal(events.length, 3);
    assert.equal(events[1].values[0], "Set-OabVirtualDirectory");
    assert.match(events[1].message ?? "", /^Cmdlet suceeded\. Cmdlet Set-OabVirtualDirectory/);
    const text = whole.subarray(2).toString("utf16le");
    const cut = text.indexOf("\r\n  <Obj RefId", text.indexOf("Set-OabVirtualDirectory"));
    const broken = join(dir, "broken.xml");
    writeFileSync(
      broken,
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`${text.slice(0, cut)}<Obj><Props></Obj>`, "utf16le"),
      ]),
    );
    const b = readEventFile(broken, eventClixmlReader);
    assert.ok(b.events.length >= 2);
    assert.match(b.stats.damage.join(), /not well-formed CLIXML/);
  });
  it("claims CLIXML of event records only", () => {
    const other =
      '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"><TN RefId="0"><T>System.IO.FileInfo</T></TN></Obj></Objs>';
    assert.equal(sniff(Buffer.from(other), "x.xml"), null);
  });
});

describe("generators against real samples", () => {
  it("evtx_dump writer: the Sigma twins (real evtx_dump output) and their rewrite read the same", {
    skip: NO_CORPUS,
  }, (t) => {
    const dir = tempDir(t);
    const folder = join(
      CORPUS,
      "evtx/sigma-regression/rules/windows/process_creation/proc_creation_win_findstr_lsass",
    );
    const evtx = spawnSync("ls", [folder], { encoding: "utf8" })
      .stdout.split("\n")
      .find((n) => n.endsWith(".evtx"))!;
    const real = join(folder, evtx.replace(/\.evtx$/, ".json"));
    const fromReal = readEventFile(real, eventJsonReader).events;
    // Back to writer input, out through the writer, in through the reader: the same records.
    const recs: Rec[] = fromReal.map((e) => ({
      provider: e.provider,
      eventId: e.eventId,
      channel: e.channel,
      computer: e.computer,
      time: e.time!,
      level: e.level ?? 4,
      recordId: e.recordId!,
      data: e.data,
    }));
    const p = join(dir, "rewritten.jsonl");
    writeFileSync(p, evtxDumpJsonl(recs));
    assert.deepEqual(readEventFile(p, eventJsonReader).events, fromReal);
  });

  it("EVTX writer: libevtx reads what it writes, record for record", {
    skip: spawnSync("evtxexport", ["-V"]).error ? "evtxexport not installed" : false,
  }, (t) => {
    const dir = tempDir(t);
    const p = join(dir, "w.evtx");
    const evs = scenarioRecords();
    writeFileSync(p, writeEvtx(evs));
    const r = spawnSync("evtxexport", ["-f", "xml", p], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stdout.match(/<Event /g) ?? []).length, evs.length);
    const ours: EventRecord[] = [];
    readEvtxEvents(p, statSync(p).size, (e) => ours.push(e));
    assert.deepEqual(
      ours.map((e) => e.recordId),
      evs.map((e) => e.recordId),
    );
    assert.ok(r.stdout.includes("Set-OabVirtualDirectory"));
  });
});

describe("PowerShell 5 Get-WinEvent | Export-Csv (no real sample found; the cmdlet's documented layout)", () => {
  it("the #TYPE line is skipped, the row read by the PowerShell map, the cmdlet from the message, the local time flagged", (t) => {
    const path = join(tempDir(t), "mgmt.csv");
    const cols =
      '"Message","Id","Version","Qualifiers","Level","Task","Opcode","Keywords","RecordId","ProviderName","ProviderId","LogName","ProcessId","ThreadId","MachineName","UserId","TimeCreated","ActivityId","RelatedActivityId","ContainerLog","MatchedQueryIds","Bookmark","LevelDisplayName","OpcodeDisplayName","TaskDisplayName","KeywordsDisplayNames","Properties"';
    const row =
      '"Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl ""http://f/<script>"" -Identity ""OAB (Default Web Site)"".","1","0","","4","1","","36028797018963968","4821","MSExchange CmdletLogs","","MSExchange Management","0","0","EXCH01.contoso.local","","3/3/2021 7:05:12 AM","","","msexchange management","System.UInt32[]","System.Diagnostics.Eventing.Reader.EventBookmark","Information","","","System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]","System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]"';
    writeFileSync(path, `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n${cols}\r\n${row}\r\n`);
    const { events, stats } = readEventFile(path, eventCsvReader);
    assert.equal(events.length, 1);
    const e = events[0];
    assert.equal(e.channel, "MSExchange Management");
    assert.equal(e.eventId, 1);
    assert.equal(e.recordId, 4821);
    assert.equal(e.time, "2021-03-03T07:05:12.000Z");
    assert.deepEqual(e.values.slice(0, 2), [
      "Set-OabVirtualDirectory",
      '-ExternalUrl "http://f/<script>" -Identity "OAB (Default Web Site)"',
    ]);
    assert.ok(run(exchangeCmdlets, e).length > 0, "the cmdlet detection sees it");
    // Export-Csv writes the exporting machine's local time, without a zone: said in the notes.
    assert.ok(
      stats.notes?.some((n) => /TimeCreated has no zone .* taken as UTC/.test(n)),
      String(stats.notes),
    );
  });
});
