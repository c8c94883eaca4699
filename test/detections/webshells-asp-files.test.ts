// Classic ASP (VBScript and JScript) file managers and script blocks: `<script runat="server">` code is
// analysed like `<% %>`, JScript pages (Request.Form/Item in JScript syntax, ActiveXObject), the
// FileSystemObject on request-chosen paths (two kinds of file operation make a file manager), and
// ADODB.Stream downloads of a request path. Each with traps modelled on benign classic ASP (guestbooks,
// galleries, download pages, upload classes). Fixtures are inert: the code sits in server comments.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\club\\";
/** A classic ASP page with its code inert, inside HTML (so no tiny-page cue helps the score). */
const page = (code: string, lang = "VBScript") =>
  `<%@ Language="${lang}" %>\n<html><body><h1>Club</h1>\n<%--\n${code}\n--%>\n</body></html>\n`;
const score = (src: string) => analyse(Buffer.from(src, "latin1"), "page.asp");
const checks = (src: string, name = "page.asp") =>
  contentDrafts(swept(`${DIR}${name}`, src)).map((d) => d.check);
const strong = (src: string) => {
  const c = checks(src);
  return c.length > 0 && !c.includes("webshell-suspicious-code");
};
const rules = (src: string) => score(src).signals.map((s) => s.rule);

test("<script runat=server> blocks are server code: an FSO browser in any attribute order, case and quoting", () => {
  const body = [
    'p = Request("path")',
    'Set fso = Server.CreateObject("Scripting.FileSystemObject")',
    "Set fld = fso.GetFolder(p)",
    'For Each f In fld.Files : Response.Write "<a href=?get=" & f.Path & ">" & f.Name & "</a>" : Next',
    'If Request("get") <> "" Then Response.Write fso.OpenTextFile(Request("get"), 1).ReadAll',
  ].join("\n");
  for (const tag of [
    "<SCRIPT RUNAT=Server LANGUAGE=VBScript>",
    '<script language="vbscript" runat="server">',
    "<Script Language='VBScript' RunAt='SERVER'>",
  ]) {
    const src = page(`${tag}\n${body}\n</SCRIPT>`);
    assert.ok(strong(src), `found: ${tag} ${rules(src)}`);
    assert.ok(rules(src).includes("asp-file-manager"), tag);
  }
  // JScript in a server script block.
  const js = [
    '<script runat="server" language="JScript">',
    'var c = Request.Form("c") + "";',
    'var r = new ActiveXObject("WScript.Shell").Exec("cmd.exe /c " + c);',
    "Response.Write(r.StdOut.ReadAll());",
    "</script>",
  ].join("\n");
  assert.ok(strong(page(js, "JScript")), "JScript block found");
});

test("script-block traps: a server block that only formats dates, a client-side script with FSO words", () => {
  const dates = [
    "<SCRIPT RUNAT=Server LANGUAGE=VBScript>",
    "Function ShortDate(d) : ShortDate = FormatDateTime(d, 2) : End Function",
    "</SCRIPT>",
    'Response.Write ShortDate(Request("d"))',
  ].join("\n");
  assert.deepEqual(checks(page(dates)), []);
  // Client-side (no runat): an old intranet page describing a folder in the browser, fixed path.
  const client = [
    '<script language="JScript">',
    'var fso = new ActiveXObject("Scripting.FileSystemObject");',
    'var f = fso.GetFolder("C:\\\\Reports");',
    "</script>",
    '<% Response.Write Server.HTMLEncode(Request("msg")) %>',
  ].join("\n");
  assert.deepEqual(checks(page(client)), []);
});

test("JScript classic ASP: Request in JScript syntax reaching WScript.Shell, Server.CreateObject and eval", () => {
  const variants = [
    'var sh = new ActiveXObject("WScript.Shell");\nsh.Run("cmd /c " + Request.Form("c"), 0, true);',
    'Response.Write(new ActiveXObject("WScript.Shell").Exec(Request.Item("c")).StdOut.ReadAll());',
    'var o = Server.CreateObject("WScript.Shell");\nvar cmd = String(Request.QueryString("cmd"));\no.Exec(cmd);',
    'var code = Request.Item("z");\neval(code + "");',
  ];
  for (const [i, v] of variants.entries()) {
    for (const dir of ['<%@ Language="JScript" %>', "<%@ LANGUAGE=JavaScript %>"]) {
      const src = page(v, "JScript").replace('<%@ Language="JScript" %>', dir);
      assert.ok(strong(src), `variant ${i} ${dir}: ${rules(src)}`);
    }
  }
  // JScript FSO file manager: list a posted folder and delete a posted file.
  const fm = [
    'var fso = new ActiveXObject("Scripting.FileSystemObject");',
    'var dir = String(Request.QueryString("dir"));',
    "var e = new Enumerator(fso.GetFolder(dir).Files);",
    "for (; !e.atEnd(); e.moveNext()) Response.Write(e.item().Name);",
    'if (Request.Form("del").Count) fso.DeleteFile(Request.Form("del"));',
  ].join("\n");
  assert.ok(rules(page(fm, "JScript")).includes("asp-file-manager"));
  assert.ok(strong(page(fm, "JScript")));
});

test("JScript traps: a contact form reading a fixed template, eval of the page's own JSON, environment lookup", () => {
  const contact = [
    'var fso = Server.CreateObject("Scripting.FileSystemObject");',
    'var tpl = fso.OpenTextFile(Server.MapPath("mail.tpl"), 1).ReadAll();',
    'var body = tpl.replace("{name}", Server.HTMLEncode(Request.Form("name")));',
    'var cfg = eval("(" + "{\\"rows\\": 20}" + ")");',
    'var sh = new ActiveXObject("WScript.Shell");',
    'var tmp = sh.ExpandEnvironmentStrings("%TEMP%");',
    "Response.Write(body);",
  ].join("\n");
  assert.deepEqual(checks(page(contact, "JScript")), []);
});

