// Writers and path resolvers: a C# method with a custom return type and no modifiers as a
// taint-carrying helper; FileInfo's writers (CreateText/AppendText/OpenWrite) as file writes; a
// FileStream's mode deciding read or write; the response's own stream as no file; and a path that the
// application's own code resolves (a class the page neither defines nor gets from .NET) as not chosen
// by the request. Traps are shaped like application handlers and web services. Fixtures are inert
// (server comments, or C# that is never compiled).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts, inertCode, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\portal\\";
const page = (code: string, controls: string[] = []) =>
  `<%@ Page Language="C#" %>\n<html><body><form runat="server">\n${controls
    .map((c) => `<asp:TextBox id="${c}" runat="server" />`)
    .join("\n")}\n</form>\n${inertCode(code)}</body></html>\n`;
const checks = (src: string, name = "tool.aspx") =>
  contentDrafts(swept(`${DIR}${name}`, src)).map((d) => d.check);
const strong = (src: string, name?: string) => {
  const c = checks(src, name);
  return c.length > 0 && !c.includes("webshell-suspicious-code");
};
const rules = (src: string, name = "tool.aspx") =>
  analyse(Buffer.from(src, "latin1"), name).signals.map((s) => s.rule);

test("a helper with a custom return type and no modifiers carries the text box into the process", () => {
  const src = page(
    [
      "Outcome RunIt(string line) {",
      "  var si = new ProcessStartInfo();",
      '  si.FileName = "cmd.exe";',
      '  si.Arguments = "/c " + line;',
      "  si.RedirectStandardOutput = true; si.UseShellExecute = false;",
      "  var p = Process.Start(si);",
      "  return new Outcome(p.StandardOutput.ReadToEnd());",
      "}",
      "void go_Click(object s, EventArgs e) { output.InnerText = RunIt(box.Text).Text; }",
    ].join("\n"),
    ["box"],
  );
  assert.ok(rules(src).includes("flow-process-info"), String(rules(src)));
  assert.ok(strong(src), String(checks(src)));
  // Trap: the same helper called only with the application's own fixed command (a status page).
  const status = page(
    [
      "Outcome RunIt(string line) {",
      "  var si = new ProcessStartInfo();",
      '  si.FileName = "cmd.exe";',
      '  si.Arguments = "/c " + line;',
      "  var p = Process.Start(si);",
      "  return new Outcome(p.StandardOutput.ReadToEnd());",
      "}",
      'void Page_Load(object s, EventArgs e) { output.InnerText = RunIt("ver").Text; label.Text = box.Text; }',
    ].join("\n"),
    ["box"],
  );
  assert.ok(!rules(status).includes("flow-process-info"), String(rules(status)));
  assert.deepEqual(checks(status), []);
});

test("FileInfo's writers on a path the form names write what the form holds", () => {
  const src = page(
    [
      "void save_Click(object s, EventArgs e) {",
      "  System.IO.FileInfo target = new System.IO.FileInfo(where.Text);",
      "  System.IO.StreamWriter w = target.CreateText();",
      "  w.Write(body.Text); w.Close();",
      '  msg.Text = "saved";',
      "}",
    ].join("\n"),
    ["where", "body"],
  );
  const r = rules(src);
  assert.ok(r.includes("flow-file-info-write") && r.includes("request-chooses-file-content"), String(r));
  assert.ok(strong(src), String(checks(src)));
  // Trap: a guestbook appending the visitor's comment to the site's own log file.
  const guestbook = page(
    [
      "void post_Click(object s, EventArgs e) {",
      '  var log = new FileInfo(Server.MapPath("~/App_Data/guestbook.txt"));',
      '  using (StreamWriter w = log.AppendText()) { w.WriteLine(DateTime.Now + ": " + body.Text); }',
      "}",
    ].join("\n"),
    ["body"],
  );
  assert.ok(!rules(guestbook).includes("request-chooses-file-content"), String(rules(guestbook)));
  assert.ok(!strong(guestbook), String(checks(guestbook)));
});

