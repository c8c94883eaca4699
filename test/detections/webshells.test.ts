// Web-shell content rules: each with positive cases and false-positive traps (Exchange's own pages,
// minified client-side JavaScript, HTML-only pages). Fixtures are inert (see test/sweep-helpers.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ContentDetection,
  draftsOf,
  type FindingDraft,
  type SweptFile,
} from "../../src/detections/types.js";
import { chopper } from "../../src/detections/webshells/chopper.js";
import { compiledPage, suspectVirtualPath } from "../../src/detections/webshells/compiled-page.js";
import { dynamicExec } from "../../src/detections/webshells/dynamic-exec.js";
import { oabShell } from "../../src/detections/webshells/oab-shell.js";
import { pstShell } from "../../src/detections/webshells/pst-shell.js";
import { unexpectedScript } from "../../src/detections/webshells/unexpected-script.js";
import { ctx } from "../helpers.js";
import { ASPNET_CLIENT, ECP_AUTH, inertPage, OWA_AUTH, swept, TEMP_ASPNET } from "../sweep-helpers.js";

function run(d: ContentDetection, f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  if (!d.select(f, c)) return [];
  return draftsOf(d.match(f, c));
}

function checksOf(d: ContentDetection, f: SweptFile): string[] {
  return run(d, f).map((x) => x.check);
}

/** Shaped like Exchange's own owa\auth\logon.aspx: directives, server blocks, request use, client script. */
const LOGON_LIKE = `<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import namespace="Microsoft.Exchange.Clients.Owa.Core" %>
<!DOCTYPE html><html><head><script type="text/javascript">
function g(){var r=new XMLHttpRequest();r.onload=function(){var o=eval(xmlHttpRequest.responseText);};}
</script></head><body>
<% if (Request.QueryString["reason"] == "2") { %><div class="signInError">expired</div><% } %>
<form action="/owa/auth.owa" method="POST"><input name="username"/></form></body></html>`;

/** A minified client-side bundle that uses eval and request words. */
const MINIFIED_JS =
  'var a=function(e){return eval("("+e+")")},b=new XMLHttpRequest;b.open("POST",u),b.send(Request);' +
  "window.Process={start:function(){}};var c=atob(x);";

