// Writers of every event-export format exhunt reads, for parity tests: the same events as an .evtx
// (evtx-writer.ts) and as each export, laid out the way each tool writes it (field names, nesting,
// time formats, how unnamed parameters and rendered messages appear). Each is checked against a real
// sample or the tool's documented layout in test/readers/event-formats.test.ts.
import { stringify as stringifyYaml } from "yaml";
import type { WEvent } from "./evtx-writer.js";

export interface Rec extends WEvent {
  recordId: number;
}

export const numbered = (events: WEvent[]): Rec[] => events.map((e, i) => ({ ...e, recordId: i + 1 }));

const named = (e: WEvent): Record<string, string> | null =>
  e.userData ? e.userData.fields : e.data && !Array.isArray(e.data) ? e.data : null;
const unnamed = (e: WEvent): string[] | null => (Array.isArray(e.data) ? e.data : null);
const allValues = (e: WEvent): string[] => unnamed(e) ?? Object.values(named(e) ?? {});
const windowsTime = (iso: string) => iso.replace(/\.(\d{3})Z$/, ".$10000Z");

/** The message Windows renders for the event kinds the parity scenario uses; null for the rest. */
export function renderMessage(e: WEvent): string | null {
  const v = unnamed(e);
  const d = named(e) ?? {};
  if (e.provider === "MSExchange CmdletLogs" && v) {
    const head = e.eventId === 6 ? "Cmdlet failed." : "Cmdlet suceeded.";
    return `${head} Cmdlet ${v[0]}, parameters ${v[1]}.`;
  }
  if (e.eventId === 4688) {
    return [
      "A new process has been created.",
      "",
      "Creator Subject:",
      `\tSecurity ID:\t\t${d.SubjectUserSid ?? "S-1-5-18"}`,
      `\tAccount Name:\t\t${d.SubjectUserName ?? "-"}`,
      `\tAccount Domain:\t\t${d.SubjectDomainName ?? "-"}`,
      `\tLogon ID:\t\t${d.SubjectLogonId ?? "0x3E7"}`,
      "",
      "Process Information:",
      `\tNew Process ID:\t\t${d.NewProcessId ?? "0x0"}`,
      `\tNew Process Name:\t${d.NewProcessName ?? ""}`,
      "\tToken Elevation Type:\t%%1936",
      `\tCreator Process ID:\t${d.ProcessId ?? "0x0"}`,
      `\tCreator Process Name:\t${d.ParentProcessName ?? ""}`,
      `\tProcess Command Line:\t${d.CommandLine ?? ""}`,
      "",
      "Token Elevation Type indicates the type of token that was assigned to the new process in accordance with User Account Control policy.",
    ].join("\r\n");
  }
  if (e.provider === "Microsoft-Windows-Sysmon") {
    const title = e.eventId === 1 ? "Process Create:" : e.eventId === 11 ? "File created:" : "Sysmon event:";
    return [title, ...Object.entries(d).map(([k, x]) => `${k}: ${x}`)].join("\r\n");
  }
  if (e.eventId === 1102)
    return [
      "The audit log was cleared.",
      "Subject:",
      `\tSecurity ID:\t${d.SubjectUserSid ?? ""}`,
      `\tAccount Name:\t${d.SubjectUserName ?? ""}`,
      `\tDomain Name:\t${d.SubjectDomainName ?? ""}`,
      `\tLogon ID:\t${d.SubjectLogonId ?? ""}`,
    ].join("\r\n");
  if (e.eventId === 104) return `The ${d.Channel ?? "System"} log file was cleared.`;
  return null;
}

const jsonl = (xs: unknown[]) => `${xs.map((x) => JSON.stringify(x)).join("\n")}\n`;

/** evtx_dump (Rust evtx) JSON lines: `Event.System`, `#attributes`, unnamed Data as `#text` lists. */
export function evtxDumpJsonl(evs: Rec[]): string {
  return jsonl(evs.map(evtxDumpObject));
}

