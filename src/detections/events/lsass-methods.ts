// The public ways to dump LSASS memory, as command-line, file-name and process-access indicators
// (learned from SigmaHQ's credential-access rules and the tools' own documentation; our own code).
// A method either names its target (lsass in the command, a tool that only dumps lsass) or takes a
// PID, which is an LSASS dump only when the PID is lsass.exe's in the same evidence.

/** What a command line shows: the method, and the target when the command says it. */
export interface DumpCommand {
  method: string;
  /** lsass: the command names lsass or the tool only dumps lsass · pid: a PID to resolve · other: a named other process · unknown. */
  target: "lsass" | "pid" | "other" | "unknown";
  pid?: number;
  /** The process the command names, for target "other". */
  name?: string;
}

function pidAfter(c: string, re: RegExp): number | undefined {
  const m = re.exec(c);
  return m ? Number.parseInt(m[1], 10) : undefined;
}

function targeted(method: string, c: string, pid: number | undefined): DumpCommand {
  // lsass named as the target; an output file named lsass.dmp says nothing about what was dumped.
  if (/\blsass\b(?![^\s"']*\.(?:dmp|bin|txt|log|zip|7z|rar))/.test(c)) return { method, target: "lsass" };
  if (pid !== undefined && Number.isFinite(pid)) return { method, target: "pid", pid };
  return { method, target: "unknown" };
}

/** Tools that dump lsass and nothing else (by name in a command line or a file name). */
const LSASS_ONLY_TOOLS: readonly [RegExp, string][] = [
  [/\bdumpert\b|outflank-dumpert/, "Dumpert (direct syscalls)"],
  [/\bandrewspecial\b/, "AndrewSpecial"],
  [/\bnanodump\b/, "nanodump"],
  [/\bppldump\b/, "PPLdump"],
  [/\bmimikatz\b|sekurlsa::/, "mimikatz sekurlsa"],
];

/** The dump method a command line shows, or null. */
export function dumpCommand(commandLine: string): DumpCommand | null {
  const c = commandLine.toLowerCase();
  if (c.includes("comsvcs") && (/minidump/.test(c) || /#\s*\+?0*24\b/.test(c)))
    return targeted("comsvcs.dll MiniDump", c, pidAfter(c, /(?:minidump[a-z]*|#\s*\+?0*24)\s*,?\s+(\d+)\b/));
  // procdump, also renamed: known by its dump-type flags followed by a target.
  const procdumpFlags = /(?:^|\s)[-/]m[amp]\s+("?)([^\s"]+)\1/.exec(c);
  if (/procdump(64)?(\.exe)?\b/.test(c) || (procdumpFlags && /(?:^|\s)[-/]accepteula\b/.test(c))) {
    if (/\blsass/.test(c)) return { method: "procdump of lsass", target: "lsass" };
    const pid = procdumpFlags && /^\d+$/.test(procdumpFlags[2]) ? Number(procdumpFlags[2]) : undefined;
    const named = procdumpFlags?.[2];
    if (named && pid === undefined && /^[\w.-]+\.exe$/.test(named))
      return { method: "procdump", target: "other", name: named };
    if (/(?:^|\s)[-/]m[amp]\b/.test(c)) return targeted("procdump", c, pid);
    return null;
  }
  if (/rdrleakdiag/.test(c) && /fullmemdmp|memdmp/.test(c))
    return targeted("rdrleakdiag memory dump", c, pidAfter(c, /[/-]p\s+(\d+)/));
  if (/sqldumper(\.exe)?\b/.test(c)) {
    const m =
      /sqldumper(?:\.exe)?"?\s+(\d+)\s+\d+\s+0x0*1100?/.exec(c) ?? /sqldumper(?:\.exe)?"?\s+(\d+)\s/.exec(c);
    return targeted("SQLDumper", c, m ? Number(m[1]) : undefined);
  }
  if (/createdump(\.exe)?\b/.test(c))
    return targeted(
      "createdump",
      c,
      pidAfter(c, /createdump(?:\.exe)?"?(?:\s+-{1,2}[a-z]+(?:\s+[^\s-][^\s]*)?)*?\s+(\d+)\b/),
    );
  if (c.includes("out-minidump"))
    return targeted("Out-Minidump (PowerShell)", c, pidAfter(c, /-processid\s+(\d+)/));
  if (c.includes("minidumpwritedump"))
    return targeted("MiniDumpWriteDump from PowerShell/.NET", c, undefined);
  if (c.includes("psscapturesnapshot"))
    return targeted("process snapshot (PssCaptureSnapshot)", c, undefined);
  if (/silentprocessexit/.test(c) && /\blsass/.test(c))
    return { method: "SilentProcessExit dump", target: "lsass" };
  for (const [re, method] of LSASS_ONLY_TOOLS) if (re.test(c)) return { method, target: "lsass" };
  return null;
}

/** The method a dump file's name shows (Sysmon 11 TargetFilename), or null. */
export function dumpFileMethod(fileName: string): string | null {
  const n = fileName.toLowerCase();
  if (/^lsass[^\\/]*\.dmp$/.test(n)) return "lsass*.dmp written (Task Manager, procdump, comsvcs)";
  if (n === "dumpert.dmp") return "Dumpert (direct syscalls)";
  if (n === "andrew.dmp") return "AndrewSpecial";
  if (/^lsass\.exe-\(pid-\d+\)/.test(n)) return "SilentProcessExit dump";
  return null;
}

/**
 * Process-access rights that read LSASS memory as dumping tools ask for them (Sysmon 10 GrantedAccess):
 * PROCESS_VM_READ with QUERY_(LIMITED_)INFORMATION and the tools' usual extras, or full access.
 */
export const DUMP_ACCESS = new Set([
  0x1010, 0x1410, 0x1438, 0x143a, 0x1418, 0x1f0fff, 0x1f1fff, 0x1f2fff, 0x1f3fff, 0x1fffff,
]);

/**
 * Processes that open lsass with such rights as part of Windows or antivirus work (the trap: Defender,
 * csrss, wininit, services, the WMI host scanning processes).
 */
export const BENIGN_LSASS_READERS = new Set([
  "msmpeng.exe",
  "mssense.exe",
  "csrss.exe",
  "wininit.exe",
  "services.exe",
  "lsm.exe",
  "smss.exe",
  "wmiprvse.exe",
  "vmtoolsd.exe",
  "svchost.exe",
  "lsass.exe",
  "taskhostw.exe",
]);

/** Whether a Sysmon 10 CallTrace shows a minidump writer or a call from no module (direct syscalls). */
export function dumpCallTrace(callTrace: string): string | null {
  const t = callTrace.toLowerCase();
  if (/dbghelp\.dll|dbgcore\.dll/.test(t)) return "MiniDumpWriteDump (dbghelp/dbgcore in the call trace)";
  if (t.includes("unknown")) return "call from unbacked memory (direct syscalls, Dumpert-style)";
  return null;
}
