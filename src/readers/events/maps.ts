// The field maps of every exported event format, as data: where each EventRecord field is in a
// document of that format (first present path wins; paths match case- and `_`-insensitively, see
// fields.ts), where its parameters are, and what tells the format apart. One reader applies them all
// (apply.ts). Adding a format is one entry here.

/** Where an export keeps the event's parameters. */
export type DataSource =
  /** An object of `Name: value` members (Winlogbeat `winlog.event_data`, Velociraptor `EventData`). */
  | { from: "named"; path: string; skip?: string[] }
  /** evtx_dump's EventData (`Data` lists, `#text`, `#attributes`/`@Name`). */
  | { from: "evtx-dump"; path: string }
  /** UserData: one wrapper element whose children are the parameters. */
  | { from: "user-data"; path: string }
  /** An XML string holding `<EventData>`, `<UserData>` or `<Param>` elements (Sentinel, Log Analytics). */
  | { from: "xml"; path: string }
  /** A JSON string holding `{"EventData": …}` or `{"UserData": …}` in evtx_dump form (EvtxECmd `Payload`). */
  | { from: "json-string"; path: string }
  /** An array of values or `{Value}` objects, unnamed, in order (PowerShell `Properties`). */
  | { from: "values"; path: string }
  /**
   * A string of `Name: value` pairs between separators (Hayabusa's CSV `Details`, `ExtraFieldInfo`:
   * `Cmdline: … ¦ Proc: …`); `Data[n]` names are unnamed values, in order.
   */
  | { from: "pairs"; path: string; separator: string }
  /** Every top-level field the map does not use and that is not collector metadata (flat exports). */
  | { from: "rest"; meta: string[] };

export interface EventFieldMap {
  id: string;
  /** What the format is, for messages and docs. */
  title: string;
  /** The map applies when every `all` path is present, and one of `any` when given. */
  when: { all: string[]; any?: string[]; none?: string[] };
  /** The event inside a wrapper object of the format itself. */
  root?: string;
  eventId: string[];
  provider: string[];
  channel: string[];
  computer: string[];
  recordId: string[];
  time: string[];
  level: string[];
  message: string[];
  data: DataSource[];
  /** Channel names may be abbreviated (Hayabusa `Sec`, `Sysmon`). */
  abbreviatedChannels?: boolean;
  /** Read only the first data source that has values (formats that repeat the parameters in several places). */
  firstDataOnly?: boolean;
  /** Parameter names the tool renamed, back to the manifest's (Hayabusa `Details`). */
  aliases?: Record<string, string>;
  /** The same, where one kind of event (`Provider_EventID`) gives an abbreviation another meaning. */
  eventAliases?: Record<string, Record<string, string>>;
  /**
   * What a time without a zone is in this format: "utc" where the format documents it (Log Analytics,
   * EvtxECmd). Otherwise it is unknown: converted with `localClock` when the document allows it, else
   * taken as UTC and said in the file's notes.
   */
  zonelessTimes?: "utc";
  /**
   * A pair of fields that tell the collector's clock: the same moment in its local, zone-less clock and
   * in UTC (NXLog's `EventReceivedTime` and the forwarder's `@timestamp`). Their difference, to the
   * nearest quarter hour, is the local clock's UTC offset.
   */
  localClock?: { local: string[]; utc: string[] };
}

const EVTX_DUMP_SYSTEM = {
  eventId: ["Event.System.EventID"],
  provider: [
    "Event.System.Provider.#attributes.Name",
    "Event.System.Provider_attributes.Name",
    "Event.System.Provider.@Name",
    "Event.System.Provider.#attributes.EventSourceName",
  ],
  channel: ["Event.System.Channel"],
  computer: ["Event.System.Computer"],
  recordId: ["Event.System.EventRecordID"],
  time: [
    "Event.System.TimeCreated.#attributes.SystemTime",
    "Event.System.TimeCreated_attributes.SystemTime",
    "Event.System.TimeCreated.@SystemTime",
  ],
  level: ["Event.System.Level"],
  message: ["Event.RenderingInfo.Message", "Event.Message"],
  data: [
    { from: "evtx-dump", path: "Event.EventData" },
    { from: "user-data", path: "Event.UserData" },
  ] satisfies DataSource[],
};