function evtxDumpObject(e: Rec): unknown {
  const ev: Record<string, unknown> = {
    "#attributes": { xmlns: "http://schemas.microsoft.com/win/2004/08/events/event" },
    System: {
      Provider: { "#attributes": { Name: e.provider } },
      EventID: e.eventId,
      Level: e.level ?? 4,
      TimeCreated: { "#attributes": { SystemTime: windowsTime(e.time) } },
      EventRecordID: e.recordId,
      Channel: e.channel,
      Computer: e.computer,
      Security: null,
    },
  };
  if (e.userData)
    ev.UserData = { [e.userData.name]: { "#attributes": { xmlns: e.userData.xmlns }, ...e.userData.fields } };
  else if (unnamed(e)) ev.EventData = { Data: { "#text": unnamed(e) } };
  else if (named(e)) ev.EventData = named(e);
  return { Event: ev };
}

const CHAINSAW_PATH = "C:\\Windows\\System32\\winevt\\Logs\\x.evtx";

/** A Chainsaw 2 detection (src/cli.rs `Detection`, src/hunt.rs `Kind` in WithSecureLabs/chainsaw). */
function chainsawDetection(rule: string, time: string, kind: Record<string, unknown>) {
  return {
    group: "Sigma",
    ...kind,
    name: rule,
    timestamp: time,
    authors: ["x"],
    level: "high",
    source: "sigma",
    status: "stable",
  };
}

const chainsawDocument = (e: Rec) => ({ kind: "evtx", path: CHAINSAW_PATH, data: evtxDumpObject(e) });

/**
 * Chainsaw 2 `hunt --json`: an array of detections, one per rule hit, each event under `document.data`.
 * `repeats`: every other event is matched by a second rule too (Chainsaw writes it again), and the
 * Security events are also one aggregate detection (`kind: "aggregate"`, `documents[].data`).
 */
export function chainsawJson(evs: Rec[], opts: { repeats?: boolean } = {}): string {
  const out: unknown[] = [];
  evs.forEach((e, i) => {
    const kind = { kind: "individual", document: chainsawDocument(e) };
    out.push(chainsawDetection("rule A", e.time, kind));
    if (opts.repeats && i % 2 === 0) out.push(chainsawDetection("rule B", e.time, kind));
  });
  const security = evs.filter((e) => e.channel === "Security");
  if (opts.repeats && security.length)
    out.push(
      chainsawDetection("aggregate rule", security[0].time, {
        kind: "aggregate",
        documents: security.map(chainsawDocument),
      }),
    );
  return JSON.stringify(out, null, 2);
}

/** evtx_dump's separate-attributes layout: `X_attributes` next to `X` instead of `X: {"#attributes"}`. */
function separateAttributes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(separateAttributes);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "object" && x !== null && !Array.isArray(x) && "#attributes" in x) {
      const { "#attributes": attrs, ...rest } = x as Record<string, unknown>;
      if (Object.keys(rest).length) out[k] = separateAttributes(rest);
      out[`${k}_attributes`] = attrs;
    } else out[k] = separateAttributes(x);
  }
  return out;
}

/**
 * Chainsaw 1 `hunt -j` (e2e/hunt_expected.json in WithSecureLabs/chainsaw): one entry per event, the
 * names of the rules that matched under `detection`, the evtx_dump event under `event`; older releases
 * with `#attributes`, later ones with evtx_dump's separate `_attributes` keys.
 */
export function chainsawV1Json(evs: Rec[], attributes: "#attributes" | "_attributes"): string {
  return JSON.stringify(
    evs.map((e, i) => {
      const ev = evtxDumpObject(e);
      return {
        detection: i % 2 ? ["rule A"] : ["rule A", "rule B"],
        event: attributes === "#attributes" ? ev : separateAttributes(ev),
      };
    }),
  );
}

/**
 * Chainsaw `search` (its default YAML output; e2e/search_expected.yml in WithSecureLabs/chainsaw): each
 * hit as a YAML document of the evtx_dump event, `---` before it and a blank line after.
 */
