// Mapping exported Windows events to EventRecord: evtx_dump JSON (`{"Event": {"System": …}}`, with
// `#attributes` or `_attributes` keys), Winlogbeat / Elastic Agent ECS (`winlog.*`), and the element tree
// of one wevtutil `<Event>`. Pure functions: the readers around them do the I/O.
import type { EventRecord } from "../../src/model/records.ts";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A time as ISO UTC (milliseconds), or null when absent or not a date. */
export function isoTime(v: unknown): string | null {
  if (typeof v !== "string" && typeof v !== "number") return null;
  const s = String(v).trim();
  if (!s) return null;
  // Windows writes 7 fractional digits; Date reads at most 3 reliably.
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function intOf(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return null;
}

const LEVEL_NAMES: Record<string, number> = {
  critical: 1,
  error: 2,
  warning: 3,
  warn: 3,
  information: 4,
  info: 4,
  verbose: 5,
  "log always": 0,
};

/** Level from a number or a name ("Error", "information"). */
export function levelOf(v: unknown): number | null {
  const n = intOf(v);
  if (n !== null) return n;
  if (typeof v === "string") return LEVEL_NAMES[v.trim().toLowerCase()] ?? null;
  return null;
}

/** A JSON value as the string an event viewer would show. */
function str(v: Json | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(str).join(", ");
  if ("#text" in v) return str(v["#text"]);
  return JSON.stringify(v);
}

/** An event's parameters as they are collected. */
class DataSink {
  data: Record<string, string> = {};
  values: string[] = [];
  named(name: string, value: string): void {
    if (!(name in this.data)) this.data[name] = value;
    this.values.push(value);
  }
  unnamed(value: string): void {
    this.values.push(value);
  }
}

/** The error when a parsed line is not an event; otherwise null. */
function missing(rec: EventRecord): string | null {
  if (!Number.isFinite(rec.eventId) || rec.eventId < 0) return "no EventID";
  return null;
}

// ---------- evtx_dump JSON ----------

function attrOf(parent: Obj, key: string, name: string): Json | undefined {
  const node = parent[key];
  if (isObj(node) && isObj(node["#attributes"])) {
    const v = node["#attributes"][name];
    if (v !== undefined) return v;
  }
  const sep = parent[`${key}_attributes`];
  if (isObj(sep)) return sep[name];
  return undefined;
}

function dumpData(node: Json | undefined, sink: DataSink): void {
  if (!isObj(node)) {
    if (node !== null && node !== undefined) sink.unnamed(str(node));
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === "#attributes" || k.endsWith("_attributes")) continue;
    if (k === "Data") dumpDataElements(v, sink);
    else if (k === "Binary") {
      if (v !== null) sink.named("Binary", str(v));
    } else if (k === "#text") sink.unnamed(str(v));
    else sink.named(k, str(v));
  }
}

/** `Data` as evtx_dump writes it: a value, `{"#text": [...]}`, or a list of values or named elements. */
function dumpDataElements(v: Json, sink: DataSink): void {
  const one = (item: Json) => {
    if (isObj(item)) {
      const name = isObj(item["#attributes"]) ? item["#attributes"].Name : undefined;
      const text = item["#text"];
      if (typeof name === "string") sink.named(name, str(text));
      else if (Array.isArray(text)) for (const t of text) sink.unnamed(str(t));
      else sink.unnamed(str(text));
    } else sink.unnamed(str(item));
  };
  if (Array.isArray(v)) for (const item of v) one(item);
  else one(v);
}

/** UserData: one wrapper element whose children are the parameters. */
function userData(node: Json | undefined, sink: DataSink): void {
  if (!isObj(node)) return;
  for (const [k, wrapper] of Object.entries(node)) {
    if (k === "#attributes" || k.endsWith("_attributes")) continue;
    if (!isObj(wrapper)) {
      sink.named(k, str(wrapper));
      continue;
    }
    for (const [name, v] of Object.entries(wrapper)) {
      if (name === "#attributes" || name.endsWith("_attributes")) continue;
      sink.named(name, str(v));
    }
  }
}

/** One evtx_dump JSON object; a reason string when it is not an event. */
export function fromEvtxDump(obj: unknown): EventRecord | string {
  if (!isObj(obj) || !isObj(obj.Event)) return 'no "Event" object';
  const ev = obj.Event;
  const sys = ev.System;
  if (!isObj(sys)) return 'no "Event.System" object';
  const sink = new DataSink();
  dumpData(ev.EventData, sink);
  userData(ev.UserData, sink);
  const eventId = sys.EventID;
  const rec: EventRecord = {
    eventId: intOf(isObj(eventId) ? eventId["#text"] : eventId) ?? -1,
    provider: str(attrOf(sys, "Provider", "Name") ?? attrOf(sys, "Provider", "EventSourceName") ?? ""),
    channel: str(sys.Channel),
    computer: str(sys.Computer),
    recordId: intOf(sys.EventRecordID),
    time: isoTime(attrOf(sys, "TimeCreated", "SystemTime")),
    level: levelOf(sys.Level),
    data: sink.data,
    values: sink.values,
  };
  const rendering = ev.RenderingInfo;
  if (isObj(rendering) && rendering.Message !== undefined) rec.message = str(rendering.Message);
  return missing(rec) ?? rec;
}

