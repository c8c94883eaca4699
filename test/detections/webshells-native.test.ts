// Techniques that reach the same ends without Process.Start, Assembly.Load or eval: processes started
// through P/Invoke or WMI, shellcode copied into executable memory, calls through native function
// pointers, AMSI/ETW patched in memory, Roslyn scripting, XSLT with scripts enabled, commands received
// over a WebSocket, uploads saved under a folder the caller types, ADODB.Stream writes and single-key
// XOR. Each has false-positive traps shaped like application code. Fixtures are inert (server comments).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { inertCode as inert, contentDrafts as run, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";

const checks = (name: string, code: string, lang = "C#") =>
  run(swept(`${DIR}${name}`, inert(code, lang))).map((d) => d.check);
const scoreOf = (name: string, body: string) => analyse(Buffer.from(body, "latin1"), name);
const rules = (name: string, body: string) => scoreOf(name, body).signals.map((s) => s.rule);

const PINVOKE = '[DllImport("kernel32.dll")] static extern bool CreateProcess(string app, string cmdLine);';

test("P/Invoke process creation with request input: CreateProcess, ShellExecuteEx struct, NtCreateProcess", () => {
  const create = [PINVOKE, 'string c = Request.Form["c"];', 'CreateProcess(null, "cmd.exe /c " + c);'].join(
    "\n",
  );
  assert.deepEqual(checks("a.aspx", create), ["webshell-cmd-runner"]);
  const shex = [
    '[DllImport("shell32.dll")] static extern bool ShellExecuteEx(ref SHELLEXECUTEINFO i);',
    'sei.lpFile = "cmd.exe";',
    'sei.lpParameters = "/c " + Request.QueryString["cmd"];',
    "ShellExecuteEx(ref sei);",
  ].join("\n");
  const d = run(swept(`${DIR}b.aspx`, inert(shex)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-cmd-runner"],
  );
  assert.equal(d[0].line, 5, "the line where the request data is put into the struct");
  const nt = [
    'IntPtr p = GetProcAddress(LoadLibrary("ntdll.dll"), "NtCreateProcess");',
    "var ntCreateProcess = Marshal.GetDelegateForFunctionPointer<NtCreateProcessDelegate>(p);",
    'IntPtr line = Marshal.StringToHGlobalUni("cmd.exe /c " + Request.QueryString["cmd"]);',
    "ntCreateProcess(out IntPtr h, 0x1FFFFF, IntPtr.Zero, IntPtr.Zero, false, line);",
  ].join("\n");
  assert.ok(checks("c.aspx", nt).length > 0);
});

test("P/Invoke traps: a native call that only reads disk space, prose naming CreateProcess, no P/Invoke", () => {
  const disk = [
    '[DllImport("kernel32.dll")] static extern bool GetDiskFreeSpaceEx(string dir, out ulong free);',
    'GetDiskFreeSpaceEx(Request.QueryString["drive"], out free);',
  ].join("\n");
  assert.deepEqual(checks("disk.aspx", disk), []);
  // The words in text, without any P/Invoke declaration: not a sink at all.
  const prose = `<html><body><p>CreateProcess(cmd) and ShellExecuteEx are Win32 calls.</p>\n<% var q = Request["q"]; %></body></html>`;
  assert.ok(!rules("doc.aspx", prose).some((r) => r.includes("native-process")));
});

test("WMI Win32_Process.Create with request input; trap: a WMI query listing processes", () => {
  const wmi = [
    'ManagementClass p = new ManagementClass("Win32_Process");',
    'ManagementBaseObject a = p.GetMethodParameters("Create");',
    'a["CommandLine"] = "cmd.exe /c " + Request.QueryString["cmd"];',
    'p.InvokeMethod("Create", a, null);',
  ].join("\n");
  assert.deepEqual(checks("w.aspx", wmi), ["webshell-cmd-runner"]);
  const list = [
    "var s = new ManagementObjectSearcher(\"SELECT Name FROM Win32_Process WHERE Name = 'w3wp.exe'\");",
    'foreach (ManagementObject o in s.Get()) lbl.Text += o["Name"] + Request.QueryString["sep"];',
  ].join("\n");
  assert.deepEqual(checks("procs.aspx", list), []);
  // A monitoring page: lists Win32_Process and fetches a URL the request names (WebRequest.Create).
  const monitor = [
    'var s = new ManagementObjectSearcher("SELECT Name FROM Win32_Process");',
    'var w = WebRequest.Create(Request.QueryString["url"]);',
  ].join("\n");
  assert.ok(!rules("mon.aspx", inert(monitor)).includes("flow-wmi-process"));
  // VBScript's form: GetObject("winmgmts:...").Get("Win32_Process").Create(command line).
  const vbs =
    'Set p = GetObject("winmgmts:\\\\.\\root\\cimv2").Get("Win32_Process")\nGetObject("winmgmts:").Get("Win32_Process").Create(Request("c"))';
  assert.ok(rules("v.asp", `<html><body><%\n${vbs}\n%></body></html>`).includes("flow-wmi-process"));
});

test("shellcode from the request copied into VirtualAlloc'd memory; trap: Marshal.Copy of bitmap bytes", () => {
  const sc = [
    'byte[] code = Convert.FromBase64String(Request.Form["sc"]);',
    "IntPtr mem = VirtualAlloc(IntPtr.Zero, (uint)code.Length, 0x3000, 0x40);",
    "Marshal.Copy(code, 0, mem, code.Length);",
    "CreateThread(IntPtr.Zero, 0, mem, IntPtr.Zero, 0, IntPtr.Zero);",
  ].join("\n");
  assert.deepEqual(checks("sc.aspx", sc), ["webshell-behaviour"]);
  const bmp = [
    'Bitmap b = new Bitmap(Server.MapPath("~/img/" + Path.GetFileName(Request.QueryString["f"])));',
    "BitmapData d = b.LockBits(r, ImageLockMode.ReadOnly, b.PixelFormat);",
    "Marshal.Copy(d.Scan0, rgb, 0, rgb.Length);",
  ].join("\n");
  assert.deepEqual(checks("thumb.aspx", bmp), []);
});

test("call through a native function pointer with request data; trap: a pointer called with constants", () => {
  const ptr = [
    'IntPtr f = GetProcAddress(LoadLibrary("kernel32"), "WinExec");',
    "WinExecFn run = (WinExecFn)Marshal.GetDelegateForFunctionPointer(f, typeof(WinExecFn));",
    'run(Request.QueryString["c"], 0);',
  ].join("\n");
  const a = scoreOf("p.aspx", inert(ptr));
  assert.ok(a.signals.some((s) => s.rule === "flow-native-call" && s.line === 5));
  assert.ok(checks("p.aspx", ptr).length > 0);
  const stub =
    'IntPtr c = Marshal.StringToHGlobalAnsi(Request["c"]);\n((delegate* unmanaged<IntPtr, uint, IntPtr>)stub)(c, 0, IntPtr.Zero);';
  assert.ok(rules("u.aspx", inert(stub)).includes("flow-native-call"));
  const fixed = [
    'IntPtr f = GetProcAddress(LoadLibrary("user32"), "GetSystemMetrics");',
    "MetricsFn m = (MetricsFn)Marshal.GetDelegateForFunctionPointer(f, typeof(MetricsFn));",
    'int w = m(0); lbl.Text = w + Request.QueryString["unit"];',
  ].join("\n");
  assert.ok(!rules("m.aspx", inert(fixed)).includes("flow-native-call"));
});

test("AMSI/ETW patched in memory decides alone; trap: the names in a help page without a memory write", () => {
  const patch = [
    'IntPtr a = GetProcAddress(LoadLibrary("amsi.dll"), "AmsiScanBuffer");',
    "VirtualProtect(a, 6, 0x40, out old);",
    "Marshal.Copy(new byte[] { 0xB8, 0x57, 0x00, 0x07, 0x80, 0xC3 }, 0, a, 6);",
  ].join("\n");
  const d = run(swept(`${DIR}x.aspx`, inert(patch)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /patches-amsi-etw line 3/);
  const help =
    '<html><body><p>Defender calls "AmsiScanBuffer" and "EtwEventWrite" for scripts.</p></body></html>\n<% var t = Request["topic"]; %>';
  assert.ok(!rules("help.aspx", help).includes("patches-amsi-etw"));
});

test("Roslyn scripting and script-enabled XSLT of request text; traps: constant script, XSLT without scripts", () => {
  assert.deepEqual(
    checks("r.aspx", 'var r = await CSharpScript.EvaluateAsync(Request.QueryString["code"]);'),
    ["webshell-behaviour"],
  );
  assert.deepEqual(
    checks("r2.aspx", 'var r = await CSharpScript.EvaluateAsync<int>("1 + 2"); lbl.Text = Request["x"];'),
    [],
  );
  const xslt = [
    'string x = Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["t"]));',
    "XmlDocument sheet = new XmlDocument(); sheet.LoadXml(x);",
    "XslCompiledTransform t = new XslCompiledTransform();",
    "t.Load(sheet, new XsltSettings(false, true), new XmlUrlResolver());",
    "// Execute: the button's label; not the classic ASP eval/Execute family",
  ].join("\n");
  const d = run(swept(`${DIR}t.aspx`, inert(xslt)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /flow-xslt-script/);
  // A report page: the request's XML is transformed by the site's own stylesheet, scripts disabled.
  const report = [
    'XmlDocument doc = new XmlDocument(); doc.LoadXml(Request.Form["data"]);',
    'XslCompiledTransform t = new XslCompiledTransform(); t.Load(Server.MapPath("~/xsl/report.xsl"));',
    "t.Transform(doc, null, Response.Output);",
  ].join("\n");
  assert.deepEqual(checks("report.aspx", report), []);
  // Scripts enabled for the site's own stylesheet; the request only supplies the XML data.
  const trusted = [
    'XmlDocument doc = new XmlDocument(); doc.LoadXml(Request.Form["data"]);',
    "XslCompiledTransform t = new XslCompiledTransform();",
    't.Load(Server.MapPath("~/xsl/report.xsl"), XsltSettings.TrustedXslt, new XmlUrlResolver());',
    "t.Transform(doc, null, Response.Output);",
  ].join("\n");
  assert.ok(!rules("trusted.aspx", inert(trusted)).includes("flow-xslt-script"));
});

test("commands received over a WebSocket reach a process; trap: a WebSocket chat that echoes", () => {
  const ws = [
    "HttpContext.Current.AcceptWebSocketRequest(async (ctx) => {",
    "  WebSocket s = ctx.WebSocket; byte[] buf = new byte[1024];",
    "  var r = await s.ReceiveAsync(new ArraySegment<byte>(buf), CancellationToken.None);",
    "  string cmd = Encoding.UTF8.GetString(buf, 0, r.Count);",
    '  Process.Start("cmd.exe", "/c " + cmd);',
    "});",
  ].join("\n");
  assert.deepEqual(checks("ws.ashx", ws), ["webshell-cmd-runner"]);
  const chat = [
    "HttpContext.Current.AcceptWebSocketRequest(async (ctx) => {",
    "  WebSocket s = ctx.WebSocket; byte[] buf = new byte[1024];",
    "  var r = await s.ReceiveAsync(new ArraySegment<byte>(buf), CancellationToken.None);",
    "  await s.SendAsync(new ArraySegment<byte>(buf, 0, r.Count), WebSocketMessageType.Text, true, CancellationToken.None);",
    "});",
  ].join("\n");
  assert.deepEqual(checks("chat.ashx", chat), []);
});

test("a posted file saved under a folder typed into the form; traps: uploads under the site's own root", () => {
  const page = (code: string) =>
    `<%@ Page Language="C#" %>\n<script runat="server">\n${code}\n</script>\n<form runat="server"><asp:TextBox ID="dir" runat="server"/><asp:FileUpload ID="up" runat="server"/></form>`;
  const typed =
    'void Save(object s, EventArgs e) { up.SaveAs(dir.Text + "\\\\" + Path.GetFileName(up.FileName)); }';
  const d = run(swept(`${DIR}u.aspx`, page(typed)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /upload-to-request-path line 3/);
  // Application uploads: the folder is the site's (Server.MapPath), only the file name is the user's,
  // also when a sub-folder from the form is appended after the root.
  const own = [
    'void Save(object s, EventArgs e) { string root = Server.MapPath("~/uploads/" + dir.Text + "/");',
    "  string path = root + Path.GetFileName(up.FileName);",
    "  up.SaveAs(path);",
    '  Request.Files[0].SaveAs(Server.MapPath("~/img/") + Request.Files[0].FileName); }',
  ].join("\n");
  const a = scoreOf("upload.aspx", page(own));
  assert.ok(!a.signals.some((x) => x.rule === "upload-to-request-path"));
  assert.ok(a.score < 10, `score ${a.score}`);
});

test("ADODB.Stream: request body written to a request path (VB With block); trap: a fixed log line", () => {
  const vb = [
    'Set st = Server.CreateObject("ADODB.Stream")',
    "With st",
    ".Open",
    '.WriteText = request("body")',
    '.SaveToFile server.mappath(".") & "\\" & request("name"), 2',
    "End With",
  ].join("\n");
  // Inside an ordinary page, so that no tiny-page cue adds to the score.
  const d = run(swept(`${DIR}j.asp`, `<html><body>\n<%\n${vb}\n%>\n</body></html>`));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /request-chooses-file-content line 5/);
  const log = [
    'Set st = Server.CreateObject("ADODB.Stream")',
    "With st",
    ".Open",
    '.WriteText "visit " & Now()',
    '.SaveToFile server.mappath("logs\\" & request("day") & ".txt"), 2',
    "End With",
  ].join("\n");
  assert.deepEqual(run(swept(`${DIR}log.asp`, `<html><body>\n<%\n${log}\n%>\n</body></html>`)), []);
});

test("single-key XOR before Assembly.Load then Invoke with request data; trap: a scalar XOR checksum", () => {
  const xor = [
    'byte[] b = Convert.FromBase64String("TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAA");',
    "for (int i = 0; i < b.Length; i++) b[i] ^= 0x77;",
    'Assembly.Load(b).GetType("H").GetMethod("Run").Invoke(null, new object[] { Request["c"] });',
  ].join("\n");
  const a = scoreOf("x.aspx", inert(xor));
  assert.ok(a.signals.some((s) => s.rule === "xor-then-run"));
  assert.ok(a.score >= 10, `score ${a.score}`);
  const sum = [
    "int sum = 0; foreach (byte v in data) sum ^= v;",
    'var m = typeof(Formatter).GetMethod("Format"); lbl.Text = m.Invoke(null, new object[] { sum }) + Request["sep"];',
  ].join("\n");
  assert.ok(!rules("sum.aspx", inert(sum)).includes("xor-then-run"));
});

test("eval/Execute whose words are spelled out (code arrays, single letters, e|v|a|l); traps: ordinary arrays", () => {
  const codes = [...'eval(request("k"))'].map((c) => c.charCodeAt(0)).join(", ");
  const loop = `<%\na = Array(${codes})\nFor i = 0 To UBound(a)\ns = s & Chr(a(i))\nNext\nExecute(s)\n%>`;
  assert.deepEqual(
    run(swept(`${DIR}c.asp`, loop)).map((d) => d.check),
    ["webshell-asp-eval"], // the decoded text is the classic eval(request(...)) itself
  );
  const split = [
    "<html><body><%",
    'p = Join(Split("e|v|a|l", "|"), "")',
    'q = Join(Split("r|e|q|u|e|s|t", "|"), "")',
    'ExecuteGlobal p & "(" & q & "(""k""))"',
    "%></body></html>",
  ].join("\n");
  const a = scoreOf("s.asp", split);
  assert.ok(a.signals.some((x) => x.rule === "spelled-out-eval" && x.line === 2));
  assert.ok(a.score >= 10);
  // Traps: weekday initials, month lengths and a CSV separator in a page that runs a fixed statement.
  const page = [
    "<html><body><%",
    'days = Array("M", "T", "W", "T", "F", "S", "S")',
    "lens = Array(31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)",
    'cols = Split("n|a|m|e|s", "|")',
    'Execute("total = 0")',
    'Response.Write days(Request.QueryString("d"))',
    "%></body></html>",
  ].join("\n");
  const b = scoreOf("cal.asp", page);
  assert.ok(!b.signals.some((x) => x.rule === "spelled-out-eval"));
  assert.ok(b.score < 10, `score ${b.score}`);
});

test("a literal followed by more code is not a constant; a Session slot keyed by a variable carries data", () => {
  // `command = "cmd.exe /c " & cmdParam` must keep cmdParam (it was folded to the bare literal).
  const vb = [
    "<html><body><%",
    'cmdParam = Request.Form("cmd")',
    'command = "cmd.exe /c " & cmdParam',
    'Set sh = CreateObject("WScript.Shell")',
    "Set p = sh.Exec(command)",
    "%></body></html>",
  ].join("\n");
  assert.ok(rules("x.asp", vb).includes("flow-wscript-run"));
  // Trap: a real one-literal constant still folds (and runs nothing from the request).
  const fixed =
    '<html><body><%\ncmd = "whoami"\nSet sh = CreateObject("WScript.Shell")\nsh.Exec(cmd)\n%></body></html>';
  assert.ok(!rules("y.asp", fixed).includes("flow-wscript-run"));
  const session = [
    "<html><body><%",
    'k = Join(Array("pay", "load"), "")',
    'If IsEmpty(Session(k)) Then Session(k) = Request.Form("p") Else Execute(Session(k))',
    "%></body></html>",
  ].join("\n");
  assert.ok(rules("g.asp", session).includes("flow-execute"));
  const cached =
    '<html><body><%\nk = "menu"\nIf IsEmpty(Session(k)) Then Session(k) = "home|about"\nResponse.Write Session(k) & Request("sep")\n%></body></html>';
  assert.deepEqual(run(swept(`${DIR}menu.asp`, cached)), []);
});
