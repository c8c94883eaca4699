// Classic ASP SQL consoles (ADODB running SQL text the request supplies whole, xp_cmdshell with request
// text), HTTP clients used as downloaders or against a local admin port, and VBScript procedures that
// carry request data into Execute/eval when called without parentheses (also methods of any return
// type). Traps modelled on benign classic ASP: forum pages (Snitz-style) building SQL around a request
// id, an RSS reader, a remote-image saver, a local search proxy. Fixtures are inert (server comments).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { contentDrafts, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\forum\\";
const page = (code: string, lang = "VBScript") =>
  `<%@ Language="${lang}" %>\n<html><body><h1>Forum</h1>\n<%--\n${code}\n--%>\n</body></html>\n`;
const score = (src: string) => analyse(Buffer.from(src, "latin1"), "page.asp");
const checks = (src: string) => contentDrafts(swept(`${DIR}page.asp`, src)).map((d) => d.check);
const strong = (src: string) => {
  const c = checks(src);
  return c.length > 0 && !c.includes("webshell-suspicious-code");
};
const rules = (src: string) => score(src).signals.map((s) => s.rule);
const CONN = 'Set conn = Server.CreateObject("ADODB.Connection")\nconn.Open Application("connstr")';

test("ADODB SQL console: request SQL text run whole, in several spellings", () => {
  const variants = [
    `${CONN}\nconn.Execute Request("sql")`,
    `${CONN}\nSet rs = conn.Execute(Request.Form("q"))\nDo While Not rs.EOF : Response.Write rs(0) : rs.MoveNext : Loop`,
    `${CONN}\nsql = Trim(Request("sql"))\nSet rs = Server.CreateObject("ADODB.Recordset")\nrs.Open sql, conn, 1, 1`,
    // The connection made in an include file: only its name is seen.
    '<!--#include file="conn.asp"-->\nSet rs = objConn.Execute(Request.QueryString("s"))',
  ];
  for (const [i, v] of variants.entries()) {
    assert.ok(rules(page(v)).includes("asp-sql-console"), `variant ${i}: ${rules(page(v))}`);
    assert.ok(strong(page(v)), `variant ${i} strong`);
  }
  const js =
    'var c = Server.CreateObject("ADODB.Connection");\nc.Open(Application("cs"));\nvar r = c.Execute(Request.Form("sql"));';
  assert.ok(strong(page(js, "JScript")), "JScript console");
});

test("xp_cmdshell with request text is a command runner", () => {
  const direct = `${CONN}\nconn.Execute "EXEC master..xp_cmdshell '" & Request("cmd") & "'"`;
  assert.ok(rules(page(direct)).includes("asp-xp-cmdshell"));
  assert.ok(strong(page(direct)));
  const via = `${CONN}\nc = Replace(Request.Form("c"), "'", "''")\nq = "exec master.dbo.xp_cmdshell '" & c & "'"\nSet rs = conn.Execute(q)`;
  assert.ok(strong(page(via)), String(rules(page(via))));
});

test("SQL traps: forum pages that build SQL around a request id, a fixed xp_cmdshell maintenance job", () => {
  const snitz = [
    CONN,
    'strSql = "SELECT T.TOPIC_ID, T.T_SUBJECT FROM FORUM_TOPICS T WHERE T.FORUM_ID = " & cLng(Request.QueryString("FORUM_ID"))',
    'strSql = strSql & " ORDER BY T.T_LAST_POST DESC"',
    "Set rsTopics = conn.Execute(strSql)",
    'rs.Open "SELECT * FROM MEMBERS WHERE M_NAME = \'" & Replace(Request.Form("name"), "\'", "\'\'") & "\'", conn, 1, 3',
    'conn.Execute "UPDATE FORUM_TOPICS SET T_VIEW_COUNT = T_VIEW_COUNT + 1 WHERE TOPIC_ID = " & Request("TOPIC_ID")',
    'conn.Execute("INSERT INTO GUESTBOOK (NAME, MSG) VALUES (\'" & Request.Form("n") & "\', \'" & Request.Form("m") & "\')")',
  ].join("\n");
  assert.ok(!rules(page(snitz)).includes("asp-sql-console"), String(rules(page(snitz))));
  assert.deepEqual(checks(page(snitz)), []);
  const backup = [
    CONN,
    "conn.Execute \"EXEC master..xp_cmdshell 'copy d:\\db\\forum.bak e:\\backup\\'\"",
    'Response.Write "Backup done for " & Server.HTMLEncode(Request("who"))',
  ].join("\n");
  assert.deepEqual(checks(page(backup)), []);
});

