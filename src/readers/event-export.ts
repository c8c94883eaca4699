// Readers for exported Windows events. This file: the XML `wevtutil qe /f:xml` writes (a run of <Event>
// elements, with or without a root, UTF-8 or UTF-16); JSON exports are read in event-json.ts, CSV
// exports in event-csv.ts. Recognised by content, never by extension. A bad event is counted with a
// sample, never fatal.
import { closeSync, openSync, readSync } from "node:fs";
import {
  addInvalidText,
  addNotes,
  bad,
  CHUNK,
  emit,
  encodingOf,
  errorText,
  newStats,
  TextIn,
} from "./events/common.js";
import { fromEventXml, type XmlElement } from "./events/map.js";
import { parseEventXml, scrubXml } from "./events/xml.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

export { eventJsonReader } from "./event-json.js";
export { MAX_EVENT_BYTES } from "./events/common.js";
export { parseEventXml };

import { MAX_EVENT_BYTES } from "./events/common.js";

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
    const decoder = new TextIn(enc);
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
      text += decoder.decode(buf.subarray(0, n));
      take(false);
      n = pos < size ? readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos) : 0;
    }
    text += decoder.decode();
    take(true);
    stats.lines = lineBase + (text.length ? 1 : 0);
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
    addInvalidText(stats, decoder.invalid, enc);
  } finally {
    closeSync(fd);
  }
  addNotes(stats, []);
  return stats;
}

export const eventXmlReader: Reader = {
  format: "event-xml",
  splittable: false,
  sniff: sniffXml,
  read: (abs, size, _sniffed, _range, h) => readXmlEvents(abs, size, h),
};
