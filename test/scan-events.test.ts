// End to end: exported event files anywhere in the evidence tree, through scan() and the CLI.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { channelOfFile, withExportHint } from "../src/evidence/eventlog.js";
import { sniffFile } from "../src/hunt/task.js";
import { scan } from "../src/index.js";
import type { ScanResult, ServerResult } from "../src/model/types.js";
import { ROOT, runCli, tempDir } from "./helpers.js";

const FIX = join(ROOT, "test/fixtures/events");

function place(root: string, rel: string, data: string | Buffer): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

/** A server whose only evidence is event exports, in the places responders leave them. */
function writeEventEvidence(root: string): void {
  mkdirSync(join(root, "exports"), { recursive: true });
  copyFileSync(join(FIX, "evtx-dump.jsonl"), join(root, "exports/Application-and-mgmt.jsonl"));
  place(root, "SIEM/winlogbeat-20210303.ndjson", readFileSync(join(FIX, "winlogbeat.ndjson")));
  // wevtutil qe ... /f:xml > file in PowerShell 5 writes UTF-16LE with a BOM.
  const xml = readFileSync(join(FIX, "wevtutil.xml"), "utf8");
  place(root, "wevtutil/mgmt.xml", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, "utf16le")]));
}

const byCheck = (s: ServerResult, check: string) => s.findings.filter((f) => f.check === check);

describe("scan: exported events", () => {
  let dir: string;
  let result: ScanResult;
  before(async () => {
    const holder: (() => void)[] = [];
    dir = tempDir({ after: (fn) => holder.push(fn) });
    process.on("exit", () => {
      for (const f of holder) f();
    });
    writeEventEvidence(join(dir, "EXCH01"));
    result = await scan([join(dir, "EXCH01")], { workers: 0 });
  });

  it("finds every event check, at file:line, and calls the server compromised", () => {
    const s = result.servers[0];
    assert.equal(s.verdict, "compromised");
    const seen = new Set(s.findings.map((f) => f.check));
    for (const c of [
      "cve-2021-26857-um",
      "cve-2021-27065-vdir-cmdlet",
      "proxyshell-mailbox-export-webshell",
      "proxyshell-import-export-role",
      "proxyshell-export-cleanup",
      "wer-umworkerprocess-crash",
      "wer-exchange-apppool-crash",
      "w3wp-spawned-shell",
      "webshell-file-created",
      "lsass-read-by-exchange-worker",
      "event-lsass-dump",
    ]) {
      assert.ok(seen.has(c), `missing ${c}`);
    }
    const um = byCheck(s, "cve-2021-26857-um");
    assert.equal(um.length, 1);
    assert.equal(um[0].source.file, "exports/Application-and-mgmt.jsonl");
    assert.equal(um[0].source.line, 1);
    assert.deepEqual(um[0].cves, ["CVE-2021-26857"]);
    assert.equal(um[0].time, "2021-03-03T07:12:45.555Z");
    const exp = byCheck(s, "proxyshell-mailbox-export-webshell");
    assert.equal(exp[0].source.file, "wevtutil/mgmt.xml");
    assert.equal(exp[0].source.line, 2);
    assert.ok(exp[0].rule.references.length > 0, "references come from the check");
    // The benign look-alikes in the same files stay quiet.
    assert.equal(byCheck(s, "w3wp-spawned-shell").length, 1, "csc.exe under w3wp is not a shell");
    assert.equal(byCheck(s, "webshell-file-created").length, 1, "msiexec writing logon.aspx is setup");
    assert.equal(
      byCheck(s, "cve-2021-27065-vdir-cmdlet").length,
      1,
      "Set-OwaVirtualDirectory with a URL is fine",
    );
  });

  it("reports each channel as a coverage source with its time span", () => {
    const s = result.servers[0];
    const src = (name: string) => s.coverage.sources.find((c) => c.source === name);
    const app = src("Event log: Application");
    assert.ok(app, JSON.stringify(s.coverage.sources.map((c) => c.source)));
    assert.equal(app.kind, "event");
    assert.equal(app.oldest, "2021-01-01T00:00:00.000Z");
    assert.equal(app.newest, "2021-03-04T01:00:00.000Z");
    assert.equal(app.files, 3, "three files carry Application events");
    const mgmt = src("Event log: MSExchange Management");
    assert.equal(mgmt?.oldest, "2021-02-10T09:00:00.000Z");
    assert.equal(mgmt?.newest, "2021-08-14T10:01:40.000Z");
    assert.ok(src("Event log: Security"));
    assert.ok(src("Event log: Microsoft-Windows-Sysmon/Operational"));
    assert.ok(!s.coverage.missing.some((m) => m.startsWith("Event log")), s.coverage.missing.join());
    assert.ok(s.coverage.missing.includes("HttpProxy logs"));
    assert.equal(s.stats.records, 17);
  });

  it("lists files with bad lines or events as partly read, with line numbers", () => {
    const s = result.servers[0];
    const partial = (f: string) => s.skipped.find((x) => x.file === f);
    assert.equal(partial("exports/Application-and-mgmt.jsonl")?.reason, "partial");
    assert.match(partial("exports/Application-and-mgmt.jsonl")?.detail ?? "", /2 rows.*line 3: not JSON/);
    assert.match(partial("wevtutil/mgmt.xml")?.detail ?? "", /line 6: not well-formed XML/);
    assert.match(partial("SIEM/winlogbeat-20210303.ndjson")?.detail ?? "", /line 8/);
    assert.equal(s.stats.badRows, 4);
  });

  it("gives the same findings read by workers", async () => {
    const ids = (r: ScanResult) =>
      r.servers.flatMap((s) => s.findings.map((f) => `${f.id} ${f.source.file}:${f.source.line}`)).sort();
    const pooled = await scan([join(dir, "EXCH01")], { workers: 2 });
    assert.deepEqual(ids(pooled), ids(result));
  });

  it("the CLI writes the Test-ProxyLogon 26857 CSV from event findings, and exits 1", () => {
    const out = join(dir, "csv");
    const r = runCli(["scan", join(dir, "EXCH01"), "--csv", out, "--workers", "0"]);
    assert.equal(r.status, 1, r.stderr);
    const files = readdirSync(out);
    const name = files.find((f) => f.endsWith("-Cve-2021-26857.csv"));
    assert.ok(name, files.join());
    const csv = readFileSync(join(out, name), "utf8").split("\r\n");
    assert.match(csv[0], /TimeCreated.*MachineName.*Message/);
    assert.match(
      csv[1],
      /^"2021-03-03T07:12:45.555Z","EXCH01.contoso.local","Unable to process the voice message: System.InvalidCastException/,
    );
  });
});

