// The fast lane for scans: an EventRecord straight from template nodes and values, without building
// the element tree. Only the System fields a detection reads and the EventData/UserData values are
// rendered; everything else (GUIDs, SIDs, keywords, execution ids) is never decoded. Produces exactly
// what views.toEventRecord produces from the tree (a test checks this on every corpus record).
import type { EventRecord } from "../../model/records.js";
import {
  BinXmlError,
  type ChunkContext,
  type ElementNode,
  K,
  type Node,
  parseStream,
  type ValueRef,
} from "./binxml.js";
import { refText } from "./render.js";
import { arrayItems, isEmptyValue, type Scalar, scalar, T } from "./values.js";

type Slot = ValueRef | { item: Scalar };

enum Ctx {
  Root = 0,
  Event = 1,
  System = 2,
  Data = 3,
  User = 4,
  UserLeaf = 5,
}

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/;

/** First value wins; own properties only, so names like `constructor` or `__proto__` are plain keys. */
export function setOnce(data: Record<string, string>, name: string, v: string): void {
  // Values are strings: undefined means not set (an inherited name such as `constructor` is checked).
  const cur = data[name];
  if (cur !== undefined && (typeof cur === "string" || Object.hasOwn(data, name))) return;
  if (name === "__proto__")
    Object.defineProperty(data, name, { value: v, enumerable: true, writable: true, configurable: true });
  else data[name] = v;
}

class Extractor {
  eventId = "";
  hasEventId = false;
  provider: string | undefined;
  sourceName: string | undefined;
  channel: string | undefined;
  computer: string | undefined;
  recordId = "";
  hasRecordId = false;
  time: string | undefined;
  level = "";
  hasLevel = false;
  data: Record<string, string> = {};
  values: string[] = [];
  sawEvent = false;
  sawSystem = false;
  sawData = false;
  sawUser = false;

  constructor(readonly c: ChunkContext) {}

