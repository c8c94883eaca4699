import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  cmdletOf,
  exchangeCmdlets,
  exportShellReason,
  paramValue,
} from "../../src/detections/events/exchange-cmdlets.js";
import { dumpsLsass, lsassDump } from "../../src/detections/events/lsass-dump.js";
import { dumpCommand } from "../../src/detections/events/lsass-methods.js";
import { exchangeProcessSpawn } from "../../src/detections/events/process-spawn.js";
import { umDeserialization26857 } from "../../src/detections/events/um-26857.js";
import { webshellDrop } from "../../src/detections/events/webshell-drop.js";
import { werExchangeCrash } from "../../src/detections/events/wer-crash.js";
import { checkInfo, detections } from "../../src/detections/registry.js";
import {
  draftsOf,
  type EventDetection,
  type EventMemory,
  type FindingDraft,
} from "../../src/detections/types.js";
import type { EventRecord } from "../../src/model/records.js";
import { fromEvtxDump } from "../../src/readers/events/map.js";
import { event, sigmaObjects } from "../events-helpers.js";
import { CORPUS, ctx, NO_CORPUS } from "../helpers.js";

const C = ctx("Events/x.jsonl");

function run(d: EventDetection, ev: EventRecord, memory: EventMemory = new Map()): FindingDraft[] {
  if (d.providers && !d.providers.some((p) => p.toLowerCase() === ev.provider.toLowerCase())) return [];
  return draftsOf(d.match(ev, C, memory));
}
const checks = (drafts: FindingDraft[]) => drafts.map((d) => d.check);

const um = (values: string[], level: number | null = 2, provider = "MSExchange Unified Messaging") =>
  event({ provider, eventId: 1040, level, channel: "Application", values });

describe("CVE-2021-26857: Unified Messaging errors", () => {
  const text =
    "System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider'";
  it("flags an error of MSExchange Unified Messaging holding InvalidCastException", () => {
    const d = run(umDeserialization26857, um(["Voice mail failed", text]));
    assert.deepEqual(checks(d), ["cve-2021-26857-um"]);
    assert.equal(d[0].evidence.Computer, "EXCH01.contoso.local");
    assert.match(d[0].evidence.Message, /InvalidCastException/);
    assert.equal(d[0].time, "2021-03-03T07:00:00.000Z");
  });
  it("reads the rendered message when the export has one", () => {
    const ev = { ...um([]), message: `Unable to process: ${text}` };
    assert.deepEqual(checks(run(umDeserialization26857, ev)), ["cve-2021-26857-um"]);
  });
  it("traps: information level, other provider, other UM errors", () => {
    assert.deepEqual(run(umDeserialization26857, um([text], 4)), []);
    assert.deepEqual(run(umDeserialization26857, um([text], 2, "MSExchange ADAccess")), []);
    assert.deepEqual(run(umDeserialization26857, um(["The UM service could not find a dial plan."])), []);
  });
  it("is the check id and evidence the Test-ProxyLogon CSV writer expects", () => {
    const info = checkInfo("cve-2021-26857-um");
    assert.equal(info?.effect, "compromise");
    assert.deepEqual(info?.cves, ["CVE-2021-26857"]);
  });
});

const cmd = (name: string, params: string, time = "2021-03-03T07:00:00.000Z", recordId = 1) =>
  event({
    provider: "MSExchange CmdletLogs",
    eventId: 1,
    channel: "MSExchange Management",
    time,
    recordId,
    values: [
      name,
      params,
      "contoso.local/Users/Administrator",
      "S-1-5-21-1",
      "S-1-5-21-1",
      "Remote-ManagementShell-Unknown",
    ],
  });