test("ADODB client: the request picks the server, credentials and table (a table dumper), installer trap", () => {
  const dumper = [
    'srv = Request("server") : usr = Request("user") : pwd = Request("pass") : tbl = Request("table")',
    'Set conn = Server.CreateObject("ADODB.Connection")',
    'conn.Open "Provider=SQLOLEDB;Server=" & srv & ";UID=" & usr & ";PWD=" & pwd',
    'Set rs = conn.Execute("SELECT * FROM [" & tbl & "]")',
    'Do While Not rs.EOF : Response.Write rs(0) & "<br>" : rs.MoveNext : Loop',
  ].join("\n");
  assert.ok(rules(page(dumper)).includes("request-sql-client"), String(rules(page(dumper))));
  assert.ok(strong(page(dumper)));
  // An installer: connection details typed into the form, then only its own SQL.
  const installer = [
    'Set conn = Server.CreateObject("ADODB.Connection")',
    'conn.Open "Provider=SQLOLEDB;Server=" & Request.Form("server") & ";Database=" & Request.Form("db") & ";UID=" & Request.Form("user") & ";PWD=" & Request.Form("pw")',
    'conn.Execute "CREATE TABLE FORUM_MEMBERS (MEMBER_ID int IDENTITY, M_NAME nvarchar(75))"',
    "conn.Execute \"INSERT INTO FORUM_CONFIG (C_VARIABLE, C_VALUE) VALUES ('strVersion', '4.0')\"",
    'Response.Write "Tables created."',
  ].join("\n");
  assert.ok(!rules(page(installer)).includes("request-sql-client"), String(rules(page(installer))));
  assert.deepEqual(checks(page(installer)), []);
});

test("downloaders: a request URL fetched and saved to disk (XMLHTTP, ServerXMLHTTP, WinHttp, JScript)", () => {
  const save =
    'Set st = CreateObject("ADODB.Stream")\nst.Type = 1 : st.Open : st.Write x.ResponseBody\nst.SaveToFile Request("to"), 2';
  for (const progid of [
    "MSXML2.XMLHTTP",
    "Msxml2.ServerXMLHTTP.6.0",
    "WinHttp.WinHttpRequest.5.1",
    "Microsoft.XMLHTTP",
  ]) {
    const src = page(
      `Set x = Server.CreateObject("${progid}")\nx.Open "GET", Request("url"), False\nx.Send\n${save}`,
    );
    assert.ok(rules(src).includes("asp-request-url-download"), progid);
    assert.ok(strong(src), `${progid}: ${rules(src)}`);
  }
  const js = [
    'var x = new ActiveXObject("MSXML2.ServerXMLHTTP");',
    'var u = String(Request.QueryString("u"));',
    'x.open("GET", u, false); x.send();',
    'var s = new ActiveXObject("ADODB.Stream"); s.Type = 1; s.Open(); s.Write(x.responseBody);',
    's.SaveToFile(Server.MapPath(Request.QueryString("f")), 2);',
  ].join("\n");
  assert.ok(strong(page(js, "JScript")), String(rules(page(js, "JScript"))));
});

