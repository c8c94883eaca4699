// Request data that reaches a sink without a `Request.*` in sight: parameters of web-service methods,
// values carried through collections and builders, a file browser over the whole disk, and code hidden
// with the Script Encoder. Found
// missing on a fresh evaluation set (public shells the rules had not seen); each technique has its
// false-positive traps. Fixtures are inert: the code sits in server comments and never runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { draftsOf, type FindingDraft, type SweptFile } from "../../src/detections/types.js";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { webshellContent } from "../../src/detections/webshells/content.js";
import { decodeScriptBlocks, decodeScriptBody } from "../../src/detections/webshells/script-encoder.js";
import { ctx } from "../helpers.js";
import { swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";

function run(f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  return webshellContent.select(f, c) ? draftsOf(webshellContent.match(f, c)) : [];
}
const checks = (f: SweptFile) => run(f).map((x) => x.check);
const score = (src: string, name: string) => analyse(Buffer.from(src, "latin1"), name);
const service = (code: string) => `<%@ WebService Language="C#" Class="Svc" %>\n<%--\n${code}\n--%>\n`;

test("web-method parameters are request data: a SOAP command runner (C# and VB) is strong", () => {
  const cs = [
    "public class Svc : System.Web.Services.WebService {",
    "  [WebMethod]",
    "  [ScriptMethod(UseHttpGet = true)]",
    "  public string Run(string exe, string args) {",
    "    ProcessStartInfo info = new ProcessStartInfo(exe, args);",
    "    Process p = new Process(); p.StartInfo = info; p.Start();",
    "    return p.StandardOutput.ReadToEnd();",
    "  }",
    "}",
  ].join("\n");
  const d = run(swept(`${DIR}svc.asmx`, service(cs)));
  assert.ok(d.length > 0, "found");
  assert.match(d.map((x) => x.evidence.Signals ?? x.evidence.Rule).join(" "), /process/);
  const vb = [
    "<WebMethod()> _",
    "Public Function Ping(ByVal target As String) As String",
    '  Dim s As New ProcessStartInfo("cmd.exe", "/c ping " & target)',
    "  Return Process.Start(s).StandardOutput.ReadToEnd()",
    "End Function",
  ].join("\n");
  const a = score(`<%@ WebService Language="VB" Class="Svc" %>\n<%--\n${vb}\n--%>`, "svc.asmx");
  assert.ok(a.flows.has("process"), "VB web-method parameter reaches the process");
  assert.ok(a.score >= 10, `VB scored ${a.score}`);
});

test("web-method traps: parameters into SQL text, a fixed process elsewhere, an ordinary method", () => {
  const sql = [
    "public class Svc : System.Web.Services.WebService {",
    '  string cs = ConfigurationManager.ConnectionStrings["main"].ConnectionString;',
    "  [WebMethod]",
    "  public DataTable Find(string name) {",
    '    var cmd = new SqlCommand("SELECT * FROM Customers WHERE Name = \'" + name + "\'");',
    "    return Fill(cmd);",
    "  }",
    "  public void Rebuild(string unused) {",
    '    Process.Start(Server.MapPath("~/bin/indexer.exe"), "--all");',
    "  }",
    "}",
  ].join("\n");
  const a = score(service(sql), "svc.asmx");
  assert.ok(a.flows.has("sql"), "the parameter counts as request data");
  assert.ok(!a.flows.has("process"), "a method that is no web method does not get request data");
  assert.deepEqual(checks(swept(`${DIR}svc.asmx`, service(sql))), []);
  // An ordinary (non-web) method's parameters carry nothing by themselves.
  const plain = score(
    "<%--\npublic string Run(string exe) { return Process.Start(exe).Id.ToString(); }\n--%>",
    "helper.aspx",
  );
  assert.ok(!plain.flows.has("process"));
});

test("collections and builders carry request data: dictionary slot into Execute, builder into a process", () => {
  const vbs = [
    "<%",
    'Set d = Server.CreateObject("Scripting.Dictionary")',
    'If IsEmpty(Session("p")) Then',
    '  Session("p") = Request.Form("x")',
    "Else",
    '  d.Add "k", Session("p")',
    '  Execute(d("k"))',
    "End If",
    "%>",
  ].join("\n");
  const inertVbs = `<%@ Language="VBScript" %>\n<%--\n${vbs.replaceAll("<%", "").replaceAll("%>", "")}\n--%>`;
  assert.ok(checks(swept(`${DIR}cfg.asp`, inertVbs)).length > 0, "dictionary slot reaches Execute");
  const cs = [
    "var sb = new StringBuilder();",
    'sb.Append("/c ");',
    'sb.Append(Request.Form["q"]);',
    'Process.Start("cmd.exe", sb.ToString());',
  ].join("\n");
  const a = score(`<%@ Page Language="C#" %>\n<%--\n${cs}\n--%>`, "b.aspx");
  assert.ok(a.flows.has("process"), "builder carries the request into the process");
});

test("collection traps: request values listed and echoed, a fixed process beside them", () => {
  const cs = [
    "var names = new List<string>();",
    'names.Add(Request.QueryString["name"]);',
    "var sb = new StringBuilder();",
    'sb.Append(Server.HtmlEncode(Request.Form["comment"]));',
    "Response.Write(sb.ToString());",
    'Process.Start(Server.MapPath("~/bin/thumbnailer.exe"), "--refresh");',
    "foreach (var n in names) Response.Write(Server.HtmlEncode(n));",
  ].join("\n");
  const src = `<%@ Page Language="C#" %>\n<html><body>\n<%--\n${cs}\n--%>\n</body></html>`;
  const a = score(src, "list.aspx");
  assert.ok(!a.flows.has("process"), "the process's arguments hold no request data");
  assert.deepEqual(checks(swept(`${DIR}list.aspx`, src)), []);
  // Response.Cookies.Add / Session.Add are not containers that taint a name.
  const b = score(
    '<%--\nResponse.Cookies.Add(new HttpCookie("u", Request["u"]));\nProcess.Start("cookies.exe");\n--%>',
    "c.aspx",
  );
  assert.ok(!b.flows.has("process"));
});

test("a file browser over the whole disk: request-chosen folder listing plus a drive root is strong", () => {
  const vbs = [
    'dir = Request("dir")',
    'If dir = "" Then dir = "c:\\"',
    'Set fs = CreateObject("Scripting.FileSystemObject")',
    "Set folder = fs.GetFolder(dir)",
    "For Each f In folder.Files",
    '  Response.Write "<a href=?dir=" & Server.URLEncode(f.Path) & ">" & f.Name & "</a>"',
    "Next",
    'If Request("view") <> "" Then Response.Write fs.OpenTextFile(Request("view"), 1).ReadAll',
  ].join("\n");
  const src = `<%@ Language="VBScript" %>\n<html><body>\n<%--\n${vbs}\n--%>\n</body></html>`;
  const a = score(src, "list.asp");
  assert.ok(a.signals.some((s) => s.rule === "request-browses-disk"));
  assert.ok(checks(swept(`${DIR}list.asp`, src)).length > 0);
  // .NET: a listing of a posted path next to the machine's drives.
  const cs = [
    "foreach (var d in Directory.GetLogicalDrives()) Response.Write(d);",
    'foreach (var f in Directory.GetFiles(Request.Form["path"])) Response.Write(f);',
  ].join("\n");
  const b = score(`<%@ Page Language="C#" %>\n<%--\n${cs}\n--%>`, "b.aspx");
  assert.ok(b.signals.some((s) => s.rule === "request-browses-disk"));
});

test("file-browser traps: a gallery under the site's own root, a drive-space report without a request", () => {
  const gallery = [
    'sub = Request("album")',
    'Set fs = CreateObject("Scripting.FileSystemObject")',
    'Set folder = fs.GetFolder(Server.MapPath("/photos/" & sub))',
    'For Each f In folder.Files : Response.Write "<img src=/photos/" & sub & "/" & f.Name & ">" : Next',
  ].join("\n");
  const g = `<%@ Language="VBScript" %>\n<html><body>\n<%--\n${gallery}\n--%>\n</body></html>`;
  assert.ok(!score(g, "gallery.asp").signals.some((s) => s.rule === "request-browses-disk"));
  assert.deepEqual(checks(swept(`${DIR}gallery.asp`, g)), []);
  const report = [
    'Set fs = CreateObject("Scripting.FileSystemObject")',
    'For Each d In fs.Drives : Response.Write d.DriveLetter & ": " & d.FreeSpace & "<br>" : Next',
    'Set logs = fs.GetFolder("c:\\inetpub\\logs")',
    'Response.Write Server.HTMLEncode(Request("note"))',
  ].join("\n");
  const r = `<%@ Language="VBScript" %>\n<html><body>\n<%--\n${report}\n--%>\n</body></html>`;
  assert.ok(!score(r, "space.asp").signals.some((s) => s.rule === "request-browses-disk"));
  assert.deepEqual(checks(swept(`${DIR}space.asp`, r)), []);
});

/** Script-Encodes plain text by searching, per position, the byte the decoder turns into it. */
function screnc(plain: string): string {
  const esc: Record<string, string> = { "\n": "@&", "\r": "@#", ">": "@*", "<": "@!", "@": "@$" };
  let body = "";
  for (const ch of plain) {
    if (esc[ch]) {
      body += esc[ch];
      continue;
    }
    const cands = [9, ...Array.from({ length: 96 }, (_, i) => 32 + i)].filter(
      (b) => ![60, 62, 64].includes(b),
    );
    const hit = cands.find((b) => decodeScriptBody(body + String.fromCharCode(b)).endsWith(ch));
    assert.ok(hit !== undefined, `no encoding for ${ch}`);
    body += String.fromCharCode(hit);
  }
  return `#@~^AAAAAA==${body}AAAAAA==^#~@`;
}

test("Script Encoder: a known published sample's prefix decodes, and encoded blocks are analysed as plain code", () => {
  // The first characters of the classic `MsgBox "Hello"` example from the Script Encoder's documentation.
  assert.equal(decodeScriptBody("\\ko$K6,J").slice(0, 8), 'MsgBox "');
  assert.equal(
    decodeScriptBlocks(screnc('x = Request.Form("c")\r\nExecute x'))[0]?.text,
    'x = Request.Form("c")\r\nExecute x',
  );
  const shell = `<%@ LANGUAGE = VBScript.Encode %>\n<%${screnc('Execute Request.Form("c")')}%>\n`;
  assert.deepEqual(
    decodeScriptBlocks(shell).map((b) => b.text),
    ['Execute Request.Form("c")'],
  );
  const a = score(shell, "e.asp");
  assert.ok(a.flows.has("code"), "the decoded Execute sees the request");
  assert.ok(
    checks(swept(`${DIR}e.asp`, shell)).some((c) => c !== "webshell-suspicious-code"),
    "strong",
  );
});

test("Script Encoder traps: an encoded ordinary page stays context, broken blocks decode to nothing", () => {
  const page = `<%@ LANGUAGE = VBScript.Encode %>\n<html><body>\n<%${screnc('Response.Write "Welcome, " & Server.HTMLEncode(Request("name"))')}%>\n</body></html>\n`;
  const a = score(page, "welcome.asp");
  assert.ok(a.score < 10, `scored ${a.score}`);
  assert.ok(!checks(swept(`${DIR}welcome.asp`, page)).some((c) => c !== "webshell-suspicious-code"));
  assert.deepEqual(decodeScriptBlocks("#@~^AAAAAA==no end marker here"), []);
});

test("UTF-16 pages (with or without a byte-order mark, either byte order) are judged like their text", () => {
  const page = '<%@ Page Language="Jscript"%>\n<%-- inert: eval(Request.Item["z"],"unsafe"); --%>\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page, "utf16le")]);
  const bare = Buffer.from(page, "utf16le");
  const be = Buffer.from(Buffer.from(page, "utf16le")).swap16();
  for (const [label, bytes] of [
    ["LE with BOM", le],
    ["LE without BOM", bare],
    ["BE", Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
  ] as const) {
    assert.ok(checks(swept(`${DIR}u.aspx`, bytes)).includes("webshell-chopper"), label);
  }
});

test("UTF-16 traps: an ordinary UTF-16 page, and binary data with NULs named like a page", () => {
  const page =
    '<%@ Page Language="C#" %>\n<html><body><p><%= DateTime.Now.ToString("yyyy-MM-dd") %></p></body></html>\n';
  assert.deepEqual(
    checks(
      swept(`${DIR}date.aspx`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page, "utf16le")])),
    ),
    [],
  );
  const binary = Buffer.alloc(4096);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 251 === 0 ? 0 : (i * 31) % 256;
  assert.deepEqual(checks(swept(`${DIR}blob.aspx`, binary)), []);
});
