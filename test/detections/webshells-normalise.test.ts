// The normaliser, the behaviour analysis' edges, precompiled pages, IIS web roots and the bundled
// signature-base rules. Samples are inert (server comments, or bytes that only look like an assembly).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { draftsOf, type SweptFile } from "../../src/detections/types.js";
import { webFolderOf } from "../../src/detections/webfolders.js";
import { analyse, entropy, mayScore } from "../../src/detections/webshells/analyse.js";
import {
  decodeEntities,
  decodeEscapes,
  foldLine,
  normalise,
} from "../../src/detections/webshells/normalise.js";
import { assemblyStrings, precompiledShell } from "../../src/detections/webshells/precompiled.js";
import { checks as yaraChecks, yaraEngine, yaraRules } from "../../src/detections/yara.js";
import { iisWebRoots } from "../../src/evidence/iis-config.js";
import { prepareHunt } from "../../src/hunt/setup.js";
import { ctx, ROOT } from "../helpers.js";
import { swept, TEMP_ASPNET } from "../sweep-helpers.js";

test("normaliser: entities, escapes, char codes, concatenation, reversal, constants", () => {
  assert.equal(decodeEntities("&#101;&#x76;al&lt;&amp;"), "eval<&");
  assert.equal(decodeEscapes("\\x65\\u0076\\u{61}%u006c"), "eval");
  assert.equal(decodeEscapes('"\\x22"'), '"\\x22"', "a decoded quote would end the literal: kept");
  assert.equal(foldLine('Chr(101) & ChrW(&H76) & Chr(&O141) & "l"'), '"eval"');
  assert.equal(foldLine("String.fromCharCode(0x65,118,97,108)"), '"eval"');
  assert.equal(foldLine("new string(new char[] {'e','v','a','l'})"), '"eval"');
  assert.equal(foldLine('(char)101 + "val"'), '"eval"');
  assert.equal(foldLine('StrReverse("lave")'), '"eval"');
  assert.equal(foldLine('"lave".split("").reverse().join("")'), '"eval"');
  const n = normalise('var q = "un";\nvar w = "safe";\nvar a = q + w;\neval(x, a);');
  assert.match(n.lines[3], /eval\(x, "unsafe"\)/);
  // Comments splitting a keyword over lines go, the line count stays.
  const c = normalise("ev/*\n*/al(1)\nnext");
  assert.deepEqual(c.lines.length, 3);
  assert.equal(c.lines[2], "next");
});

test("normaliser: Base64 and hex literals decoded as layers that point at their line; PE and blobs measured", () => {
  const b64 = Buffer.from('Request.Form["x"]').toString("base64");
  const n = normalise(`line one\nx = "${b64}";`);
  assert.equal(n.layers.length, 1);
  assert.equal(n.layers[0].line, 2);
  assert.equal(n.layers[0].how, "base64");
  assert.equal(n.lineAt(n.text.indexOf("request.form")), 2);
  const pe = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(30)]).toString("base64");
  assert.equal(normalise(`\n\ny = "${pe}"`).embeddedPe, 3);
  const blob = "A".repeat(3000);
  assert.equal(normalise(`z = "${blob}"`).longestBlob, 3000);
  // An image in a data: URI is not an encoded payload.
  assert.equal(normalise(`<img src="data:image/png;base64,${blob}">`).longestBlob, 0);
});

test("analysis: no request source means no flow; entropy; the raw-text gate", () => {
  const a = analyse(Buffer.from('<% Process.Start("notepad.exe"); %>'), "x.aspx");
  assert.equal(a.flows.size, 0);
  assert.ok(a.sinks.has("process"));
  assert.ok(entropy(Buffer.from("aaaa")) < 0.01);
  assert.ok(entropy(Buffer.from([...Array(256).keys()])) > 7.9);
  assert.equal(mayScore("<html><body>hello</body></html>", "a.aspx"), false);
  assert.equal(mayScore('<% x = "e" + "v" %>', "a.aspx"), true);
  assert.equal(mayScore("<% response.write(1) %>", "web.config"), true);
});