test("FSO file manager: a request path reaching two kinds of operation (list/read/write/delete), by variables", () => {
  const vb = [
    'Set fs = CreateObject("Scripting.FileSystemObject")',
    'act = Request.QueryString("act") : target = Trim(Request.QueryString("f"))',
    "Select Case act",
    '  Case "del" : fs.DeleteFile target, True',
    '  Case "mv" : fs.MoveFile target, Request.Form("to")',
    '  Case "edit"',
    "    Set ts = fs.OpenTextFile(target, 2, True)",
    '    ts.Write Request.Form("body") : ts.Close',
    "End Select",
    'For Each d In fs.Drives : Response.Write d.DriveLetter & ":" : Next',
  ].join("\n");
  assert.ok(rules(page(vb)).includes("asp-file-manager"), String(rules(page(vb))));
  assert.ok(strong(page(vb)));
  // Through a File object: Set f = fs.GetFile(p), then f.Delete / f.OpenAsTextStream.
  const item = [
    'p = Request("file")',
    'Set fs = Server.CreateObject("Scripting.FileSystemObject")',
    "Set f = fs.GetFile(p)",
    'If Request("x") = "1" Then f.Delete Else Response.Write f.OpenAsTextStream(1).ReadAll',
  ].join("\n");
  assert.ok(rules(page(item)).includes("asp-file-manager"), String(rules(page(item))));
  // A drive root and then the request: any path on the drive.
  const drive = [
    'Set fs = CreateObject("Scripting.FileSystemObject")',
    'Set fld = fs.GetFolder("c:\\" & Request("p"))',
    'fs.DeleteFile "c:\\" & Request("d")',
  ].join("\n");
  assert.ok(rules(page(drive)).includes("asp-file-manager"), String(rules(page(drive))));
  // ADODB.Stream: any file the request names, streamed back.
  const dl = [
    'Set st = Server.CreateObject("ADODB.Stream")',
    "st.Type = 1 : st.Open",
    'st.LoadFromFile Request.QueryString("path")',
    'Response.ContentType = "application/octet-stream"',
    "Response.BinaryWrite st.Read",
  ].join("\n");
  assert.ok(rules(page(dl)).includes("asp-request-file-download"), String(rules(page(dl))));
  assert.ok(checks(page(dl)).length > 0);
});

test("file-manager traps: a guestbook on its own file, a download page under its root, an upload class, a gallery", () => {
  const guestbook = [
    'Set fso = Server.CreateObject("Scripting.FileSystemObject")',
    'Set ts = fso.OpenTextFile(Server.MapPath("data/guestbook.txt"), 8, True)',
    'ts.WriteLine Now() & "|" & Server.HTMLEncode(Request.Form("name")) & "|" & Server.HTMLEncode(Request.Form("msg"))',
    "ts.Close",
    'Set ts = fso.OpenTextFile(Server.MapPath("data/guestbook.txt"), 1)',
    'Response.Write Replace(ts.ReadAll, vbCrLf, "<br>")',
    'If Request("del") = Application("adminpw") Then fso.DeleteFile Server.MapPath("data/guestbook.txt")',
  ].join("\n");
  assert.deepEqual(checks(page(guestbook)), []);
  const download = [
    'f = Replace(Request.QueryString("file"), "..", "")',
    'Set st = Server.CreateObject("ADODB.Stream")',
    'st.Type = 1 : st.Open : st.LoadFromFile Server.MapPath("downloads/" & f)',
    'Response.AddHeader "Content-Disposition", "attachment; filename=" & f',
    "Response.BinaryWrite st.Read",
  ].join("\n");
  assert.deepEqual(checks(page(download)), []);
  // A download folder outside the web root, configured as a literal: still the application's folder.
  const fixed = download.replace('Server.MapPath("downloads/" & f)', '"d:\\files\\" & f');
  assert.ok(!rules(page(fixed)).includes("asp-request-file-download"), String(rules(page(fixed))));
  assert.deepEqual(checks(page(fixed)), []);
  // A pure-ASP upload class: the posted bytes saved under the site's upload folder with its own name.
  const upload = [
    "formBytes = Request.BinaryRead(Request.TotalBytes)",
    'Set st = Server.CreateObject("ADODB.Stream")',
    "st.Type = 1 : st.Open : st.Write formBytes",
    'newName = Year(Now) & Month(Now) & Day(Now) & Timer & ".jpg"',
    'st.SaveToFile Server.MapPath("/uploads/" & newName), 2',
    'Set fso = Server.CreateObject("Scripting.FileSystemObject")',
    'If fso.FileExists(Server.MapPath("/uploads/" & newName)) Then Response.Write "ok"',
  ].join("\n");
  assert.deepEqual(checks(page(upload)), []);
  const gallery = [
    'album = Request("album")',
    'Set fso = Server.CreateObject("Scripting.FileSystemObject")',
    'Set fld = fso.GetFolder(Server.MapPath("/photos/" & album))',
    'For Each f In fld.Files : Response.Write "<img src=/photos/" & album & "/" & f.Name & ">" : Next',
    'Set ts = fso.OpenTextFile(Server.MapPath("/photos/" & album & "/captions.txt"), 1)',
  ].join("\n");
  assert.deepEqual(checks(page(gallery)), []);
});
