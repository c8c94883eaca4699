// Razor pages (.cshtml) as server code with ASP.NET Core's request (Request.Query, Request.Body); the URL
// the caller chose (Request.Url, Request.RawUrl, whose query string it carries) as request data; and the
// VBScript statements Execute and `Eval str` as classic ASP only (a C# comment that says "Execute the
// workflow" is no VBScript). Each with traps shaped like application pages. Fixtures are inert: Razor
// comments, ASP.NET server comments, or C# that is never compiled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts, inertCode, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\portal\\";
const checks = (src: string, name: string) => contentDrafts(swept(`${DIR}${name}`, src)).map((d) => d.check);
const strong = (src: string, name: string) => {
  const c = checks(src, name);
  return c.length > 0 && !c.includes("webshell-suspicious-code");
};
const rules = (src: string, name: string) =>
  analyse(Buffer.from(src, "latin1"), name).signals.map((s) => s.rule);
/** The analysis of `src` as `name` has a rule starting with `prefix` (the rules listed otherwise). */
const assertRule = (src: string, name: string, prefix: string) => {
  const found = rules(src, name);
  assert.ok(
    found.some((r) => r.startsWith(prefix)),
    String(found),
  );
};
const razor = (code: string) => `@using System.Diagnostics\n@*\n${code}\n*@\n<h1>Report</h1>\n`;

test("a Razor page running the command of ASP.NET Core's Request.Query is found", () => {
  const src = razor(
    [
      "@{",
      '  string c = HttpContext.Request.Query["cmd"];',
      '  var psi = new ProcessStartInfo("cmd.exe", "/c " + c) { RedirectStandardOutput = true };',
      "  var p = Process.Start(psi);",
      "}",
      "<pre>@p.StandardOutput.ReadToEnd()</pre>",
    ].join("\n"),
  );
  assertRule(src, "x.cshtml", "flow-process");
  assert.ok(strong(src, "_ViewStart.cshtml"), String(checks(src, "_ViewStart.cshtml")));
  // Trap: a Razor view that filters a list by the query and runs nothing.
  const view = razor(
    [
      "@{",
      '  string q = Context.Request.Query["q"];',
      "  var rows = Model.Items.Where(i => i.Name.Contains(q)).ToList();",
      "}",
      "@foreach (var r in rows) { <li>@r.Name</li> }",
    ].join("\n"),
  );
  assert.deepEqual(checks(view, "Index.cshtml"), []);
});

test("a handler that takes its command from the URL it was called with is found", () => {
  const src = [
    '<%@ WebHandler Language="C#" Class="H" %>',
    "public class H : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    "    Uri u = new Uri(HttpContext.Current.Request.Url.Scheme + HttpContext.Current.Request.RawUrl);",
    '    string command = HttpUtility.ParseQueryString(u.Query).Get("cmd");',
    "    ProcessStartInfo psi = new ProcessStartInfo();",
    '    psi.FileName = "cmd.exe"; psi.Arguments = "/c " + command;',
    "    psi.RedirectStandardOutput = true; psi.UseShellExecute = false;",
    "    Process p = Process.Start(psi);",
    "    ctx.Response.Write(p.StandardOutput.ReadToEnd());",
    "  }",
    "}",
  ].join("\n");
  assert.ok(strong(src, "shell.ashx"), String(checks(src, "shell.ashx")));
  // Trap: a handler that builds a link and redirects from its URL, and reads a file under its own root.
  const app = [
    '<%@ WebHandler Language="C#" Class="Go" %>',
    "public class Go : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    "    string back = ctx.Request.Url.GetLeftPart(UriPartial.Authority) + ctx.Request.RawUrl;",
    '    string page = ctx.Server.MapPath("~/App_Data/pages/" + Path.GetFileName(ctx.Request.Url.AbsolutePath));',
    "    if (File.Exists(page)) ctx.Response.Write(File.ReadAllText(page));",
    '    else ctx.Response.Redirect("/login.aspx?ReturnUrl=" + HttpUtility.UrlEncode(back));',
    "  }",
    "}",
  ].join("\n");
  assert.deepEqual(checks(app, "go.ashx"), []);
});

test("VBScript's Eval called as a statement runs request data in classic ASP", () => {
  const src = '<%Function xxxx(str) eval str End Function%><%D = request("ant")%><%xxxx D%>';
  assert.ok(rules(src, "a.asp").includes("flow-eval-statement"), String(rules(src, "a.asp")));
  assert.ok(strong(src, "a.asp"), String(checks(src, "a.asp")));
  // Trap: the word in a classic ASP comment, next to request data it does not run.
  const page =
    '<%\n\' eval results below\nq = Request.QueryString("q")\nResponse.Write Server.HTMLEncode(q)\n%>';
  assert.deepEqual(checks(page, "list.asp"), []);
});

