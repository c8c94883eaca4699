// .NET file browsers and managers: System.IO on paths the request chooses from their start (two kinds
// of operation make a manager; the machine's drives offered next to one count as listing), written in
// C# and VB, with static calls, FileInfo/DirectoryInfo objects and FileStream modes. Traps are shaped
// like application pages: galleries and download handlers under Server.MapPath or Path.Combine of a
// fixed folder, request bodies read through StreamReader, a jQuery-file-tree connector that only
// lists. Fixtures are inert (server comments).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts, inertCode, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";
/** A page with HTML around the inert code, so no tiny-page or one-liner cue helps the score. */
const page = (code: string, lang = "C#") =>
  `<%@ Page Language="${lang}" %>\n<html><body><h1>Shop</h1><form runat="server">\n` +
  `<asp:TextBox id="txtPath" runat="server" />\n</form>\n${inertCode(code, lang)}</body></html>\n`;
const checks = (src: string, name = "files.aspx") =>
  contentDrafts(swept(`${DIR}${name}`, src)).map((d) => d.check);
const strong = (src: string, name?: string) => {
  const c = checks(src, name);
  return c.length > 0 && !c.includes("webshell-suspicious-code");
};
const rules = (src: string, name = "files.aspx") =>
  analyse(Buffer.from(src, "latin1"), name).signals.map((s) => s.rule);

test("a C# file manager: lists and deletes paths the request names", () => {
  const src = page(
    [
      'string d = Request.QueryString["d"] ?? "c:\\\\";',
      'foreach (string f in Directory.GetFiles(d)) Response.Write(f + "<br>");',
      'if (Request["del"] != null) File.Delete(Request["del"]);',
    ].join("\n"),
  );
  assert.ok(rules(src).includes("dotnet-file-manager"), String(rules(src)));
  assert.ok(strong(src), String(checks(src)));
});

test("a VB file manager through a DirectoryInfo bound to a text box, and a read of a query path", () => {
  const src = page(
    [
      "Dim di As New DirectoryInfo(txtPath.Text)",
      "For Each fi As FileInfo In di.GetFiles()",
      "  Response.Write(fi.Name)",
      "Next",
      'Response.Write(File.ReadAllText(Request.QueryString("f")))',
    ].join("\n"),
    "VB",
  );
  assert.ok(rules(src).includes("dotnet-file-manager"), String(rules(src)));
  assert.ok(strong(src));
});

test("the drives offered next to a download of any path; FileInfo timestomp and delete; Path.Combine of a request root", () => {
  const drives = page(
    [
      "foreach (DriveInfo dr in DriveInfo.GetDrives()) Response.Write(dr.Name);",
      'Response.TransmitFile(Request.Form["file"]);',
    ].join("\n"),
  );
  assert.ok(rules(drives).includes("dotnet-file-manager"), String(rules(drives)));
  const stomp = page(
    [
      'var fi = new FileInfo(Request.Form["p"]);',
      'fi.LastWriteTime = DateTime.Parse(Request.Form["t"]);',
      'if (Request.Form["x"] == "1") fi.Delete();',
    ].join("\n"),
  );
  assert.ok(rules(stomp).includes("dotnet-file-manager"), String(rules(stomp)));
  const combined = page(
    [
      'string root = Request["root"];',
      'string target = Path.Combine(root, Request["name"]);',
      'File.WriteAllBytes(target, Convert.FromBase64String(Request.Form["data"]));',
      "string[] all = Directory.GetDirectories(root);",
    ].join("\n"),
  );
  assert.ok(rules(combined).includes("dotnet-file-manager"), String(rules(combined)));
  const stream = page(
    [
      'using (var fs = new FileStream(Request["out"], FileMode.Create)) { Request.InputStream.CopyTo(fs); }',
      'using (var r = new StreamReader(Request["in"])) Response.Write(r.ReadToEnd());',
    ].join("\n"),
  );
  assert.ok(rules(stream).includes("dotnet-file-manager"), String(rules(stream)));
});

test("traps: a gallery and a download handler under the site root, a log viewer over a fixed folder", () => {
  const gallery = page(
    [
      'string album = Request["album"];',
      'foreach (string f in Directory.GetFiles(Server.MapPath("~/images/" + album))) Response.Write(f);',
      'if (User.IsInRole("admin")) File.Delete(Server.MapPath("~/images/") + Request["f"]);',
    ].join("\n"),
  );
  assert.ok(!rules(gallery).some((r) => r.startsWith("dotnet-")), String(rules(gallery)));
  assert.ok(!strong(gallery));
  const logs = page(
    [
      'const string LogDir = @"C:\\\\inetpub\\\\logs\\\\shop";',
      "foreach (var f in Directory.GetFiles(LogDir)) list.Items.Add(Path.GetFileName(f));",
      'string path = Path.Combine(LogDir, Path.GetFileName(Request["log"]));',
      "Response.Write(Server.HtmlEncode(File.ReadAllText(path)));",
      'File.Delete(Path.Combine(LogDir, Request["old"]));',
    ].join("\n"),
  );
  assert.ok(!rules(logs).some((r) => r.startsWith("dotnet-")), String(rules(logs)));
  assert.ok(!strong(logs));
  const download = page(
    [
      'string name = Path.GetFileName(Request.QueryString["file"]);',
      'Response.AppendHeader("Content-Disposition", "attachment; filename=" + name);',
      'Response.TransmitFile(Server.MapPath("~/App_Data/downloads/" + name));',
    ].join("\n"),
  );
  assert.deepEqual(checks(download), []);
});

