// Views of a resolved record: the project's EventRecord, XML for display, and the JSON layout of the
// Rust evtx crate's `evtx_dump` (what the corpus's expected renderings use).
import type { EventRecord } from "../../model/records.js";
import { attr, child, flatten, isElement, refText, textOf, type XContent, type XElement } from "./render.js";
import type { Scalar } from "./values.js";

function num(v: Scalar | undefined | string): number | null {
  if (v === undefined || v === "") return null;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function str(v: Scalar | undefined): string {
  return v === undefined ? "" : String(v);
}

/** ISO UTC with 6 fractional digits (WEC-forwarded records carry Windows' own text, 7 or 9 digits). */
function isoTime(v: Scalar | undefined): string | null {
  if (typeof v !== "string") return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(v);
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? "").slice(0, 6).padEnd(6, "0")}Z`;
}

/** Leaf elements of a UserData payload, in document order, as name → text. */
function leaves(e: XElement, out: [string, string][]): void {
  const kids = e.children.filter(isElement);
  if (kids.length === 0) {
    out.push([e.name, textOf(e)]);
    return;
  }
  for (const k of kids) leaves(k, out);
}

/** The project's EventRecord: System fields and EventData/UserData name → value. */
export function toEventRecord(root: XElement, headerId: number): EventRecord {
  const sys = child(root, "System");
  const provider = child(sys, "Provider");
  const eventId = num(textOf(child(sys, "EventID") ?? { name: "", attrs: [], children: [] }));
  const recordIdText = child(sys, "EventRecordID");
  const time = attr(child(sys, "TimeCreated"), "SystemTime");
  const level = child(sys, "Level");
  const data: Record<string, string> = {};
  const values: string[] = [];
  const ed = child(root, "EventData");
  if (ed) {
    for (const x of ed.children) {
      if (!isElement(x)) continue;
      const v = textOf(x);
      values.push(v);
      const name = x.name === "Data" ? str(attr(x, "Name")) : x.name;
      if (name && !(name in data)) data[name] = v;
    }
  }
  const ud = child(root, "UserData");
  if (ud) {
    const pairs: [string, string][] = [];
    for (const x of ud.children)
      if (isElement(x)) for (const k of x.children) if (isElement(k)) leaves(k, pairs);
    for (const [n, v] of pairs) {
      values.push(v);
      if (!(n in data)) data[n] = v;
    }
  }
  return {
    eventId: eventId === null ? -1 : eventId & 0xffff,
    provider: str(attr(provider, "Name") ?? attr(provider, "EventSourceName")),
    channel: child(sys, "Channel") ? textOf(child(sys, "Channel") as XElement) : "",
    computer: child(sys, "Computer") ? textOf(child(sys, "Computer") as XElement) : "",
    recordId: (recordIdText ? num(textOf(recordIdText)) : null) ?? headerId,
    time: isoTime(time),
    level: level ? num(textOf(level)) : null,
    data,
    values,
  };
}

const escText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escAttr = (s: string) => escText(s).replace(/"/g, "&quot;").replace(/'/g, "&apos;");

function xmlContent(x: XContent): string {
  if (typeof x === "object") return isElement(x) ? "" : `&${x.ref};`;
  return escText(String(x));
}

// Layout of evtx_dump's XML (so renderings compare byte for byte): two-space indent, never
// self-closing; an element without content gets its close tag on the next line (Binary excepted).
function writeXml(e: XElement, indent: string, out: string[]): void {
  let open = `${indent}<${e.name}`;
  for (const a of e.attrs) open += ` ${a.name}="${escAttr(String(a.value))}"`;
  open += ">";
  if (e.children.length === 0) {
    if (e.name === "Binary") out.push(`${open}</${e.name}>`);
    else out.push(open, `${indent}</${e.name}>`);
    return;
  }
  if (!e.children.some(isElement)) {
    out.push(`${open}${e.children.map(xmlContent).join("")}</${e.name}>`);
    return;
  }
  out.push(open);
  for (const x of e.children) {
    if (isElement(x)) writeXml(x, `${indent}  `, out);
    else {
      const t = xmlContent(x);
      if (t.trim()) out.push(`${indent}  ${t}`);
    }
  }
  out.push(`${indent}</${e.name}>`);
}

/** The record as XML in evtx_dump's layout; `declaration` adds the `<?xml …?>` line. */
export function toXml(root: XElement, declaration = false): string {
  const out: string[] = declaration ? ['<?xml version="1.0" encoding="utf-8"?>'] : [];
  writeXml(root, "", out);
  return out.join("\n");
}

type Json = null | Scalar | Json[] | { [k: string]: Json };

function textValue(parts: XContent[]): Scalar {
  return flatten(parts);
}

function dataAggregate(kids: XElement[], o: { [k: string]: Json }, sep: boolean): void {
  const named = kids.some((d) => str(attr(d, "Name")) !== "");
  if (named) {
    for (const d of kids) {
      const n = str(attr(d, "Name"));
      if (n) o[n] = d.children.length ? jsonOf(d, sep, true) : "";
    }
    return;
  }
  const vals: Json[] = kids.map((d) => (d.children.length ? jsonOf(d, sep, true) : ""));
  o.Data = { "#text": vals.length === 1 ? vals[0] : vals };
}

function attrsJson(e: XElement): { [k: string]: Json } {
  const a: { [k: string]: Json } = {};
  for (const x of e.attrs) a[x.name] = x.value;
  return a;
}

/** Put a child under its (de-duplicated) key; `sep` puts attributes in a sibling `<key>_attributes`. */
function putChild(o: { [k: string]: Json }, key: string, k: XElement, sep: boolean): void {
  if (sep && k.attrs.length) {
    o[`${key}_attributes`] = attrsJson(k);
    if (k.children.length === 0) return;
  }
  o[key] = jsonOf(k, sep);
}

/**
 * JSON value of an element in evtx_dump's layout: attributes under `#attributes` (or, `sep`, left to
 * the parent as `<name>_attributes`). `bare`: ignore attributes (named Data).
 */
