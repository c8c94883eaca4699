// Example exported events (evtx_dump JSON lines, the shape `evtx_dump -o jsonl` writes): the Application
// and MSExchange Management channels of a server, with ordinary background events, benign look-alikes,
// and on the compromised server the CVE-2021-26857 error and the OAB virtual-directory script write.
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface EventServer {
  name: string;
  fqdn: string;
  domain: string;
}

interface ExampleEvent {
  time: Date;
  provider: string;
  channel: string;
  eventId: number;
  level: number;
  data: string[] | Record<string, string>;
}

/** One evtx_dump JSON object (unnamed parameters as `Data.#text`, named ones as keys). */
function dumpLine(e: ExampleEvent, recordId: number, srv: EventServer): string {
  const eventData = Array.isArray(e.data) ? { Data: { "#text": e.data } } : e.data;
  return JSON.stringify({
    Event: {
      "#attributes": { xmlns: "http://schemas.microsoft.com/win/2004/08/events/event" },
      System: {
        Provider: { "#attributes": { Name: e.provider } },
        EventID: e.eventId,
        Level: e.level,
        Task: 0,
        Keywords: "0x80000000000000",
        TimeCreated: { "#attributes": { SystemTime: e.time.toISOString().replace("Z", "0000Z") } },
        EventRecordID: recordId,
        Channel: e.channel,
        Computer: srv.fqdn,
        Security: null,
      },
      EventData: eventData,
    },
  });
}

const cmdlet = (time: Date, srv: EventServer, name: string, params: string): ExampleEvent => ({
  time,
  provider: "MSExchange CmdletLogs",
  channel: "MSExchange Management",
  eventId: 1,
  level: 4,
  data: [
    name,
    params,
    `${srv.domain}/Users/Administrator`,
    "S-1-5-21-1004336348-1177238915-682003330-500",
    "S-1-5-21-1004336348-1177238915-682003330-500",
    "Remote-ManagementShell-Unknown",
    "6140 w3wp#MSExchangePowerShellAppPool",
    "",
    "12",
    "00:00:00.0468750",
  ],
});

/** Everyday events: Exchange services starting, routine cmdlets, and benign look-alikes of the attack. */
function background(srv: EventServer, from: Date, to: Date): ExampleEvent[] {
  const out: ExampleEvent[] = [];
  const day = 24 * 3600 * 1000;
  let i = 0;
  for (let t = from.getTime() + 3 * 3600 * 1000; t < to.getTime(); t += day, i++) {
    out.push({
      time: new Date(t),
      provider: "MSExchange ADAccess",
      channel: "Application",
      eventId: 2080,
      level: 4,
      data: [
        `Process Microsoft.Exchange.Directory.TopologyService.exe (PID=3012). Exchange Active Directory Provider has discovered the following servers: DC01.${srv.domain}`,
      ],
    });
    out.push(cmdlet(new Date(t + 3600 * 1000), srv, "Get-Mailbox", `-ResultSize "Unlimited"`));
    if (i % 5 === 2) {
      // An ordinary Unified Messaging error (no InvalidCastException): not CVE-2021-26857.
      out.push({
        time: new Date(t + 2 * 3600 * 1000),
        provider: "MSExchange Unified Messaging",
        channel: "Application",
        eventId: 1446,
        level: 2,
        data: [
          "The Microsoft Exchange Unified Messaging service could not find a dial plan for the incoming call.",
        ],
      });
    }
  }
  const at = (k: number) => new Date(from.getTime() + k * day + 10 * 3600 * 1000);
  // An administrator setting OWA's URL: a Set-*VirtualDirectory without script.
  out.push(
    cmdlet(
      at(1),
      srv,
      "Set-OwaVirtualDirectory",
      `-Identity "${srv.name}\\owa (Default Web Site)" -ExternalUrl "https://mail.${srv.domain}/owa"`,
    ),
  );
  // A PST export to a file share, cleaned up two days later: ordinary administration.
  out.push(
    cmdlet(
      at(2),
      srv,
      "New-MailboxExportRequest",
      `-Mailbox "alice" -FilePath "\\\\fs01.${srv.domain}\\pst$\\alice.pst"`,
    ),
  );
  out.push(
    cmdlet(at(4), srv, "Remove-MailboxExportRequest", `-Identity "alice\\MailboxExport" -Confirm "False"`),
  );
  return out;
}

/** The attack as the two channels saw it (inert: the script only writes a letter). */
function attackEvents(srv: EventServer): ExampleEvent[] {
  const inert = `http://f/<script language="JScript" runat="server">function Page_Load(){/*exhunt inert example*/Response.Write("x");}</script>`;
  return [
    cmdlet(
      new Date("2021-03-03T06:49:52.650Z"),
      srv,
      "Set-OabVirtualDirectory",
      `-ExternalUrl "${inert}" -Identity "982d3e4a-6f19-4a3c-b0b8-3f1bd2f4f3a1"`,
    ),
    cmdlet(
      new Date("2021-03-03T06:49:56.110Z"),
      srv,
      "Set-OabVirtualDirectory",
      `-ExternalUrl $null -Identity "982d3e4a-6f19-4a3c-b0b8-3f1bd2f4f3a1"`,
    ),
    {
      time: new Date("2021-03-03T07:12:45.555Z"),
      provider: "MSExchange Unified Messaging",
      channel: "Application",
      eventId: 1040,
      level: 2,
      data: [
        "Unable to process the voice mail: System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCore.PipelineContext'. (exhunt inert example)",
      ],
    },
  ];
}

/** Write `Events/<name>-events.jsonl` under a server's evidence root. */
export function writeEventExport(
  root: string,
  srv: EventServer,
  from: Date,
  to: Date,
  attacked: boolean,
): void {
  const events = [...background(srv, from, to), ...(attacked ? attackEvents(srv) : [])].sort(
    (a, b) => a.time.getTime() - b.time.getTime(),
  );
  const lines = events.map((e, i) => dumpLine(e, 1000 + i, srv));
  const abs = join(root, "Events", `${srv.name}-events.jsonl`);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, `${lines.join("\n")}\n`);
  utimesSync(abs, to, to);
}