test("local admin port: request data sent to a service on 127.0.0.1/localhost (Serv-U style)", () => {
  const servu = [
    'Set x = Server.CreateObject("Microsoft.XMLHTTP")',
    'x.Open "POST", "http://127.0.0.1:43958/Admin/Result.xml", False',
    'x.Send "USER " & Request("u") & vbCrLf & "PASS " & Request("p") & vbCrLf & "SITE MAINTENANCE" & vbCrLf',
  ].join("\n");
  assert.ok(rules(page(servu)).includes("asp-local-port-request"));
  assert.ok(strong(page(servu)));
  const exec = [
    'cmd = Request.Form("cmd")',
    'Set h = CreateObject("MSXML2.ServerXMLHTTP")',
    'h.Open "GET", "http://localhost:4321/?q=" & Server.URLEncode("site exec " & cmd), False',
    "h.Send",
  ].join("\n");
  assert.ok(strong(page(exec)), String(rules(page(exec))));
});

test("HTTP traps: a fixed RSS feed, a remote-image saver under the upload folder, a local search proxy", () => {
  const rss = [
    'Set x = Server.CreateObject("MSXML2.ServerXMLHTTP.6.0")',
    'x.Open "GET", "https://news.example.org/feed.rss", False',
    "x.Send",
    'pg = CInt(Request("page"))',
    "Response.Write Server.HTMLEncode(x.ResponseText)",
    'Set st = Server.CreateObject("ADODB.Stream") : st.Open : st.WriteText x.ResponseText',
    'st.SaveToFile Server.MapPath("cache/feed.xml"), 2',
  ].join("\n");
  assert.deepEqual(checks(page(rss)), []);
  // An editor's "save remote images" feature: the URL comes from posted content, the name is generated.
  const remote = [
    'imgUrl = Request.Form("img")',
    'Set x = Server.CreateObject("Microsoft.XMLHTTP")',
    'x.Open "GET", imgUrl, False : x.Send',
    'Set st = Server.CreateObject("ADODB.Stream") : st.Type = 1 : st.Open : st.Write x.ResponseBody',
    'st.SaveToFile Server.MapPath("/uploadfile/" & Year(Now) & Timer & ".jpg"), 2',
  ].join("\n");
  assert.ok(!strong(page(remote)), String(rules(page(remote))));
  const solr = [
    'Set x = Server.CreateObject("MSXML2.ServerXMLHTTP")',
    'x.Open "GET", "http://localhost:8983/solr/site/select?wt=json&q=" & Server.URLEncode(Request("q")), False',
    "x.Send",
    "Response.Write x.ResponseText",
  ].join("\n");
  assert.ok(!strong(page(solr)), String(rules(page(solr))));
});

test("VBScript procedures called without parentheses carry request data into Execute/eval", () => {
  const variants = [
    'Sub Run(code)\n  Execute code\nEnd Sub\nRun Request("c")',
    'Sub Run(ByVal code)\n  ExecuteGlobal code\nEnd Sub\nCall Run(Request.Form("c"))',
    'Function Go(s)\n  Go = Eval(s)\nEnd Function\nIf Request("k") <> "" Then Go Request("k")',
    'Private Sub Work(a, b)\n  Execute b\nEnd Sub\nWork 1, Request.QueryString("x")',
  ];
  for (const [i, v] of variants.entries()) assert.ok(strong(page(v)), `variant ${i}: ${rules(page(v))}`);
  // C#: a method with a custom return type takes the request into a process start.
  const cs = [
    "public static RunResult Launch(string args) {",
    '  var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + args);',
    "  return new RunResult(p);",
    "}",
    'Launch(Request.Form["a"]);',
  ].join("\n");
  const a = analyse(Buffer.from(`<%@ Page Language="C#" %>\n<%--\n${cs}\n--%>`, "latin1"), "p.aspx");
  assert.ok(a.flows.has("process"), "custom return type followed");
});

test("procedure traps: a message sub given request data, Execute of a fixed string, an assignment named like a sub", () => {
  const src = [
    "Sub ShowMsg(msg)",
    '  Response.Write "<p class=msg>" & Server.HTMLEncode(msg) & "</p>"',
    "End Sub",
    "Sub Init(x)",
    '  Execute "Dim cfgRows : cfgRows = 20"',
    "End Sub",
    'ShowMsg Request("m")',
    "Init 1",
    'Run = Request("r")',
  ].join("\n");
  assert.ok(!score(page(src)).flows.has("code"), String(rules(page(src))));
  assert.deepEqual(checks(page(src)), []);
});