test("Execute and Eval statements are VBScript: not in ASP.NET code, where they are words", () => {
  // A C# handler whose comment says "Execute the workflow", next to names that carry request data.
  const handler = [
    '<%@ WebHandler Language="C#" Class="Hook" %>',
    "public class Hook : IHttpHandler {",
    "  public void ProcessRequest(HttpContext context) {",
    '    var workflow = Workflow.Activate(type, context.Request.Form["name"]);',
    "    // Execute the workflow.",
    "    new WorkflowService().Process(workflow);",
    "    // eval workflow state",
    "  }",
    "}",
  ].join("\n");
  assert.ok(!rules(handler, "hook.ashx").includes("flow-execute"), String(rules(handler, "hook.ashx")));
  assert.deepEqual(checks(handler, "hook.ashx"), []);
  // The same words in a page with an ASP.NET directive.
  const aspx = inertCode('var workflow = Request.Form["w"];\n// Execute the workflow.\nRun(workflow);');
  assert.deepEqual(checks(aspx, "run.aspx"), []);
  // Classic ASP's Execute of request data is still found.
  const classic = '<%\nExecute Request.Form("c")\n%>';
  assert.ok(strong(classic, "x.asp"), String(checks(classic, "x.asp")));
});

test("a call's argument taints the parameter in its place, not its neighbours", () => {
  const shell = [
    '<%@ WebHandler Language="C#" Class="T" %>',
    "public class T : IHttpHandler {",
    '  public void ProcessRequest(HttpContext context) { Run("audit", context.Request.Form["c"]); }',
    "  void Run(string tag, string line) {",
    '    var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + line) { UseShellExecute = false });',
    "  }",
    "}",
  ].join("\n");
  assertRule(shell, "t.ashx", "flow-process");
  assert.ok(strong(shell, "t.ashx"), String(checks(shell, "t.ashx")));
  // Trap: request data goes into the second parameter; the first (the context) only names the app's log.
  const hook = [
    '<%@ WebHandler Language="C#" Class="Hook" %>',
    "public class Hook : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    '    var item = Parse(ctx.Request.Form["body"]);',
    "    Save(ctx, item);",
    "  }",
    "  void Save(HttpContext http, Item entry) {",
    '    string log = http.Server.MapPath("~/App_Data/Logs/hook.txt");',
    "    using (var fs = new FileStream(log, FileMode.Append, FileAccess.Write)) { }",
    "    Store.Add(entry);",
    "  }",
    "}",
  ].join("\n");
  assert.ok(!rules(hook, "hook.ashx").includes("flow-file-write"), String(rules(hook, "hook.ashx")));
  // When the arguments cannot be paired with the parameters (a default value), all are tainted, as before.
  const loose = [
    '<%@ WebHandler Language="C#" Class="L" %>',
    "public class L : IHttpHandler {",
    '  public void ProcessRequest(HttpContext context) { Run(context.Request.Form["c"]); }',
    '  void Run(string line, string mode = "x") {',
    '    Process.Start(new ProcessStartInfo("cmd.exe", "/c " + line + mode));',
    "  }",
    "}",
  ].join("\n");
  assertRule(loose, "l.ashx", "flow-process");
});

test("request data returned by the page's own function taints every call of it", () => {
  // C#: an obfuscated uploader whose request access hides behind one-line methods.
  const cs = [
    '<%@ Page Language="C#" %>',
    '<script runat="server">',
    "HttpFileCollection _0x1() { return Request.Files; }",
    'string _0x2() { return Request.Form["d"]; }',
    "protected void Page_Load(object s, EventArgs e) {",
    "  HttpPostedFile f = _0x1()[0];",
    '  f.SaveAs(Server.MapPath("~/") + _0x2() + f.FileName);',
    '  var p = Process.Start("cmd.exe", "/c " + this._0x2());',
    "}",
    "</script>",
  ].join("\n");
  assertRule(cs, "x.aspx", "flow-process");
  assert.ok(strong(cs, "up.aspx"), String(checks(cs, "up.aspx")));
  // VB: the function returns by assigning its own name.
  const vb = [
    "<%",
    "Function Cmd()",
    '  Cmd = Request("c")',
    "End Function",
    'Set sh = Server.CreateObject("WScript.Shell")',
    'Response.Write sh.Exec("cmd /c " & Cmd()).StdOut.ReadAll',
    "%>",
  ].join("\n");
  assert.ok(strong(vb, "v.asp"), String(checks(vb, "v.asp")));
  // Trap: helpers returning the application's own settings and paths feed the same kind of calls.
  const app = [
    '<%@ Page Language="C#" %>',
    '<script runat="server">',
    'string ToolPath() { return ConfigurationManager.AppSettings["ffmpeg"]; }',
    'string Root() { return Server.MapPath("~/App_Data/thumbs/"); }',
    "protected void Page_Load(object s, EventArgs e) {",
    '  string q = Request.QueryString["page"];',
    '  var p = Process.Start(ToolPath(), "-i " + Root() + "intro.mp4 -vframes 1 " + Root() + "intro.jpg");',
    "  p.WaitForExit();",
    '  File.WriteAllText(Root() + "last.txt", DateTime.Now.ToString());',
    "}",
    "</script>",
  ].join("\n");
  assert.ok(!rules(app, "t.aspx").some((r) => r.startsWith("flow-")), String(rules(app, "t.aspx")));
  assert.deepEqual(checks(app, "thumbs.aspx"), []);
});
