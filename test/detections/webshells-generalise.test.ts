// Content features added to reach the detection goal without naming samples: a request-chosen
// database client, literals concatenated over several lines, filler comments inside literals, and
// GBK quotes re-saved as UTF-8. Each with false-positive traps. Fixtures are inert (server comments).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyse } from "../../src/detections/webshells/analyse.js";
import { normalise } from "../../src/detections/webshells/normalise.js";
import { inertCode as inert, contentDrafts as run, swept } from "../sweep-helpers.js";

const DIR = "D:\\Sites\\shop\\";

test("SQL client: the request names the connection and the SQL text -> strong, with rule and line", () => {
  const code = [
    'string cs = Request.QueryString["conn"];',
    'string q = Request.QueryString["sql"];',
    "using (SqlConnection c = new SqlConnection(cs)) {",
    "  SqlCommand cmd = new SqlCommand(q, c);",
    "}",
  ].join("\n");
  const d = run(swept(`${DIR}s.aspx`, inert(code)));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-behaviour"],
  );
  assert.match(d[0].evidence.Signals, /request-sql-client line 6/);
  assert.match(d[0].evidence.Signals, /flow-db-connect line 5/);
});

test("SQL traps: an installer (form-chosen connection, its own SQL) and a page with configured connection", () => {
  const installer = [
    'string cs = "Server=" + txtServer.Text + ";Database=" + txtDb.Text + ";User Id=" + txtUser.Text;',
    "using (SqlConnection c = new SqlConnection(cs)) {",
    '  SqlCommand cmd = new SqlCommand("CREATE TABLE Settings (Name nvarchar(50))", c);',
    "}",
  ].join("\n");
  const page = `<html><body><form runat="server"><asp:TextBox id="txtServer" runat="server"/></form></body></html>\n<script runat="server">\n${installer}\n</script>`;
  const a = analyse(Buffer.from(`<%@ Page Language="C#" %>\n${page}`, "latin1"), "install.aspx");
  assert.ok(a.score < 10, `installer scored ${a.score}`);
  assert.ok(!a.signals.some((s) => s.rule === "request-sql-client"));
  const configured = [
    'var c = new SqlConnection(ConfigurationManager.ConnectionStrings["main"].ConnectionString);',
    'var cmd = new SqlCommand("SELECT * FROM Products WHERE Id = @id", c);',
    'cmd.Parameters.AddWithValue("@id", Request.QueryString["id"]);',
  ].join("\n");
  assert.deepEqual(run(swept(`${DIR}p.aspx`, `<html><body></body></html>\n<% ${configured} %>`)), []);
});

test("concatenation over lines, filler comments inside literals, GBK quotes re-saved as UTF-8", () => {
  // “ ” in GBK (A1 B0 / A1 B1) read as Latin-1 and saved again as UTF-8.
  const q = "\u00c2\u00a1\u00c2\u00b1";
  const src = `<%var p=${q}ev${q}+\n${q}al(Request${q}+${q}[/*-/*-\n*/0]${q}+\n${q},\\${q}"+${q}unsafe\\${q}")${q};eval(p);%>`;
  const n = normalise(src);
  assert.match(n.lines[0], /"eval\(request\[0\]/);
  assert.equal(n.lines.length, src.split("\n").length, "line count kept");
  // Trap: ordinary multi-line string building in a page is left as it is and scores nothing.
  const html = [
    '<%@ Page Language="C#" %>',
    '<% string msg = "Hello " +',
    '   user.Name + ", you have " +',
    '   count + " new messages"; %>',
    "<p><%= msg %></p>",
  ].join("\n");
  assert.deepEqual(run(swept(`${DIR}hello.aspx`, html)), []);
  assert.equal(normalise(html).lines.length, 5);
});
