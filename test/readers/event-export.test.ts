import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EventRecord } from "../../src/model/records.js";
import {
  eventJsonReader,
  eventXmlReader,
  MAX_EVENT_BYTES,
  parseEventXml,
} from "../../src/readers/event-export.js";
import { fromEcs, fromEventXml, fromEvtxDump, isoTime, levelOf } from "../../src/readers/events/map.js";
import { sniff } from "../../src/readers/index.js";
import type { Reader, ReadStats } from "../../src/readers/types.js";
import { sigmaObjects } from "../events-helpers.js";
import { CORPUS, NO_CORPUS, ROOT, tempDir } from "../helpers.js";

const FIX = join(ROOT, "test/fixtures/events");

interface Read {
  events: { ev: EventRecord; line: number | null }[];
  stats: ReadStats;
}

/** Sniff a file as the scan does (every reader in order), then read it whole. */
function readEvents(path: string, expect?: Reader): Read {
  const head = readFileSync(path).subarray(0, 16 * 1024);
  const sniffed = sniff(head, path);
  assert.ok(sniffed, `${path} not recognised`);
  assert.equal(sniffed.kind, "event");
  const reader = [eventJsonReader, eventXmlReader].find((r) => r.format === sniffed.format)!;
  if (expect) assert.equal(reader.format, expect.format);
  const events: Read["events"] = [];
  const stats = reader.read(
    path,
    statSync(path).size,
    sniffed,
    { start: 0, end: statSync(path).size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [] }),
      onRow: () => assert.fail("an event reader produced a row"),
      onEvent: (ev, line) => events.push({ ev, line }),
    },
  );
  return { events, stats };
}

