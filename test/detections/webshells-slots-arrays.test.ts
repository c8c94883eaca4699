// State slots and byte arrays (issue 14): request data and loaded assemblies kept in Session,
// Application or Cache under a key held in a variable or decoded from bytes; byte arrays written
// without `new`, built from Convert.ToByte, reversed in place, or turned into text by a `(char)` loop.
// Samples are synthetic and inert (server comments); the traps are application code using the same
// APIs legitimately.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FindingDraft } from "../../src/detections/types.js";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { decodeByteStrings } from "../../src/detections/webshells/byte-strings.js";
import { inertCode as inert, contentDrafts as run, swept } from "../sweep-helpers.js";

const SITE = "D:\\Sites\\shop\\"; // outside every Exchange and IIS folder the sweep knows

const dec = (s: string) => [...Buffer.from(s)].join(", ");
const checks = (d: FindingDraft[]) => d.map((x) => x.check);
const rules = (code: string, name = "p.aspx") =>
  analyse(Buffer.from(code, "latin1"), name).signals.map((s) => s.rule);

test("Session/Cache slot under a key held in a variable carries request data to a process start", () => {
  const cs = [
    'string slot = "job";',
    'Session[slot] = Request.Form["c"];',
    'System.Diagnostics.Process.Start("cmd.exe", "/c " + Session["job"]);',
  ].join("\n");
  assert.deepEqual(checks(run(swept(`${SITE}a.aspx`, inert(cs, "C#")))), ["webshell-cmd-runner"]);
  const vb = [
    'Dim k : k = "q"',
    'HttpContext.Current.Cache.Insert(k, Request("c"))',
    'Dim sh : Set sh = Server.CreateObject("WScript.Shell")',
    'sh.Run "cmd /c " & Cache(k)',
  ].join("\n");
  assert.deepEqual(checks(run(swept(`${SITE}b.aspx`, inert(vb, "VB")))), ["webshell-cmd-runner"]);
});

test("trap: a slot filled from the request does not taint a different slot read by a report job", () => {
  const page = [
    '<%@ Page Language="C#" %>',
    '<html><body><form runat="server"><asp:Label ID="msg" runat="server" /></form></body></html>',
    '<script runat="server">',
    "void Page_Load(object s, EventArgs e) {",
    '  Session["user"] = Request.Form["name"];',
    '  string job = (string)Session["jobId"];',
    '  if (job != null) System.Diagnostics.Process.Start(Server.MapPath("~/bin/report.exe"), job);',
    '  msg.Text = "Hello " + Server.HtmlEncode((string)Session["user"]);',
    "}",
    "</script>",
  ].join("\n");
  assert.deepEqual(run(swept(`${SITE}report.aspx`, page)), []);
  assert.ok(!rules(page).includes("flow-process-start"));
});

test("an assembly loaded from bytes kept in Session under a variable or decoded key is a memory-resident payload", () => {
  const cs = [
    'string p = "k";',
    `string sk = System.Text.Encoding.Default.GetString(new byte[] {${dec("store")}});`,
    "byte[] data = System.Convert.FromBase64String(Context.Request[p]);",
    "for (int i = 0; i < data.Length; i++) data[i] ^= 0x17;",
    'if (Session[sk] == null) Session[sk] = (System.Reflection.Assembly)typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data });',
    'else ((System.Reflection.Assembly)Session[sk]).CreateInstance("Agent").Equals(Context);',
  ].join("\n");
  const a = rules(cs);
  assert.ok(a.includes("session-stored-assembly"), a.join());
  assert.ok(run(swept(`${SITE}g.aspx`, inert(cs, "C#"))).length > 0);
  const vb = [
    'Dim k As String = "s"',
    'Dim data As Byte() = Convert.FromBase64String(Request.Form("d"))',
    "If Session(k) Is Nothing Then Session(k) = [Assembly].Load(data)",
    'Dim asm = CType(Session(k), [Assembly]) : asm.CreateInstance("Agent").Equals(Context)',
  ].join("\n");
  assert.ok(rules(vb).includes("session-stored-assembly"));
});

test("trap: plug-in assemblies cached by path or by name are not payloads kept in Session", () => {
  const page = [
    '<%@ Page Language="C#" %>',
    '<html><body><form runat="server"></form></body></html>',
    '<script runat="server">',
    'const string Key = "plugins";',
    "void Page_Load(object s, EventArgs e) {",
    '  if (Application[Key] == null) Application[Key] = Assembly.LoadFrom(Server.MapPath("~/bin/Shop.Plugins.dll"));',
    '  if (Cache["theme"] == null) Cache["theme"] = Assembly.Load("Shop.Themes");',
    '  var t = ((Assembly)Cache["theme"]).GetType("Shop.Themes.Default");',
    '  Response.Write(t.GetMethod("Name").Invoke(Activator.CreateInstance(t), null));',
    "}",
    "</script>",
  ].join("\n");
  assert.ok(!rules(page).includes("session-stored-assembly"));
  assert.deepEqual(run(swept(`${SITE}plugins.aspx`, page)), []);
});

