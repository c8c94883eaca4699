// Whole-server evidence trees, generated into a temp folder with the example generators, each with the
// verdict the evidence ladder (docs/verdict.md) must give. Noise never makes a server compromised;
// proof always does; a proven LSASS dump is never clean.
import assert from "node:assert/strict";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../../examples/generate.js";
import { iisHeader, iisLine, type Req } from "../../examples/iis.js";
import { scan } from "../../src/index.js";
import type { ScanResult, ServerResult } from "../../src/model/types.js";
import { tempDir } from "../helpers.js";

const SMALL = { rowsPerHour: 4 };

function put(root: string, rel: string, data: string | Buffer, mtime?: string): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
  if (mtime) utimesSync(abs, new Date(mtime), new Date(mtime));
}

/** Internet scanners probing for ProxyLogon and ProxyShell: every probe refused. */
function scannerProbes(day: string): Req[] {
  const t = (h: number) => new Date(`${day}T${String(h).padStart(2, "0")}:13:07Z`);
  const ua = "Mozilla/5.0 zgrab/0.x";
  return [
    { t: t(1), method: "GET", stem: "/owa/auth/x.js", ip: "198.51.100.23", ua, status: 404 },
    {
      t: t(2),
      method: "POST",
      stem: "/ecp/y.js",
      ip: "198.51.100.23",
      ua: "python-requests/2.25.1",
      status: 404,
    },
    {
      t: t(3),
      method: "GET",
      stem: "/autodiscover/autodiscover.json",
      query: "@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example",
      ip: "198.51.100.99",
      ua,
      status: 404,
    },
    {
      t: t(4),
      method: "POST",
      stem: "/autodiscover/autodiscover.json",
      query: "@evil.example/powershell/?X-Rps-CAT=x&Email=autodiscover/autodiscover.json%3F@evil.example",
      ip: "198.51.100.99",
      ua,
      status: 401,
    },
  ];
}

function writeIis(root: string, day: string, reqs: Req[]): void {
  const body = reqs.map((q) => `${iisLine(q, "10.30.0.10", false, "mail.fabrikam.local")}\r\n`).join("");
  put(
    root,
    `C/inetpub/logs/LogFiles/W3SVC1/u_ex${day.slice(2).replaceAll("-", "")}_probes.log`,
    iisHeader(new Date(`${day}T00:00:00Z`)) + body,
  );
}

/** Events as a winlogbeat export (one JSON object a line). */
function winlogbeat(
  time: string,
  channel: string,
  provider: string,
  eventId: number,
  data: Record<string, string>,
  recordId: number,
): string {
  return JSON.stringify({
    "@timestamp": time,
    log: { level: "information" },
    winlog: {
      channel,
      computer_name: "EXCH02.fabrikam.local",
      event_id: eventId,
      provider_name: provider,
      record_id: recordId,
      event_data: data,
    },
  });
}

const SYSMON = ["Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"] as const;
const SEC = ["Security", "Microsoft-Windows-Security-Auditing"] as const;

function server(result: ScanResult, name: string): ServerResult {
  const s = result.servers.find((x) => x.name === name);
  assert.ok(s, `${name} scanned`);
  return s;
}

