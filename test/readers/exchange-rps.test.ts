// CmdletInfra Remote PowerShell logs: recognised by their header, read as their own kind and coverage
// source; the cmdlet log's rows judged like the MSExchange Management events (the ProxyShell path).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { scan } from "../../src/index.js";
import { sniff } from "../../src/readers/index.js";
import { tempDir } from "../helpers.js";

const FIELDS =
  "DateTime,StartTime,RequestId,ClientRequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ServerHostName,ProcessId,ProcessName,ThreadId,CultureInfo,Organization,AuthenticatedUser,ExecutingUserSid,EffectiveOrganization,UserServicePlan,IsAdmin,ClientApplication,Cmdlet,Parameters,CmdletUniqueId";

const head = (type: string, fields = FIELDS) =>
  `#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: ${type}\r\n#Date: 2021-08-14T10:00:00.000Z\r\n#Fields: ${fields}\r\n`;

function row(cmdlet: string, params: string, time: string): string {
  const cells = FIELDS.split(",").map(() => "");
  const set = (k: string, v: string) => {
    cells[FIELDS.split(",").indexOf(k)] =
      v.includes(",") || v.includes('"') ? `"${v.replaceAll('"', '""')}"` : v;
  };
  set("DateTime", time);
  set("ServerHostName", "EXCH01");
  set("AuthenticatedUser", "contoso.local/Users/Administrator");
  set("Cmdlet", cmdlet);
  set("Parameters", params);
  return cells.join(",");
}

describe("CmdletInfra Remote PowerShell logs", () => {
  it("recognised by header as rps-cmdlet and rps-http", () => {
    assert.equal(sniff(Buffer.from(head("Rps Cmdlet Logs")), "x.LOG")?.kind, "rps-cmdlet");
    assert.equal(
      sniff(Buffer.from(head("Rps Http Logs", "DateTime,StartTime,RequestId,UrlStem")), "x.LOG")?.kind,
      "rps-http",
    );
  });

  it("an export to an .aspx and the role grant are found; an export to a share is not", async (t) => {
    const dir = tempDir(t);
    const logs = join(
      dir,
      "EXCH01/Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Cmdlet",
    );
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, "Rps_Cmdlet_2021081410-1.LOG"),
      `${head("Rps Cmdlet Logs")}${[
        row(
          "New-ManagementRoleAssignment",
          "-Role:'Mailbox Import Export' -User:'administrator@contoso.local'",
          "2021-08-14T10:00:00.000Z",
        ),
        row(
          "New-MailboxExportRequest",
          "-Mailbox:'administrator@contoso.local' -FilePath:'\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\s.aspx'",
          "2021-08-14T10:01:00.000Z",
        ),
        row(
          "New-MailboxExportRequest",
          "-Mailbox:'bob' -FilePath:'\\\\fs01\\pst$\\bob.pst'",
          "2021-08-14T10:02:00.000Z",
        ),
        row("Get-Mailbox", "-Identity:'alice'", "2021-08-14T10:03:00.000Z"),
      ].join("\r\n")}\r\n`,
    );
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const found = s.findings
      .filter((f) => f.check !== "log-coverage" && !f.check.startsWith("exposure-"))
      .map((f) => f.check)
      .sort();
    assert.deepEqual(found, ["proxyshell-import-export-role", "proxyshell-mailbox-export-webshell"]);
    const exp = s.findings.find((f) => f.check === "proxyshell-mailbox-export-webshell");
    assert.equal(exp?.source.line, 7);
    assert.match(exp?.evidence.Path ?? "", /s\.aspx$/);
    assert.ok(s.coverage.sources.some((c) => c.source === "Remote PowerShell cmdlets (CmdletInfra)"));
    assert.equal(s.files?.files.find((f) => f.file.endsWith(".LOG"))?.reader, "exchange-log");
  });
});