describe("MSExchange Management: cmdlets", () => {
  const shell = `-ExternalUrl "http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>" -Identity "OAB (Default Web Site)"`;

  it("flags Set-OabVirtualDirectory with script in -ExternalUrl (CVE-2021-27065)", () => {
    const d = run(exchangeCmdlets, cmd("Set-OabVirtualDirectory", shell));
    assert.deepEqual(checks(d), ["cve-2021-27065-vdir-cmdlet"]);
    assert.match(d[0].evidence.Command, /^Set-OabVirtualDirectory -ExternalUrl/);
    assert.match(d[0].evidence.Match, /<script/i);
    assert.equal(d[0].evidence.User, "contoso.local/Users/Administrator");
  });
  it("flags any Set-*VirtualDirectory and -InternalUrl, Page_Load alone, any case", () => {
    const d = run(
      exchangeCmdlets,
      cmd("set-ecpvirtualdirectory", '-InternalUrl "http://x/function page_load(){}" -Identity "ecp"'),
    );
    assert.deepEqual(checks(d), ["cve-2021-27065-vdir-cmdlet"]);
  });
  it("traps: a normal URL, script outside a URL parameter, Get-*VirtualDirectory", () => {
    assert.deepEqual(
      run(
        exchangeCmdlets,
        cmd("Set-OwaVirtualDirectory", '-ExternalUrl "https://mail.contoso.com/owa" -Identity "owa"'),
      ),
      [],
    );
    assert.deepEqual(
      run(
        exchangeCmdlets,
        cmd("Set-OwaVirtualDirectory", '-Identity "owa" -LogonPageFooter "<script>x</script>"'),
      ),
      [],
    );
    assert.deepEqual(run(exchangeCmdlets, cmd("Get-OabVirtualDirectory", shell)), []);
    assert.deepEqual(run(exchangeCmdlets, cmd("Get-Mailbox", '-ResultSize "Unlimited"')), []);
  });

  it("flags a mailbox export to an .aspx or into a web folder by UNC (ProxyShell)", () => {
    const aspx = run(
      exchangeCmdlets,
      cmd(
        "New-MailboxExportRequest",
        `-Mailbox "admin@contoso.local" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\cvhzz.aspx"`,
      ),
    );
    assert.deepEqual(checks(aspx), ["proxyshell-mailbox-export-webshell"]);
    assert.equal(aspx[0].evidence.Path, "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\cvhzz.aspx");
    assert.match(aspx[0].evidence.Reason, /\.aspx/);
    assert.match(
      exportShellReason(
        "\\\\exch01\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.pst",
      ) ?? "",
      /web folder/,
    );
    assert.match(exportShellReason("'C:\\inetpub\\wwwroot\\aspnet_client\\a.ASHX'") ?? "", /ashx/);
  });
  it("traps: a PST export to a file share, and to a local folder", () => {
    assert.deepEqual(
      run(
        exchangeCmdlets,
        cmd("New-MailboxExportRequest", '-Mailbox "alice" -FilePath "\\\\fs01\\pst$\\alice.pst"'),
      ),
      [],
    );
    assert.equal(exportShellReason("D:\\exports\\bob.pst"), null);
  });

  it("flags the Mailbox Import Export role grant as context, with the grantee", () => {
    const d = run(
      exchangeCmdlets,
      cmd(
        "New-ManagementRoleAssignment",
        '-Role "Mailbox Import Export" -User "administrator@contoso.local"',
      ),
    );
    assert.deepEqual(checks(d), ["proxyshell-import-export-role"]);
    assert.equal(d[0].evidence.Grantee, "administrator@contoso.local");
    assert.equal(checkInfo("proxyshell-import-export-role")?.effect, "context");
    assert.deepEqual(
      run(exchangeCmdlets, cmd("New-ManagementRoleAssignment", '-Role "Mail Recipients" -User "helpdesk"')),
      [],
    );
  });

  it("flags a removal within an hour after an export in the same file, in either order", () => {
    const exp = cmd(
      "New-MailboxExportRequest",
      '-Mailbox "a" -FilePath "\\\\fs\\pst$\\a.pst"',
      "2021-08-14T10:00:05.000Z",
      2,
    );
    const rem = cmd(
      "Remove-MailboxExportRequest",
      '-Identity "a\\MailboxExport" -Confirm "False"',
      "2021-08-14T10:01:40.000Z",
      3,
    );
    const forward = new Map();
    assert.deepEqual(run(exchangeCmdlets, exp, forward), []);
    const d = run(exchangeCmdlets, rem, forward);
    assert.deepEqual(checks(d), ["proxyshell-export-cleanup"]);
    assert.equal(d[0].evidence.MinutesAfterExport, "2");
    assert.equal(d[0].evidence.RecordId, "3");
    const backward = new Map();
    assert.deepEqual(run(exchangeCmdlets, rem, backward), []);
    const late = run(exchangeCmdlets, exp, backward);
    assert.deepEqual(checks(late), ["proxyshell-export-cleanup"]);
    assert.equal(late[0].evidence.RecordId, "3", "the finding is about the removal");
    assert.equal(late[0].evidence.MinutesAfterExport, "2");
    assert.equal(late[0].line, null);
  });
  it("traps: a removal days after the export, a removal with no export, separate files", () => {
    const exp = cmd(
      "New-MailboxExportRequest",
      '-Mailbox "a" -FilePath "\\\\fs\\pst$\\a.pst"',
      "2021-08-14T10:00:00.000Z",
    );
    const later = cmd(
      "Remove-MailboxExportRequest",
      '-Identity "a\\MailboxExport"',
      "2021-08-16T10:00:00.000Z",
    );
    const m = new Map();
    run(exchangeCmdlets, exp, m);
    assert.deepEqual(run(exchangeCmdlets, later, m), []);
    const soon = cmd(
      "Remove-MailboxExportRequest",
      '-Identity "a\\MailboxExport"',
      "2021-08-14T10:05:00.000Z",
    );
    assert.deepEqual(run(exchangeCmdlets, soon, new Map()), [], "another file's memory");
  });
  it("keeps its memory bounded", () => {
    const m: EventMemory = new Map();
    for (let i = 0; i < 2000; i++) {
      const t = new Date(Date.UTC(2021, 0, 1) + i * 60_000).toISOString();
      run(exchangeCmdlets, cmd("New-MailboxExportRequest", '-Mailbox "a" -FilePath "x.pst"', t), m);
      run(
        exchangeCmdlets,
        cmd("Remove-MailboxExportRequest", '-Identity "b"', new Date(Date.UTC(2020, 0, 1) + i).toISOString()),
        m,
      );
    }
    for (const v of m.values()) assert.ok((v as unknown[]).length <= 256);
  });

  it("parses the cmdlet and parameter values as the log writes them", () => {
    assert.deepEqual(cmdletOf(cmd("Get-Mailbox", "-Identity x")), {
      name: "Get-Mailbox",
      params: "-Identity x",
      user: "contoso.local/Users/Administrator",
    });
    assert.equal(
      cmdletOf(event({ provider: "MSExchange CmdletLogs", eventId: 1, values: ["no cmdlet here"] })),
      null,
    );
    assert.equal(paramValue('-Mailbox "a b" -FilePath "\\\\h\\s\\x.aspx"', "FilePath"), "\\\\h\\s\\x.aspx");
    assert.equal(paramValue("-FilePath:'C:\\x.pst' -Confirm", "filepath"), "C:\\x.pst");
    assert.equal(paramValue("-Mailbox a", "FilePath"), null);
  });
});

