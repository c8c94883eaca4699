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
import { compiledPage, suspectVirtualPath } from "../../src/detections/webshells/compiled-page.js";
import { oabShell } from "../../src/detections/webshells/oab-shell.js";
import { pstShell } from "../../src/detections/webshells/pst-shell.js";
import { unexpectedScript } from "../../src/detections/webshells/unexpected-script.js";
import { ctx } from "../helpers.js";
import { ASPNET_CLIENT, ECP_AUTH, OWA_AUTH, swept, TEMP_ASPNET } from "../sweep-helpers.js";

function run(d: ContentDetection, f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  if (!d.select(f, c)) return [];
  return draftsOf(d.match(f, c));
}

function checksOf(d: ContentDetection, f: SweptFile): string[] {
  return run(d, f).map((x) => x.check);
}

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

test("Virtual-directory dump of another vdir (Set-OwaVirtualDirectory) with a script in ExternalUrl", () => {
  const dump = [
    "Name            : owa (Default Web Site)",
    'ExternalUrl     : http://x/<script language="JScript" runat="server">function Page_Load(){/*inert*/}</script>',
    "LogonFormat     : FullDomain",
  ].join("\r\n");
  const f = swept("D:\\sites\\intranet\\settings.aspx", dump);
  assert.deepEqual(checksOf(oabShell, f), ["webshell-oab-settings"]);
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