describe("scan: event evidence that must stay quiet", () => {
  it("benign administration in every export format gives a clean verdict", async (t) => {
    const dir = tempDir(t);
    const sys = (id: number, data: Record<string, string>, i: number) =>
      JSON.stringify({
        "@timestamp": `2021-02-2${i}T10:00:00.000Z`,
        winlog: {
          channel: "Microsoft-Windows-Sysmon/Operational",
          computer_name: "EXCH02",
          event_id: id,
          provider_name: "Microsoft-Windows-Sysmon",
          record_id: i,
          event_data: data,
        },
      });
    const w3wp = "c:\\windows\\system32\\inetsrv\\w3wp.exe";
    place(
      dir,
      "siem/sysmon.ndjson",
      [
        sys(
          1,
          { Image: "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe", ParentImage: w3wp },
          1,
        ),
        sys(1, { Image: "C:\\Windows\\System32\\WerFault.exe", ParentImage: w3wp }, 2),
        sys(
          11,
          {
            Image: "C:\\Windows\\System32\\msiexec.exe",
            TargetFilename:
              "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx",
          },
          3,
        ),
        sys(
          10,
          { SourceImage: w3wp, TargetImage: "C:\\Windows\\system32\\lsass.exe", GrantedAccess: "0x1000" },
          4,
        ),
      ].join("\n"),
    );
    const cmdlet = (name: string, params: string, t: string, id: number) =>
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange CmdletLogs'/><EventID>1</EventID><Level>4</Level><TimeCreated SystemTime='${t}'/><EventRecordID>${id}</EventRecordID><Channel>MSExchange Management</Channel><Computer>EXCH02</Computer></System><EventData><Data>${name}</Data><Data>${params}</Data><Data>fabrikam.local/Users/Administrator</Data></EventData></Event>`;
    place(
      dir,
      "mgmt.xml",
      [
        cmdlet(
          "Set-OwaVirtualDirectory",
          '-ExternalUrl "https://mail.fabrikam.com/owa" -Identity "owa"',
          "2021-02-20T10:00:00Z",
          1,
        ),
        cmdlet(
          "New-MailboxExportRequest",
          '-Mailbox "bob" -FilePath "\\\\fs01\\pst$\\bob.pst"',
          "2021-02-21T10:00:00Z",
          2,
        ),
        cmdlet(
          "Remove-MailboxExportRequest",
          '-Identity "bob\\MailboxExport" -Confirm "False"',
          "2021-02-23T10:00:00Z",
          3,
        ),
        cmdlet(
          "New-ManagementRoleAssignment",
          '-Role "Mail Recipients" -User "helpdesk"',
          "2021-02-24T10:00:00Z",
          4,
        ),
      ].join("\r\n"),
    );
    const r = await scan([dir], { workers: 0 });
    const s = r.servers[0];
    assert.deepEqual(
      s.findings.filter((f) => f.severity !== "info").map((f) => f.check),
      [],
    );
    assert.equal(s.verdict, "clean");
    assert.equal(s.stats.records, 8);
    assert.deepEqual(s.skipped, []);
  });
});