const wer = (values: string[], provider = "Windows Error Reporting", eventId = 1001) =>
  event({ provider, eventId, channel: "Application", values });

describe("WER: Exchange worker crashes", () => {
  it("flags UMWorkerProcess.exe crashes as attempts (CVE-2021-26857)", () => {
    const d = run(
      werExchangeCrash,
      wer(["1965512345", "5", "APPCRASH", "Not available", "0", "UMWorkerProcess.exe", "15.1.2176.2"]),
    );
    assert.deepEqual(checks(d), ["wer-umworkerprocess-crash"]);
    assert.equal(checkInfo("wer-umworkerprocess-crash")?.effect, "attempt");
  });
  it("flags w3wp.exe crashes naming an MSExchange pool, or no pool, as context", () => {
    const named = run(
      werExchangeCrash,
      wer(["1", "5", "APPCRASH", "", "0", "w3wp.exe", "10.0", "x", "clr.dll", "w3wp#MSExchangeECPAppPool"]),
    );
    assert.deepEqual(checks(named), ["wer-exchange-apppool-crash"]);
    assert.equal(named[0].evidence.AppPool, "MSExchangeECPAppPool");
    const appError = run(
      werExchangeCrash,
      wer(["w3wp.exe", "10.0.14393.0", "57899b8a", "clr.dll"], "Application Error", 1000),
    );
    assert.deepEqual(checks(appError), ["wer-exchange-apppool-crash"]);
    assert.match(appError[0].title ?? "", /names no application pool/);
    assert.equal(checkInfo("wer-exchange-apppool-crash")?.effect, "context");
  });
  it("traps: another pool, another program, other event ids", () => {
    assert.deepEqual(
      run(werExchangeCrash, wer(["1", "5", "APPCRASH", "", "0", "w3wp.exe", "w3wp#DefaultAppPool"])),
      [],
    );
    assert.deepEqual(run(werExchangeCrash, wer(["notepad.exe", "10.0"], "Application Error", 1000)), []);
    assert.deepEqual(run(werExchangeCrash, wer(["w3wp.exe"], "Application Error", 1001)), []);
    assert.deepEqual(
      run(
        werExchangeCrash,
        wer(["1", "5", "APPCRASH", "", "0", "UMWorkerProcess.exe"], "Windows Error Reporting", 1000),
      ),
      [],
    );
  });
});