test("byte arrays without new, from Convert.ToByte, reversed in place, or turned into text by a (char) loop", () => {
  const load = dec("Load");
  const rev = dec("daoL");
  const decoded: [string, string][] = [
    [`byte[] k = {${load}};\nm = t.GetMethod(Encoding.ASCII.GetString(k));`, 'm = t.GetMethod("Load");'],
    [`Dim k() As Byte = {${load}}\nm = Encoding.ASCII.GetString(k)`, 'm = "Load"'],
    [`Dim k As Byte() = {${load}}\nm = Encoding.ASCII.GetString(k)`, 'm = "Load"'],
    [
      'byte[] k = new byte[] {Convert.ToByte("4c", 16), Convert.ToByte(111), (byte)97, (byte)0x64};\nm = Encoding.ASCII.GetString(k);',
      'm = "Load";',
    ],
    [`byte[] k = {${rev}};\nArray.Reverse(k);\nm = Encoding.ASCII.GetString(k);`, 'm = "Load";'],
    [`byte[] k = {${rev}};\nm = Encoding.ASCII.GetString(k.Reverse().ToArray());`, 'm = "Load";'],
    [
      `byte[] k = {${load}};\nstring s = "";\nforeach (byte c in k) s += (char)c;\nm = t.GetMethod(s);`,
      'm = t.GetMethod("Load");',
    ],
    [
      `Dim k() As Byte = {${load}}\nDim s As String = ""\nFor i = 0 To 3 : s = s & ChrW(k(i)) : Next\nm = t.GetMethod(s)`,
      'm = t.GetMethod("Load")',
    ],
  ];
  for (const [src, last] of decoded) assert.equal(decodeByteStrings(src).split("\n").at(-1), last, src);
});

test("trap: key bytes, arrays written again, and strings built from buffers stay as written; two reversals cancel", () => {
  assert.equal(
    decodeByteStrings(
      `byte[] k = {${dec("daoL")}};\nArray.Reverse(k);\nArray.Reverse(k);\nm = Encoding.ASCII.GetString(k);`,
    )
      .split("\n")
      .at(-1),
    'm = "daoL";',
  );
  const kept = [
    "byte[] key = {21, 99, 143, 7, 250, 33};\nvar s = Encoding.ASCII.GetString(key);",
    `byte[] k = {${dec("Load")}};\nk = Next();\nm = Encoding.ASCII.GetString(k);`,
    // The built string is also given other text: its value at the read is not the array's.
    `byte[] k = {${dec("Load")}};\nstring s = "x";\nforeach (byte c in k) s += (char)c;\ns = s + name;\nm = t.GetMethod(s);`,
    // A loop over a buffer read at run time.
    'string s = "";\nforeach (byte c in buffer) s += (char)c;\nm = Encoding.ASCII.GetString(buffer) + s;',
  ];
  for (const k of kept) {
    const out = decodeByteStrings(k);
    assert.equal(out.split("\n").at(-1), k.split("\n").at(-1), k);
  }
});

test("a Godzilla-like page whose instance name is a reversed bare byte array is recognised", () => {
  const page = [
    'string key = "0123456789abcdef";',
    'byte[] data = System.Convert.FromBase64String(Context.Request["pass"]);',
    "data = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(System.Text.Encoding.Default.GetBytes(key), System.Text.Encoding.Default.GetBytes(key)).TransformFinalBlock(data, 0, data.Length);",
    `byte[] n = {${dec("YL")}};`,
    "System.Array.Reverse(n);",
    'var asm = (System.Reflection.Assembly)typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data });',
    "asm.CreateInstance(System.Text.Encoding.ASCII.GetString(n)).Equals(Context);",
  ].join("\n");
  const d = run(swept(`${SITE}z.aspx`, inert(page, "C#")));
  assert.deepEqual(checks(d), ["webshell-godzilla"]);
  assert.equal(d[0].evidence.Rule, "godzilla-ly-instance");
});

test("taint: a value is what follows its own `=` up to the next statement; members of other objects are not the local", () => {
  // Positive: the name on the far side of `:` or of a declarator comma still carries the request.
  const vb = [
    'Dim sh : who = "x" : c = Request.Form("c")',
    'Set sh = Server.CreateObject("WScript.Shell")',
    'sh.Run "cmd /c " & c, 0, True',
  ].join("\n");
  assert.deepEqual(checks(run(swept(`${SITE}r.aspx`, inert(vb, "VB")))), ["webshell-cmd-runner"]);
  const cs = 'string mode = "a", c = Request["c"];\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + c);';
  assert.deepEqual(checks(run(swept(`${SITE}c.aspx`, inert(cs, "C#")))), ["webshell-cmd-runner"]);
});

test("trap: a fixed command next to request data on the same line, and a member that shares a tainted name", () => {
  const vb = [
    '<%@ Page Language="VB" %>',
    '<html><body><form runat="server"></form>',
    "<%",
    'Dim cmd, who, sh : cmd = Server.MapPath("~/tools/backup.cmd") : who = Request.Form("user")',
    'If who = "" Then who = Request.ServerVariables("AUTH_USER")',
    'Set sh = Server.CreateObject("WScript.Shell")',
    "sh.Run cmd, 0, True : Response.Write(Server.HtmlEncode(who))",
    "%>",
    "</body></html>",
  ].join("\n");
  assert.ok(!rules(vb).includes("flow-wscript-run"), rules(vb).join());
  assert.deepEqual(run(swept(`${SITE}backup.aspx`, vb)), []);
  const cs = [
    '<%@ Page Language="C#" %>',
    '<html><body><form runat="server"></form></body></html>',
    '<script runat="server">',
    "void Page_Load(object s, EventArgs e) {",
    '  string name = Request.QueryString["report"], exe = Server.MapPath("~/bin/report.exe");',
    "  var job = Jobs.Scheduled(); Response.Write(Server.HtmlEncode(name));",
    "  System.Diagnostics.Process.Start(exe, job.name);",
    "}",
    "</script>",
  ].join("\n");
  assert.ok(!rules(cs).includes("flow-process-start"), rules(cs).join());
});
