// Strings hidden as byte arrays (`Encoding.*.GetString(new byte[] {…})`, VB `New Byte() {…}`): decoded
// by the normaliser into the literal they produce, so the family and behaviour rules see them. Samples
// are synthetic and inert (server comments, which IIS never runs); the traps are application code with
// byte arrays that are not text (a BOM, image bytes, a key).
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeByteStrings } from "../../src/detections/webshells/byte-strings.js";
import { webshellContent as content } from "../../src/detections/webshells/content.js";
import { foldLine, normalise } from "../../src/detections/webshells/normalise.js";
import { ctx } from "../helpers.js";
import { inertCode as inert, contentDrafts as run, swept } from "../sweep-helpers.js";

const SITE = "D:\\Sites\\shop\\"; // outside every Exchange and IIS folder the sweep knows

/** The bytes of `s` as C# decimal, C# hex or VB hex literals. */
const dec = (s: string, enc: BufferEncoding = "latin1") => [...Buffer.from(s, enc)].join(", ");
const hex = (s: string) => [...Buffer.from(s)].map((c) => `0x${c.toString(16)}`).join(", ");
const vbHex = (s: string) => [...Buffer.from(s)].map((c) => `&H${c.toString(16).toUpperCase()}`).join(", ");

test("byte strings: every encoding and array spelling becomes its literal; the line count stays", () => {
  const forms = [
    `Encoding.Default.GetString(new byte[]{ ${hex("Load")} })`,
    `System.Text.Encoding.UTF8.GetString(new byte[] {${dec("Load")},})`,
    `Encoding.ASCII.GetString(New Byte() {${vbHex("Load")}})`,
    `System.Text.Encoding.Unicode.GetString(new byte[]{${dec("Load", "utf16le")}})`,
    `new System.Text.UTF8Encoding().GetString(new System.Byte[4] {${dec("Load")}})`,
    `Encoding.GetEncoding(1252).GetString(new byte[] {${dec("Load")}})`,
  ];
  for (const f of forms) assert.equal(decodeByteStrings(f), '"Load"', f);
  // GetString of a name given one byte-array literal and never written again.
  assert.equal(
    decodeByteStrings(
      `byte[] k = new byte[] {${dec("Load")}};\nm = t.GetMethod(Encoding.ASCII.GetString(k));`,
    ),
    `byte[] k = new byte[] {${dec("Load")}};\nm = t.GetMethod("Load");`,
  );
  assert.equal(
    decodeByteStrings(`Dim k As Byte() = New Byte() {${vbHex("Load")}}\nm = Encoding.ASCII.GetString(k)`),
    `Dim k As Byte() = New Byte() {${vbHex("Load")}}\nm = "Load"`,
  );
  // Joined with what follows, as other decoded literals are.
  assert.equal(foldLine(`Encoding.ASCII.GetString(new byte[]{${dec("Lo")}}) + "ad"`), '"Load"');
  // An array over several lines: the literal stands on its first line, the later lines stay (empty).
  const n = normalise(
    `a();\nx = Encoding.UTF8.GetString(new byte[] {\n${dec("Assem")},\n${dec("bly")} });\nnext();`,
  );
  assert.equal(n.lines.length, 5);
  assert.equal(n.lines[1], 'x = "assembly"');
  assert.equal(n.lines[4], "next();");
});

test("byte strings: bytes that are not printable text stay as they are", () => {
  const kept = [
    "Encoding.UTF8.GetString(new byte[] { 0xEF, 0xBB, 0xBF })", // a BOM
    "Encoding.Default.GetString(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })", // PNG header
    "Encoding.ASCII.GetString(new byte[] { 21, 99, 143, 7, 250, 33 })", // key material
    "Encoding.Unicode.GetString(new byte[] { 0x4c, 0x6f, 0x61 })", // odd length: not UTF-16
    "Encoding.ASCII.GetString(new byte[] { 300, 301 })", // not bytes
    "new byte[] { 76, 111, 97, 100 }", // no GetString: data, not a string
    // A named array written again (an element, or the whole name): its bytes at the call are unknown.
    `var k = new byte[] {${dec("Load")}};\nk[0] = 77;\nvar m = Encoding.ASCII.GetString(k);`,
    `var k = new byte[] {${dec("Load")}};\nk = Next();\nvar m = Encoding.ASCII.GetString(k);`,
    "var bom = new byte[] { 0xEF, 0xBB, 0xBF };\nvar m = Encoding.UTF8.GetString(bom);",
    "var m = Encoding.UTF8.GetString(buffer);",
  ];
  for (const k of kept) assert.equal(decodeByteStrings(k), k, k);
});