test("a FileStream opened to read is a read; one created from the request and written is a write", () => {
  // Trap: an image handler that reads a named image from a configured folder and sends it back
  // through the response's own stream.
  const handler = [
    '<%@ WebHandler Language="C#" Class="Thumb" %>',
    "using System; using System.IO; using System.Web;",
    "public class Thumb : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    '    string name = ctx.Request.QueryString["name"];',
    '    string root = System.Configuration.ConfigurationManager.AppSettings["images"];',
    "    byte[] bytes;",
    "    using (FileStream fs = new FileStream(Path.Combine(root, name), FileMode.Open, FileAccess.Read)) {",
    "      bytes = new byte[fs.Length]; fs.Read(bytes, 0, bytes.Length);",
    "    }",
    '    ctx.Response.ContentType = "image/jpeg";',
    "    ctx.Response.OutputStream.Write(bytes, 0, bytes.Length);",
    "  }",
    "  public bool IsReusable { get { return true; } }",
    "}",
  ].join("\n");
  const r = rules(handler, "thumb.ashx");
  assert.ok(!r.includes("flow-file-write") && !r.includes("request-chooses-file-content"), String(r));
  assert.deepEqual(checks(handler, "thumb.ashx"), []);
  // Trap: an upload handler that keeps the file under the site and echoes the posted bytes back through
  // the response's stream (the echo is the response body, not a file the request chose).
  const echo = [
    '<%@ WebHandler Language="C#" Class="Up" %>',
    "using System; using System.IO; using System.Web;",
    "public class Up : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    "    HttpPostedFile f = ctx.Request.Files[0];",
    '    f.SaveAs(ctx.Server.MapPath("~/uploads/") + Path.GetFileName(f.FileName));',
    "    byte[] buf = new byte[4096]; int n = ctx.Request.InputStream.Read(buf, 0, buf.Length);",
    "    ctx.Response.OutputStream.Write(buf, 0, n);",
    "  }",
    "  public bool IsReusable { get { return false; } }",
    "}",
  ].join("\n");
  assert.ok(!rules(echo, "up.ashx").includes("request-chooses-file-content"), String(rules(echo, "up.ashx")));
  // The same shape writing: a FileStream created at the request's path, filled with its decoded body.
  const dropper = [
    '<%@ WebHandler Language="C#" Class="Drop" %>',
    "using System; using System.IO; using System.Web;",
    "public class Drop : IHttpHandler {",
    "  public void ProcessRequest(HttpContext ctx) {",
    '    FileStream fs = new FileStream(ctx.Request.Form["p"], FileMode.Create);',
    '    byte[] data = Convert.FromBase64String(ctx.Request.Form["d"]);',
    "    fs.Write(data, 0, data.Length); fs.Close();",
    "  }",
    "  public bool IsReusable { get { return false; } }",
    "}",
  ].join("\n");
  const d = rules(dropper, "drop.ashx");
  assert.ok(d.includes("flow-file-write") && d.includes("request-chooses-file-content"), String(d));
  assert.ok(strong(dropper, "drop.ashx"), String(checks(dropper, "drop.ashx")));
});

const SERVICE = (resolve: (folder: string, file: string) => string) =>
  [
    '<%@ WebService Language="C#" Class="Files" %>',
    "using System; using System.IO; using System.Web.Services;",
    "public class Files : AppServiceBase {",
    "  [WebMethod]",
    "  public void Remove(string folder, string file, string user, string pass) {",
    "    Authenticate(user, pass);",
    `    if (File.Exists(${resolve("folder", "file")})) File.Delete(${resolve("folder", "file")});`,
    "  }",
    "  [WebMethod]",
    "  public byte[] Fetch(string folder, string file, string user, string pass) {",
    "    Authenticate(user, pass);",
    `    string where = ${resolve("folder", "file")};`,
    "    FileStream s = new FileStream(where, FileMode.Open, FileAccess.Read);",
    "    byte[] b = new byte[s.Length]; s.Read(b, 0, b.Length); s.Close(); return b;",
    "  }",
    "  [WebMethod]",
    "  public void Store(byte[] data, string folder, string file, string user, string pass) {",
    "    Authenticate(user, pass);",
    `    FileStream s = new FileStream(${resolve("folder", "file")}, FileMode.Create, FileAccess.ReadWrite);`,
    "    s.Write(data, 0, data.Length); s.Close();",
    "  }",
    "}",
  ].join("\n");