function jsonOf(e: XElement, sep: boolean, bare = false): Json {
  const o: { [k: string]: Json } = {};
  if (!bare && !sep && e.attrs.length) o["#attributes"] = attrsJson(e);
  const kids = e.children.filter(isElement);
  const texts = e.children.filter((x) => !isElement(x));
  const aggregate = e.name === "EventData" || e.name === "UserData";
  const dataKids = aggregate ? kids.filter((k) => k.name === "Data") : [];
  let dataDone = false;
  const seen = new Map<string, number>();
  for (const k of kids) {
    if (aggregate && k.name === "Data") {
      if (!dataDone) dataAggregate(dataKids, o, sep);
      dataDone = true;
      continue;
    }
    const n = seen.get(k.name) ?? 0;
    seen.set(k.name, n + 1);
    putChild(o, n === 0 ? k.name : `${k.name}_${n}`, k, sep);
  }
  const hasText = texts.length > 0 && !(texts.length === 1 && texts[0] === "" && kids.length > 0);
  if (hasText) {
    const v = textValue(texts);
    if (Object.keys(o).length === 0) return v;
    o["#text"] = v;
  }
  if (Object.keys(o).length === 0) return null;
  return o;
}

/** The record in evtx_dump's JSON layout: `{"Event": …}`; `separateAttributes` is its `-s` layout. */
export function toDumpJson(root: XElement, separateAttributes = false): { [k: string]: Json } {
  const o: { [k: string]: Json } = {};
  if (separateAttributes && root.attrs.length) o[`${root.name}_attributes`] = attrsJson(root);
  o[root.name] = jsonOf(root, separateAttributes);
  return o;
}

export { refText };