describe("event exports: evtx_dump JSON lines", () => {
  it("maps System, unnamed and named data, #attributes and _attributes forms; counts bad lines", () => {
    const { events, stats } = readEvents(join(FIX, "evtx-dump.jsonl"), eventJsonReader);
    assert.equal(events.length, 4);
    const [um, oab, owa, logon] = events;
    assert.equal(um.line, 1);
    assert.equal(um.ev.eventId, 1040);
    assert.equal(um.ev.provider, "MSExchange Unified Messaging");
    assert.equal(um.ev.channel, "Application");
    assert.equal(um.ev.level, 2);
    assert.equal(um.ev.recordId, 88123);
    assert.equal(um.ev.time, "2021-03-03T07:12:45.555Z");
    assert.equal(um.ev.values.length, 2);
    assert.match(um.ev.values[0], /System\.InvalidCastException/);
    assert.equal(oab.ev.values[0], "Set-OabVirtualDirectory");
    assert.equal(owa.line, 4, "line numbers count the bad line");
    assert.equal(owa.ev.provider, "MSExchange CmdletLogs", "Provider_attributes form");
    assert.equal(owa.ev.time, "2021-02-10T09:00:00.000Z", "TimeCreated_attributes form");
    assert.deepEqual(logon.ev.data, { SubjectUserSid: "S-1-5-18", TargetUserName: "SYSTEM", LogonType: "5" });
    assert.deepEqual(logon.ev.values, ["S-1-5-18", "SYSTEM", "5"]);
    assert.equal(stats.badRows, 2);
    assert.deepEqual(
      stats.badSamples.map((b) => b.line),
      [3, 6],
    );
    assert.match(stats.badSamples[0].reason, /^not JSON/);
    assert.match(stats.badSamples[1].reason, /Event\.System/);
    assert.equal(stats.firstTime, "2020-12-28T23:59:00.000Z");
    assert.equal(stats.lastTime, "2021-03-03T07:20:11.123Z");
  });

  it("reads Data as a list of named elements and UserData by child name", () => {
    const rec = fromEvtxDump({
      Event: {
        System: { Provider: { "#attributes": { Name: "P" } }, EventID: 7, Channel: "C", Computer: "H" },
        EventData: {
          Data: [{ "#attributes": { Name: "A" }, "#text": "1" }, { "#text": "loose" }, "plain"],
          Binary: "0A0B",
        },
        UserData: { Wrapper: { "#attributes": { xmlns: "x" }, Path: "C:\\x", Count: 3 } },
      },
    });
    assert.ok(typeof rec !== "string");
    assert.deepEqual(rec.data, { A: "1", Binary: "0A0B", Path: "C:\\x", Count: "3" });
    assert.deepEqual(rec.values, ["1", "loose", "plain", "0A0B", "C:\\x", "3"]);
  });

  it("rejects objects that are not events, with a reason", () => {
    assert.equal(typeof fromEvtxDump({ Event: { System: { Channel: "x" } } }), "string", "no EventID");
    assert.equal(typeof fromEvtxDump({ Foo: 1 }), "string");
    assert.equal(typeof fromEvtxDump(null), "string");
  });

  it("survives a truncated last line, an overlong line and blank lines", (t) => {
    const dir = tempDir(t);
    const good = readFileSync(join(FIX, "evtx-dump.jsonl"), "utf8").split("\n")[0];
    const huge = `{"Event": "${"x".repeat(MAX_EVENT_BYTES + 10)}"}`;
    const path = join(dir, "cut.jsonl");
    writeFileSync(path, `${good}\r\n\n${huge}\n${good}\n${good.slice(0, 200)}`);
    const { events, stats } = readEvents(path);
    assert.equal(events.length, 2);
    assert.deepEqual(
      events.map((e) => e.line),
      [1, 4],
    );
    assert.equal(stats.badRows, 2);
    assert.match(stats.badSamples[0].reason, /longer than/);
    assert.equal(stats.badSamples[1].line, 5);
    assert.deepEqual(stats.damage, ["the last line is cut off"]);
  });

  it("reads the omerbenamram snapshots (real evtx_dump JSON and XML renderings)", (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const dir = join(CORPUS, "evtx/omerbenamram/expected");
    const snaps = readdirSync(dir).filter((f) => f.endsWith(".snap"));
    assert.ok(snaps.length >= 12);
    let json = 0;
    let xml = 0;
    for (const f of snaps) {
      const rec = snapRecord(join(dir, f));
      assert.ok(typeof rec !== "string", `${f}: ${rec}`);
      assert.ok(rec.eventId >= 0 && (rec.provider || rec.channel), f);
      if (readFileSync(join(dir, f), "utf8").includes('"Event"')) json++;
      else xml++;
    }
    assert.ok(json >= 8 && xml >= 3, `${json} JSON, ${xml} XML snapshots`);
    const rec = snapRecord(
      join(dir, "test_record_samples__event_json_multiple_empty_data_nodes_not_ignored.snap"),
    );
    assert.ok(typeof rec !== "string");
    assert.equal(rec.values[0], "Set-Mailbox");
    assert.equal(rec.values[7], "", "empty Data elements keep their place");
    assert.equal(rec.values.length, 27);
    const same = snapRecord(join(dir, "test_record_samples__event_json_with_multiple_data_elements.snap"));
    assert.ok(typeof same !== "string");
    assert.deepEqual(
      same.values.slice(0, 3),
      rec.values.slice(0, 3),
      "the XML rendering of the same event agrees",
    );
  });

  it("reads every sigma-regression record (real evtx_dump renderings) as JSON lines", (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const root = join(CORPUS, "evtx/sigma-regression");
    const objects = sigmaObjects(root);
    assert.equal(objects.length, 238, "the corpus README counts 238 records");
    const path = join(tempDir(t), "sigma.jsonl");
    writeFileSync(path, `${objects.map((o) => JSON.stringify(o)).join("\n")}\n`);
    const { events, stats } = readEvents(path, eventJsonReader);
    assert.equal(stats.badRows, 0, JSON.stringify(stats.badSamples));
    assert.equal(events.length, 238);
    const sysmon = events.filter((e) => e.ev.channel === "Microsoft-Windows-Sysmon/Operational");
    assert.equal(sysmon.length, 233);
    assert.ok(sysmon.every((e) => e.ev.provider === "Microsoft-Windows-Sysmon" && e.ev.time !== null));
    const create = sysmon.filter((e) => e.ev.eventId === 1);
    assert.equal(create.length, 151);
    assert.ok(create.every((e) => typeof e.ev.data.Image === "string" && e.ev.data.Image.length > 0));
  });
});

/** The record of an insta snapshot: a JSON or an XML rendering after its `---` header. */
function snapRecord(path: string): EventRecord | string {
  const text = readFileSync(path, "utf8");
  const body = text.slice(text.indexOf("---", 3) + 3).trim();
  if (body.startsWith("{")) return fromEvtxDump(JSON.parse(body));
  return fromEventXml(parseEventXml(body.slice(body.indexOf("<Event"))));
}