test("a web service whose paths the application's own resolver makes is no file manager", () => {
  // Trap: a CMS's file service resolving every path through its own library (not in the file).
  const app = SERVICE((f, n) => `MediaIO.PathFor(${f}, ${n})`);
  const r = rules(app, "FileService.asmx");
  assert.ok(!r.includes("dotnet-file-manager") && !r.includes("request-chooses-file-content"), String(r));
  assert.ok(!strong(app, "FileService.asmx"), String(checks(app, "FileService.asmx")));
  // The same service joining the caller's folder and name itself lets the caller pick any path.
  const raw = SERVICE((f, n) => `Path.Combine(${f}, ${n})`);
  assert.ok(rules(raw, "FileService.asmx").includes("dotnet-file-manager"));
  assert.ok(strong(raw, "FileService.asmx"));
  // A resolver the page defines itself is followed (a web shell is self-contained).
  const own = `${SERVICE((f, n) => `Paths.Of(${f}, ${n})`)}\nstatic class Paths { public static string Of(string a, string b) { return a + "\\\\" + b; } }`;
  assert.ok(
    rules(own, "FileService.asmx").includes("dotnet-file-manager"),
    String(rules(own, "FileService.asmx")),
  );
  // A framework call or the handler's own parameter in front of the request value keeps it the request's.
  const decoded = page(
    [
      'string p = Server.UrlDecode(Request.QueryString["p"]);',
      "foreach (string f in Directory.GetFiles(p)) Response.Write(f);",
      'File.Delete(HttpUtility.UrlDecode(Request.Form["del"]));',
    ].join("\n"),
  );
  assert.ok(rules(decoded).includes("dotnet-file-manager"), String(rules(decoded)));
});

test("an assembly loaded by a name the request chooses (LoadWithPartialName, UnsafeLoadFrom) is a load", () => {
  // A reflection runner: the posted, base64-decoded text names the assembly, type and method to run.
  const src = page(
    [
      "string Go(string spec) {",
      "  string[] q = Encoding.UTF8.GetString(Convert.FromBase64String(spec)).Split('~');",
      "  Assembly a = Assembly.LoadWithPartialName(q[0]);",
      "  Type t = a.GetType(q[1]);",
      "  object o = Activator.CreateInstance(t);",
      "  return Convert.ToString(t.GetMethod(q[2]).Invoke(o, null));",
      "}",
      'void Page_Load(object s, EventArgs e) { if (Request.Form["spec"] != null) Response.Write(Server.HtmlEncode(Go(Request.Form["spec"]))); }',
    ].join("\n"),
  );
  assert.ok(rules(src).includes("flow-assembly-load"), String(rules(src)));
  assert.ok(strong(src), String(checks(src)));
  const unsafe = page('Assembly.UnsafeLoadFrom(Request.QueryString["dll"]).EntryPoint.Invoke(null, null);');
  assert.ok(rules(unsafe).includes("flow-assembly-load"), String(rules(unsafe)));
  // Trap: a provider page loading the assembly its configuration names.
  const provider = page(
    [
      'Assembly a = Assembly.LoadWithPartialName(ConfigurationManager.AppSettings["searchProvider"]);',
      'ISearch engine = (ISearch)Activator.CreateInstance(a.GetType("Portal.Search.Engine"));',
      'results.DataSource = engine.Find(Request.QueryString["q"]); results.DataBind();',
    ].join("\n"),
  );
  assert.ok(!rules(provider).includes("flow-assembly-load"), String(rules(provider)));
  assert.deepEqual(checks(provider), []);
});
