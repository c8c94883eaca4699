// Readers for exported Windows events: JSON lines (evtx_dump, Winlogbeat / Elastic Agent ECS) and the
// XML `wevtutil qe /f:xml` writes (a run of <Event> elements, with or without a root, UTF-8 or UTF-16).
// Recognised by content, never by extension. A bad line or event is counted with a sample, never fatal.
import { closeSync, openSync, readSync } from "node:fs";
import { SaxesParser } from "saxes";
import type { EventRecord } from "../model/records.js";
import type { BadRow } from "./delimited.js";
import { fromEventXml, fromJsonEvent, type XmlElement } from "./events/map.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

const CHUNK = 1024 * 1024;
/** A JSON line or XML event longer than this is not an event (bounded memory on hostile input). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;
const MAX_SAMPLES = 20;

function newStats(): ReadStats {
  return {
    kind: "event",
    records: 0,
    lines: 0,
    badRows: 0,
    badSamples: [],
    firstTime: null,
    lastTime: null,
    bytes: 0,
    lastHeader: null,
    usedInheritedHeader: false,
    damage: [],
  };
}

function bad(stats: ReadStats, line: number, reason: string): void {
  stats.badRows++;
  if (stats.badSamples.length < MAX_SAMPLES) stats.badSamples.push({ line, reason } satisfies BadRow);
}

function emit(stats: ReadStats, h: ReadHandlers, rec: EventRecord, line: number): void {
  stats.records++;
  // Exports are not always in time order (wevtutil /rd:true, SIEM queries): keep the extremes.
  if (rec.time) {
    if (stats.firstTime === null || rec.time < stats.firstTime) stats.firstTime = rec.time;
    if (stats.lastTime === null || rec.time > stats.lastTime) stats.lastTime = rec.time;
  }
  h.onEvent(rec, line);
}

function errorText(e: unknown): string {
  return (e as Error).message.split("\n")[0].slice(0, 200);
}

// ---------- JSON lines ----------

function firstLine(head: Buffer): { text: string; complete: boolean } {
  let text = head.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/^\s+/, "");
  const nl = text.indexOf("\n");
  return nl < 0 ? { text, complete: false } : { text: text.slice(0, nl).trimEnd(), complete: true };
}

function sniffJson(head: Buffer): Sniffed | null {
  if (head.length >= 2 && (head[0] === 0 || head[1] === 0)) return null;
  const { text, complete } = firstLine(head);
  if (!text.startsWith("{")) return null;
  let ok: boolean;
  if (complete || head.length < 16 * 1024) {
    try {
      ok = typeof fromJsonEvent(JSON.parse(text)) !== "string";
    } catch {
      ok = false;
    }
  } else {
    // A first line longer than the head: judge by its opening keys.
    ok = /^\{\s*"Event"\s*:\s*\{/.test(text) || /"winlog"\s*:\s*\{\s*"/.test(text);
  }
  return ok ? { format: "event-json", kind: "event", preamble: null, header: null } : null;
}

function readJsonLines(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer[] = [];
    let carryLen = 0;
    let overlong = false;
    let pos = 0;
    const handle = (bytes: Buffer, last: boolean) => {
      const line = ++stats.lines;
      if (overlong) {
        overlong = false;
        bad(stats, line, `line longer than ${MAX_EVENT_BYTES} bytes`);
        return;
      }
      let text = bytes.toString("utf8");
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (!text.trim()) return;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (e) {
        bad(stats, line, `not JSON: ${errorText(e)}`);
        if (last) stats.damage.push("the last line is cut off");
        return;
      }
      const rec = fromJsonEvent(obj);
      if (typeof rec === "string") bad(stats, line, rec);
      else emit(stats, h, rec, line);
    };
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n <= 0) break;
      pos += n;
      stats.bytes += n;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= n) break;
        const piece = buf.subarray(start, nl);
        if (carryLen > 0) {
          if (carryLen + piece.length > MAX_EVENT_BYTES) overlong = true;
          handle(overlong ? piece : Buffer.concat([...carry, piece]), false);
          carry = [];
          carryLen = 0;
        } else handle(piece, false);
        start = nl + 1;
      }
      if (start < n && !overlong) {
        carry.push(Buffer.from(buf.subarray(start, n)));
        carryLen += n - start;
        if (carryLen > MAX_EVENT_BYTES) {
          overlong = true;
          carry = [];
          carryLen = 0;
        }
      }
    }
    if (carryLen > 0 || overlong) handle(Buffer.concat(carry), true);
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
  } finally {
    closeSync(fd);
  }
  return stats;
}

// ---------- wevtutil XML ----------

type XmlEncoding = "utf-8" | "utf-16le" | "utf-16be";

function encodingOf(head: Buffer): XmlEncoding {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return "utf-16le";
  if (head.length >= 2 && head[0] === 0 && head[1] !== 0) return "utf-16be";
  return "utf-8";
}

/** `<Event` as an element start (not `<EventData`, `<EventID`, `<Events>`). */
const EVENT_START = /<Event[\s>]/g;
const EVENT_END = "</Event>";