const sysmon = (eventId: number, data: Record<string, string>) =>
  event({
    provider: "Microsoft-Windows-Sysmon",
    eventId,
    channel: "Microsoft-Windows-Sysmon/Operational",
    data,
  });
const w3wp = "c:\\windows\\system32\\inetsrv\\w3wp.exe";

describe("Sysmon / Security: processes started by Exchange workers", () => {
  it("flags w3wp.exe starting cmd.exe (Sysmon 1), with the pool from the parent command line", () => {
    const d = run(
      exchangeProcessSpawn,
      sysmon(1, {
        Image: "C:\\Windows\\System32\\cmd.exe",
        CommandLine: '"cmd" /c cd /d "C:\\inetpub\\wwwroot\\aspnet_client\\"&whoami',
        ParentImage: w3wp,
        ParentCommandLine: `${w3wp} -ap "MSExchangeOWAAppPool" -v "v4.0"`,
      }),
    );
    assert.deepEqual(checks(d), ["w3wp-spawned-shell"]);
    assert.equal(d[0].evidence.AppPool, "MSExchangeOWAAppPool");
    assert.match(d[0].title ?? "", /w3wp\.exe \(MSExchangeOWAAppPool\) started cmd\.exe/);
  });
  it("flags Security 4688 with the parent process name, and UMWorkerProcess children", () => {
    const sec = event({
      provider: "Microsoft-Windows-Security-Auditing",
      eventId: 4688,
      data: {
        NewProcessName: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ParentProcessName: w3wp,
      },
    });
    assert.deepEqual(checks(run(exchangeProcessSpawn, sec)), ["w3wp-spawned-shell"]);
    const umChild = sysmon(1, {
      Image: "C:\\Windows\\Temp\\payload.exe",
      ParentImage: "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
    });
    assert.deepEqual(checks(run(exchangeProcessSpawn, umChild)), ["umworker-spawned-process"]);
  });
  it("traps: page compilation (csc, cvtres), WerFault, other parents, other events", () => {
    for (const child of ["csc.exe", "cvtres.exe", "WerFault.exe", "conhost.exe"]) {
      assert.deepEqual(
        run(exchangeProcessSpawn, sysmon(1, { Image: `C:\\Windows\\System32\\${child}`, ParentImage: w3wp })),
        [],
        child,
      );
    }
    const um = "C:\\Exchange\\Bin\\UMWorkerProcess.exe";
    assert.deepEqual(
      run(exchangeProcessSpawn, sysmon(1, { Image: "C:\\Windows\\System32\\WerFault.exe", ParentImage: um })),
      [],
    );
    assert.deepEqual(
      run(
        exchangeProcessSpawn,
        sysmon(1, { Image: "C:\\Windows\\System32\\cmd.exe", ParentImage: "C:\\Windows\\explorer.exe" }),
      ),
      [],
    );
    assert.deepEqual(
      run(exchangeProcessSpawn, sysmon(3, { Image: "C:\\Windows\\System32\\cmd.exe", ParentImage: w3wp })),
      [],
    );
  });
});

