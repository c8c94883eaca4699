// One exported event document (a JSON value, or a CSV row seen as a flat object) to an EventRecord,
// through the first field map of maps.ts that recognises it. The same record an .evtx gives: channel
// names in Windows' spelling, parameters by name and in order, rendered messages parsed when the
// export carried nothing else.
import type { EventRecord } from "../../model/records.js";
import { canonicalChannel, impliedProvider } from "./channels.js";
import { clockOffset, type TimeInfo } from "./clock.js";
import {
  type CompiledPath,
  compilePath,
  field,
  firstOf,
  hasZone,
  intOf,
  isObj,
  isoTime,
  type Json,
  type Lookup,
  levelOf,
  lookup,
  makeLookup,
  normKey,
  type Obj,
  section,
  str,
} from "./fields.js";
import { parseEventJson } from "./json-parse.js";
import { type DataSource, EVENT_MAPS, type EventFieldMap } from "./maps.js";
import { fillFromMessage } from "./message.js";
import { parseEventXml, scrubXml } from "./xml.js";

/** An event's parameters as they are collected: named ones once (first wins), every value in order. */
export class DataSink {
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

const isAttrKey = (k: string) => k === "#attributes" || k.endsWith("_attributes") || k.startsWith("@");

function nameOf(item: Obj): string | undefined {
  const a = item["#attributes"];
  if (isObj(a) && typeof a.Name === "string") return a.Name;
  if (typeof item["@Name"] === "string") return item["@Name"];
  return undefined;
}

/** evtx_dump's EventData: named members, `Data` as a value, `{"#text": [...]}`, or a list. */
function dumpData(node: Json | undefined, sink: DataSink): void {
  if (!isObj(node)) {
    if (node !== null && node !== undefined) sink.unnamed(str(node));
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    if (isAttrKey(k)) continue;
    if (k === "Data") dumpDataElements(v, sink);
    else if (k === "Binary") {
      if (v !== null) sink.named("Binary", str(v));
    } else if (k === "#text") sink.unnamed(str(v));
    else sink.named(k, str(v));
  }
}

function dumpDataElements(v: Json, sink: DataSink): void {
  const one = (item: Json) => {
    if (isObj(item)) {
      const name = nameOf(item);
      const text = item["#text"];
      if (name !== undefined) sink.named(name, str(text));
      else if (Array.isArray(text)) for (const t of text) sink.unnamed(str(t));
      else sink.unnamed(str(text));
    } else sink.unnamed(str(item));
  };
  if (Array.isArray(v)) for (const item of v) one(item);
  else one(v);
}

function userData(node: Json | undefined, sink: DataSink): void {
  if (!isObj(node)) return;
  for (const [k, wrapper] of Object.entries(node)) {
    if (isAttrKey(k)) continue;
    if (!isObj(wrapper)) {
      sink.named(k, str(wrapper));
      continue;
    }
    for (const [name, v] of Object.entries(wrapper)) if (!isAttrKey(name)) sink.named(name, str(v));
  }
}

/** `<EventData>`, `<UserData>`, `<Param>` elements in an XML string (any wrapper, or none). */
function xmlData(text: string, sink: DataSink): void {
  const t = text.trim();
  if (!t.startsWith("<")) return;
  let root: ReturnType<typeof parseEventXml>;
  try {
    root = parseEventXml(`<r>${scrubXml(t.replace(/^<\?xml[^>]*\?>/, ""))}</r>`);
  } catch {
    return;
  }
  const walk = (el: typeof root, inUserData: boolean) => {
    for (const c of el.children) {
      if (c.name === "Data") {
        if (c.attrs.Name !== undefined) sink.named(c.attrs.Name, c.text);
        else sink.unnamed(c.text);
      } else if (c.name === "Param") sink.unnamed(c.text);
      else if (c.name === "Binary") {
        if (c.text) sink.named("Binary", c.text);
      } else if (inUserData && c.children.length === 0) sink.named(c.name, c.text);
      else walk(c, inUserData || c.name === "UserData");
    }
  };
  walk(root, false);
}

/** Every path of the maps cut into segments once (the maps are constant data). */
const PATHS = new Map<string, CompiledPath>();
for (const m of EVENT_MAPS) {
  const all = [
    ...m.when.all,
    ...(m.when.any ?? []),
    ...(m.when.none ?? []),
    ...(m.root ? [m.root] : []),
    ...m.eventId,
    ...m.provider,
    ...m.channel,
    ...m.computer,
    ...m.recordId,
    ...m.time,
    ...m.level,
    ...m.message,
    ...(m.localClock ? [...m.localClock.local, ...m.localClock.utc] : []),
    ...m.data.flatMap((d) => ("path" in d ? [d.path] : [])),
  ];
  for (const p of all) if (!PATHS.has(p)) PATHS.set(p, compilePath(p));
}
const P = (p: string): CompiledPath => PATHS.get(p) ?? compilePath(p);
const PS = new Map<readonly string[], CompiledPath[]>();
const ps = (paths: readonly string[]): CompiledPath[] => PS.get(paths) ?? paths.map(P);
for (const m of EVENT_MAPS)
  for (const list of [
    m.eventId,
    m.provider,
    m.channel,
    m.computer,
    m.recordId,
    m.time,
    m.level,
    m.message,
    ...(m.localClock ? [m.localClock.local, m.localClock.utc] : []),
  ])
    PS.set(list, list.map(P));

/** Collector metadata keys per map, normalised once (the maps are constant data). */
const META = new Map(
  EVENT_MAPS.flatMap((m) =>
    m.data.filter((d) => d.from === "rest").map((d) => [d, new Set(d.meta.map(normKey))] as const),
  ),
);

function collect(src: DataSource, obj: Obj, used: Set<string>, sink: DataSink, L: Lookup): void {
  switch (src.from) {
    case "named": {
      const s = section(L, obj, P(src.path));
      if (!s) return;
      for (const [k, v] of Object.entries(s)) {
        if (src.skip?.includes(k) || isAttrKey(k)) continue;
        // Unnamed parameters listed under one name (Hayabusa `Data: [..]`): values in order.
        if (Array.isArray(v)) for (const x of v) sink.unnamed(str(x));
        else sink.named(k, str(v));
      }
      return;
    }
    case "evtx-dump":
      dumpData(field(L, obj, P(src.path)), sink);
      return;
    case "user-data":
      userData(field(L, obj, P(src.path)), sink);
      return;
    case "xml": {
      const v = field(L, obj, P(src.path));
      if (typeof v === "string") xmlData(v, sink);
      return;
    }
    case "json-string": {
      const v = field(L, obj, P(src.path));
      if (typeof v !== "string" || !v.trim().startsWith("{")) return;
      let inner: unknown;
      try {
        inner = parseEventJson(v);
      } catch {
        return;
      }
      if (!isObj(inner)) return;
      dumpData(inner.EventData, sink);
      userData(inner.UserData, sink);
      return;
    }
    case "pairs": {
      const v = field(L, obj, P(src.path));
      if (typeof v !== "string") return;
      for (const piece of v.split(src.separator)) {
        const colon = piece.indexOf(": ");
        const name = colon > 0 ? piece.slice(0, colon).trim() : "";
        if (!name) {
          if (piece.trim() && piece.trim() !== "-") sink.unnamed(piece);
          continue;
        }
        const value = piece.slice(colon + 2);
        if (/^Data\[\d+\]$/.test(name)) sink.unnamed(value);
        else sink.named(name, value);
      }
      return;
    }
    case "values": {
      const v = field(L, obj, P(src.path));
      if (!Array.isArray(v)) return;
      for (const item of v) {
        const s = str(item);
        // ConvertTo-Json below -Depth 3 writes the type name instead of the value: no data.
        if (s === "System.Diagnostics.Eventing.Reader.EventProperty") continue;
        sink.unnamed(s);
      }
      return;
    }
    case "rest": {
      const meta = META.get(src) ?? new Set(src.meta.map(normKey));
      for (const [k, v] of Object.entries(obj)) {
        if (used.has(k) || meta.has(normKey(k))) continue;
        if (v === null || isObj(v)) continue;
        sink.named(k, str(v));
      }
    }
  }
}

/** Whether a map recognises a document. */
export function mapMatches(map: EventFieldMap, obj: Obj, L: Lookup = makeLookup()): boolean {
  const w = map.when;
  for (const p of w.all) if (lookup(L, obj, P(p)) === undefined) return false;
  if (w.any && !w.any.some((p) => lookup(L, obj, P(p)) !== undefined)) return false;
  if (w.none?.some((p) => lookup(L, obj, P(p)) !== undefined)) return false;
  return true;
}

/** The map that recognises a document, trying `hint` first (a file keeps one format). */
export function mapFor(
  obj: unknown,
  hint?: EventFieldMap | null,
  L: Lookup = makeLookup(),
): EventFieldMap | null {
  if (!isObj(obj)) return null;
  if (hint && mapMatches(hint, obj, L)) return hint;
  return EVENT_MAPS.find((m) => m !== hint && mapMatches(m, obj, L)) ?? null;
}

/** A document's keys, for the message that no map knew them (first 12, nested ones dotted). */
export function keysOf(obj: unknown): string[] {
  if (!isObj(obj)) return [Array.isArray(obj) ? "(an array)" : `(a ${obj === null ? "null" : typeof obj})`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (out.length >= 12) break;
    out.push(isObj(v) ? `${k}{${Object.keys(v).slice(0, 4).join(",")}}` : k);
  }
  return out;
}

const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/**
 * An event's time in UTC, and how it was read (into `info`): a zoned value as it says; a zone-less one
 * as UTC where the format documents UTC, converted with the collector's offset where the document
 * tells it (`localClock`), else taken as UTC and marked so.
 */
function timeOf(map: EventFieldMap, obj: Obj, L: Lookup, used: Set<string>, info: TimeInfo): string | null {
  const hit = firstOf(L, obj, ps(map.time));
  if (!hit) {
    info.basis = "none";
    return null;
  }
  used.add(hit.top);
  const time = isoTime(hit.value);
  info.field = hit.top;
  if (time === null || map.zonelessTimes === "utc" || hasZone(hit.value)) {
    info.basis = time === null ? "none" : "zoned";
    return time;
  }
  const lc = map.localClock;
  const local = lc ? firstOf(L, obj, ps(lc.local)) : undefined;
  const utc = lc ? firstOf(L, obj, ps(lc.utc)) : undefined;
  if (local && utc && !hasZone(local.value) && hasZone(utc.value)) {
    const offset = clockOffset(ms(isoTime(local.value)), ms(isoTime(utc.value)));
    if (offset !== null) {
      info.basis = "local";
      info.offsetMin = offset;
      return new Date(ms(time) - offset * 60000).toISOString();
    }
  }
  info.basis = "assumed-utc";
  return time;
}

/** Sysmon writes the UTC time into the event (`UtcTime`): how far the exported time is from it. */
function sysmonSkew(rec: EventRecord): number | undefined {
  const own = rec.data.UtcTime;
  if (!own || !rec.time || !/sysmon/i.test(rec.provider)) return undefined;
  const d = ms(rec.time) - ms(isoTime(own));
  if (!Number.isFinite(d) || Math.abs(d) < 15 * 60000) return undefined;
  return Math.round(d / (15 * 60000)) * 15;
}

/**
 * Apply one map to a document; a reason string when the result is not an event. `info`, when given,
 * receives how the time was read.
 */
export function applyMap(
  map: EventFieldMap,
  doc: Obj,
  L: Lookup = makeLookup(),
  info: TimeInfo = { basis: "none" },
): EventRecord | string {
  const top = map.root ? field(L, doc, P(map.root)) : doc;
  if (!isObj(top)) return `no "${map.root}" object`;
  // Chainsaw wraps evtx_dump documents: the paths of the inner format apply from the root.
  const obj = top;
  const used = new Set<string>();
  const get = (paths: string[]) => {
    const hit = firstOf(L, obj, ps(paths));
    if (hit) used.add(hit.top);
    return hit?.value;
  };
  const sink = new DataSink();
  const eventId = intOf(get(map.eventId)) ?? -1;
  let channel = canonicalChannel(str(get(map.channel)), map.abbreviatedChannels);
  let provider = str(get(map.provider)).trim();
  const computer = str(get(map.computer));
  const recordId = intOf(get(map.recordId));
  const time = timeOf(map, obj, L, used, info);
  const level = levelOf(get(map.level));
  const message = get(map.message);
  // Exports that repeat the parameters (Sentinel's EventData and ParameterXml, flat columns next to an
  // EventData XML) are read from the first place that has any.
  for (const src of map.data) {
    if (map.firstDataOnly && sink.values.length > 0) break;
    collect(src, obj, used, sink, L);
  }
  if (!provider) provider = impliedProvider(channel, eventId);
  if (map.aliases || map.eventAliases) {
    // The event's own abbreviations first (Hayabusa's `Proc` is NewProcessName in a 4688, Image elsewhere).
    const renamed = { ...map.aliases, ...map.eventAliases?.[`${provider}_${eventId}`] };
    for (const [from, to] of Object.entries(renamed))
      if (from in sink.data && !(to in sink.data)) sink.data[to] = sink.data[from];
  }
  if (!channel && provider.toLowerCase() === "msexchange cmdletlogs") channel = "MSExchange Management";
  const rec: EventRecord = {
    eventId,
    provider,
    channel,
    computer,
    recordId,
    time,
    level,
    data: sink.data,
    values: sink.values,
  };
  if (typeof message === "string" && message) rec.message = message;
  if (!Number.isFinite(rec.eventId) || rec.eventId < 0) return `no EventID (${map.title})`;
  fillFromMessage(rec);
  const skew = sysmonSkew(rec);
  if (skew !== undefined) info.skewMin = skew;
  return rec;
}

/** One exported document of any known format; a reason string when it is not an event. */
export function fromDocument(obj: unknown, hint?: EventFieldMap | null): EventRecord | string {
  return readDocument(obj, hint).rec;
}

/** fromDocument, and the map that read it (the hint for the file's next document). */
export function readDocument(
  obj: unknown,
  hint?: EventFieldMap | null,
): { rec: EventRecord | string; map: EventFieldMap | null; time: TimeInfo } {
  const L = makeLookup();
  const map = mapFor(obj, hint, L);
  const time: TimeInfo = { basis: "none" };
  if (!map)
    return { rec: `no field map knows this object (keys: ${keysOf(obj).join(", ")})`, map: null, time };
  return { rec: applyMap(map, obj as Obj, L, time), map, time };
}