describe("event exports: Winlogbeat / Elastic Agent ECS", () => {
  it("maps winlog.* fields, string ids, log.level, message, and flat dotted keys", () => {
    const { events, stats } = readEvents(join(FIX, "winlogbeat.ndjson"), eventJsonReader);
    assert.equal(events.length, 7);
    const first = events[0].ev;
    assert.equal(first.eventId, 1);
    assert.equal(first.provider, "Microsoft-Windows-Sysmon");
    assert.equal(first.channel, "Microsoft-Windows-Sysmon/Operational");
    assert.equal(first.computer, "EXCH01.contoso.local");
    assert.equal(first.recordId, 20001, "record_id as a string");
    assert.equal(first.level, 4);
    assert.equal(first.time, "2021-03-03T08:01:02.345Z");
    assert.match(first.message ?? "", /^Process Create/);
    assert.equal(first.data.ParentImage, "c:\\windows\\system32\\inetsrv\\w3wp.exe");
    assert.equal(events[1].ev.eventId, 1, "event_id as a string");
    const flat = events[6].ev;
    assert.equal(flat.eventId, 1000);
    assert.equal(flat.provider, "Application Error");
    assert.equal(flat.level, 2);
    assert.deepEqual(flat.values, ["w3wp.exe"]);
    assert.equal(stats.badRows, 1);
    assert.match(stats.badSamples[0].reason, /neither/);
  });

  it("falls back to event.code, host.name and event.created", () => {
    const rec = fromEcs({
      event: { code: "4688", created: "2021-03-03T01:02:03Z" },
      host: { name: "exch01" },
      winlog: { provider_name: "Microsoft-Windows-Security-Auditing", channel: "Security" },
    });
    assert.ok(typeof rec !== "string");
    assert.equal(rec.eventId, 4688);
    assert.equal(rec.computer, "exch01");
    assert.equal(rec.time, "2021-03-03T01:02:03.000Z");
    assert.equal(rec.level, null);
  });

  it("levels and times from names and Windows' 7-digit fractions", () => {
    assert.equal(levelOf("Error"), 2);
    assert.equal(levelOf("information"), 4);
    assert.equal(levelOf("warning"), 3);
    assert.equal(levelOf("nonsense"), null);
    assert.equal(isoTime("2017-12-26T13:10:29.136879200Z"), "2017-12-26T13:10:29.136Z");
    assert.equal(isoTime("not a date"), null);
  });
});

