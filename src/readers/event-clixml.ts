// PowerShell `Get-WinEvent … | Export-Clixml`: a CLIXML stream (`<Objs>` of `<Obj>`, UTF-16 by
// default) of EventLogRecord objects. Each top-level object is turned into the plain document
// ConvertTo-Json would have written (`Props`/`MS` members by name, lists as arrays, `_x000D_` escapes
// decoded) and read through the same `powershell` field map (events/maps.ts). Parsed by a conforming
// streaming XML parser (saxes); a malformed stream stops with the events read so far and a damage line.
import { closeSync, openSync, readSync } from "node:fs";
import { SaxesParser } from "saxes";
import { fromDocument } from "./events/apply.js";
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
import type { Json } from "./events/fields.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

const NS = "schemas.microsoft.com/powershell/2004/04";

function sniffClixml(head: Buffer): Sniffed | null {
  const enc = encodingOf(head);
  if (enc === "utf-8" && head.includes(0)) return null;
  const text = new TextDecoder(enc).decode(head).slice(0, 8192);
  if (!/^\s*(<\?xml[^>]*>\s*)?<Objs\b/.test(text.replace(/^\ufeff/, "")) || !text.includes(NS)) return null;
  if (!/Eventing\.Reader\.Event(Log)?Record/.test(text)) return null;
  return { format: "event-clixml", kind: "event", preamble: null, header: null };
}

/** CLIXML escapes characters XML cannot hold as `_xHHHH_`. */
const unescapeClixml = (s: string) =>
  s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const NUMERIC = new Set(["I16", "I32", "I64", "U16", "U32", "U64", "By", "SB", "Db", "Sg", "D"]);

/** A CLIXML value element as JSON. */
function value(n: Node): Json {
  switch (n.name) {
    case "Nil":
      return null;
    case "B":
      return n.text.trim() === "true";
    case "Obj":
      return object(n);
    default: {
      const t = unescapeClixml(n.text);
      if (NUMERIC.has(n.name) && /^-?\d+(\.\d+)?$/.test(t.trim())) return Number(t);
      return t;
    }
  }
}

/** An `<Obj>`: its members (Props, MS) by name, or its list items, or its ToString. */
function object(n: Node): Json {
  const list = n.children.find((c) => ["LST", "IE", "STK", "QUE"].includes(c.name));
  if (list) return list.children.map(value);
  const members = n.children.filter((c) => c.name === "Props" || c.name === "MS").flatMap((c) => c.children);
  if (members.length === 0) return unescapeClixml(n.children.find((c) => c.name === "ToString")?.text ?? "");
  const out: Record<string, Json> = {};
  for (const m of members) {
    const key = m.attrs.N;
    if (key !== undefined && !(key in out)) out[unescapeClixml(key)] = value(m);
  }
  return out;
}

function readClixml(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const parser = new SaxesParser({ position: true });
  const stack: Node[] = [];
  let objLine = 0;
  parser.on("opentag", (t) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.attributes)) attrs[k] = typeof v === "string" ? v : v.value;
    const node: Node = { name: t.name, attrs, children: [], text: "" };
    if (stack.length === 1) objLine = parser.line;
    stack[stack.length - 1]?.children.push(node);
    stack.push(node);
  });
  parser.on("text", (s) => {
    const top = stack[stack.length - 1];
    if (top && stack.length > 1) top.text += s;
  });
  parser.on("closetag", () => {
    const node = stack.pop();
    // A top-level object is complete: one event; drop it from the root so memory stays flat.
    if (node && stack.length === 1) {
      stack[0].children.length = 0;
      if (node.name !== "Obj") return;
      const rec = fromDocument(object(node));
      if (typeof rec === "string") bad(stats, objLine, rec);
      else emit(stats, h, rec, objLine);
    }
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
      parser.write(decoder.decode(buf.subarray(0, n)).replace(/^\ufeff/, ""));
    }
    parser.write(decoder?.decode() ?? "");
    parser.close();
    if (decoder) addInvalidText(stats, decoder.invalid, decoder.enc);
  } catch (e) {
    stats.damage.push(`not well-formed CLIXML near line ${parser.line}: ${errorText(e)}; reading stopped`);
  } finally {
    closeSync(fd);
  }
  stats.lines = parser.line;
  addNotes(stats, []);
  return stats;
}

export const eventClixmlReader: Reader = {
  format: "event-clixml",
  splittable: false,
  sniff: sniffClixml,
  read: (abs, size, _sniffed, _range, h) => readClixml(abs, size, h),
};