// ---------- Winlogbeat / Elastic Agent ECS ----------

/** A field by dotted path, nested (`{"winlog": {"event_id": 1}}`) or flat (`{"winlog.event_id": 1}`). */
function field(obj: Obj, path: string): Json | undefined {
  if (path in obj) return obj[path];
  const dot = path.indexOf(".");
  if (dot < 0) return undefined;
  const head = obj[path.slice(0, dot)];
  return isObj(head) ? field(head, path.slice(dot + 1)) : undefined;
}

/** An object by dotted path; flat exports spell its members as `path.member` keys of the top object. */
function section(obj: Obj, path: string): Obj | null {
  const nested = field(obj, path);
  if (isObj(nested)) return nested;
  const prefix = `${path}.`;
  const flat: Obj = {};
  let any = false;
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith(prefix)) {
      flat[k.slice(prefix.length)] = v;
      any = true;
    }
  }
  return any ? flat : null;
}

/** Whether a parsed JSON object looks like an ECS Windows event. */
export function isEcsEvent(obj: unknown): boolean {
  return (
    isObj(obj) &&
    (field(obj, "winlog.event_id") !== undefined || field(obj, "winlog.provider_name") !== undefined)
  );
}

/** One ECS document (Winlogbeat, Elastic Agent); a reason string when it is not an event. */
export function fromEcs(obj: unknown): EventRecord | string {
  if (!isObj(obj) || !isEcsEvent(obj)) return 'no "winlog.event_id" or "winlog.provider_name"';
  const sink = new DataSink();
  for (const [k, v] of Object.entries(section(obj, "winlog.event_data") ?? {})) sink.named(k, str(v));
  for (const [k, v] of Object.entries(section(obj, "winlog.user_data") ?? {}))
    if (k !== "xml_name") sink.named(k, str(v));
  const rec: EventRecord = {
    eventId: intOf(field(obj, "winlog.event_id") ?? field(obj, "event.code")) ?? -1,
    provider: str(field(obj, "winlog.provider_name") ?? field(obj, "event.provider")),
    channel: str(field(obj, "winlog.channel")),
    computer: str(
      field(obj, "winlog.computer_name") ?? field(obj, "host.name") ?? field(obj, "host.hostname"),
    ),
    recordId: intOf(field(obj, "winlog.record_id")),
    time: isoTime(field(obj, "@timestamp") ?? field(obj, "event.created")),
    level: levelOf(field(obj, "log.level") ?? field(obj, "winlog.level")),
    data: sink.data,
    values: sink.values,
  };
  const message = field(obj, "message");
  if (typeof message === "string") rec.message = message;
  return missing(rec) ?? rec;
}

/** One JSON line of either shape. */
export function fromJsonEvent(obj: unknown): EventRecord | string {
  if (isObj(obj) && "Event" in obj) return fromEvtxDump(obj);
  if (isEcsEvent(obj)) return fromEcs(obj);
  return 'neither an evtx_dump "Event" nor an ECS "winlog" document';
}

// ---------- wevtutil XML ----------

/** A parsed XML element (names without namespace prefix). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const child = (e: XmlElement | undefined, name: string) => e?.children.find((c) => c.name === name);

/** One `<Event>` element tree; a reason string when it is not an event. */
export function fromEventXml(ev: XmlElement): EventRecord | string {
  if (ev.name !== "Event") return `root element is <${ev.name}>, not <Event>`;
  const sys = child(ev, "System");
  if (!sys) return "no <System> element";
  const sink = new DataSink();
  const eventData = child(ev, "EventData");
  for (const d of eventData?.children ?? []) {
    if (d.name === "Data") {
      if (d.attrs.Name !== undefined) sink.named(d.attrs.Name, d.text);
      else sink.unnamed(d.text);
    } else if (d.name === "Binary") {
      if (d.text) sink.named("Binary", d.text);
    } else sink.named(d.name, d.text);
  }
  if (eventData && eventData.children.length === 0 && eventData.text.trim()) sink.unnamed(eventData.text);
  for (const wrapper of child(ev, "UserData")?.children ?? []) {
    for (const c of wrapper.children) sink.named(c.name, c.text);
  }
  const provider = child(sys, "Provider");
  const rec: EventRecord = {
    eventId: intOf(child(sys, "EventID")?.text) ?? -1,
    provider: provider?.attrs.Name ?? provider?.attrs.EventSourceName ?? "",
    channel: child(sys, "Channel")?.text ?? "",
    computer: child(sys, "Computer")?.text ?? "",
    recordId: intOf(child(sys, "EventRecordID")?.text),
    time: isoTime(child(sys, "TimeCreated")?.attrs.SystemTime),
    level: levelOf(child(sys, "Level")?.text),
    data: sink.data,
    values: sink.values,
  };
  const message = child(child(ev, "RenderingInfo"), "Message");
  if (message) rec.message = message.text;
  return missing(rec) ?? rec;
}
