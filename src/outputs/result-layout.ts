// Where the parts of a saved result sit in its file, found in one pass over the bytes without parsing
// it whole: the top-level members (small: version, tool, times) and the byte range of each element of
// `servers`. `exhunt report` then parses one server at a time, so a result of any size is rendered in
// the memory of its largest server. The glue between the parts is checked here (a stray byte is "not
// JSON" with its offset); the parts themselves are checked by JSON.parse when they are read.
import { open } from "node:fs/promises";

export interface Span {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface ResultLayout {
  /** Top-level members but `servers`, with the byte range of each value. */
  members: { key: string; value: Span }[];
  /** Each element of the top-level `servers` array; null when there is no array there. */
  servers: Span[] | null;
  /** The range of a `servers` value that is not an array (the schema check names it). */
  serversValue: Span | null;
  size: number;
}

/** The file is not JSON (or not an object at the top); the message says where. */
export class LayoutError extends Error {}

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;
/** Bytes that may continue a number, true, false or null. */
const PRIM = new Uint8Array(256);
for (const c of "0123456789+-.eEtrufalsn") PRIM[c.charCodeAt(0)] = 1;

enum Top {
  Before,
  KeyOrEnd,
  Key,
  Colon,
  Value,
  Next,
  After,
}
enum Arr {
  ElemOrEnd,
  Elem,
  Next,
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
}

/** Reads the layout of the JSON file at `path`. Throws LayoutError when it is not a JSON object. */
export async function resultLayout(path: string, chunkSize = 1 << 20): Promise<ResultLayout> {
  const fh = await open(path, "r");
  const members: { key: string; value: Span }[] = [];
  let servers: Span[] | null = null;
  let serversValue: Span | null = null;
  const buf = Buffer.allocUnsafe(chunkSize);
  let base = 0;
  let depth = 0;
  let inStr = false;
  let capture = false;
  let esc = false;
  let top = Top.Before as Top;
  let arr = Arr.ElemOrEnd as Arr;
  let inServers = false; // inside the servers array (depth 2 is its element level)
  let key: number[] = [];
  let keyText = "";
  let valueStart = -1;
  let elemStart = -1;
  let prim: "value" | "elem" | null = null;
  const fail = (msg: string, at: number): never => {
    throw new LayoutError(`${msg} at byte ${at}`);
  };
  const endValue = (end: number) => {
    const span = { start: valueStart, end };
    if (keyText === "servers") {
      // The last `servers` wins, as in JSON.parse: here one that is not an array.
      servers = null;
      serversValue = span;
    } else members.push({ key: keyText, value: span });
    top = Top.Next;
    valueStart = -1;
  };
  const endElem = (end: number) => {
    servers?.push({ start: elemStart, end });
    arr = Arr.Next;
    elemStart = -1;
  };
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, base);
      if (bytesRead === 0) break;
      const view = bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
      for (let i = 0; i < bytesRead; i++) {
        if (inStr && !capture) {
          // Skip to the next quote natively; it ends the string unless an odd run of backslashes precedes it.
          const j = view.indexOf(0x22, i);
          const stop = j < 0 ? bytesRead : j;
          let k = stop - 1;
          while (k >= i && view[k] === 0x5c) k--;
          const run = stop - 1 - k;
          const odd: boolean = (k < i && esc ? run + 1 : run) % 2 === 1;
          if (j < 0) {
            esc = odd;
            break;
          }
          esc = false;
          if (odd) {
            i = j;
            continue;
          }
          i = j;
          inStr = false;
          if (depth === 1 && top === Top.Value) endValue(base + j + 1);
          else if (depth === 2 && inServers && arr === Arr.Elem) endElem(base + j + 1);
          continue;
        }
        const c = view[i];
        const at = base + i;
        if (inStr) {
          // A field name of the result object: kept (up to 256 bytes) to know which member follows.
          if (key.length < 256) key.push(c);
          if (esc) esc = false;
          else if (c === 0x5c) esc = true;
          else if (c === 0x22) {
            inStr = false;
            capture = false;
            try {
              keyText =
                key.length < 256
                  ? (JSON.parse(Buffer.from(key).toString("utf8")) as string)
                  : "(a long field name)";
            } catch {
              fail("a bad field name", at);
            }
            top = Top.Colon;
          }
          continue;
        }
        if (prim !== null) {
          if (PRIM[c]) continue;
          if (prim === "value") endValue(at);
          else endElem(at);
          prim = null;
        }
        if (WS[c]) continue;
        // Deep inside a value: only strings and brackets matter (JSON.parse checks the rest).
        const level = inServers ? 2 : 1;
        if (depth > level) {
          if (c === 0x22) inStr = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            depth--;
            if (depth === level) {
              if (inServers) endElem(at + 1);
              else endValue(at + 1);
            }
          }
          continue;
        }
        if (depth === 0) {
          if (top === Top.Before && c === 0x7b) {
            depth = 1;
            top = Top.KeyOrEnd;
          } else
            fail(
              top === Top.After ? `${describe(c)} after the end of the result` : `${describe(c)}, not '{'`,
              at,
            );
          continue;
        }
        if (depth === 2 && inServers) {
          if (c === 0x5d && (arr === Arr.ElemOrEnd || arr === Arr.Next)) {
            inServers = false;
            depth = 1;
            top = Top.Next;
          } else if (c === 0x2c && arr === Arr.Next) arr = Arr.Elem;
          else if (arr === Arr.ElemOrEnd || arr === Arr.Elem) {
            elemStart = at;
            arr = Arr.Elem;
            if (c === 0x22) inStr = true;
            else if (c === 0x7b || c === 0x5b) depth++;
            else if (PRIM[c]) prim = "elem";
            else fail(`${describe(c)} where a server was expected`, at);
          } else fail(`${describe(c)} where ',' or ']' was expected`, at);
          continue;
        }
        // depth 1: the members of the result object
        if (top === Top.KeyOrEnd || top === Top.Key) {
          if (c === 0x22) {
            inStr = true;
            capture = true;
            key = [c];
            top = Top.Key;
          } else if (c === 0x7d && top === Top.KeyOrEnd) {
            depth = 0;
            top = Top.After;
          } else fail(`${describe(c)} where a field name was expected`, at);
        } else if (top === Top.Colon) {
          if (c === 0x3a) top = Top.Value;
          else fail(`${describe(c)} where ':' was expected`, at);
        } else if (top === Top.Value) {
          valueStart = at;
          if (c === 0x22) inStr = true;
          else if (c === 0x5b && keyText === "servers") {
            servers = [];
            serversValue = null;
            inServers = true;
            arr = Arr.ElemOrEnd;
            depth = 2;
          } else if (c === 0x7b || c === 0x5b) depth++;
          else if (PRIM[c]) prim = "value";
          else fail(`${describe(c)} where a value was expected`, at);
        } else if (top === Top.Next) {
          if (c === 0x2c) top = Top.Key;
          else if (c === 0x7d) {
            depth = 0;
            top = Top.After;
          } else fail(`${describe(c)} where ',' or '}' was expected`, at);
        }
      }
      base += bytesRead;
    }
  } finally {
    await fh.close();
  }
  if (prim === "value") endValue(base);
  if (top !== Top.After || depth !== 0 || inStr) fail("the file ends early", base);
  return { members, servers, serversValue, size: base };
}

