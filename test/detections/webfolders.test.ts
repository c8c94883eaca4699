// Web folders recognised from Windows paths, wherever Exchange and IIS were installed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { insideFolder, isShippedScript, webFolderOf } from "../../src/detections/webfolders.js";
import { windowsPathOf } from "../../src/evidence/layout.js";

test("webFolderOf: the folders of detection-spec §6, any drive and install path, any case", () => {
  const cases: [string, string | null][] = [
    ["C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx", "aspnet_client"],
    ["D:\\INETPUB\\WWWROOT\\ASPNET_CLIENT\\SYSTEM_WEB\\a.aspx", "aspnet_client"],
    ["C:\\inetpub\\wwwroot\\iisstart.htm", "wwwroot"],
    [
      "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx",
      "owa-auth",
    ],
    ["E:\\Exch\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\a.aspx", "owa-auth"],
    ["E:\\Exch\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx", "ecp-auth"],
    ["E:\\Exch\\V15\\FrontEnd\\HttpProxy\\OAB\\log.aspx", "httpproxy"],
    ["E:\\Exch\\V15\\FrontEnd\\HttpProxy\\ews\\333.aspx", "httpproxy"],
    ["C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\x.lzx", "clientaccess"],
    [
      "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root\\a\\b\\x.dll",
      "temp-aspnet",
    ],
    ["C:\\Windows\\Temp\\lsass.dmp", null],
    ["C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log", null],
  ];
  for (const [p, want] of cases) assert.equal(webFolderOf(p), want, p);
  assert.equal(webFolderOf(null), null);
});

test("from a collector's layout to the web folder", () => {
  const w = windowsPathOf(
    "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/a.aspx",
  ).path;
  assert.equal(webFolderOf(w), "owa-auth");
  assert.equal(webFolderOf(windowsPathOf("inetpub/wwwroot/aspnet_client/s.aspx").path), "aspnet_client");
});

test("isShippedScript: Exchange's own pages by folder; anything in aspnet_client is not", () => {
  const owa = "C:\\X\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\";
  assert.equal(isShippedScript("owa-auth", insideFolder(`${owa}logon.aspx`, "owa-auth")), true);
  assert.equal(isShippedScript("owa-auth", insideFolder(`${owa}LOGON.ASPX`, "owa-auth")), true);
  assert.equal(isShippedScript("owa-auth", insideFolder(`${owa}logon2.aspx`, "owa-auth")), false);
  assert.equal(isShippedScript("owa-auth", insideFolder(`${owa}Current\\logon.aspx`, "owa-auth")), false);
  assert.equal(isShippedScript("aspnet_client", "system_web\\x.aspx"), false);
  assert.equal(isShippedScript("httpproxy", "owa\\global.asax"), true);
  assert.equal(isShippedScript("httpproxy", "ews\\333.aspx"), false);
  assert.equal(isShippedScript("wwwroot", "default.aspx"), null);
});