test("Godzilla-like page whose Assembly, Load and payload names are byte arrays: the family matches", () => {
  const page = [
    'string key = "0123456789abcdef"; string pass = "pass";',
    "byte[] data = System.Convert.FromBase64String(Context.Request[pass]);",
    "data = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(System.Text.Encoding.Default.GetBytes(key), System.Text.Encoding.Default.GetBytes(key)).TransformFinalBlock(data, 0, data.Length);",
    `System.Type t = System.Type.GetType(System.Text.Encoding.UTF8.GetString(new byte[] {\n ${dec("System.Reflection.")},\n ${dec("Assembly")} }));`,
    `byte[] slot = new byte[]{ ${hex("payload")} };`,
    `if (Context.Session[Encoding.ASCII.GetString(slot)] == null) { Context.Session[Encoding.ASCII.GetString(new byte[]{ ${hex("payload")} })] = t.GetMethod(Encoding.Unicode.GetString(new byte[]{ ${dec("Load", "utf16le")} }), new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data }); }`,
  ].join("\n");
  const d = run(swept(`${SITE}g.aspx`, inert(page, "C#")));
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-godzilla"],
  );
  assert.equal(d[0].evidence.Rule, "godzilla-session-payload");
  assert.equal(d[0].line, 10, "the line of the Session slot, after the array that spans three lines");
});

test("VB loader with GetMethod(New Byte() {…}) of posted bytes: a request-to-Assembly.Load loader", () => {
  const page = [
    "Dim data As Byte()",
    'data = Convert.FromBase64String(Request.Form("p"))',
    `Dim asm As Object = GetType(System.Reflection.Assembly).GetMethod(System.Text.Encoding.ASCII.GetString(New Byte() {${vbHex("Load")}}), New Type() {GetType(Byte())}).Invoke(Nothing, New Object() {data})`,
    'asm.CreateInstance("Agent").Equals(Context)',
  ].join("\n");
  const d = run(swept(`${SITE}v.aspx`, inert(page, "VB")));
  assert.deepEqual(
    d.map((x) => [x.check, x.evidence.Rule, x.line]),
    [["webshell-memory-loader", "loader-request-to-assembly-load", 5]],
  );
});

test("trap: an export page with a BOM, a tracking GIF, an AES key and a printable separator as byte arrays", () => {
  const page = [
    '<%@ Page Language="C#" %>',
    '<html><body><form runat="server"><asp:Button ID="export" runat="server" OnClick="Export" Text="Export" /></form></body></html>',
    '<script runat="server">',
    "static readonly byte[] Bom = new byte[] { 0xEF, 0xBB, 0xBF };",
    "static readonly byte[] Gif = new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01 };",
    "static readonly byte[] Key = new byte[] { 21, 99, 143, 7, 250, 33, 76, 111, 97, 100, 12, 200, 91, 64, 5, 180 };",
    "static readonly string Marker = Encoding.UTF8.GetString(new byte[] { 0xEF, 0xBB, 0xBF });",
    "static readonly string Sep = Encoding.ASCII.GetString(new byte[] { 59, 32 });",
    "void Export(object s, EventArgs e) {",
    '  var cookie = Request.Cookies["prefs"];',
    "  using (var aes = Aes.Create()) { aes.Key = Key; aes.IV = new byte[16];",
    "    byte[] raw = Convert.FromBase64String(cookie.Value);",
    "    string prefs = Encoding.UTF8.GetString(aes.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length));",
    '    Response.ContentType = "text/csv"; Response.BinaryWrite(Bom); Response.Write(prefs.Replace(",", Sep)); }',
    "  Response.OutputStream.Write(Gif, 0, Gif.Length);",
    "}",
    "</script>",
  ].join("\n");
  const f = swept(`${SITE}export.aspx`, page);
  assert.ok(content.select(f, ctx(f.path)), "the page is judged");
  assert.deepEqual(run(f), []);
  // The separator was decoded, the BOM left alone.
  const n = normalise(page);
  assert.match(n.text, /sep = "; "/);
  assert.match(n.text, /marker = encoding\.utf8\.getstring\(new byte\[\] \{ 0xef/);
});