/** Bytes shaped like an assembly: MZ, ASCII member names, UTF-16LE user strings. Not executable. */
function fakeAssembly(ascii: string[], wide: string[]): Buffer {
  return Buffer.concat([
    Buffer.from("MZ"),
    Buffer.alloc(62),
    ...ascii.map((s) => Buffer.from(`\0${s}\0`, "latin1")),
    ...wide.map((s) => Buffer.concat([Buffer.from(s, "utf16le"), Buffer.alloc(2)])),
  ]);
}

test("precompiled pages: App_Web DLLs with a shell's names and strings", () => {
  const chopper = fakeAssembly(["JScriptEvaluate", "get_Item", "get_Request"], ["unsafe"]);
  const f = swept(`${TEMP_ASPNET}root\\1\\2\\App_Web_x1y2z3.dll`, chopper);
  const d = draftsOf(precompiledShell.select(f, ctx(f.path)) ? precompiledShell.match(f, ctx(f.path)) : null);
  assert.deepEqual(
    d.map((x) => x.check),
    ["webshell-precompiled"],
  );
  assert.equal(d[0].evidence.Rule, "compiled-jscript-eval-unsafe");
  const runner = fakeAssembly(["ProcessStartInfo", "get_Text"], ["cmd.exe", "/c "]);
  const r = swept("D:\\site\\bin\\App_Web_abc.dll", runner);
  assert.equal(
    draftsOf(precompiledShell.match(r, ctx(r.path)))[0].evidence.Rule,
    "compiled-process-cmd-request",
  );
  assert.match(assemblyStrings(runner), /cmd\.exe/);
});

test("precompiled traps: an ordinary compiled page, a DLL that is not App_Web, a non-PE", () => {
  const page = fakeAssembly(["System.Web.UI.Page", "get_Request", "get_QueryString", "Process"], ["Welcome"]);
  const f = swept(`${TEMP_ASPNET}root\\1\\2\\App_Web_ok.dll`, page);
  assert.deepEqual(draftsOf(precompiledShell.match(f, ctx(f.path))), []);
  const other = swept("D:\\site\\bin\\Newtonsoft.Json.dll", fakeAssembly(["JScriptEvaluate"], ["unsafe"]));
  assert.equal(precompiledShell.select(other, ctx(other.path)), false);
  const text = swept(`${TEMP_ASPNET}App_Web_t.dll`, "JScriptEvaluate unsafe get_Item");
  assert.deepEqual(draftsOf(precompiledShell.match(text, ctx(text.path))), []);
});

test("IIS web roots from applicationHost.config; every inetpub tree is a web root, its logs are not", () => {
  const cfg = `<configuration><system.applicationHost><sites>
    <site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" /></application></site>
    <site name="Intranet" id="3"><application path="/"><virtualDirectory path="/" physicalPath="D:\\Sites\\Intranet\\" /></application>
      <application path="/files"><virtualDirectory path="/" physicalPath="C:\\ProgramData\\COM" /></application></site>
    <site name="Bad"><application path="/"><virtualDirectory path="/" physicalPath="relative\\path" /></application></site>
  </sites></system.applicationHost></configuration>`;
  const roots = iisWebRoots(cfg, { SystemDrive: "E:" });
  assert.deepEqual(roots, ["e:\\inetpub\\wwwroot\\", "d:\\sites\\intranet\\", "c:\\programdata\\com\\"]);
  assert.equal(webFolderOf("D:\\Sites\\Intranet\\admin\\x.aspx", roots), "webroot");
  assert.equal(webFolderOf("D:\\Sites\\Other\\x.aspx", roots), null);
  assert.equal(webFolderOf("D:\\inetpub\\custom\\x.aspx"), "webroot");
  assert.equal(webFolderOf("C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log"), null);
  assert.equal(webFolderOf("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"), "aspnet_client");
  assert.deepEqual(iisWebRoots("not xml at all <<<"), []);
});