function sniffXml(head: Buffer): Sniffed | null {
  const enc = encodingOf(head);
  if (enc === "utf-8" && head.includes(0)) return null;
  let text = new TextDecoder(enc).decode(head);
  text = text.replace(/^\s+/, "");
  if (!text.startsWith("<") && !text.startsWith("evtxexport")) return null;
  EVENT_START.lastIndex = 0;
  const m = EVENT_START.exec(text);
  if (!m) return null;
  const after = text.slice(m.index, m.index + 4096);
  if (!after.includes("<System>") && !after.includes("schemas.microsoft.com/win/2004/08/events/event"))
    return null;
  return { format: "event-xml", kind: "event", preamble: null, header: null };
}

/** Characters XML 1.0 forbids (control characters, literal or as references), made U+FFFD. */
function scrubXml(text: string): string {
  return text
    .replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (ref, num: string) => {
      const c = num[0] === "x" ? Number.parseInt(num.slice(1), 16) : Number.parseInt(num, 10);
      const ok =
        c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0x10ffff);
      return ok ? ref : "\ufffd";
    })
    .split("")
    .map((ch) => {
      const c = ch.charCodeAt(0);
      return c < 0x20 && c !== 9 && c !== 10 && c !== 13 ? "\ufffd" : ch;
    })
    .join("");
}

const localName = (n: string) => n.slice(n.indexOf(":") + 1);

/** Parse one `<Event>…</Event>` into an element tree with a conforming XML parser. */
export function parseEventXml(text: string): XmlElement {
  const parser = new SaxesParser({ position: false });
  const roots: XmlElement[] = [];
  const stack: XmlElement[] = [];
  const addText = (s: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += s;
  };
  parser.on("opentag", (t) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.attributes))
      attrs[localName(k)] = typeof v === "string" ? v : v.value;
    const el: XmlElement = { name: localName(t.name), attrs, children: [], text: "" };
    (stack.length ? stack[stack.length - 1].children : roots).push(el);
    stack.push(el);
  });
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    const el = stack.pop();
    // Pretty printers put a line break inside empty elements; that is not a value.
    if (el && (el.children.length > 0 || (el.text.includes("\n") && !el.text.trim())))
      el.text = el.text.trim();
  });
  parser.on("error", (e) => {
    throw e;
  });
  parser.write(text).close();
  if (!roots[0]) throw new Error("no element");
  return roots[0];
}

function countNl(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf("\n", from); i >= 0 && i < to; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function readXmlEvents(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let n = readSync(fd, buf, 0, Math.min(CHUNK, size), 0);
    const enc = encodingOf(buf.subarray(0, n));
    const decoder = new TextDecoder(enc);
    let pos = 0;
    let text = "";
    /** Physical lines before `text[0]`. */
    let lineBase = 0;
    const take = (final: boolean) => {
      let at = 0;
      for (;;) {
        EVENT_START.lastIndex = at;
        const m = EVENT_START.exec(text);
        if (!m) {
          // Keep a tail that may hold the start of a split `<Event`.
          const keep = final ? text.length : Math.max(at, text.length - 8);
          lineBase += countNl(text, 0, keep);
          text = text.slice(keep);
          return;
        }
        const start = m.index;
        const end = text.indexOf(EVENT_END, start);
        const line = lineBase + countNl(text, 0, start) + 1;
        if (end < 0) {
          if (!final && text.length - start <= MAX_EVENT_BYTES) {
            lineBase += countNl(text, 0, start);
            text = text.slice(start);
            return;
          }
          bad(stats, line, final ? "event cut off at the end of the file" : "event longer than the limit");
          if (final) stats.damage.push("the last event is cut off");
          at = start + 6;
          continue;
        }
        const xml = text.slice(start, end + EVENT_END.length);
        let tree: XmlElement | null = null;
        try {
          tree = parseEventXml(xml);
        } catch (e) {
          try {
            tree = parseEventXml(scrubXml(xml));
          } catch {
            bad(stats, line, `not well-formed XML: ${errorText(e)}`);
          }
        }
        if (tree) {
          const rec = fromEventXml(tree);
          if (typeof rec === "string") bad(stats, line, rec);
          else emit(stats, h, rec, line);
        }
        at = end + EVENT_END.length;
        lineBase += countNl(text, 0, at);
        text = text.slice(at);
        at = 0;
      }
    };
    while (n > 0) {
      pos += n;
      stats.bytes += n;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
      take(false);
      n = pos < size ? readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos) : 0;
    }
    text += decoder.decode();
    take(true);
    stats.lines = lineBase + (text.length ? 1 : 0);
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
  } finally {
    closeSync(fd);
  }
  return stats;
}

export const eventJsonReader: Reader = {
  format: "event-json",
  splittable: false,
  sniff: sniffJson,
  read: (abs, size, _sniffed, _range, h) => readJsonLines(abs, size, h),
};

export const eventXmlReader: Reader = {
  format: "event-xml",
  splittable: false,
  sniff: sniffXml,
  read: (abs, size, _sniffed, _range, h) => readXmlEvents(abs, size, h),
};