test('Chopper: JScript eval(Request...,"unsafe"), spaced and C# writer variants', () => {
  const a = swept(`${ASPNET_CLIENT}shell.aspx`, inertPage('eval(Request.Item["x"],"unsafe");'));
  const d = run(chopper, a);
  assert.equal(d.length, 1);
  assert.equal(d[0].check, "webshell-chopper");
  assert.equal(d[0].evidence.Path, `${ASPNET_CLIENT}shell.aspx`);
  assert.equal(d[0].evidence.SHA256, a.sha256);
  assert.equal(d[0].evidence.Modified, "2021-03-03T06:50:13.000Z");
  assert.equal(d[0].time, "2021-03-03T06:50:13.000Z");
  assert.match(d[0].evidence.Rule, /unsafe/);
  assert.match(d[0].evidence.Match, /eval\(Request/);
  const spaced = swept(`${OWA_AUTH}x.aspx`, inertPage("eval (Request[\"k\"], 'unsafe')"));
  assert.deepEqual(checksOf(chopper, spaced), ["webshell-chopper"]);
  const b64 = swept(
    `${OWA_AUTH}y.aspx`,
    inertPage(
      'eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(Request.Item["z"])))',
    ),
  );
  assert.deepEqual(checksOf(chopper, b64), ["webshell-chopper"]);
  const writer = swept(`${OWA_AUTH}w.aspx`, inertPage('new System.IO.StreamWriter(Request.Form["p"])', "C#"));
  assert.deepEqual(checksOf(chopper, writer), ["webshell-chopper"]);
  const upload = swept(`${OWA_AUTH}u.aspx`, inertPage('Request.Files[0].SaveAs(Server.MapPath("a"))', "C#"));
  assert.deepEqual(checksOf(chopper, upload), ["webshell-chopper"]);
});

test("Chopper traps: Exchange's logon page, minified JS, HTML page, files outside web folders", () => {
  assert.deepEqual(checksOf(chopper, swept(`${OWA_AUTH}logon.aspx`, LOGON_LIKE)), []);
  assert.deepEqual(
    checksOf(chopper, swept(`${OWA_AUTH}15.1.2176\\scripts\\premium\\flogon.js`, MINIFIED_JS)),
    [],
  );
  // The marker text in a plain HTML page (an article about Chopper) is not server code.
  const html = swept(
    `${ASPNET_CLIENT}about.aspx`,
    '<html><body><pre>eval(Request.Item["x"],"unsafe")</pre></body></html>',
  );
  assert.deepEqual(checksOf(chopper, html), []);
  // Not a web folder and not a --files root: content rules do not run.
  const elsewhere = swept(
    "C:\\Users\\admin\\Documents\\notes.aspx",
    inertPage('eval(Request.Item["x"],"unsafe")'),
  );
  assert.deepEqual(checksOf(chopper, elsewhere), []);
  // ... unless the folder was named with --files.
  assert.deepEqual(checksOf(chopper, { ...elsewhere, extraRoot: true }), ["webshell-chopper"]);
});

const OAB_DUMP = (url: string) =>
  [
    "RunspaceId                      : 5e8c1f0a-0000-0000-0000-000000000000",
    "PollInterval                    : 480",
    "OfflineAddressBooks             : {}",
    "RequireSSL                      : True",
    `ExternalUrl                     : ${url}`,
    "InternalAuthenticationMethods   : {WindowsIntegrated}",
    "ExtendedProtectionTokenChecking : None",
    "Name                            : OAB (Default Web Site)",
  ].join("\r\n");

test("OAB-settings shell: a settings dump with a script tag in ExternalUrl", () => {
  const f = swept(
    `${ASPNET_CLIENT}system_web\\discover.aspx`,
    OAB_DUMP(
      'http://f/<script language="JScript" runat="server">function Page_Load(){/*inert fixture*/}</script>',
    ),
  );
  const d = run(oabShell, f);
  assert.equal(d.length, 1);
  assert.equal(d[0].check, "webshell-oab-settings");
  assert.match(d[0].evidence.Match, /<script language="JScript"/);
});

test("OAB-settings traps: a clean settings dump, and a page with script but no OAB settings", () => {
  assert.deepEqual(
    checksOf(oabShell, swept(`${ASPNET_CLIENT}oab.txt`, OAB_DUMP("https://mail.contoso.com/OAB"))),
    [],
  );
  const page = swept(
    `${OWA_AUTH}errorFE.aspx`,
    '<html><script type="text/javascript">var externalUrl="x";</script></html>',
  );
  assert.deepEqual(checksOf(oabShell, page), []);
});

test("PST magic: !BDN at offset 0 in a web folder; severity by extension", () => {
  const pst = Buffer.concat([Buffer.from("!BDN"), Buffer.alloc(508)]);
  const page = run(pstShell, swept(`${ASPNET_CLIENT}x.aspx`, pst));
  assert.equal(page.length, 1);
  assert.equal(page[0].severity, "critical");
  const other = run(pstShell, swept(`${OWA_AUTH}mail.bin`, pst));
  assert.equal(other[0].severity, "high");
});

test("PST traps: !BDN not at offset 0; a PST outside web folders", () => {
  const shifted = Buffer.concat([Buffer.from(" !BDN"), Buffer.alloc(100)]);
  assert.deepEqual(checksOf(pstShell, swept(`${ASPNET_CLIENT}x.aspx`, shifted)), []);
  const archive = swept(
    "C:\\Users\\a\\Documents\\Outlook Files\\a.pst",
    Buffer.concat([Buffer.from("!BDN"), Buffer.alloc(60)]),
  );
  assert.deepEqual(checksOf(pstShell, archive), []);
});

test("Dynamic execution: eval of request data, Process.Start, Assembly.Load, socket tunnel", () => {
  const ev = swept(`${OWA_AUTH}e.aspx`, inertPage('var r = eval(Page.Request.Form["c"]);'));
  assert.deepEqual(checksOf(dynamicExec, ev), ["webshell-eval-request"]);
  const proc = swept(
    `${ASPNET_CLIENT}p.aspx`,
    inertPage(
      'var p = new ProcessStartInfo("cmd.exe", "/c " + Request.QueryString["c"]); Process.Start(p);',
      "C#",
    ),
  );
  assert.deepEqual(checksOf(dynamicExec, proc), ["webshell-process-request"]);
  const asm = swept(
    `${ASPNET_CLIENT}a.aspx`,
    inertPage('System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["k"]))', "C#"),
  );
  assert.deepEqual(checksOf(dynamicExec, asm), ["webshell-reflective-load"]);
  const tunnel = swept(
    `${ASPNET_CLIENT}t.ashx`,
    inertPage(
      'using System.Net.Sockets; String cmd = Request.Headers.Get("X-CMD"); new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);',
      "C#",
    ),
  );
  assert.deepEqual(checksOf(dynamicExec, tunnel), ["webshell-socket-tunnel"]);
});

test("Dynamic execution traps: logon page, minified JS, HTML-only .aspx, Chopper not counted twice", () => {
  assert.deepEqual(checksOf(dynamicExec, swept(`${OWA_AUTH}logon.aspx`, LOGON_LIKE)), []);
  assert.deepEqual(checksOf(dynamicExec, swept(`${OWA_AUTH}Current\\scripts\\app.min.js`, MINIFIED_JS)), []);
  const html = swept(
    `${ASPNET_CLIENT}index.aspx`,
    "<html><body><script>eval(request.body)</script>Process.Start</body></html>",
  );
  assert.deepEqual(checksOf(dynamicExec, html), []);
  const chop = swept(`${ASPNET_CLIENT}c.aspx`, inertPage('eval(Request.Item["x"],"unsafe");'));
  assert.deepEqual(checksOf(dynamicExec, chop), []);
  // Process.Start without request data (an admin tool page) is not flagged by this rule.
  const admin = swept(`${OWA_AUTH}z.aspx`, inertPage('Process.Start("notepad.exe");', "C#"));
  assert.deepEqual(checksOf(dynamicExec, admin), []);
});

test("Unexpected scripts: any page in aspnet_client; pages Exchange does not ship in auth folders", () => {
  const aspnet = run(unexpectedScript, swept(`${ASPNET_CLIENT}system_web\\log.aspx`, "<html></html>"));
  assert.deepEqual(
    aspnet.map((d) => d.check),
    ["script-in-aspnet-client"],
  );
  const owa = run(unexpectedScript, swept(`${OWA_AUTH}OutlookZH.aspx`, "x"));
  assert.deepEqual(
    owa.map((d) => d.check),
    ["unexpected-exchange-script"],
  );
  const current = run(unexpectedScript, swept(`${OWA_AUTH}Current\\themes\\resources\\logon.aspx`, "x"));
  assert.deepEqual(
    current.map((d) => d.check),
    ["unexpected-exchange-script"],
  );
  const ews = run(unexpectedScript, swept("D:\\Exchange\\V15\\FrontEnd\\HttpProxy\\ews\\333.aspx", "x"));
  assert.deepEqual(
    ews.map((d) => d.check),
    ["unexpected-exchange-script"],
  );
});

test("Unexpected-script traps: Exchange's own pages, theme files, wwwroot, other extensions", () => {
  for (const name of [
    "logon.aspx",
    "errorFE.aspx",
    "logoff.aspx",
    "expiredpassword.aspx",
    "signout.aspx",
    "web.config",
  ])
    assert.deepEqual(checksOf(unexpectedScript, swept(`${OWA_AUTH}${name}`, "x")), [], name);
  assert.deepEqual(checksOf(unexpectedScript, swept(`${ECP_AUTH}TimeoutLogout.aspx`, "x")), []);
  assert.deepEqual(
    checksOf(unexpectedScript, swept(`${OWA_AUTH}Current\\themes\\resources\\logon.css`, "x")),
    [],
  );
  assert.deepEqual(
    checksOf(
      unexpectedScript,
      swept("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\global.asax", "x"),
    ),
    [],
  );
  assert.deepEqual(checksOf(unexpectedScript, swept("C:\\inetpub\\wwwroot\\default.aspx", "x")), []);
  assert.deepEqual(
    checksOf(unexpectedScript, swept(`${ASPNET_CLIENT}system_web\\4_0_30319\\readme.txt`, "x")),
    [],
  );
});

const compiled = (vpath: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\r\n<preserve resultType="3" virtualPath="${vpath}" hash="1a2b" filehash="3c4d" flags="110000" assembly="App_Web_ab12cd34" />`;

test("Compiled pages: App_Web DLL of a page from aspnet_client or a non-Exchange auth page", () => {
  const f = swept(
    `${TEMP_ASPNET}root\\9f1c\\8a2b\\discover.aspx.cdcab7d2.compiled`,
    compiled("/aspnet_client/system_web/discover.aspx"),
  );
  const d = run(compiledPage, f);
  assert.equal(d.length, 1);
  assert.equal(d[0].evidence.VirtualPath, "/aspnet_client/system_web/discover.aspx");
  assert.equal(d[0].evidence.Assembly, `${TEMP_ASPNET}root\\9f1c\\8a2b\\App_Web_ab12cd34.dll`);
  assert.equal(suspectVirtualPath("/owa/auth/OutlookZH.aspx"), "page Exchange does not ship in /owa/auth/");
  assert.equal(
    suspectVirtualPath("/owa/auth/Current/themes/resources/logon.aspx"),
    "page Exchange does not ship in /owa/auth/",
  );
});

test("Compiled-page traps: Exchange's own pages, other apps, non-.compiled files", () => {
  for (const v of [
    "/owa/auth/logon.aspx",
    "/ecp/auth/TimeoutLogout.aspx",
    "/ecp/default.aspx",
    "/owa/default.aspx",
  ])
    assert.deepEqual(
      checksOf(compiledPage, swept(`${TEMP_ASPNET}owa\\1\\2\\x.compiled`, compiled(v))),
      [],
      v,
    );
  assert.deepEqual(
    checksOf(compiledPage, swept(`${TEMP_ASPNET}root\\1\\2\\x.xml`, compiled("/aspnet_client/a.aspx"))),
    [],
  );
});