/** NXLog's and other collectors' own fields in flat exports: not event parameters. */
const FLAT_META = [
  "EventTime",
  "EventReceivedTime",
  "Hostname",
  "Keywords",
  "EventType",
  "SeverityValue",
  "Severity",
  "SourceName",
  "ProviderGuid",
  "Version",
  "Task",
  "OpcodeValue",
  "Opcode",
  "RecordNumber",
  "ExecutionProcessID",
  "ExecutionThreadID",
  "ThreadID",
  "Category",
  "SourceModuleName",
  "SourceModuleType",
  "@timestamp",
  "@version",
  "host",
  "port",
  "tags",
  "type",
  "Level",
  "LevelText",
  "ActivityID",
  "RelatedActivityID",
  "AccountName",
  "AccountType",
  "Domain",
  "UserID",
  "UserData",
  "EventData",
  "SeverityText",
  "Dataset",
  "TimeCreated",
  "TimeGenerated",
  "ComputerName",
  "_time",
  "_raw",
  "index",
  "source",
  "sourcetype",
  "splunk_server",
];

export const EVENT_MAPS: EventFieldMap[] = [
  {
    id: "evtx-dump",
    title: "evtx_dump JSON (Rust evtx, Chainsaw search, EvtxECmd JSON)",
    when: { all: ["Event.System"] },
    ...EVTX_DUMP_SYSTEM,
  },
  {
    id: "velociraptor",
    title: "Velociraptor parse_evtx / Windows.EventLogs.* (System, EventData)",
    when: { all: ["System.EventID"] },
    eventId: ["System.EventID.Value", "System.EventID"],
    provider: ["System.Provider.Name", "System.Provider.EventSourceName"],
    channel: ["System.Channel"],
    computer: ["System.Computer"],
    recordId: ["System.EventRecordID"],
    time: ["System.TimeCreated.SystemTime", "EventTime"],
    level: ["System.Level"],
    message: ["Message"],
    data: [
      { from: "named", path: "EventData" },
      { from: "user-data", path: "UserData" },
    ],
  },
  {
    id: "ecs",
    title: "Winlogbeat / Elastic Agent ECS",
    when: { all: [], any: ["winlog.event_id", "winlog.provider_name"] },
    eventId: ["winlog.event_id", "event.code"],
    provider: ["winlog.provider_name", "event.provider"],
    channel: ["winlog.channel"],
    computer: ["winlog.computer_name", "host.name", "host.hostname"],
    recordId: ["winlog.record_id"],
    time: ["@timestamp", "event.created"],
    level: ["log.level", "winlog.level"],
    message: ["message"],
    data: [
      { from: "named", path: "winlog.event_data" },
      { from: "named", path: "winlog.user_data", skip: ["xml_name"] },
    ],
  },
  {
    id: "powershell",
    title: "PowerShell Get-WinEvent | ConvertTo-Json / Export-Clixml",
    when: { all: ["Id", "ProviderName", "TimeCreated"], any: ["LogName", "Properties", "MachineName"] },
    eventId: ["Id"],
    provider: ["ProviderName"],
    channel: ["LogName", "ContainerLog"],
    computer: ["MachineName"],
    recordId: ["RecordId"],
    time: ["TimeCreated"],
    level: ["Level", "LevelDisplayName"],
    message: ["Message"],
    data: [{ from: "values", path: "Properties" }],
  },
  {
    id: "hayabusa",
    title: "Hayabusa json-timeline",
    when: { all: ["Timestamp", "EventID", "Channel", "RuleTitle"] },
    eventId: ["EventID"],
    provider: ["Provider"],
    channel: ["Channel"],
    computer: ["Computer"],
    recordId: ["RecordID"],
    time: ["Timestamp"],
    level: [],
    message: [],
    data: [
      { from: "named", path: "AllFieldInfo" },
      { from: "named", path: "Details" },
      { from: "named", path: "ExtraFieldInfo" },
      // csv-timeline (Hayabusa's default output) writes the same fields as `Name: value ¦ Name: value`.
      { from: "pairs", path: "AllFieldInfo", separator: " ¦ " },
      { from: "pairs", path: "Details", separator: " ¦ " },
      { from: "pairs", path: "ExtraFieldInfo", separator: " ¦ " },
    ],
    abbreviatedChannels: true,
    aliases: {
      Cmdline: "CommandLine",
      Proc: "Image",
      ParentCmdline: "ParentCommandLine",
      TgtFile: "TargetFilename",
      SrcProc: "SourceImage",
      TgtProc: "TargetImage",
    },
    // Hayabusa's details templates (rules/config/default_details.txt, split on " ¦ " and ": ") name the
    // 4688 process `Proc` and its subject `User`/`LID`, and the Sysmon 11 file `Path`.
    eventAliases: {
      "Microsoft-Windows-Security-Auditing_4688": {
        Proc: "NewProcessName",
        PID: "NewProcessId",
        User: "SubjectUserName",
        LID: "SubjectLogonId",
      },
      "Microsoft-Windows-Sysmon_1": { PID: "ProcessId", PGUID: "ProcessGuid", LID: "LogonId" },
      "Microsoft-Windows-Sysmon_11": { Path: "TargetFilename", PID: "ProcessId", PGUID: "ProcessGuid" },
    },
  },
  {
    id: "sentinel-security-event",
    firstDataOnly: true,
    title: "Microsoft Sentinel / Log Analytics SecurityEvent",
    when: { all: ["EventID", "EventSourceName"], any: ["TimeGenerated", "TimeGenerated [UTC]"] },
    eventId: ["EventID"],
    provider: ["EventSourceName"],
    channel: ["Channel"],
    computer: ["Computer"],
    recordId: ["EventRecordId", "EventRecordID"],
    // An export that kept the event's own TimeCreated next to TimeGenerated (the time Log Analytics
    // stamped it) is read by the event's.
    time: ["TimeCreated", "TimeGenerated", "TimeGenerated [UTC]"],
    zonelessTimes: "utc",
    level: ["Level"],
    message: ["RenderedDescription"],
    data: [
      { from: "xml", path: "EventData" },
      {
        from: "rest",
        meta: [
          "TenantId",
          "SourceSystem",
          "MG",
          "ManagementGroupName",
          "Account",
          "AccountType",
          "Activity",
          "Task",
          "Type",
          "_ResourceId",
          "EventOriginId",
          "TimeCollected",
          "TimeCollected [UTC]",
          "EventLevelName",
          ...FLAT_META,
        ],
      },
    ],
  },
  {
    id: "sentinel-event",
    firstDataOnly: true,
    title: "Microsoft Sentinel / Log Analytics Event",
    when: { all: ["EventID", "Source", "EventLog"], any: ["TimeGenerated", "TimeGenerated [UTC]"] },
    eventId: ["EventID"],
    provider: ["Source"],
    channel: ["EventLog"],
    computer: ["Computer"],
    recordId: ["EventRecordId"],
    time: ["TimeGenerated", "TimeGenerated [UTC]"],
    zonelessTimes: "utc",
    level: ["EventLevel", "EventLevelName"],
    message: ["RenderedDescription"],
    data: [
      { from: "xml", path: "EventData" },
      { from: "xml", path: "ParameterXml" },
    ],
  },
  {
    id: "evtxecmd",
    title: "EvtxECmd CSV / JSON",
    when: { all: ["EventId", "Provider", "Channel", "Payload"] },
    eventId: ["EventId"],
    provider: ["Provider"],
    channel: ["Channel"],
    computer: ["Computer"],
    recordId: ["EventRecordId", "RecordNumber"],
    time: ["TimeCreated"],
    zonelessTimes: "utc",
    level: ["Level"],
    message: [],
    data: [{ from: "json-string", path: "Payload" }],
  },
  {
    id: "flat",
    firstDataOnly: true,
    title: "flat JSON (NXLog, Splunk, Sentinel exports, public datasets)",
    when: {
      all: [],
      any: ["EventID", "event_id", "EventCode"],
      none: ["Event", "System", "winlog"],
    },
    eventId: ["EventID", "EventCode"],
    provider: ["SourceName", "ProviderName", "Provider_Name", "Provider", "Source", "EventSourceName"],
    channel: ["Channel", "LogName", "EventLog", "Log_Name"],
    computer: ["Hostname", "Computer", "ComputerName", "host", "MachineName"],
    recordId: ["RecordNumber", "EventRecordID", "RecordId", "Record_Number"],
    time: [
      "EventTime",
      "TimeCreated",
      "@timestamp",
      "TimeGenerated",
      "TimeGenerated [UTC]",
      "_time",
      "Timestamp",
    ],
    localClock: { local: ["EventReceivedTime"], utc: ["@timestamp"] },
    level: ["Level", "Severity"],
    message: ["Message", "RenderedDescription", "message"],
    data: [
      { from: "named", path: "EventData" },
      { from: "xml", path: "EventData" },
      { from: "named", path: "UserData" },
      {
        from: "rest",
        meta: [
          ...FLAT_META,
          "EventID",
          "event_id",
          "EventCode",
          "ProviderName",
          "Provider_Name",
          "Provider",
          "Source",
          "EventSourceName",
          "Channel",
          "LogName",
          "EventLog",
          "Log_Name",
          "Computer",
          "MachineName",
          "EventRecordID",
          "RecordId",
          "Record_Number",
          "Message",
          "RenderedDescription",
          "message",
          "Timestamp",
          "ProcessID",
        ],
      },
    ],
  },
];