describe("event exports: wevtutil XML", () => {
  it("reads a run of <Event> elements without a root; a malformed event is a bad row", () => {
    const { events, stats } = readEvents(join(FIX, "wevtutil.xml"), eventXmlReader);
    assert.equal(events.length, 6);
    assert.deepEqual(
      events.map((e) => e.line),
      [1, 2, 3, 4, 5, 7],
    );
    const role = events[0].ev;
    assert.equal(role.provider, "MSExchange CmdletLogs");
    assert.equal(role.eventId, 1);
    assert.equal(role.channel, "MSExchange Management");
    assert.equal(role.time, "2021-08-14T10:00:00.000Z");
    assert.equal(role.recordId, 7001);
    assert.equal(role.values[1], '-Role "Mailbox Import Export" -User "administrator@contoso.local"');
    assert.equal(events[4].ev.values[0], "w3wp.exe");
    assert.equal(
      events[5].ev.values[1],
      "x & y \ufffd z",
      "entities decoded, a forbidden character reference replaced",
    );
    assert.equal(stats.badRows, 1);
    assert.equal(stats.badSamples[0].line, 6);
    assert.match(stats.badSamples[0].reason, /not well-formed/);
  });

  it("reads UTF-16 (with and without BOM), an <Events> root, named data and RenderedXml messages", (t) => {
    const dir = tempDir(t);
    const xml =
      `<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>\r\n` +
      `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/><EventID>11</EventID><Level>4</Level><TimeCreated SystemTime="2021-03-03T08:02:00.1234567Z"/><EventRecordID>5</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>EXCH01</Computer></System>` +
      `<EventData><Data Name="Image">C:\\w3wp.exe</Data><Data Name="TargetFilename">C:\\inetpub\\wwwroot\\aspnet_client\\ü.aspx</Data></EventData>` +
      `<RenderingInfo Culture="en-US"><Message>File created: ü.aspx</Message><Level>Information</Level></RenderingInfo></Event>\r\n</Events>\r\n`;
    const bom = join(dir, "bom.xml");
    writeFileSync(bom, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, "utf16le")]));
    const nobom = join(dir, "nobom.xml");
    writeFileSync(nobom, Buffer.from(xml, "utf16le"));
    for (const p of [bom, nobom]) {
      const { events, stats } = readEvents(p, eventXmlReader);
      assert.equal(stats.badRows, 0);
      assert.equal(events.length, 1);
      const ev = events[0].ev;
      assert.equal(ev.eventId, 11);
      assert.equal(ev.data.TargetFilename, "C:\\inetpub\\wwwroot\\aspnet_client\\ü.aspx");
      assert.equal(ev.message, "File created: ü.aspx");
      assert.equal(ev.time, "2021-03-03T08:02:00.123Z");
      assert.equal(events[0].line, 3);
    }
  });

  it("reports an event cut off at the end of the file", (t) => {
    const dir = tempDir(t);
    const one = readFileSync(join(FIX, "wevtutil.xml"), "utf8").split("\n")[0];
    const p = join(dir, "cut.xml");
    writeFileSync(p, `${one}\n${one.slice(0, 300)}`);
    const { events, stats } = readEvents(p);
    assert.equal(events.length, 1);
    assert.equal(stats.badRows, 1);
    assert.deepEqual(stats.damage, ["the last event is cut off"]);
  });

  it("parses with a conforming XML parser: attributes in any quote style, CDATA, namespaces", () => {
    const tree = parseEventXml(
      `<e:Event xmlns:e="urn:x"><e:System><e:Provider Name='A &amp; B'/><e:EventID>4</e:EventID></e:System><e:EventData><e:Data Name="x"><![CDATA[<raw>]]></e:Data></e:EventData></e:Event>`,
    );
    const rec = fromEventXml(tree);
    assert.ok(typeof rec !== "string");
    assert.equal(rec.provider, "A & B");
    assert.equal(rec.data.x, "<raw>");
    assert.throws(() => parseEventXml("<Event><System></Event>"));
  });

  it("reads evtxexport -f xml output of corpus files: every record, values intact", (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const probe = spawnSync("evtxexport", ["-h"], { encoding: "utf8" });
    if (probe.error) return t.skip("evtxexport (libevtx-utils) not installed");
    const dir = tempDir(t);
    const expected: Record<string, number> = { "sysmon.evtx": 358, "security.evtx": 2261 };
    for (const [name, count] of Object.entries(expected)) {
      const out = spawnSync("evtxexport", ["-f", "xml", join(CORPUS, "evtx/omerbenamram", name)], {
        maxBuffer: 256 * 1024 * 1024,
      });
      const p = join(dir, `${name}.xml`);
      writeFileSync(p, out.stdout);
      const { events, stats } = readEvents(p, eventXmlReader);
      assert.equal(stats.badRows, 0, `${name}: ${JSON.stringify(stats.badSamples)}`);
      assert.equal(events.length, count, name);
      if (name === "sysmon.evtx") {
        const first = events[0].ev;
        assert.equal(first.eventId, 1);
        assert.equal(first.data.Image, "C:\\Windows\\SysWOW64\\PING.EXE");
        assert.equal(first.data.CommandLine, "ping  -n 6 127.0.0.1 ", "whitespace inside a value is kept");
        assert.equal(first.time, "2017-12-26T13:10:29.136Z");
      }
    }
  });
});

describe("event exports: sniffing", () => {
  it("claims event exports only", (t) => {
    const dir = tempDir(t);
    const cases: [string, string | Buffer, string | null][] = [
      ["a.json", '{"name":"package","version":"1.0.0"}\n', null],
      ["b.jsonl", '{"level":"info","msg":"started"}\n{"level":"info"}\n', null],
      ["c.xml", '<?xml version="1.0"?><configuration><system.webServer/></configuration>', null],
      ["d.xml", "<Events><Event><System><EventID>1</EventID></System></Event></Events>", "event-xml"],
      ["e.log", readFileSync(join(FIX, "winlogbeat.ndjson")), "event-json"],
      ["f.bin", Buffer.from([0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0, 1, 2, 3]), "evtx"],
      [
        "g.LOG",
        "#Software: Microsoft Exchange Server\r\n#Log-type: ECP Server Log\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n",
        "exchange-log",
      ],
    ];
    for (const [name, data, format] of cases) {
      const p = join(dir, name);
      writeFileSync(p, data);
      const s = sniff(readFileSync(p).subarray(0, 16 * 1024), name);
      assert.equal(s?.format ?? null, format, name);
    }
  });

  it("judges a first line longer than the sniffed head by its opening keys", () => {
    const long = `{"Event":{"System":{"Provider":{"#attributes":{"Name":"${"p".repeat(20000)}"}}}}}\n`;
    assert.equal(sniff(Buffer.from(long).subarray(0, 16 * 1024), "x.json")?.format, "event-json");
  });
});
