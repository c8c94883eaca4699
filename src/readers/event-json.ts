// The JSON event-export reader: every JSON layout (lines, one array, concatenated pretty objects; UTF-8
// or UTF-16) and every format a field map in events/maps.ts knows (evtx_dump, Velociraptor,
// Winlogbeat/ECS, PowerShell, Hayabusa, Sentinel, EvtxECmd JSON, flat NXLog-style JSON), and the events
// wrapped in tool output (Chainsaw 1 and 2 hunt detections, events/wrappers.ts). Recognised by
// content: the first value must be an object some map knows. A JSON file no map knows is not claimed;
// classify lists it as unread with the keys it holds (jsonHeadKeys).
import { closeSync, openSync, readSync } from "node:fs";
import { keysOf } from "./events/apply.js";
import { ClockNotes } from "./events/clock.js";
import {
  addInvalidText,
  addNotes,
  bad,
  CHUNK,
  emit,
  encodingOf,
  errorText,
  invalidSequences,
  MAX_EVENT_BYTES,
  newStats,
  TextIn,
} from "./events/common.js";
import { parseEventJson } from "./events/json-parse.js";
import { jsonSplitter } from "./events/json-stream.js";
import { DocumentReader, knownDocument } from "./events/wrappers.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

/** The first JSON value in a file's head: parsed, or why not. */
function firstValue(
  head: Buffer,
): { value: unknown; oneLine: boolean } | { partial: string } | { notJson: true } {
  const enc = encodingOf(head);
  if (enc === "utf-8" && head.includes(0)) return { notJson: true };
  const text = new TextDecoder(enc).decode(head);
  const t = text.replace(/^[\s\ufeff]+/, "");
  if (!t.startsWith("{") && !t.startsWith("[")) return { notJson: true };
  let found: { text: string; line: number } | null = null;
  let broken = false;
  const split = jsonSplitter(head.length + 1, {
    value: (v, line) => {
      found ??= { text: v, line };
    },
    bad: () => {
      broken ||= found === null;
    },
    cutOff: () => {},
  });
  split.push(t, false);
  if (!found) return broken ? { notJson: true } : { partial: t };
  const f = found as { text: string; line: number };
  try {
    return { value: parseEventJson(f.text), oneLine: !f.text.includes("\n") && !t.startsWith("[") };
  } catch {
    return { notJson: true };
  }
}

/** Keys that say "Windows event" in a first value too long for the head (judged by its opening). */
const EVENTISH_OPENING =
  /"(Event|winlog|System|EventID|EventId|event_id|EventCode|document|documents|detection|EventRecordID|ProviderName)"\s*:/;

function sniffJson(head: Buffer): Sniffed | null {
  const f = firstValue(head);
  if ("notJson" in f) return null;
  const ok = "partial" in f ? EVENTISH_OPENING.test(f.partial.slice(0, 4096)) : knownDocument(f.value);
  return ok ? { format: "event-json", kind: "event", preamble: null, header: null } : null;
}

/** For a JSON file no map knows: the keys of its first object (null when the head is not JSON). */
export function jsonHeadKeys(head: Buffer): string[] | null {
  const f = firstValue(head);
  if ("notJson" in f) return null;
  if ("partial" in f)
    // `[]` (an export whose query matched nothing) holds no value at all: say so, not "too long".
    return [
      /^\[\s*\]\s*$/.test(f.partial)
        ? "(an empty JSON array: no records)"
        : "(first value longer than the head)",
    ];
  return keysOf(f.value);
}

type OnDoc = (obj: unknown, line: number) => void;

/**
 * Each document to its events (a wrapper document to each it wraps); `finish` adds what the times said
 * (clock.ts) and the repeats left out (wrappers.ts) to the file's notes.
 */
function documentHandler(stats: ReadStats, h: ReadHandlers): { onDoc: OnDoc; finish: () => void } {
  const docs = new DocumentReader();
  const clock = new ClockNotes();
  return {
    onDoc: (obj, line) => {
      for (const { rec, time } of docs.read(obj)) {
        if (typeof rec === "string") bad(stats, line, rec);
        else {
          clock.add(time);
          emit(stats, h, rec, line);
        }
      }
    },
    finish: () => addNotes(stats, [...clock.notes(), ...docs.notes()]),
  };
}

/** One object per line (UTF-8): lines cut on byte 0x0A, parsed one by one (the fast path). */
function readJsonLines(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const { onDoc, finish } = documentHandler(stats, h);
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer[] = [];
    let carryLen = 0;
    let overlong = false;
    let pos = 0;
    let invalid = 0;
    const handle = (bytes: Buffer, last: boolean) => {
      const line = ++stats.lines;
      if (overlong) {
        overlong = false;
        bad(stats, line, `line longer than ${MAX_EVENT_BYTES} bytes`);
        return;
      }
      let text = bytes.toString("utf8");
      invalid += invalidSequences(bytes, text, "utf-8");
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (!text.trim()) return;
      let obj: unknown;
      try {
        obj = parseEventJson(text);
      } catch (e) {
        bad(stats, line, `not JSON: ${errorText(e)}`);
        if (last) stats.damage.push("the last line is cut off");
        return;
      }
      onDoc(obj, line);
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
    addInvalidText(stats, invalid, "utf-8");
  } finally {
    closeSync(fd);
  }
  finish();
  return stats;
}

/** Any other layout (array, pretty objects, UTF-16): values split from the decoded stream. */
function readJsonStream(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const { onDoc, finish } = documentHandler(stats, h);
  const split = jsonSplitter(MAX_EVENT_BYTES, {
    value(text, line) {
      let obj: unknown;
      try {
        obj = parseEventJson(text);
      } catch (e) {
        bad(stats, line, `not JSON: ${errorText(e)}`);
        return;
      }
      onDoc(obj, line);
    },
    bad: (line, reason) => bad(stats, line, reason),
    cutOff(line) {
      bad(stats, line, "event cut off at the end of the file");
      stats.damage.push("the last event is cut off");
    },
  });
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    let decoder: TextIn | null = null;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n <= 0) break;
      decoder ??= new TextIn(encodingOf(buf.subarray(0, n)));
      pos += n;
      stats.bytes += n;
      split.push(decoder.decode(buf.subarray(0, n)), false);
    }
    split.push(decoder?.decode() ?? "", true);
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
    if (decoder) addInvalidText(stats, decoder.invalid, decoder.enc);
  } finally {
    closeSync(fd);
  }
  finish();
  return stats;
}

function readJson(abs: string, size: number, h: ReadHandlers): ReadStats {
  const fd = openSync(abs, "r");
  let head: Buffer;
  try {
    const b = Buffer.alloc(Math.min(size, 64 * 1024));
    head = b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
  const f = firstValue(head);
  const lines = "value" in f && f.oneLine && encodingOf(head) === "utf-8";
  return lines ? readJsonLines(abs, size, h) : readJsonStream(abs, size, h);
}

export const eventJsonReader: Reader = {
  format: "event-json",
  splittable: false,
  sniff: sniffJson,
  read: (abs, size, _sniffed, _range, h) => readJson(abs, size, h),
};