  walk(nodes: Node[], slots: Slot[], ctx: Ctx, depth: number): void {
    if (depth > 64) throw new BinXmlError("template instances nested too deeply");
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.k === K.Element) this.element(n, slots, ctx, depth);
      else if (n.k === K.Instance) this.walk(n.template.nodes, n.values, ctx, depth + 1);
      else if (n.k === K.Subst) {
        const v = slots[n.index];
        if (v !== undefined && !("item" in v) && v.type === T.BinXml && v.size > 0) {
          const { nodes: nested } = parseStream(this.c, v.off, v.off + v.size, false, depth + 1);
          this.walk(nested, [], ctx, depth + 1);
        }
      }
    }
  }

  private element(e: ElementNode, slots: Slot[], ctx: Ctx, depth: number): void {
    switch (ctx) {
      case Ctx.Root:
        if (this.sawEvent) return;
        this.sawEvent = true;
        if (e.children) this.walk(e.children, slots, Ctx.Event, depth);
        return;
      case Ctx.Event:
        if (!e.children) return;
        if (e.name === "System" && !this.sawSystem) {
          this.sawSystem = true;
          this.walk(e.children, slots, Ctx.System, depth);
        } else if (e.name === "EventData" && !this.sawData) {
          this.sawData = true;
          this.walk(e.children, slots, Ctx.Data, depth);
        } else if (e.name === "UserData" && !this.sawUser) {
          this.sawUser = true;
          this.walk(e.children, slots, Ctx.User, depth);
        }
        return;
      case Ctx.System:
        this.system(e, slots, depth);
        return;
      case Ctx.Data:
        this.dataElement(e, slots, depth);
        return;
      case Ctx.User:
        if (e.children) this.walk(e.children, slots, Ctx.UserLeaf, depth);
        return;
      case Ctx.UserLeaf:
        if (e.children && this.hasElements(e.children, slots))
          this.walk(e.children, slots, Ctx.UserLeaf, depth);
        else this.dataElement(e, slots, depth, false);
        return;
    }
  }

  private system(e: ElementNode, slots: Slot[], depth: number): void {
    switch (e.name) {
      case "Provider":
        if (this.provider === undefined && this.sourceName === undefined) {
          this.provider = this.attr(e, "Name", slots, depth);
          this.sourceName = this.attr(e, "EventSourceName", slots, depth);
        }
        return;
      case "EventID":
        if (!this.hasEventId) {
          this.hasEventId = true;
          this.eventId = e.children ? this.text(e.children, slots, depth) : "";
        }
        return;
      case "Level":
        if (!this.hasLevel) {
          this.hasLevel = true;
          this.level = e.children ? this.text(e.children, slots, depth) : "";
        }
        return;
      case "TimeCreated":
        if (this.time === undefined) this.time = this.attr(e, "SystemTime", slots, depth) ?? "";
        return;
      case "EventRecordID":
        if (!this.hasRecordId) {
          this.hasRecordId = true;
          this.recordId = e.children ? this.text(e.children, slots, depth) : "";
        }
        return;
      case "Channel":
        if (this.channel === undefined) this.channel = e.children ? this.text(e.children, slots, depth) : "";
        return;
      case "Computer":
        if (this.computer === undefined)
          this.computer = e.children ? this.text(e.children, slots, depth) : "";
        return;
    }
  }

  /** A child of EventData; an array substitution with several items repeats it (one value each). */
  private dataElement(e: ElementNode, slots: Slot[], depth: number, eventData = true): void {
    const expand = this.arrayToExpand(e, slots);
    if (expand) {
      const [index, items] = expand;
      for (const item of items) {
        const copy = slots.slice();
        copy[index] = { item };
        this.dataValue(e, copy, depth, eventData);
      }
      return;
    }
    this.dataValue(e, slots, depth, eventData);
  }

  /** One value: a `Data` element is named by its Name attribute, anything else by its element name. */
  private dataValue(e: ElementNode, slots: Slot[], depth: number, eventData: boolean): void {
    const v = e.children ? this.text(e.children, slots, depth) : "";
    const name = eventData && e.name === "Data" ? this.dataName(e, slots, depth) : e.name;
    this.values.push(v);
    if (name) setOnce(this.data, name, v);
  }

  private arrayToExpand(e: ElementNode, slots: Slot[]): [number, Scalar[]] | null {
    if (slots.length === 0) return null;
    let substs = e.substs;
    if (substs === undefined) {
      substs = [];
      for (const x of e.children ?? []) if (x.k === K.Subst) substs.push(x.index);
      for (const a of e.attrs) for (const x of a.value) if (x.k === K.Subst) substs.push(x.index);
      e.substs = substs;
    }
    for (let i = 0; i < substs.length; i++) {
      const v = slots[substs[i]];
      if (!v || "item" in v || !(v.type & T.Array) || v.size === 0) continue;
      const items = arrayItems(this.c.b, v.type, v.off, v.size);
      if (items.length > 1) return [substs[i], items];
    }
    return null;
  }

  /** The Name attribute of a Data element; literal in the template in the usual case. */
  private dataName(e: ElementNode, slots: Slot[], depth: number): string {
    if (e.litName === undefined) {
      const a = e.attrs.find((x) => x.name === "Name");
      e.litName = a?.value.every((x) => x.k === K.Text)
        ? a.value.map((x) => (x as { text: string }).text).join("")
        : null;
    }
    if (e.litName !== null) return e.litName;
    return this.attr(e, "Name", slots, depth) ?? "";
  }

  /** Whether content holds elements (directly, through an instance, or a nested BinXML value). */
  private hasElements(nodes: Node[], slots: Slot[]): boolean {
    for (const n of nodes) {
      if (n.k === K.Element || n.k === K.Instance) return true;
      if (n.k === K.Subst) {
        const v = slots[n.index];
        if (v && !("item" in v) && v.type === T.BinXml && v.size > 0) return true;
      }
    }
    return false;
  }

  /** An attribute's text; undefined when absent or empty (empty attributes are dropped). */
  private attr(e: ElementNode, name: string, slots: Slot[], depth: number): string | undefined {
    for (const a of e.attrs) {
      if (a.name !== name) continue;
      const t = this.text(a.value, slots, depth);
      return t === "" ? undefined : t;
    }
    return undefined;
  }

  /** Text content: literal text, references and substituted values; elements are skipped. */
  private text(nodes: Node[], slots: Slot[], depth: number): string {
    if (nodes.length === 1) {
      const n = nodes[0];
      if (n.k === K.Subst) return this.valueText(slots[n.index], depth);
      if (n.k === K.Text) return n.text;
    }
    let s = "";
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.k === K.Text) s += n.text;
      else if (n.k === K.Ref) s += refText(n.ref);
      else if (n.k === K.Subst) s += this.valueText(slots[n.index], depth);
    }
    return s;
  }

  private valueText(v: Slot | undefined, depth: number): string {
    if (v === undefined) return "";
    if ("item" in v) return String(v.item);
    const b = this.c.b;
    if (isEmptyValue(b, v.type, v.off, v.size)) return "";
    if (v.type === T.BinXml) {
      // Its elements are not text; parse anyway so that a malformed value fails the record as in the tree lane.
      parseStream(this.c, v.off, v.off + v.size, false, depth + 1);
      return "";
    }
    if (v.type & T.Array) {
      const items = arrayItems(b, v.type, v.off, v.size);
      return items.length === 1 ? String(items[0]) : items.join(",");
    }
    return String(scalar(b, v.type, v.off, v.size));
  }

  result(headerId: number): EventRecord {
    return finishEvent(this, headerId);
  }
}