export function chainsawSearchYaml(evs: Rec[]): string {
  return evs.map((e) => `---\n${stringifyYaml(evtxDumpObject(e))}\n`).join("");
}

/** Winlogbeat 7/8 ECS NDJSON: `winlog.*`, unnamed parameters as `param1…`, `message` rendered. */
export function ecsNdjson(evs: Rec[]): string {
  return jsonl(
    evs.map((e) => {
      const v = unnamed(e);
      const eventData = v
        ? Object.fromEntries(v.map((x, i) => [`param${i + 1}`, x]))
        : e.userData
          ? undefined
          : named(e);
      const msg = renderMessage(e);
      return {
        "@timestamp": e.time,
        event: { code: String(e.eventId), provider: e.provider, kind: "event", created: e.time },
        host: { name: e.computer.toLowerCase() },
        log: { level: (e.level ?? 4) === 2 ? "error" : "information" },
        ...(msg ? { message: msg } : {}),
        winlog: {
          channel: e.channel,
          computer_name: e.computer,
          event_id: String(e.eventId),
          provider_name: e.provider,
          record_id: e.recordId,
          ...(eventData ? { event_data: eventData } : {}),
          ...(e.userData ? { user_data: { xml_name: e.userData.name, ...e.userData.fields } } : {}),
        },
      };
    }),
  );
}

/** NXLog `to_json()` (and datasets built with it): flat top-level fields; MSExchange events carry only Message. */
export function flatNxlogJson(evs: Rec[]): string {
  return jsonl(
    evs.map((e) => {
      const msg = renderMessage(e);
      const flat: Record<string, unknown> = {
        EventTime: e.time.replace("T", " ").replace(/\.\d{3}Z$/, ""),
        Hostname: e.computer,
        Keywords: -9214364837600035000,
        EventType: (e.level ?? 4) === 2 ? "ERROR" : "INFO",
        SeverityValue: 2,
        Severity: (e.level ?? 4) === 2 ? "ERROR" : "INFO",
        EventID: e.eventId,
        SourceName: e.provider,
        Task: 0,
        RecordNumber: e.recordId,
        ProcessID: 4,
        ThreadID: 100,
        Channel: e.channel,
        ...(msg ? { Message: msg } : {}),
        EventReceivedTime: e.time.replace("T", " ").replace(/\.\d{3}Z$/, ""),
        SourceModuleName: "eventlog",
        SourceModuleType: "im_msvistalog",
      };
      // Events whose parameters have no names reach NXLog's JSON as the rendered message only.
      if (!unnamed(e)) Object.assign(flat, named(e) ?? {});
      else if (!msg) flat.Message = unnamed(e)!.join(" ");
      return flat;
    }),
  );
}

/** Velociraptor `parse_evtx()` rows: `System` with `{Value}` ids and epoch-second times, `EventData`. */
export function velociraptorJsonl(evs: Rec[]): string {
  return jsonl(
    evs.map((e) => ({
      System: {
        Provider: { Name: e.provider },
        EventID: { Value: e.eventId },
        Level: e.level ?? 4,
        TimeCreated: { SystemTime: Date.parse(e.time) / 1000 },
        EventRecordID: e.recordId,
        Channel: e.channel,
        Computer: e.computer,
      },
      ...(e.userData
        ? { UserData: { [e.userData.name]: e.userData.fields } }
        : { EventData: unnamed(e) ? { Data: unnamed(e) } : (named(e) ?? {}) }),
      Message: renderMessage(e),
    })),
  );
}

/** `Get-WinEvent … | ConvertTo-Json -Depth 3` (Windows PowerShell 5: `\/Date(ms)\/` times, an array). */
export function powershellJson(evs: Rec[]): string {
  const text = JSON.stringify(
    evs.map((e) => ({
      Id: e.eventId,
      Version: 0,
      Level: e.level ?? 4,
      RecordId: e.recordId,
      ProviderName: e.provider,
      LogName: e.channel,
      MachineName: e.computer,
      TimeCreated: `/Date(${Date.parse(e.time)})/`,
      Properties: allValues(e).map((Value) => ({ Value })),
      Message: renderMessage(e),
      LevelDisplayName: (e.level ?? 4) === 2 ? "Error" : "Information",
    })),
    null,
    4,
  );
  return text.replaceAll("/Date(", "\\/Date(").replaceAll(")/", ")\\/");
}

