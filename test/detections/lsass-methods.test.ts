// Every public LSASS dump method: a positive and a trap each (command lines, file names, access rights).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lsassDump } from "../../src/detections/events/lsass-dump.js";
import { dumpCommand, dumpFileMethod } from "../../src/detections/events/lsass-methods.js";
import type { EventMemory, FindingDraft } from "../../src/detections/types.js";
import { draftsOf } from "../../src/detections/types.js";
import type { EventRecord } from "../../src/model/records.js";
import { event } from "../events-helpers.js";
import { ctx } from "../helpers.js";

const sysmon = (
  eventId: number,
  data: Record<string, string>,
  time = "2021-03-03T08:00:00.000Z",
): EventRecord => event({ provider: "Microsoft-Windows-Sysmon", eventId, data, time, computer: "EX1" });

function run(ev: EventRecord, memory: EventMemory = new Map()): FindingDraft[] {
  return draftsOf(lsassDump.match(ev, ctx(), memory)).filter((d) => d.check !== "lsass-process-id");
}

describe("LSASS dump methods", () => {
  const positives: [string, string][] = [
    ["procdump64.exe -accepteula -ma lsass.exe C:\\t\\l.dmp", "procdump of lsass"],
    ["pd.exe -accepteula -64 -ma lsass.exe out.dmp", "procdump of lsass"],
    ["rdrleakdiag.exe /p 660 /o C:\\t /fullmemdmp /wait 1", "rdrleakdiag memory dump"],
    ["SQLDumper.exe 660 0 0x0110", "SQLDumper"],
    ["createdump.exe -u -f C:\\t\\d.dmp 660", "createdump"],
    ["powershell Out-Minidump -Process (Get-Process lsass)", "Out-Minidump (PowerShell)"],
    [
      "powershell [PSObject].Assembly...MiniDumpWriteDump((Get-Process lsass).Handle ...)",
      "MiniDumpWriteDump from PowerShell/.NET",
    ],
    ["C:\\Users\\x\\Outflank-Dumpert.exe", "Dumpert (direct syscalls)"],
    ["PPLdump.exe lsass.exe lsass.dmp", "PPLdump"],
    ["AndrewSpecial.exe", "AndrewSpecial"],
    ["nanodump.x64.exe --write C:\\t\\n.dmp", "nanodump"],
  ];
  for (const [cmd, method] of positives)
    it(`recognises ${method}: ${cmd.slice(0, 40)}`, () => assert.equal(dumpCommand(cmd)?.method, method));

  it("traps: ordinary commands that mention lsass or dump tools are no dump", () => {
    for (const c of [
      "findstr lsass",
      'tasklist /fi "imagename eq lsass.exe"',
      "rundll32.exe comsvcs.dll,DllRegisterServer",
      "procdump.exe -accepteula -e w3wp.exe",
      "sqlservr.exe -sMSSQLSERVER",
    ])
      assert.equal(dumpCommand(c)?.target === "lsass" ? c : null, null, c);
    assert.deepEqual(dumpCommand("procdump.exe -ma w3wp.exe"), {
      method: "procdump",
      target: "other",
      name: "w3wp.exe",
    });
    assert.equal(dumpCommand("procdump.exe -ma 660 out.dmp")?.pid, 660);
  });

  it("file names: lsass.DMP, dumpert.dmp, Andrew.dmp, SilentProcessExit dumps; traps: w3wp.dmp, memory.dmp", () => {
    for (const n of ["lsass.DMP", "lsass_0303.dmp", "dumpert.dmp", "Andrew.dmp", "lsass.exe-(PID-660).dmp"])
      assert.ok(dumpFileMethod(n), n);
    for (const n of ["w3wp.dmp", "memory.dmp", "lsass.exe", "notepad.dmp"])
      assert.equal(dumpFileMethod(n), null, n);
  });

  it("comsvcs MiniDump: lsass's PID in the same log is proven, notepad's is not an LSASS dump, unknown is possible", () => {
    const memory: EventMemory = new Map();
    run(
      sysmon(10, {
        SourceImage: "C:\\x\\agent.exe",
        TargetImage: "C:\\Windows\\system32\\lsass.exe",
        GrantedAccess: "0x1000",
        TargetProcessId: "660",
      }),
      memory,
    );
    run(
      sysmon(1, { Image: "C:\\Windows\\System32\\notepad.exe", ProcessId: "7312", CommandLine: "notepad" }),
      memory,
    );
    const dump = (pid: number) =>
      run(
        sysmon(1, {
          Image: "C:\\Windows\\System32\\rundll32.exe",
          ProcessId: "9",
          CommandLine: `rundll32 C:\\Windows\\System32\\comsvcs.dll MiniDump ${pid} C:\\t\\x.dmp full`,
        }),
        memory,
      );
    const proven = dump(660);
    assert.deepEqual(
      proven.map((d) => d.check),
      ["event-lsass-dump"],
    );
    assert.equal(proven[0].effect, "compromise", "2021-03 is inside the ProxyLogon window");
    assert.deepEqual(
      dump(7312).map((d) => d.check),
      ["process-dump-not-lsass"],
    );
    assert.deepEqual(
      dump(4444).map((d) => d.check),
      ["event-lsass-dump-possible"],
    );
  });

  it("a proven dump outside every campaign window is a high finding with its date, not compromise", () => {
    const [d] = run(
      sysmon(
        11,
        { Image: "C:\\Windows\\system32\\taskmgr.exe", TargetFilename: "C:\\Temp\\lsass.DMP" },
        "2025-10-24T23:50:20.000Z",
      ),
    );
    assert.equal(d.check, "event-lsass-dump");
    assert.equal(d.effect, undefined);
    assert.match(d.title ?? "", /2025-10-24/);
  });

  it("Sysmon 10: dump rights with a minidump call trace are a dump; Defender, csrss, wininit are traps; no trace is listed only", () => {
    const lsass = "C:\\Windows\\system32\\lsass.exe";
    const trace = "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\dbgcore.DLL+6bbc";
    assert.deepEqual(
      run(
        sysmon(10, {
          SourceImage: "C:\\Users\\Public\\x.exe",
          TargetImage: lsass,
          GrantedAccess: "0x1fffff",
          CallTrace: trace,
        }),
      ).map((d) => d.check),
      ["event-lsass-dump"],
    );
    assert.deepEqual(
      run(
        sysmon(10, {
          SourceImage: "C:\\Users\\Public\\x.exe",
          TargetImage: lsass,
          GrantedAccess: "0x1410",
          CallTrace: "C:\\Windows\\SYSTEM32\\ntdll.dll+1|UNKNOWN(00000000001)",
        }),
      ).map((d) => d.check),
      ["event-lsass-dump"],
    );
    assert.deepEqual(
      run(
        sysmon(10, { SourceImage: "C:\\Users\\Public\\x.exe", TargetImage: lsass, GrantedAccess: "0x1010" }),
      ).map((d) => d.check),
      ["lsass-memory-read"],
    );
    for (const src of [
      "C:\\ProgramData\\Microsoft\\Windows Defender\\MsMpEng.exe",
      "C:\\Windows\\system32\\csrss.exe",
      "C:\\Windows\\system32\\wininit.exe",
    ])
      assert.deepEqual(
        run(
          sysmon(10, { SourceImage: src, TargetImage: lsass, GrantedAccess: "0x1fffff", CallTrace: trace }),
        ),
        [],
        src,
      );
    assert.deepEqual(
      run(sysmon(10, { SourceImage: "C:\\x\\y.exe", TargetImage: lsass, GrantedAccess: "0x1000" })),
      [],
    );
  });

  it("SilentProcessExit for lsass and process reflection are dumps; SilentProcessExit for another process is not", () => {
    assert.equal(
      run(
        sysmon(13, {
          Image: "C:\\x\\reg.exe",
          TargetObject:
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\lsass.exe\\ReportingMode",
        }),
      )[0]?.check,
      "event-lsass-dump",
    );
    assert.deepEqual(
      run(
        sysmon(13, {
          Image: "C:\\x\\reg.exe",
          TargetObject:
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\notepad.exe\\ReportingMode",
        }),
      ),
      [],
    );
    assert.equal(
      run(
        sysmon(1, {
          Image: "C:\\Windows\\System32\\lsass.exe",
          ParentImage: "C:\\Windows\\System32\\lsass.exe",
          CommandLine: "",
        }),
      )[0]?.check,
      "event-lsass-dump",
    );
    assert.deepEqual(
      run(
        sysmon(1, {
          Image: "C:\\Windows\\System32\\lsass.exe",
          ParentImage: "C:\\Windows\\System32\\wininit.exe",
          CommandLine: "",
        }),
      ),
      [],
    );
  });
});