describe("Sysmon: script files created in Exchange web folders", () => {
  const v15 = "C:\\Program Files\\Microsoft\\Exchange Server\\V15";
  it("flags .aspx under FrontEnd\\HttpProxy and aspnet_client, and any .aspx by the replication service", () => {
    assert.deepEqual(
      checks(
        run(
          webshellDrop,
          sysmon(11, { Image: w3wp, TargetFilename: `${v15}\\FrontEnd\\HttpProxy\\owa\\auth\\shell.aspx` }),
        ),
      ),
      ["webshell-file-created"],
    );
    assert.deepEqual(
      checks(
        run(
          webshellDrop,
          sysmon(11, {
            Image: w3wp,
            TargetFilename: "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\a.ASHX",
          }),
        ),
      ),
      ["webshell-file-created"],
    );
    const mrs = run(
      webshellDrop,
      sysmon(11, {
        Image: `${v15}\\Bin\\MSExchangeMailboxReplication.exe`,
        TargetFilename: "C:\\temp\\x.aspx",
      }),
    );
    assert.deepEqual(checks(mrs), ["webshell-file-created"]);
    assert.match(mrs[0].title ?? "", /ProxyShell/);
  });
  it("traps: setup writing stock pages, other extensions, other folders, other events", () => {
    const page = `${v15}\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx`;
    assert.deepEqual(
      run(webshellDrop, sysmon(11, { Image: "C:\\Windows\\System32\\msiexec.exe", TargetFilename: page })),
      [],
    );
    assert.deepEqual(
      run(webshellDrop, sysmon(11, { Image: `${v15}\\Bin\\ExSetup.exe`, TargetFilename: page })),
      [],
    );
    assert.deepEqual(
      run(
        webshellDrop,
        sysmon(11, { Image: w3wp, TargetFilename: `${v15}\\FrontEnd\\HttpProxy\\owa\\auth\\x.js` }),
      ),
      [],
    );
    assert.deepEqual(
      run(webshellDrop, sysmon(11, { Image: w3wp, TargetFilename: "C:\\inetpub\\wwwroot\\default.aspx" })),
      [],
    );
    assert.deepEqual(run(webshellDrop, sysmon(1, { Image: w3wp, TargetFilename: page })), []);
  });
});

