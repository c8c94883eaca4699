// The YAML event-export reader: Chainsaw's `search` output (its default, in Chainsaw 1 and 2), a run of
// YAML documents each holding one evtx_dump event (`---` then `Event:` / `System:` …), and any other YAML
// document a field map or wrapper of events/maps.ts knows. Recognised by content. Each document is cut
// out of the stream at its `---` line and parsed on its own (at most 16 MiB), with YAML's failsafe
// schema: every value stays the text that was written (no `0x3e7` read as 999, no 64-bit values rounded),
// and an unquoted `~`/`null` or an empty value is null, as JSON's null; aliases are not followed (null:
// Chainsaw writes none, and a hostile file cannot expand one). A document that is not YAML or
// not an event is a bad row with its line; the rest of the file is read.
import { closeSync, openSync, readSync } from "node:fs";
import { isMap, isScalar, isSeq, type Node, parseDocument, Scalar } from "yaml";
import { ClockNotes } from "./events/clock.js";
import {
  addInvalidText,
  addNotes,
  bad,
  CHUNK,
  emit,
  encodingOf,
  errorText,
  MAX_EVENT_BYTES,
  newStats,
  TextIn,
} from "./events/common.js";
import type { Json } from "./events/fields.js";
import { DocumentReader, knownDocument } from "./events/wrappers.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

const SEPARATOR = /^---(\s|$)/;
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);

/** A YAML node as the JSON value it stands for, every scalar as its text. */
function toJson(n: Node | null | undefined, depth = 0): Json {
  if (depth > 64) throw new Error("nested deeper than 64 levels");
  if (isMap(n)) {
    const out: Record<string, Json> = {};
    for (const pair of n.items) {
      const k = isScalar(pair.key) ? String(pair.key.value ?? "") : String(pair.key ?? "");
      out[k] = toJson(pair.value as Node | null, depth + 1);
    }
    return out;
  }
  if (isSeq(n)) return n.items.map((x) => toJson(x as Node | null, depth + 1));
  if (isScalar(n)) {
    const v = n.value === null || n.value === undefined ? "" : String(n.value);
    return n.type === Scalar.PLAIN && NULLS.has(v) ? null : v;
  }
  return null;
}

/** One YAML document's text to its value, or why it is not YAML (with the line, from 1, in the text). */
function parseYaml(text: string): { value: Json } | { error: string; line: number } {
  const doc = parseDocument(text, { schema: "failsafe" });
  const e = doc.errors[0];
  if (e)
    return {
      error: e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
      line: e.linePos?.[0].line ?? 1,
    };
  return { value: toJson(doc.contents as Node | null) };
}

/** The first document of a head: its text and whether it ended inside the head. */
function firstDocument(text: string): { doc: string; complete: boolean } {
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && !lines[i].trim()) i++;
  if (i < lines.length && SEPARATOR.test(lines[i])) i++;
  const start = i;
  while (i < lines.length && !SEPARATOR.test(lines[i])) i++;
  return { doc: lines.slice(start, i).join("\n"), complete: i < lines.length };
}

/** An evtx_dump event's opening, for a first document longer than the head. */
const EVENT_OPENING = /^Event:[ \t]*\r?\n(?:[ \t]+.*\r?\n)*?[ \t]+System:[ \t]*\r?$/m;

function sniffYaml(head: Buffer): Sniffed | null {
  const enc = encodingOf(head);
  if (enc === "utf-8" && head.includes(0)) return null;
  // Chainsaw starts every document with `---`; a file cut from it may start at `Event:`. Nothing else
  // is tried (text such as PowerShell's Format-List output is YAML-like but not YAML). Judged on the
  // opening before the whole head is decoded (most files that reach this reader are no YAML).
  const opening = new TextDecoder(enc)
    .decode(head.subarray(0, 256))
    .replace(/^\ufeff/, "")
    .trimStart();
  if (!SEPARATOR.test(opening) && !/^Event(_attributes)?:/.test(opening)) return null;
  const text = new TextDecoder(enc).decode(head).replace(/^\ufeff/, "");
  const { doc, complete } = firstDocument(text);
  let ok = false;
  if (complete || head.length < 16 * 1024) {
    try {
      const v = parseYaml(doc);
      ok = "value" in v && knownDocument(v.value);
    } catch {
      ok = false;
    }
  } else ok = EVENT_OPENING.test(text.slice(0, 8192));
  return ok ? { format: "event-yaml", kind: "event", preamble: null, header: null } : null;
}

function readYaml(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const docs = new DocumentReader();
  const clock = new ClockNotes();
  let lines: string[] = [];
  let bytes = 0;
  let startLine = 1;
  let overlong = false;
  let line = 0;
  const flush = () => {
    const text = lines.join("\n");
    lines = [];
    bytes = 0;
    if (overlong) {
      overlong = false;
      bad(stats, startLine, `YAML document longer than ${MAX_EVENT_BYTES} bytes`);
      return;
    }
    if (!text.trim()) return;
    let parsed: ReturnType<typeof parseYaml>;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      bad(stats, startLine, `not YAML: ${errorText(e)}`);
      return;
    }
    if (!("value" in parsed)) {
      bad(stats, startLine, `not YAML: ${parsed.error} (line ${startLine + parsed.line - 1})`);
      return;
    }
    for (const { rec, time } of docs.read(parsed.value)) {
      if (typeof rec === "string") bad(stats, startLine, rec);
      else {
        clock.add(time);
        emit(stats, h, rec, startLine);
      }
    }
  };
  const onLine = (raw: string) => {
    line++;
    const l = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (SEPARATOR.test(l) || l === "...") {
      flush();
      startLine = line + 1;
      return;
    }
    if (overlong) return;
    bytes += l.length + 1;
    if (bytes > MAX_EVENT_BYTES) {
      overlong = true;
      lines = [];
      return;
    }
    if (lines.length === 0 && !l.trim()) startLine = line + 1;
    else lines.push(l);
  };
  const fd = openSync(abs, "r");
  let decoder: TextIn | null = null;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    let carry = "";
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n <= 0) break;
      decoder ??= new TextIn(encodingOf(buf.subarray(0, n)));
      pos += n;
      stats.bytes += n;
      let text = carry + decoder.decode(buf.subarray(0, n));
      if (pos === n) text = text.replace(/^\ufeff/, "");
      const parts = text.split("\n");
      carry = parts.pop() ?? "";
      // A line longer than the limit is not kept whole while it grows.
      if (carry.length > MAX_EVENT_BYTES) {
        overlong = true;
        carry = "";
      }
      for (const p of parts) onLine(p);
    }
    const tail = carry + (decoder?.decode() ?? "");
    if (tail) {
      onLine(tail);
      // Chainsaw ends every line: a last line without its end may have lost the rest of its document.
      if (tail.trim()) stats.damage.push("the last line is cut off: its document may be incomplete");
    }
    flush();
    stats.lines = line;
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
    if (decoder) addInvalidText(stats, decoder.invalid, decoder.enc);
  } finally {
    closeSync(fd);
  }
  addNotes(stats, [...clock.notes(), ...docs.notes()]);
  return stats;
}

export const eventYamlReader: Reader = {
  format: "event-yaml",
  splittable: false,
  sniff: sniffYaml,
  read: (abs, size, _sniffed, _range, h) => readYaml(abs, size, h),
};