/** What the walk (or a template plan) collected for one record. */
export interface Fields {
  eventId: string;
  hasEventId: boolean;
  provider: string | undefined;
  sourceName: string | undefined;
  channel: string | undefined;
  computer: string | undefined;
  recordId: string;
  hasRecordId: boolean;
  time: string | undefined;
  level: string;
  hasLevel: boolean;
  data: Record<string, string>;
  values: string[];
}

function num(s: string): number | null {
  if (s === "") return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Microseconds, as `exhunt events` prints them; FILETIME values already come so (no regex then). */
function micros(t: string | undefined): string | null {
  if (!t) return null;
  if (isMicrosIso(t)) return t;
  const m = ISO.exec(t);
  return m ? `${m[1]}.${(m[2] ?? "").slice(0, 6).padEnd(6, "0")}Z` : null;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` (what FILETIME values render as), checked without a regex. */
export function isMicrosIso(t: string): boolean {
  if (t.length !== 27) return false;
  for (let i = 0; i < 27; i++) {
    const c = t.charCodeAt(i);
    const want = SEPARATORS[i];
    if (want === 0 ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

/** The separator expected at each position of the 27-character shape (0: a digit). */
const SEPARATORS = Array.from("0000-00-00T00:00:00.000000Z", (ch) => (ch === "0" ? 0 : ch.charCodeAt(0)));

export function finishEvent(s: Fields, headerId: number): EventRecord {
  const eid = s.hasEventId ? num(s.eventId) : null;
  return {
    eventId: eid === null ? -1 : eid & 0xffff,
    provider: s.provider ?? s.sourceName ?? "",
    channel: s.channel ?? "",
    computer: s.computer ?? "",
    recordId: (s.hasRecordId ? num(s.recordId) : null) ?? headerId,
    time: micros(s.time),
    level: s.hasLevel ? num(s.level) : null,
    data: s.data,
    values: s.values,
  };
}

/** The EventRecord of a record's parsed stream. Throws BinXmlError/ValueError on malformed input. */
export function extractEvent(c: ChunkContext, nodes: Node[], headerId: number): EventRecord {
  const x = new Extractor(c);
  x.walk(nodes, [], Ctx.Root, 0);
  if (!x.sawEvent) throw new BinXmlError("no element in the record");
  return x.result(headerId);
}