test("bundled signature-base rules: shipped unchanged with their licence; a match names rule, author, engine", (t) => {
  const dir = join(ROOT, "data", "rules", "signature-base");
  assert.match(readFileSync(join(dir, "LICENSE"), "utf8"), /^# Detection Rule License \(DRL\) 1\.1/);
  assert.match(readFileSync(join(dir, "SOURCES.md"), "utf8"), /apt_hafnium\.yar/);
  if (!yaraEngine()) {
    t.skip("yara-x engine (@litko/yara-x) not installed on this platform");
    return;
  }
  const hunt = createHuntContext(prepareHunt({}));
  // Inert: the strings Volexity's SimpleSeeSharp rule keys on, in a page that does nothing.
  const page =
    '<%@ Page Language="C#" %>\n<% HttpPostedFile thisFile = Request.Files[0];thisFile.SaveAs(Path.Combine';
  const f: SweptFile = swept("D:\\Sites\\x\\upload.aspx", page);
  const d = draftsOf(yaraRules.match(f, ctx(f.path, null, hunt))).filter(
    (x) => x.check === yaraChecks.community.id,
  );
  assert.equal(d.length, 1);
  assert.equal(d[0].evidence.Rule, "WEBSHELL_ASPX_SimpleSeeSharp");
  assert.equal(d[0].evidence.Author, "threatintel@volexity.com");
  assert.match(d[0].evidence.Licence, /Detection Rule License 1\.1/);
  assert.equal(d[0].evidence.Engine, "YARA (yara-x)");
  assert.match(d[0].title ?? "", /by threatintel@volexity\.com/);
  // Not run on files that are not pages, configs or PST exports; and off on request.
  assert.deepEqual(draftsOf(yaraRules.match(swept("D:\\x\\notes.txt", page), ctx("n", null, hunt))), []);
  assert.equal(d[0].rule?.author, "threatintel@volexity.com", "schema v2: the rule's author travels with it");
  const off = createHuntContext(prepareHunt({ communityRules: false }));
  assert.equal(yaraRules.select(f, ctx(f.path, null, off)), false);
});

test("bundled generic web-shell rules (gen_webshells.yar) name their rule and author", (t) => {
  const dir = join(ROOT, "data", "rules", "signature-base");
  const text = readFileSync(join(dir, "gen_webshells.yar"), "utf8");
  // The file as listed in SOURCES.md, byte for byte.
  const sha = createHash("sha256")
    .update(readFileSync(join(dir, "gen_webshells.yar")))
    .digest("hex");
  assert.ok(readFileSync(join(dir, "SOURCES.md"), "utf8").includes(sha), "SHA-256 in SOURCES.md");
  assert.match(text, /author = "Arnim Rupp/);
  if (!yaraEngine()) {
    t.skip("yara-x engine (@litko/yara-x) not installed on this platform");
    return;
  }
  const hunt = createHuntContext(prepareHunt({}));
  // Inert: China Chopper's call inside an ASP.NET server comment.
  const page = '<%@ Page Language="Jscript"%>\n<%-- inert: eval(Request.Item["x"],"unsafe"); --%>\n';
  const f: SweptFile = swept("D:\\Sites\\x\\discover.aspx", page);
  const d = draftsOf(yaraRules.match(f, ctx(f.path, null, hunt))).filter(
    (x) => x.check === yaraChecks.community.id && x.evidence.Rule === "WEBSHELL_ASP_Generic_Eval_On_Input",
  );
  assert.equal(d.length, 1);
  assert.match(d[0].evidence.Author, /Arnim Rupp/);
  assert.match(d[0].evidence.RuleFile, /gen_webshells\.yar$/);
  // A page of an application: no generic rule.
  const app = swept(
    "D:\\Sites\\x\\about.aspx",
    '<%@ Page Language="C#" %>\n<html><body>About us</body></html>\n',
  );
  assert.deepEqual(draftsOf(yaraRules.match(app, ctx(app.path, null, hunt))), []);
});

test("bundled rules the engine refuses: said once per thread, the other rules still run", (t) => {
  if (!yaraEngine()) {
    t.skip("yara-x engine (@litko/yara-x) not installed on this platform");
    return;
  }
  const setup = prepareHunt({ communityRules: false });
  const bundled = { name: "test-set", licence: "x", url: "u" };
  setup.yara.push({ file: "bad.yar", text: "rule broken { condition: nosuchthing }", bundled });
  const hunt = createHuntContext(setup);
  const f = swept("D:\\Sites\\x\\a.aspx", "<%@ Page %>");
  assert.throws(() => yaraRules.match(f, ctx(f.path, null, hunt)), /do not compile with this YARA engine/);
  assert.deepEqual(draftsOf(yaraRules.match(f, ctx(f.path, null, hunt))), []);
});