describe("LSASS dumps", () => {
  it("recognises procdump and comsvcs MiniDump command lines", () => {
    assert.equal(
      dumpsLsass("procdump64.exe -accepteula -ma lsass.exe C:\\Windows\\Temp\\l.dmp"),
      "procdump of lsass",
    );
    // A MiniDump of a PID is a dump of a PID: the target is resolved from process events.
    assert.deepEqual(
      dumpCommand("rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\l.dmp full"),
      {
        method: "comsvcs.dll MiniDump",
        target: "pid",
        pid: 624,
      },
    );
    assert.equal(dumpCommand("rundll32 comsvcs.dll #24 700 out.bin full")?.pid, 700);
    assert.equal(dumpsLsass("rundll32 comsvcs.dll #24 700 out.bin full"), null);
    assert.equal(dumpsLsass("procdump.exe -ma w3wp.exe"), null);
    assert.equal(dumpsLsass("rundll32.exe comsvcs.dll,DllRegisterServer"), null);
    assert.equal(dumpsLsass("findstr lsass"), null);
  });
  it("a MiniDump of an unresolved PID is possible only; lsass*.dmp files are proven dumps", () => {
    const cmdEv = event({
      provider: "Microsoft-Windows-Security-Auditing",
      eventId: 4688,
      data: {
        NewProcessName: "C:\\Windows\\System32\\rundll32.exe",
        CommandLine:
          "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\windows\\temp\\lsass.dmp full",
      },
    });
    assert.deepEqual(checks(run(lsassDump, cmdEv)), ["event-lsass-dump-possible"]);
    assert.deepEqual(
      checks(
        run(
          lsassDump,
          sysmon(11, { Image: "C:\\Windows\\System32\\cmd.exe", TargetFilename: "C:\\root\\lsass_0303.dmp" }),
        ),
      ),
      ["event-lsass-dump"],
    );
    assert.equal(checkInfo("event-lsass-dump")?.effect, "context");
  });
  it("flags w3wp reading lsass memory (Sysmon 10) as compromise", () => {
    const d = run(
      lsassDump,
      sysmon(10, {
        SourceImage: w3wp,
        TargetImage: "C:\\Windows\\system32\\lsass.exe",
        GrantedAccess: "0x1010",
      }),
    );
    assert.deepEqual(checks(d), ["lsass-read-by-exchange-worker"]);
    assert.equal(d[0].evidence.GrantedAccess, "0x1010");
  });
  it("traps: query-only access, other sources, other targets, other dump files", () => {
    const lsass = "C:\\Windows\\system32\\lsass.exe";
    assert.deepEqual(
      run(lsassDump, sysmon(10, { SourceImage: w3wp, TargetImage: lsass, GrantedAccess: "0x1000" })),
      [],
    );
    assert.deepEqual(
      run(
        lsassDump,
        sysmon(10, {
          SourceImage: "C:\\Windows\\System32\\svchost.exe",
          TargetImage: lsass,
          GrantedAccess: "0x1fffff",
        }),
      ),
      [],
    );
    assert.deepEqual(
      run(
        lsassDump,
        sysmon(10, {
          SourceImage: w3wp,
          TargetImage: "C:\\Windows\\System32\\csrss.exe",
          GrantedAccess: "0x1fffff",
        }),
      ),
      [],
    );
    assert.deepEqual(
      run(lsassDump, sysmon(11, { Image: w3wp, TargetFilename: "C:\\Windows\\Temp\\w3wp.dmp" })),
      [],
    );
  });
});

describe("event detections: contract", () => {
  const events = detections.filter((d): d is EventDetection => d.type === "event");
  it("every event check has CVEs listed, an effect, a description that says what it matches on, and references", () => {
    assert.ok(events.length >= 6);
    for (const d of events) {
      for (const c of d.checks) {
        assert.ok(c.description.length > 80, c.id);
        assert.ok(c.references.length > 0 && c.references.every((r) => r.startsWith("https://")), c.id);
        assert.ok(["compromise", "attempt", "context", "coverage", "info"].includes(c.effect), c.id);
        for (const cve of c.cves) assert.match(cve, /^CVE-\d{4}-\d{4,}$/);
      }
    }
  });

  it("real sigma-regression events (238 records): only the two lsass dump files fire", (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const fired: string[] = [];
    for (const o of sigmaObjects(join(CORPUS, "evtx/sigma-regression"))) {
      const ev = fromEvtxDump(o);
      assert.ok(typeof ev !== "string");
      // lsass-process-id is bookkeeping for resolving dump targets, not a detection.
      for (const d of events)
        for (const f of run(d, ev))
          if (f.check !== "lsass-process-id") fired.push(`${f.check} ${f.evidence.Path ?? ""}`);
    }
    assert.deepEqual(fired.sort(), [
      "event-lsass-dump C:\\Users\\ADMINI~1\\AppData\\Local\\Temp\\lsass.DMP",
      // A copied WerFaultSecure.exe dumping lsass through dbgcore (Sysmon 10 call trace).
      "event-lsass-dump C:\\WINDOWS\\system32\\lsass.exe",
      "event-lsass-dump C:\\lsass.dmp",
    ]);
  });
});