/**
 * Tool output that wraps the events it matched (a detection and its event): where the events are.
 * Each wrapped event is then read by the map that knows it, as if it stood alone. Tried only when no
 * map knows the document itself. Such tools write an event again for each rule or detection that
 * matched it: within one file a wrapped event is read once (the repeats are counted in the notes).
 */
export interface EventWrapper {
  id: string;
  title: string;
  /** The wrapper applies when every path is present. */
  when: string[];
  /** Where the wrapped item is, or the list of items when an array is there. */
  items: string;
  /** In an item: where its event is (none: the item is the event). */
  event?: string;
  /** In an item: what names the file the event came from (part of its identity for repeats). */
  source?: string;
  /**
   * In an item: the field naming what kind of artefact it holds, and the kinds that hold no events
   * (Chainsaw's MFT, hive, ESE database hits): those items are counted in the notes, not read as events.
   */
  kinds?: { field: string; others: string[] };
}

/** Chainsaw 2's document kinds that hold no events (src/file/mod.rs `Kind`; evtx, json, jsonl, xml may). */
const CHAINSAW_OTHER_KINDS = ["hve", "mft", "esedb"];

export const EVENT_WRAPPERS: EventWrapper[] = [
  // Chainsaw 2 `hunt --json`/`--jsonl` (src/hunt.rs `Kind`, src/cli.rs `Detection` in
  // WithSecureLabs/chainsaw): one detection per rule hit, `kind` "individual" with the event under
  // `document.data`, or "aggregate" with every event under `documents[].data`.
  {
    id: "chainsaw-hunt",
    title: "Chainsaw 2 hunt JSON (document.data)",
    when: ["kind", "document.data"],
    items: "document",
    event: "data",
    source: "path",
    kinds: { field: "kind", others: CHAINSAW_OTHER_KINDS },
  },
  {
    id: "chainsaw-hunt-aggregate",
    title: "Chainsaw 2 hunt JSON, aggregate detection (documents[].data)",
    when: ["kind", "documents"],
    items: "documents",
    event: "data",
    source: "path",
    kinds: { field: "kind", others: CHAINSAW_OTHER_KINDS },
  },
  // Chainsaw 1 `hunt -j` (e2e/hunt_expected.json in WithSecureLabs/chainsaw): the rule names under
  // `detection`, the evtx_dump event under `event`.
  {
    id: "chainsaw-v1-hunt",
    title: "Chainsaw 1 hunt JSON (detection, event)",
    when: ["detection", "event.Event"],
    items: "event",
  },
];
