// Mapping exported Windows events to EventRecord: the element tree of one wevtutil `<Event>` here; JSON
// documents of every format through the field maps (maps.ts, applied by apply.ts). Pure functions: the
// readers around them do the I/O.
import type { EventRecord } from "../../model/records.js";
import { applyMap, DataSink, fromDocument, mapMatches } from "./apply.js";
import { canonicalChannel } from "./channels.js";
import { intOf, isObj, isoTime, levelOf } from "./fields.js";
import { EVENT_MAPS } from "./maps.js";
import { fillFromMessage } from "./message.js";

export { isoTime, levelOf };

const mapById = (id: string) => EVENT_MAPS.find((m) => m.id === id)!;

/** One evtx_dump JSON object; a reason string when it is not an event. */
export function fromEvtxDump(obj: unknown): EventRecord | string {
  if (!isObj(obj) || !isObj(obj.Event)) return 'no "Event" object';
  if (!isObj(obj.Event.System)) return 'no "Event.System" object';
  return applyMap(mapById("evtx-dump"), obj);
}

/** One ECS document (Winlogbeat, Elastic Agent); a reason string when it is not an event. */
export function fromEcs(obj: unknown): EventRecord | string {
  const map = mapById("ecs");
  if (!isObj(obj) || !mapMatches(map, obj)) return 'no "winlog.event_id" or "winlog.provider_name"';
  return applyMap(map, obj);
}

/** One JSON document of any known export format. */
export function fromJsonEvent(obj: unknown): EventRecord | string {
  return fromDocument(obj);
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
    channel: canonicalChannel(child(sys, "Channel")?.text ?? ""),
    computer: child(sys, "Computer")?.text ?? "",
    recordId: intOf(child(sys, "EventRecordID")?.text),
    time: isoTime(child(sys, "TimeCreated")?.attrs.SystemTime),
    level: levelOf(child(sys, "Level")?.text),
    data: sink.data,
    values: sink.values,
  };
  const message = child(child(ev, "RenderingInfo"), "Message");
  if (message) rec.message = message.text;
  if (!Number.isFinite(rec.eventId) || rec.eventId < 0) return "no EventID";
  fillFromMessage(rec);
  return rec;
}
