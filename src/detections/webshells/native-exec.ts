// Native code run from a page, with or without request input: shellcode put into executable memory
// and started on a thread (VirtualAlloc + Marshal.Copy/RtlMoveMemory + CreateThread/QueueUserAPC or a
// delegate made from the pointer), injected into another process (VirtualAllocEx + WriteProcessMemory
// + CreateRemoteThread), or a process created suspended and hollowed (CreateProcess with
// CREATE_SUSPENDED + WriteProcessMemory/NtUnmapViewOfSection + ResumeThread). The bytes may come from
// the request, a download, a decryption or a literal: a web page that does this is a shell whatever
// their source, because no application page starts native code it put into memory itself. Also token
// theft (another process's token duplicated and used), named-pipe client impersonation and enabling a
// privilege that owns the machine.
import { callArgs, escapeRe } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal, SinkKind } from "./signals.js";

/** The page declares or resolves native functions (C# DllImport, VB Declare ... Lib, GetProcAddress). */
const NATIVE_DECL =
  /dllimport|getprocaddress|delegate\s*\*\s*unmanaged|\bdeclare\s+(?:auto\s+|ansi\s+|unicode\s+)?(?:function|sub)\b[^\n]*\blib\b/;
/** Memory allocated in this or another process (the protection is the last argument). */
const ALLOC =
  /(?<![\w.])(?:virtualalloc(?:ex)?(?:numa)?|ntallocatevirtualmemory|zwallocatevirtualmemory|virtualalloc2)\s*\(/g;
/** A protection change (the new protection is the third argument, or the fourth for the Ex/Nt forms). */
const PROTECT = /(?<![\w.])(?:virtualprotect(?:ex)?|ntprotectvirtualmemory|zwprotectvirtualmemory)\s*\(/g;
/** PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, or a name saying so. */
const EXEC_PROTECTION =
  /^(?:\(\s*[\w.]+\s*\)\s*)?(?:(?:0x|&h)0*(?:10|20|40|80)|16|32|64|128)(?:u|ul)?&?$|execute|rwx/;
/** Bytes written into that memory. */
const COPY =
  /marshal\s*\.\s*(?:copy|write(?:byte|int16|int32|int64|intptr))\s*\(|(?<![\w.])(?:rtlmovememory|rtlcopymemory|movememory|copymemory|memcpy|writeprocessmemory|ntwritevirtualmemory|zwwritevirtualmemory)\s*\(|buffer\s*\.\s*memorycopy\s*\(/;
/** The memory started as code: a (remote) thread, an APC, a callback, a delegate made from the pointer. */
const RUN =
  /(?<![\w.])(?:createthread|createremotethread(?:ex)?|ntcreatethreadex|rtlcreateuserthread|queueuserapc|ntqueueapcthread|createtimerqueuetimer|enum(?:systemlocales|windows|childwindows|desktopwindows|dateformats|fontfamiliesex)[aw]?|certenumsystemstore)\s*\(|getdelegateforfunctionpointer|delegate\s*\*\s*unmanaged/;
/** Where the bytes come from, for the evidence. */
const DOWNLOAD =
  /\.\s*(?:downloaddata(?:async|taskasync)?|getbytearrayasync|uploaddata)\s*\(|\.\s*getresponsestream\s*\(|\.\s*openread\s*\(\s*(?:new\s+uri\s*\(\s*)?["']https?:/;
const DECRYPTION =
  /createdecryptor|transformfinalblock|rijndaelmanaged|aes\s*\.\s*create|aescryptoserviceprovider|(?:triple)?descryptoserviceprovider|tripledes\s*\.\s*create|rc2cryptoserviceprovider|\w\s*\[\s*\w+\s*\]\s*\^=?/;
/** A process created suspended: CREATE_SUSPENDED (0x4) among the flags of CreateProcess. */
const CREATE_PROCESS =
  /(?<![\w.])(?:createprocess(?:asuser|withlogon|withtoken)?[aw]?|ntcreateuserprocess)\s*\(/g;
/** A flags argument with CREATE_SUSPENDED (0x4) set, as a number or by name. */
function suspendedFlag(arg: string): boolean {
  if (arg.includes("suspended")) return true;
  const n = /^(?:\(\s*\w+\s*\)\s*)?(?:(0x|&h)([0-9a-f]{1,8})|(\d{1,10}))u?&?$/.exec(arg);
  return n !== null && (Number(n[1] ? `0x${n[2]}` : n[3]) & 4) !== 0;
}
const REPLACE_IMAGE =
  /(?<![\w.])(?:writeprocessmemory|ntwritevirtualmemory|zwwritevirtualmemory|ntunmapviewofsection|zwunmapviewofsection|ntmapviewofsection|setthreadcontext|wow64setthreadcontext)\s*\(/;
const RESUME =
  /(?<![\w.])(?:resumethread|ntresumethread|ntalertresumethread|queueuserapc|ntqueueapcthread)\s*\(/;

/** What a plain name stands for: the value of its first assignment (`PAGE_EXECUTE_READWRITE = 0x40`). */
function constantOf(t: string, arg: string): string {
  const bare = arg.replace(/^\(\s*[\w.]+\s*\)\s*/, "");
  if (!/^[a-z_]\w*$/.test(bare)) return arg;
  // C# `NAME = v`, VB `Const NAME As UInteger = v`.
  const m = new RegExp(
    String.raw`(?<![\w.])${escapeRe(bare)}(?:\s+as\s+[\w.]+)?\s*=(?!=)\s*([^;\n,]{1,60})`,
  ).exec(t);
  return m ? m[1].trim() : arg;
}

const isExec = (t: string, arg: string | undefined): boolean =>
  arg !== undefined && (EXEC_PROTECTION.test(arg) || EXEC_PROTECTION.test(constantOf(t, arg).trim()));

/** Another process opened (not OpenProcessToken, whose name starts the same). */
const OPEN_PROCESS = /(?<![\w.])(?:openprocess|ntopenprocess)\s*\(/;
const OPEN_TOKEN = /(?<![\w.])(?:openprocesstoken|ntopenprocesstoken(?:ex)?)\s*\(/;
const DUPLICATE_TOKEN = /(?<![\w.])(?:duplicatetoken(?:ex)?|ntduplicatetoken)\s*\(/;
/** A duplicated token put to use: impersonated, set on a thread, or given to a new process. */
const USE_TOKEN =
  /(?<![\w.])(?:impersonateloggedonuser|setthreadtoken|ntsetinformationthread|createprocess(?:asuser|withtoken)[aw]?)\s*\(|\.\s*impersonate\s*\(|new\s+(?:system\s*\.\s*security\s*\.\s*principal\s*\.\s*)?windowsidentity\s*\(/;
const PIPE_IMPERSONATION = /(?<![\w.])impersonatenamedpipeclient\s*\(/;
const NAMED_PIPE = /(?<![\w.])createnamedpipe[aw]?\s*\(|namedpipeserverstream/;
/** Privileges that give the process the machine (debug any process, impersonate, act as the OS, load drivers, own or back up any file). */
const POWERFUL_PRIVILEGE =
  /"se(?:debug|impersonate|assignprimarytoken|tcb|loaddriver|takeownership|backup|restore|createtoken)privilege"/;

/** The first call of `re` whose chosen argument passes `ok`, as its index, else -1. */
function callWhere(t: string, re: RegExp, ok: (args: string[]) => boolean): number {
  for (const m of t.matchAll(re)) if (ok(callArgs(t, m.index + m[0].length - 1))) return m.index;
  return -1;
}

/**
 * Adds the native-execution signals to `signals` (and "load" to `sinks`): executable memory filled and
 * started, and a suspended process whose image is replaced before it resumes.
 */
export function nativeExecCues(norm: Normalised, signals: Signal[], sinks: Set<SinkKind>): void {
  const t = norm.text;
  if (!NATIVE_DECL.test(t)) return;
  const cue = (rule: string, at: number, what: string) => {
    signals.push({ rule, line: norm.lineAt(at), points: 10, what, kind: "load", flow: false });
    sinks.add("load");
  };
  if (t.includes("virtual") || t.includes("allocatevirtualmemory")) {
    const alloc = callWhere(t, ALLOC, (a) => isExec(t, a.at(-1)));
    const protect = alloc >= 0 ? alloc : callWhere(t, PROTECT, (a) => a.slice(2).some((x) => isExec(t, x)));
    if (protect >= 0 && COPY.test(t) && RUN.test(t)) {
      const from = DOWNLOAD.test(t) ? " downloaded" : DECRYPTION.test(t) ? " decrypted" : "";
      cue(
        "native-shellcode-runner",
        protect,
        `puts${from} bytes into executable memory and starts them (VirtualAlloc/VirtualProtect, copy, thread or function pointer)`,
      );
    }
  }
  if (t.includes("token") || t.includes("privilege") || t.includes("pipe")) tokenCues(norm, signals);
  if (t.includes("createprocess") || t.includes("ntcreateuserprocess")) {
    const suspended = callWhere(t, CREATE_PROCESS, (a) =>
      a.some((x) => suspendedFlag(x) || suspendedFlag(constantOf(t, x))),
    );
    if (suspended >= 0 && REPLACE_IMAGE.test(t) && RESUME.test(t))
      cue(
        "process-hollowing",
        suspended,
        "creates a process suspended, writes or unmaps its memory and resumes it (process hollowing/injection)",
      );
  }
}

/**
 * Token theft and privilege escalation from a page: another process's token duplicated and used
 * (impersonated or given to a new process), a named-pipe client impersonated (the "potato" escalations
 * from the IIS account), or a privilege that owns the machine enabled. Applications that impersonate
 * log a user on (LogonUser) or use the caller's own token; they do not open other processes' tokens.
 */
function tokenCues(norm: Normalised, signals: Signal[]): void {
  const t = norm.text;
  const push = (rule: string, at: number, points: number, what: string) =>
    signals.push({ rule, line: norm.lineAt(at), points, what });
  const open = OPEN_PROCESS.exec(t);
  const token = OPEN_TOKEN.exec(t);
  if (open && token && DUPLICATE_TOKEN.test(t) && USE_TOKEN.test(t))
    push(
      "token-theft",
      token.index,
      10,
      "opens another process, duplicates its token and uses it (impersonation or a process started with it)",
    );
  const pipe = PIPE_IMPERSONATION.exec(t);
  if (pipe && NAMED_PIPE.test(t))
    push(
      "named-pipe-impersonation",
      pipe.index,
      10,
      "serves a named pipe and impersonates its client (a potato-style escalation from the web account)",
    );
  const privilege = POWERFUL_PRIVILEGE.exec(t);
  if (privilege && /adjusttokenprivileges|rtladjustprivilege/.test(t))
    push(
      "enables-powerful-privilege",
      privilege.index,
      6,
      `enables ${privilege[0].replace(/"/g, "")} in the web process`,
    );
}