/** CLIXML text: control characters as `_xHHHH_` (as PowerShell writes them), then XML escapes. */
function clixmlText(v: string): string {
  let out = "";
  for (const ch of v) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 && c !== 9 ? `_x${c.toString(16).padStart(4, "0").toUpperCase()}_` : ch;
  }
  return out.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** `Get-WinEvent … | Export-Clixml` (UTF-16LE with BOM, as Windows PowerShell writes it). */
export function powershellClixml(evs: Rec[]): Buffer {
  let ref = 0;
  const objs = evs.map((e) => {
    const props = allValues(e)
      .map((v) => {
        const id = ++ref;
        return `<Obj RefId="${id}"><TNRef RefId="1" /><ToString>System.Diagnostics.Eventing.Reader.EventProperty</ToString><Props><S N="Value">${clixmlText(v)}</S></Props></Obj>`;
      })
      .join("");
    const msg = renderMessage(e);
    const own = ++ref;
    return [
      `  <Obj RefId="${own}">`,
      '    <TN RefId="0"><T>System.Diagnostics.Eventing.Reader.EventLogRecord</T><T>System.Diagnostics.Eventing.Reader.EventRecord</T><T>System.Object</T></TN>',
      "    <ToString>System.Diagnostics.Eventing.Reader.EventLogRecord</ToString>",
      "    <Props>",
      `      <I32 N="Id">${e.eventId}</I32>`,
      `      <By N="Level">${e.level ?? 4}</By>`,
      `      <I64 N="RecordId">${e.recordId}</I64>`,
      `      <S N="ProviderName">${clixmlText(e.provider)}</S>`,
      `      <S N="LogName">${clixmlText(e.channel)}</S>`,
      `      <S N="MachineName">${clixmlText(e.computer)}</S>`,
      `      <DT N="TimeCreated">${e.time.replace(/\.(\d{3})Z$/, ".$10000+00:00")}</DT>`,
      `      <Obj N="Properties" RefId="${++ref}"><TN RefId="2"><T>System.Collections.Generic.List\`1[[System.Diagnostics.Eventing.Reader.EventProperty]]</T><T>System.Object</T></TN><LST>${props}</LST></Obj>`,
      msg === null ? '      <Nil N="Message" />' : `      <S N="Message">${clixmlText(msg)}</S>`,
      "    </Props>",
      "  </Obj>",
    ].join("\r\n");
  });
  const text = `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">\r\n${objs.join("\r\n")}\r\n</Objs>`;
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
}

