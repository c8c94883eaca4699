// Nothing silently dropped: a server tree with 20 kinds of files; every file ends in exactly one of read
// (by which reader), not read (why, with what it looked like) or excluded, and the console says so in
// one line.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { preamble } from "../../examples/generate.js";
import { scan } from "../../src/index.js";
import type { FileAccount } from "../../src/model/types.js";
import { accountingLine, renderConsole } from "../../src/outputs/console.js";
import { scenarioRecords } from "../events-scenario.js";
import { writeEvtx } from "../evtx-writer.js";
import {
  ecsNdjson,
  evtxDumpJsonl,
  evtxecmdCsv,
  hayabusaJsonl,
  powershellClixml,
  sentinelJson,
} from "../export-writers.js";
import { tempDir } from "../helpers.js";

function place(root: string, rel: string, data: string | Buffer): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

function walk(dir: string, root: string, out: string[]): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) walk(p, root, out);
    else out.push(relative(root, p).split("\\").join("/"));
  }
  return out;
}

const IIS = [
  "#Software: Microsoft Internet Information Services 10.0",
  "#Version: 1.0",
  "#Date: 2021-03-03 00:00:00",
  "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
  "2021-03-03 07:00:00 10.0.0.5 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 15",
  "",
].join("\r\n");

const HTTPPROXY_FIELDS =
  "DateTime,RequestId,UrlStem,Method,HttpStatus,ClientIpAddress,AuthenticatedUser,UserAgent,RoutingHint";