describe("scan: the example servers carry event exports", () => {
  it("EXCH01 shows the event findings; EXCH02 has event coverage and none", async (t) => {
    const dir = tempDir(t);
    const small = { rowsPerHour: 2 };
    writeCompromised(join(dir, "EXCH01"), small);
    writeClean(join(dir, "EXCH02"), small);
    const r = await scan([dir], { each: true, workers: 0 });
    const one = r.servers.find((s) => s.name === "EXCH01")!;
    const two = r.servers.find((s) => s.name === "EXCH02")!;
    assert.ok(byCheck(one, "cve-2021-26857-um").length === 1);
    assert.ok(byCheck(one, "cve-2021-27065-vdir-cmdlet").length === 1);
    for (const s of [one, two]) {
      assert.ok(s.coverage.sources.some((c) => c.source === "Event log: MSExchange Management"));
      assert.ok(!s.coverage.missing.includes("Event log: Application"));
    }
    const eventChecks = new Set([
      "cve-2021-26857-um",
      "cve-2021-27065-vdir-cmdlet",
      "proxyshell-export-cleanup",
    ]);
    assert.deepEqual(
      two.findings.filter((f) => eventChecks.has(f.check)),
      [],
    );
    assert.equal(two.verdict, "clean");
  });
});

describe("live event channels", () => {
  it("names the channel of a channel file and says how to export it when it cannot be opened", () => {
    assert.equal(
      channelOfFile("C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-Sysmon%4Operational.evtx"),
      "Microsoft-Windows-Sysmon/Operational",
    );
    assert.equal(
      channelOfFile("C/Windows/System32/winevt/Logs/MSExchange Management.evtx"),
      "MSExchange Management",
    );
    const hint = withExportHint(
      "C:/Windows/System32/winevt/Logs/MSExchange Management.evtx",
      "EBUSY: resource busy or locked",
    );
    assert.match(
      hint,
      /^EBUSY: resource busy or locked\. .*wevtutil epl "MSExchange Management" C:\\exhunt-export\\MSExchange_Management\.evtx$/,
    );
    assert.equal(withExportHint("Logging/x.log", "EACCES"), "EACCES");
  });

  it("a channel file that cannot be opened is skipped with the export hint", (t) => {
    const dir = tempDir(t);
    const s = sniffFile(join(dir, "gone.evtx"), "C:/Windows/System32/winevt/Logs/Application.evtx", 69632);
    assert.ok("notLog" in s && "skip" in s.notLog);
    assert.equal(s.notLog.skip.reason, "unreadable");
    assert.match(s.notLog.skip.detail, /wevtutil epl "Application"/);
  });
});