describe("scenario suite: whole-server verdicts", () => {
  let result: ScanResult;
  before(async () => {
    const dir = tempDir({ after: (fn) => process.on("exit", fn) });
    const window = { from: new Date("2020-12-28T00:00:00Z"), to: new Date("2021-03-10T00:00:00Z") };

    // 1. Busy clean server: backups, monitoring agents' process dumps, scanner noise.
    const busy = join(dir, "BUSY");
    writeClean(busy, { ...SMALL, ...window });
    put(
      busy,
      "C/ProgramData/Veeam/Backup/job-2021-03-01.zip",
      Buffer.concat([Buffer.from("PK\u0005\u0006"), Buffer.alloc(18)]),
    );
    put(
      busy,
      "C/ProgramData/SolarWinds/Dumps/w3wp_4120.dmp",
      Buffer.concat([Buffer.from("MDMP"), Buffer.alloc(60)]),
    );
    put(busy, "C/Windows/Temp/MsExchangeHM_1820.dmp", Buffer.concat([Buffer.from("MDMP"), Buffer.alloc(60)]));
    writeIis(busy, "2021-03-05", scannerProbes("2021-03-05"));
    put(
      busy,
      "SIEM/winlogbeat-monitoring.ndjson",
      [
        // Defender and csrss reading lsass, a MiniDump of notepad: all traps.
        winlogbeat(
          "2021-03-02T10:00:00.000Z",
          ...SYSMON,
          10,
          {
            SourceImage: "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18\\MsMpEng.exe",
            TargetImage: "C:\\Windows\\system32\\lsass.exe",
            GrantedAccess: "0x1fffff",
            TargetProcessId: "660",
          },
          1,
        ),
        winlogbeat(
          "2021-03-02T10:01:00.000Z",
          ...SYSMON,
          10,
          {
            SourceImage: "C:\\Windows\\system32\\csrss.exe",
            TargetImage: "C:\\Windows\\system32\\lsass.exe",
            GrantedAccess: "0x1410",
            TargetProcessId: "660",
          },
          2,
        ),
        winlogbeat(
          "2021-03-02T10:02:00.000Z",
          ...SYSMON,
          1,
          { Image: "C:\\Windows\\System32\\notepad.exe", ProcessId: "7312", CommandLine: "notepad.exe" },
          3,
        ),
        winlogbeat(
          "2021-03-02T10:03:00.000Z",
          ...SYSMON,
          1,
          {
            Image: "C:\\Windows\\System32\\rundll32.exe",
            ProcessId: "7400",
            CommandLine:
              "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 7312 C:\\Temp\\np.dmp full",
          },
          4,
        ),
      ].join("\n"),
    );

    // 2. Only scanned by ProxyLogon and ProxyShell scanners.
    const scanned = join(dir, "SCANNED");
    writeClean(scanned, { ...SMALL, ...window });
    writeIis(scanned, "2021-03-05", scannerProbes("2021-03-05"));

    // 3. ProxyLogon compromise with web shell (the example server).
    writeCompromised(join(dir, "PROXYLOGON"), {
      ...SMALL,
      from: new Date("2021-02-26T00:00:00Z"),
      to: new Date("2021-03-08T00:00:00Z"),
    });

    // 4. ProxyShell compromise via mailbox export to a web path.
    const ps = join(dir, "PROXYSHELL");
    writeClean(ps, {
      ...SMALL,
      from: new Date("2021-08-01T00:00:00Z"),
      to: new Date("2021-08-20T00:00:00Z"),
    });
    put(
      ps,
      "SIEM/winlogbeat-mgmt.ndjson",
      winlogbeat(
        "2021-08-14T10:00:05.000Z",
        "MSExchange Management",
        "MSExchange CmdletLogs",
        1,
        {
          param1: "New-MailboxExportRequest",
          param2:
            '-Mailbox "administrator@fabrikam.local" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\cvhzz.aspx"',
        },
        7002,
      ),
    );

    // 5. Patched server after an old compromise: the 2021 traces stay, the logs go on into 2022.
    const patched = join(dir, "PATCHED");
    writeCompromised(patched, {
      ...SMALL,
      from: new Date("2021-02-26T00:00:00Z"),
      to: new Date("2021-03-08T00:00:00Z"),
    });
    writeIis(patched, "2022-01-10", [
      {
        t: new Date("2022-01-10T09:00:00Z"),
        method: "GET",
        stem: "/owa/",
        ip: "10.20.1.15",
        ua: "Mozilla/5.0",
        status: 200,
      },
    ]);

    // 6. Event logs show LSASS dumped by procdump (2023, inside the ProxyNotShell wave) on one server,
    //    and by comsvcs of lsass's PID resolved from Security 4688 (2025, outside every wave) on another.
    const pd = join(dir, "PROCDUMP");
    writeClean(pd, { ...SMALL, ...window });
    put(
      pd,
      "SIEM/winlogbeat-sysmon.ndjson",
      winlogbeat(
        "2023-02-07T03:12:00.000Z",
        ...SYSMON,
        1,
        {
          Image: "C:\\Users\\Public\\pd64.exe",
          ProcessId: "5120",
          CommandLine: "pd64.exe -accepteula -ma lsass.exe C:\\Users\\Public\\o.dmp",
        },
        9,
      ),
    );
    const late = join(dir, "LATEDUMP");
    writeClean(late, { ...SMALL, ...window });
    put(
      late,
      "SIEM/security.ndjson",
      winlogbeat(
        "2025-01-02T00:00:10.000Z",
        ...SEC,
        4688,
        { NewProcessName: "C:\\Windows\\System32\\lsass.exe", NewProcessId: "0x2a8", CommandLine: "" },
        10,
      ),
    );
    put(
      late,
      "SIEM/sysmon.ndjson",
      winlogbeat(
        "2025-01-09T04:00:00.000Z",
        ...SYSMON,
        1,
        {
          Image: "C:\\Windows\\System32\\rundll32.exe",
          ProcessId: "9000",
          CommandLine: "rundll32.exe comsvcs.dll, MiniDump 680 C:\\Users\\Public\\d.bin full",
        },
        11,
      ),
    );

    result = await scan([dir], { each: true, workers: 0 });
  });

  it("busy clean server with backups, monitoring dumps and scanner noise: clean or attempted, never compromised", () => {
    const s = server(result, "BUSY");
    assert.ok(s.verdict === "clean" || s.verdict === "attempted", `${s.verdict}: ${s.reasons.join(" | ")}`);
    assert.ok(
      !s.findings.some((f) => f.check === "event-lsass-dump"),
      "Defender, csrss and a notepad dump are no LSASS dump",
    );
    assert.ok(
      s.findings.some((f) => f.check === "process-dump-not-lsass" && f.evidence.Target === "notepad.exe"),
    );
    assert.ok(s.basis && s.basis.wouldChange.length > 0);
  });

  it("server only scanned by ProxyLogon and ProxyShell scanners: attempted", () => {
    const s = server(result, "SCANNED");
    assert.equal(s.verdict, "attempted", s.reasons.join(" | "));
    assert.ok(!s.findings.some((f) => f.effect === "compromise"), "scanner traffic is no compromise");
  });

  it("ProxyLogon compromise with web shell: compromised", () => {
    const s = server(result, "PROXYLOGON");
    assert.equal(s.verdict, "compromised");
    assert.ok(s.basis?.rules.includes("proof"));
  });

  it("ProxyShell compromise via mailbox export to a web path: compromised", () => {
    const s = server(result, "PROXYSHELL");
    assert.equal(s.verdict, "compromised", s.reasons.join(" | "));
    assert.ok(s.findings.some((f) => f.check === "proxyshell-mailbox-export-webshell"));
  });

  it("patched server after an old compromise: compromised, with the dates", () => {
    const s = server(result, "PATCHED");
    assert.equal(s.verdict, "compromised");
    assert.match(s.reasons[0], /2021-03-0\d/);
  });

  it("LSASS dumped by a renamed procdump inside a campaign window: compromised", () => {
    const s = server(result, "PROCDUMP");
    assert.equal(s.verdict, "compromised", s.reasons.join(" | "));
    const d = s.findings.find((f) => f.check === "event-lsass-dump");
    assert.equal(d?.effect, "compromise");
    assert.equal(d?.evidence.Campaign, "ProxyNotShell");
  });

  it("comsvcs MiniDump of lsass's PID (resolved from another log) outside every window: suspicious with its date, not clean", () => {
    const s = server(result, "LATEDUMP");
    assert.equal(s.verdict, "suspicious", s.reasons.join(" | "));
    assert.match(s.reasons[0], /2025-01-09/);
    assert.ok(s.findings.some((f) => f.check === "event-lsass-dump-possible"));
  });
});