describe("nothing silently dropped", () => {
  it("exports of a shape no reader knows are listed as not read with what they looked like, never read as nothing", async (t) => {
    const root = tempDir(t);
    const ev = "EXCH01/Events";
    place(root, `${ev}/columns.csv`, "Time,Host,Thing\n2021-03-03,EXCH01,x\n");
    place(root, `${ev}/other.xml`, '<?xml version="1.0"?><Root><Item a="1"/></Root>\n');
    place(
      root,
      `${ev}/files.clixml`,
      '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"><TN RefId="0"><T>System.IO.FileInfo</T></TN><Props><S N="Name">x</S></Props></Obj></Objs>\n',
    );
    place(root, `${ev}/nothing.json`, "[]\n");
    const evs = scenarioRecords().slice(0, 5);
    place(root, `${ev}/events.clixml`, powershellClixml(evs));
    place(root, `${ev}/timeline.tsv`, evtxecmdCsv(evs, "\t"));
    place(root, `${ev}/search.json`, '{"hits":{"hits":[{"_source":{"foo":1}}]}}\n');
    const s = (await scan([join(root, "EXCH01")], { workers: 0 })).servers[0];
    const by = new Map((s.files?.files ?? []).map((f) => [f.file.replace(/^Events\//, ""), f]));
    const expect: Record<string, RegExp> = {
      "columns.csv": /^CSV/,
      "other.xml": /^XML/,
      "files.clixml": /^XML/,
      "nothing.json": /^unknown JSON/,
      "search.json": /^unknown JSON/,
    };
    for (const [name, reason] of Object.entries(expect)) {
      const f = by.get(name);
      assert.equal(f?.outcome, "not-read", name);
      assert.match(f?.reason ?? "", reason, name);
    }
    assert.match(by.get("nothing.json")?.detail ?? "", /empty JSON array/);
    assert.match(by.get("search.json")?.detail ?? "", /hits/);
    assert.equal(s.files?.read, 2);
    // The same extensions with event exports inside are read.
    assert.equal(by.get("events.clixml")?.reader, "event-clixml");
    assert.equal(by.get("timeline.tsv")?.reader, "event-csv");
    assert.equal(by.get("timeline.tsv")?.records, 5);
    assert.equal(by.get("events.clixml")?.records, 5);
  });

  it("a tree with 20 kinds of files: read ∪ not read ∪ excluded = every file, each once", async (t) => {
    const dir = tempDir(t);
    const root = join(dir, "EXCH01");
    const evs = scenarioRecords();
    const kinds: [string, string | Buffer, string][] = [
      [
        "Windows/System32/winevt/Logs/Security.evtx",
        writeEvtx(evs.filter((e) => e.channel === "Security")),
        "read:evtx",
      ],
      [
        "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030307-1.LOG",
        `${preamble("HttpProxy Logs", "2021-03-03T07:00:00.000Z", HTTPPROXY_FIELDS)}2021-03-03T07:00:00.000Z,1,/ecp/,GET,200,10.0.0.9,,x,\r\n`,
        "read:exchange-log",
      ],
      ["inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", IIS, "read:iis-w3c"],
      ["exports/mgmt.jsonl", evtxDumpJsonl(evs.slice(0, 3)), "read:event-json"],
      ["siem/winlogbeat.ndjson", ecsNdjson(evs.slice(3, 6)), "read:event-json"],
      ["kape/EvtxECmd_Output.csv", evtxecmdCsv(evs.slice(6, 9)), "read:event-csv"],
      ["hayabusa/timeline.jsonl", hayabusaJsonl(evs.slice(0, 2)), "read:event-json"],
      ["sentinel/export.json", sentinelJson(evs.slice(0, 2)), "read:event-json"],
      [
        "wevtutil/app.xml",
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="x"/><EventID>1</EventID><Channel>Application</Channel><Computer>EXCH01</Computer></System></Event>\n',
        "read:event-xml",
      ],
      [
        "apache/access.log",
        '10.0.0.1 - - [03/Mar/2021:07:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.68.0"\n',
        "not-read:Apache/nginx access log",
      ],
      [
        "nginx/logs/access.log",
        '10.0.0.2 - bob [03/Mar/2021:07:00:01 +0000] "POST /x HTTP/1.1" 404 0 "-" "-"\n',
        "not-read:Apache/nginx access log",
      ],
      ["tools/package.json", '{"name":"x","version":"1.0.0"}\n', "not-read:unknown JSON"],
      [
        "exports/other-siem.json",
        '[{"EventIdentifier":4688,"LogFile":"Security","Channel":"Security","When":"2021-03-03"}]',
        "not-read:unknown JSON",
      ],
      [
        "Program Files/Microsoft/Exchange Server/V15/Logging/Monitoring/blob.log",
        Buffer.from([1, 0, 2, 0, 0, 0, 9, 9]),
        "not-read:binary",
      ],
      ["Program Files/Microsoft/Exchange Server/V15/Logging/Empty/empty.log", "", "not-read:empty"],
      [
        "inetpub/wwwroot/aspnet_client/system_web/x.aspx",
        '<%@ Page Language="C#" %><% Response.Write("hi"); %>',
        "read:file-sweep",
      ],
      [
        "Program Files/Microsoft/Exchange Server/V15/Bin/Microsoft.Exchange.Dll",
        Buffer.from("MZ\x90\0\x03\0\0\0", "latin1"),
        "read:file-sweep",
      ],
      ["notes/README.txt", "Evidence collected by the responder on 2021-03-05.\n", "not-read:plain text"],
      [
        "syslog/messages.log",
        "Mar  3 07:00:00 host sshd[1]: Accepted publickey for root\n",
        "not-read:syslog",
      ],
      [
        "notes/utf16.txt",
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("hello there, responder\r\n", "utf16le")]),
        "not-read:UTF-16 text",
      ],
      ["reports/inventory.csv", "host,ip,owner\nexch01,10.0.0.5,it\n", "not-read:CSV (not an event export)"],
    ];
    for (const [rel, data] of kinds) place(root, rel, data);
    symlinkSync(join(root, "nowhere"), join(root, "broken-link.log"));
    assert.ok(kinds.length + 1 >= 20, "20 kinds of files, with the broken link");

    const r = await scan([root], { workers: 0 });
    const s = r.servers[0];
    const acc = s.files;
    assert.ok(acc);
    const onDisk = walk(root, root, []).sort();
    const listed = acc.files.map((f) => f.file).sort();
    assert.deepEqual(listed, onDisk, "every file, each exactly once");
    assert.equal(new Set(listed).size, listed.length);
    assert.equal(acc.read + acc.notRead + acc.excluded, onDisk.length);
    for (const [rel, , want] of kinds) {
      const f: FileAccount | undefined = acc.files.find((x) => x.file === rel);
      assert.ok(f, rel);
      const [outcome, what] = want.split(/:(.*)/s);
      assert.equal(f.outcome, outcome, `${rel}: ${JSON.stringify(f)}`);
      assert.equal(outcome === "read" ? f.reader : f.reason, what, `${rel}: ${JSON.stringify(f)}`);
    }
    const link = acc.files.find((x) => x.file === "broken-link.log");
    assert.equal(link?.reason, "unreadable");
    assert.match(
      acc.files.find((x) => x.file === "exports/other-siem.json")?.detail ?? "",
      /EventIdentifier/,
    );
    // An export no map knows is skipped evidence (exit code 3), with the keys it holds; a package.json is not.
    assert.ok(
      s.skipped.some((k) => k.file === "exports/other-siem.json" && /no field map knows/.test(k.detail)),
    );
    assert.ok(!s.skipped.some((k) => k.file === "tools/package.json"));
    const evtxRead = acc.files.find((x) => x.file.endsWith("Security.evtx"));
    assert.equal(evtxRead?.records, evs.filter((e) => e.channel === "Security").length);
    assert.equal(acc.byReason["Apache/nginx access log"], 2);

    const line = accountingLine(acc);
    assert.match(
      line,
      /^\d+ files read, \d+ not read: 2 Apache\/nginx access log, 2 unknown JSON, .* \(see --json\)$/,
    );
    assert.ok(renderConsole(r, { color: false }).includes(line));
  });
});