/** The text of one range of the file. */
export async function readSpan(path: string, span: Span): Promise<string> {
  return (await readSpanBytes(path, span)).toString("utf8");
}

/**
 * Called for each large array that is split: a function returned takes each element in turn instead
 * of the array (which is then left empty), so that a check can look at a server a finding at a time.
 */
export type Visit = (path: readonly string[]) => ((value: unknown, index: number) => void) | null | undefined;

/** Values smaller than this are handed to JSON.parse whole; larger objects and arrays are split. */
const PIECE = 64 * 1024;

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end && WS[buf[i]]) i++;
  return i;
}

/** The end (exclusive) of the JSON value that starts at `i` (after white space). */
function skipValue(buf: Buffer, i: number): number {
  const c = buf[i];
  if (c === 0x22) return skipString(buf, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let k = i; k < buf.length; k++) {
      const b = buf[k];
      if (b === 0x22) k = skipString(buf, k) - 1;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    throw new LayoutError(`a value that does not end, from byte ${i}`);
  }
  let k = i;
  while (k < buf.length && PRIM[buf[k]]) k++;
  if (k === i) throw new LayoutError(`${describe(c ?? 0)} where a value was expected at byte ${i}`);
  return k;
}

function skipString(buf: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const j = buf.indexOf(0x22, from);
    if (j < 0) throw new LayoutError(`a string that does not end, from byte ${i}`);
    let k = j - 1;
    while (k > i && buf[k] === 0x5c) k--;
    if ((j - 1 - k) % 2 === 0) return j + 1;
    from = j + 1;
  }
}