const csvCell = (v: string) => (/[",\t\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csvLine = (cells: string[], sep = ",") => cells.map(csvCell).join(sep);

export const EVTXECMD_COLUMNS = [
  "RecordNumber",
  "EventRecordId",
  "TimeCreated",
  "EventId",
  "Level",
  "Provider",
  "Channel",
  "ProcessId",
  "ThreadId",
  "Computer",
  "ChunkNumber",
  "UserId",
  "MapDescription",
  "UserName",
  "RemoteHost",
  "PayloadData1",
  "PayloadData2",
  "PayloadData3",
  "PayloadData4",
  "PayloadData5",
  "PayloadData6",
  "ExecutableInfo",
  "HiddenRecord",
  "SourceFile",
  "Keywords",
  "ExtraDataOffset",
  "Payload",
];

/** EvtxECmd `--csv`: one row per event, the parameters as Newtonsoft-style JSON in `Payload`. */
/** EvtxECmd's CSV; with `sep` "\t" as Timeline Explorer copies it out. */
export function evtxecmdCsv(evs: Rec[], sep = ","): string {
  const lines = [csvLine(EVTXECMD_COLUMNS, sep)];
  for (const e of evs) {
    const d = named(e);
    const payload = e.userData
      ? { UserData: { [e.userData.name]: { "@xmlns": e.userData.xmlns, ...e.userData.fields } } }
      : {
          EventData: {
            Data:
              unnamed(e) ??
              Object.entries(d ?? {}).map(([k, v]) => (v ? { "@Name": k, "#text": v } : { "@Name": k })),
          },
        };
    const row: Record<string, string> = {
      RecordNumber: String(e.recordId),
      EventRecordId: String(e.recordId),
      TimeCreated: e.time.replace("T", " ").replace("Z", "0000"),
      EventId: String(e.eventId),
      Level: (e.level ?? 4) === 2 ? "Error" : "Info",
      Provider: e.provider,
      Channel: e.channel,
      ProcessId: "4",
      ThreadId: "100",
      Computer: e.computer,
      ChunkNumber: "0",
      UserId: "S-1-5-18",
      MapDescription: "",
      HiddenRecord: "False",
      SourceFile: "C:\\evidence\\x.evtx",
      Keywords: "Classic",
      ExtraDataOffset: "0",
      Payload: JSON.stringify(payload),
    };
    lines.push(
      csvLine(
        EVTXECMD_COLUMNS.map((c) => row[c] ?? ""),
        sep,
      ),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** Hayabusa `json-timeline -L --profile all-field-info`: abbreviated channels, no provider, `AllFieldInfo`. */
export function hayabusaJsonl(evs: Rec[]): string {
  const abbrev: Record<string, string> = {
    Security: "Sec",
    System: "Sys",
    Application: "App",
    "Microsoft-Windows-Sysmon/Operational": "Sysmon",
  };
  return jsonl(
    evs.map((e) => ({
      Timestamp: e.time.replace("T", " ").replace("Z", " +00:00"),
      RuleTitle: "rule",
      Level: "high",
      Computer: e.computer,
      Channel: abbrev[e.channel] ?? e.channel,
      EventID: e.eventId,
      RecordID: e.recordId,
      AllFieldInfo: unnamed(e) ? { Data: unnamed(e) } : (named(e) ?? {}),
      RuleFile: "rule.yml",
      EvtxFile: "x.evtx",
    })),
  );
}

/** Hayabusa's details templates for the event kinds the scenario has (rules/config/default_details.txt). */
const HAYABUSA_DETAILS: Record<string, [string, string][]> = {
  "Microsoft-Windows-Security-Auditing_4688": [
    ["Cmdline", "CommandLine"],
    ["Proc", "NewProcessName"],
    ["PID", "NewProcessId"],
    ["User", "SubjectUserName"],
    ["LID", "SubjectLogonId"],
  ],
  "Microsoft-Windows-Sysmon_1": [
    ["Cmdline", "CommandLine"],
    ["Proc", "Image"],
    ["User", "User"],
    ["ParentCmdline", "ParentCommandLine"],
    ["LID", "LogonId"],
    ["PID", "ProcessId"],
    ["PGUID", "ProcessGuid"],
  ],
  "Microsoft-Windows-Sysmon_11": [
    ["Path", "TargetFilename"],
    ["Proc", "Image"],
    ["PID", "ProcessId"],
    ["PGUID", "ProcessGuid"],
  ],
};

/**
 * Hayabusa `csv-timeline` (its default output, standard profile): `Details` the event's template with
 * abbreviated names, `ExtraFieldInfo` every other field by its own name (unnamed values as `Data[n]`),
 * both as `Name: value ¦ Name: value`; no provider, abbreviated channels.
 */
export function hayabusaCsv(evs: Rec[]): string {
  const cols = [
    "Timestamp",
    "RuleTitle",
    "Level",
    "Computer",
    "Channel",
    "EventID",
    "RecordID",
    "Details",
    "ExtraFieldInfo",
  ];
  const lines = [csvLine(cols, ",")];
  for (const e of evs) {
    const fields: [string, string][] = unnamed(e)
      ? unnamed(e)!.map((v, i) => [`Data[${i + 1}]`, v])
      : Object.entries(named(e) ?? {});
    const template = HAYABUSA_DETAILS[`${e.provider}_${e.eventId}`] ?? [];
    const used = new Set<string>();
    const details: string[] = [];
    for (const [abbr, full] of template) {
      const hit = fields.find(([k]) => k === full);
      if (!hit) continue;
      used.add(full);
      details.push(`${abbr}: ${hit[1]}`);
    }
    const extra = fields.filter(([k]) => !used.has(k)).map(([k, v]) => `${k}: ${v}`);
    const json = JSON.parse(hayabusaJsonl([e])) as Record<string, unknown>;
    lines.push(
      csvLine(
        [
          String(json.Timestamp),
          "rule",
          "high",
          e.computer,
          String(json.Channel),
          String(e.eventId),
          String(e.recordId),
          details.length ? details.join(" ¦ ") : "-",
          extra.length ? extra.join(" ¦ ") : "-",
        ],
        ",",
      ),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

function eventDataXml(e: WEvent): string {
  const esc = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
  if (e.userData) {
    const inner = Object.entries(e.userData.fields)
      .map(([k, v]) => `<${k}>${esc(v)}</${k}>`)
      .join("");
    return `<UserData><${e.userData.name} xmlns="${e.userData.xmlns}">${inner}</${e.userData.name}></UserData>`;
  }
  const items = unnamed(e)
    ? unnamed(e)!.map((v) => `<Data>${esc(v)}</Data>`)
    : Object.entries(named(e) ?? {}).map(([k, v]) => `<Data Name="${k}">${esc(v)}</Data>`);
  return `<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">${items.join("")}</EventData>`;
}

/** Sentinel / Log Analytics rows: `SecurityEvent` for the Security channel, `Event` for the rest. */
export function sentinelRows(evs: Rec[]): Record<string, string | number>[] {
  return evs.map((e) => {
    const base = {
      TenantId: "00000000-0000-0000-0000-000000000000",
      TimeGenerated: e.time,
      Computer: e.computer,
    };
    if (e.channel === "Security") {
      return {
        ...base,
        SourceSystem: "OpsManager",
        Account: "",
        EventSourceName: e.provider,
        Channel: e.channel,
        Task: 0,
        Level: String(e.level ?? 4),
        EventData: eventDataXml(e),
        EventID: e.eventId,
        Activity: `${e.eventId} - event`,
        ...(named(e) ?? {}),
        Type: "SecurityEvent",
      };
    }
    const v = unnamed(e);
    return {
      ...base,
      Source: e.provider,
      EventLog: e.channel,
      EventLevel: e.level ?? 4,
      EventLevelName: (e.level ?? 4) === 2 ? "Error" : "Information",
      EventID: e.eventId,
      UserName: "N/A",
      RenderedDescription: renderMessage(e) ?? "",
      EventData: `<DataItem type="System.XmlData" time="${windowsTime(e.time)}" sourceHealthServiceId="x">${eventDataXml(e)}</DataItem>`,
      ParameterXml: v
        ? v.map((x) => `<Param>${x.replaceAll("&", "&amp;").replaceAll("<", "&lt;")}</Param>`).join("")
        : "",
      Type: "Event",
    };
  });
}

/** Log Analytics "Export to JSON": one array. */
export function sentinelJson(evs: Rec[]): string {
  return JSON.stringify(sentinelRows(evs), null, 2);
}

/** Log Analytics "Export to CSV (all columns)": `TimeGenerated [UTC]`; one file per table. */
export function sentinelCsv(evs: Rec[], table: "SecurityEvent" | "Event"): string {
  const rows = sentinelRows(evs).filter((r) => r.Type === table);
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = cols.map((c) => (c === "TimeGenerated" ? "TimeGenerated [UTC]" : c));
  const lines = [csvLine(head), ...rows.map((r) => csvLine(cols.map((c) => String(r[c] ?? ""))))];
  return `${lines.join("\r\n")}\r\n`;
}