test("traps: the request body read through a StreamReader and saved under the root; a file-tree connector that only lists", () => {
  const api = page(
    [
      "string body = new StreamReader(Request.InputStream).ReadToEnd();",
      'using (var w = new StreamWriter(Server.MapPath("~/App_Data/orders/" + Guid.NewGuid() + ".json"))) w.Write(body);',
      'var up = Request.Files["doc"]; up.SaveAs(Server.MapPath("~/uploads/") + Path.GetFileName(up.FileName));',
    ].join("\n"),
  );
  // A posted upload saved under the root with its own name is a write flow (context at most); the body
  // read through a StreamReader reads no file, and the body written to a server-named file is no
  // "request chooses the file and its content".
  assert.deepEqual(rules(api), ["flow-file-write"]);
  assert.deepEqual(checks(api), []);
  // Lists any folder the caller names (a real weakness, so context), but it is not a manager.
  const tree = page(
    [
      'string dir = Server.UrlDecode(Request.Form["dir"]);',
      "DirectoryInfo di = new DirectoryInfo(dir);",
      'foreach (DirectoryInfo sub in di.GetDirectories()) Response.Write("<li>" + sub.Name + "</li>");',
    ].join("\n"),
  );
  assert.ok(rules(tree).includes("dotnet-request-path"), String(rules(tree)));
  assert.ok(!rules(tree).includes("dotnet-file-manager"));
  assert.ok(!strong(tree));
});

test("the request chooses a file and its content: File.WriteAllText of two request values; a writer made from a request path", () => {
  const writeAll = page('File.WriteAllText(Request.Form["p"], Request.Form["c"]);');
  assert.ok(rules(writeAll).includes("request-chooses-file-content"), String(rules(writeAll)));
  assert.ok(strong(writeAll));
  const writer = page(
    ['using (var w = new StreamWriter(Request["p"])) {', '  w.Write(Request["c"]);', "}"].join("\n"),
  );
  assert.ok(rules(writer).includes("request-chooses-file-content"), String(rules(writer)));
});

test("traps: posted settings saved to the page's own file; a request value logged to a fixed log through a writer", () => {
  const settings = page(
    'File.WriteAllText(Server.MapPath("~/App_Data/settings.json"), Request.Form["json"]);',
  );
  assert.ok(!rules(settings).includes("request-chooses-file-content"), String(rules(settings)));
  assert.deepEqual(checks(settings), []);
  const log = page(
    [
      'using (StreamWriter sw = File.AppendText(Server.MapPath("~/App_Data/visits.log")))',
      '  sw.WriteLine(DateTime.Now + " " + Request.QueryString["page"]);',
    ].join("\n"),
  );
  assert.ok(!rules(log).includes("request-chooses-file-content"), String(rules(log)));
  assert.deepEqual(checks(log), []);
});

test("trap: a CMS file manager connector whose dispatcher passes request paths to methods that map them under the site first", () => {
  // The shape of the file-manager connectors shipped with rich-text editors: one handler, an action
  // switch, each action's path put through the page's own helper returning Server.MapPath.
  const connector = [
    '<%@ WebHandler Language="C#" Class="Files" %>',
    "using System; using System.IO; using System.Web;",
    "public class Files : IHttpHandler {",
    "  HttpContext ctx;",
    "  public void ProcessRequest(HttpContext context) {",
    "    ctx = context;",
    '    switch (ctx.Request["a"]) {',
    '      case "list": ListFiles(ctx.Request["d"]); break;',
    '      case "delfile": RemoveFile(ctx.Request["f"]); break;',
    '      case "move": MoveFile(ctx.Request["f"], ctx.Request["n"]); break;',
    "    }",
    "  }",
    "  private string ToSitePath(string path) {",
    '    if (!path.StartsWith("~")) { path = "~/" + path.TrimStart(\'/\'); }',
    '    path = path.Replace("../", "");',
    "    return ctx.Server.MapPath(path);",
    "  }",
    "  protected void ListFiles(string path) {",
    "    string full = ToSitePath(path);",
    "    foreach (string f in Directory.GetFiles(full)) ctx.Response.Write(Path.GetFileName(f));",
    "  }",
    "  protected void RemoveFile(string path) {",
    "    path = ToSitePath(path);",
    "    if (File.Exists(path)) File.Delete(path);",
    "  }",
    "  protected void MoveFile(string path, string newPath) {",
    "    FileInfo file = new FileInfo(ToSitePath(path));",
    "    newPath = ToSitePath(newPath);",
    "    File.Move(file.FullName, Path.Combine(newPath, file.Name));",
    "  }",
    "  public bool IsReusable { get { return false; } }",
    "}",
  ].join("\n");
  const r = rules(connector, "main.ashx");
  assert.ok(!r.some((x) => x.startsWith("dotnet-")), String(r));
  assert.ok(!strong(connector, "main.ashx"), String(checks(connector, "main.ashx")));
  // The same connector without the mapping helper hands the caller the disk.
  const open = connector.replace("return ctx.Server.MapPath(path);", "return path;");
  assert.ok(rules(open, "main.ashx").includes("dotnet-file-manager"), String(rules(open, "main.ashx")));
});