function expect(buf: Buffer, i: number, chars: string): number {
  const c = buf[i];
  if (c === undefined || !chars.includes(String.fromCharCode(c)))
    throw new LayoutError(
      `${c === undefined ? "the end" : describe(c)} where ${[...chars].map((x) => `'${x}'`).join(" or ")} was expected at byte ${i}`,
    );
  return c;
}

/**
 * JSON.parse for a large value held in a Buffer, without ever making it one string: objects and
 * arrays above 64 KiB are split into members and elements, each parsed on its own (a server of 10k
 * findings never becomes a 20 MB string, which V8 would hold as two bytes per character).
 */
export function parsePiecewise(
  buf: Buffer,
  start = 0,
  end = buf.length,
  visit?: Visit,
  path: readonly string[] = [],
): unknown {
  const s = skipWs(buf, start, end);
  const first = buf[s];
  if (end - s <= PIECE || (first !== 0x7b && first !== 0x5b)) return JSON.parse(buf.toString("utf8", s, end));
  if (first === 0x5b) {
    const out: unknown[] = [];
    const take = visit?.(path);
    let i = skipWs(buf, s + 1, end);
    if (buf[i] === 0x5d) return out;
    for (let n = 0; ; n++) {
      const e = skipValue(buf, i);
      const value = parsePiecewise(buf, i, e, visit, [...path, String(n)]);
      if (take) take(value, n);
      else out.push(value);
      i = skipWs(buf, e, end);
      if (expect(buf, i, ",]") === 0x5d) break;
      i = skipWs(buf, i + 1, end);
    }
    if (skipWs(buf, i + 1, end) !== end) throw new LayoutError(`bytes after the value at byte ${i + 1}`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let i = skipWs(buf, s + 1, end);
  if (buf[i] === 0x7d) return out;
  for (;;) {
    expect(buf, i, '"');
    const ke = skipString(buf, i);
    const key = JSON.parse(buf.toString("utf8", i, ke)) as string;
    i = skipWs(buf, ke, end);
    expect(buf, i, ":");
    i = skipWs(buf, i + 1, end);
    const ve = skipValue(buf, i);
    // Plain assignment would let a "__proto__" key set the prototype; JSON.parse makes it a field.
    Object.defineProperty(out, key, {
      value: parsePiecewise(buf, i, ve, visit, [...path, key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    i = skipWs(buf, ve, end);
    if (expect(buf, i, ",}") === 0x7d) break;
    i = skipWs(buf, i + 1, end);
  }
  if (skipWs(buf, i + 1, end) !== end) throw new LayoutError(`bytes after the value at byte ${i + 1}`);
  return out;
}

/**
 * The bytes of one range of the file, read into `into` when it is large enough (a reader of many
 * servers reuses one buffer: external memory is freed late by V8, so fresh buffers would pile up).
 */
export async function readSpanBytes(path: string, span: Span, into?: { buf: Buffer }): Promise<Buffer> {
  const size = span.end - span.start;
  let buf: Buffer;
  if (into) {
    if (into.buf.length < size) into.buf = Buffer.allocUnsafe(size);
    buf = into.buf.subarray(0, size);
  } else buf = Buffer.allocUnsafe(size);
  const fh = await open(path, "r");
  try {
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, span.start + got);
      if (bytesRead === 0)
        throw new LayoutError(`the file changed while it was read (byte ${span.start + got})`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}
