// A small EVTX writer for tests: records as plain BinXML (inline names, no templates), chunks with valid
// checksums, a file header. Enough to deliver chosen events as .evtx (parity with the exports), and to
// make cleared logs, reused chunks and dirty copies for the carving tests. Checked against libevtx
// (evtxexport) in test/readers/evtx/carve.test.ts.
import { crc32 } from "node:zlib";

export interface WEvent {
  provider: string;
  eventId: number;
  channel: string;
  computer: string;
  /** ISO UTC. */
  time: string;
  level?: number;
  /** Named EventData values, or unnamed ones in order. */
  data?: Record<string, string> | string[];
  /** EventRecordID; by default the record's place in its file, from 1. */
  recordId?: number;
  /** UserData: one wrapper element with these children (1102, 104). */
  userData?: { name: string; xmlns: string; fields: Record<string, string> };
}

const CHUNK = 65536;

class Writer {
  parts: Buffer[] = [];
  len = 0;
  constructor(readonly base: number) {}
  get pos(): number {
    return this.base + this.len;
  }
  put(b: Buffer): void {
    this.parts.push(b);
    this.len += b.length;
  }
  u8(n: number): void {
    this.put(Buffer.from([n]));
  }
  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    this.put(b);
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    this.put(b);
  }
  /** A name: its offset, then the name itself inline (offset = where it starts). */
  name(s: string): void {
    this.u32(this.pos + 4);
    this.u32(0); // next name in the hash chain
    this.u16(0); // hash (not checked by readers)
    this.u16(s.length);
    this.put(Buffer.from(s, "utf16le"));
    this.u16(0);
  }
  text(s: string): void {
    // Value text token, string type, counted UTF-16.
    this.u8(0x05);
    this.u8(0x01);
    this.u16(s.length);
    this.put(Buffer.from(s, "utf16le"));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A leaf: literal text, or substitution `index` (filled from the instance's values). */
type Leaf = string | { subst: number };

interface El {
  name: string;
  attrs?: [string, Leaf][];
  children?: (El | Leaf)[];
}

function leaf(w: Writer, l: Leaf): void {
  if (typeof l === "string") w.text(l);
  else {
    // Optional substitution: an empty value leaves the element empty, as Windows writes it.
    w.u8(0x0e);
    w.u16(l.subst);
    w.u8(0x01);
  }
}

const isEl = (x: El | Leaf): x is El => typeof x === "object" && "name" in x;

/** An element inside a template definition (elements there carry a dependency id). */
function element(w: Writer, e: El): void {
  const attrs = e.attrs ?? [];
  w.u8(attrs.length ? 0x41 : 0x01);
  w.u16(0xffff);
  const sizeAt = w.parts.length;
  w.u32(0); // element size, patched below
  const start = w.len;
  w.name(e.name);
  if (attrs.length) {
    const inner = new Writer(w.pos + 4);
    attrs.forEach(([n, v], i) => {
      inner.u8(i < attrs.length - 1 ? 0x46 : 0x06);
      inner.name(n);
      leaf(inner, v);
    });
    w.u32(inner.len);
    w.put(inner.bytes());
  }
  const kids = e.children ?? [];
  if (kids.length === 0) w.u8(0x03);
  else {
    w.u8(0x02);
    for (const k of kids) {
      if (isEl(k)) element(w, k);
      else leaf(w, k);
    }
    w.u8(0x04);
  }
  const size = Buffer.alloc(4);
  size.writeUInt32LE(w.len - start);
  w.parts[sizeAt] = size;
}

/** Value types of the substitutions (MS-EVEN6 2.2.18). */
const STR = 0x01;
const U8 = 0x04;
const U16 = 0x06;
const U64 = 0x0a;
const FILETIME = 0x11;

interface Value {
  type: number;
  bytes: Buffer;
}

const u = (type: number, n: number | bigint): Value => {
  const size = type === U8 ? 1 : type === U16 ? 2 : 8;
  const b = Buffer.alloc(size);
  if (size === 1) b.writeUInt8(Number(n));
  else if (size === 2) b.writeUInt16LE(Number(n));
  else b.writeBigUInt64LE(BigInt(n));
  return { type, bytes: b };
};
const s16 = (v: string): Value => ({ type: STR, bytes: Buffer.from(v, "utf16le") });

/** The event as a template (every value a substitution) and the instance's values. */
function eventTemplate(ev: WEvent, recordId: number): { tree: El; values: Value[] } {
  const values: Value[] = [];
  const sub = (v: Value): Leaf => {
    values.push(v);
    return { subst: values.length - 1 };
  };
  const system: El = {
    name: "System",
    children: [
      { name: "Provider", attrs: [["Name", sub(s16(ev.provider))]] },
      { name: "EventID", children: [sub(u(U16, ev.eventId))] },
      { name: "Level", children: [sub(u(U8, ev.level ?? 4))] },
      { name: "TimeCreated", attrs: [["SystemTime", sub(u(FILETIME, fileTime(ev.time)))]] },
      { name: "EventRecordID", children: [sub(u(U64, recordId))] },
      { name: "Channel", children: [sub(s16(ev.channel))] },
      { name: "Computer", children: [sub(s16(ev.computer))] },
    ],
  };
  const body: El[] = [system];
  if (ev.userData) {
    body.push({
      name: "UserData",
      children: [
        {
          name: ev.userData.name,
          attrs: [["xmlns", ev.userData.xmlns]],
          children: Object.entries(ev.userData.fields).map(([k, v]) => ({
            name: k,
            children: [sub(s16(v))],
          })),
        },
      ],
    });
  } else if (ev.data) {
    const data = Array.isArray(ev.data)
      ? ev.data.map((v): El => ({ name: "Data", children: [sub(s16(v))] }))
      : Object.entries(ev.data).map(
          ([k, v]): El => ({ name: "Data", attrs: [["Name", k]], children: [sub(s16(v))] }),
        );
    body.push({ name: "EventData", children: data });
  }
  const tree: El = {
    name: "Event",
    attrs: [["xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"]],
    children: body,
  };
  return { tree, values };
}

function fileTime(iso: string): bigint {
  return (BigInt(Date.parse(iso)) + 11644473600000n) * 10000n;
}

/** One record as it sits at `chunkOffset` in its chunk (inline names and templates bind it there). */
export function recordBytes(ev: WEvent, recordId: number, chunkOffset: number): Buffer {
  const w = new Writer(chunkOffset + 24);
  w.put(Buffer.from([0x0f, 0x01, 0x01, 0x00]));
  const { tree, values } = eventTemplate(ev, ev.recordId ?? recordId);
  // Template instance with its definition inline (each record defines its own: records stay
  // self-contained, so a record carved out of slack space still decodes).
  // The template id is the first 4 bytes of the definition's GUID, as Windows writes it (the carver
  // checks it: a slack record whose offset now points at another template is not decoded with it).
  w.u8(0x0c);
  w.u8(0x01);
  w.u32(recordId);
  w.u32(w.pos + 4);
  const def = new Writer(w.pos + 24);
  def.put(Buffer.from([0x0f, 0x01, 0x01, 0x00]));
  element(def, tree);
  def.u8(0x00);
  w.u32(0); // next template in the chain
  const guid = Buffer.alloc(16);
  guid.writeUInt32LE(recordId, 0);
  w.put(guid);
  w.u32(def.len);
  w.put(def.bytes());
  w.u32(values.length);
  for (const v of values) {
    w.u16(v.bytes.length);
    w.u8(v.type);
    w.u8(0);
  }
  for (const v of values) w.put(v.bytes);
  w.u8(0x00);
  // Windows pads records to 8 bytes (readers that carve step through slack in 8-byte strides).
  while ((24 + w.len + 4) % 8) w.u8(0x00);
  const xml = w.bytes();
  const size = 24 + xml.length + 4;
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0x2a2a, 0);
  head.writeUInt32LE(size, 4);
  head.writeBigUInt64LE(BigInt(recordId), 8);
  head.writeBigUInt64LE(fileTime(ev.time), 16);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(size);
  return Buffer.concat([head, xml, tail]);
}

/**
 * A chunk holding `events` (record ids from `firstId`). Built over `under` when given: what lies past the
 * new records' end is left as it was (a reused chunk, whose old records stay in the slack).
 */
export function chunkBytes(events: WEvent[], firstId: number, under?: Buffer): Buffer {
  const c = under ? Buffer.from(under) : Buffer.alloc(CHUNK);
  if (!under) c.fill(0);
  c.fill(0, 0, 512);
  let pos = 512;
  let lastOff = 512;
  events.forEach((ev, i) => {
    const r = recordBytes(ev, firstId + i, pos);
    if (pos + r.length > CHUNK) throw new Error("chunk full");
    r.copy(c, pos);
    lastOff = pos;
    pos += r.length;
  });
  c.write("ElfChnk\0", 0, "latin1");
  const lastId = firstId + events.length - 1;
  c.writeBigUInt64LE(BigInt(firstId), 8);
  c.writeBigUInt64LE(BigInt(lastId), 16);
  c.writeBigUInt64LE(BigInt(firstId), 24);
  c.writeBigUInt64LE(BigInt(lastId), 32);
  c.writeUInt32LE(128, 40);
  c.writeUInt32LE(lastOff, 44);
  c.writeUInt32LE(pos, 48);
  c.writeUInt32LE(crc32(c.subarray(512, pos)), 52);
  c.writeUInt32LE(0, 120);
  c.writeUInt32LE(crc32(c.subarray(128, 512), crc32(c.subarray(0, 120))), 124);
  return c;
}

/** How many events of this shape fit one chunk (for splitting a list). */
export function chunksOf(events: WEvent[], firstId = 1): Buffer[] {
  const out: Buffer[] = [];
  let cur: WEvent[] = [];
  let size = 512;
  let id = firstId;
  for (const ev of events) {
    const n = recordBytes(ev, id, size).length;
    if (size + n > CHUNK) {
      out.push(chunkBytes(cur, id - cur.length));
      cur = [];
      size = 512;
    }
    cur.push(ev);
    size += recordBytes(ev, id, size).length;
    id++;
  }
  if (cur.length) out.push(chunkBytes(cur, id - cur.length));
  return out;
}

/**
 * A file: header, then the chunks. `headerChunks` is what the header claims (fewer than the slots
 * written: chunks left over from before a clear); `dirty` sets the header's dirty flag.
 */
export function evtxFile(
  chunks: Buffer[],
  o: { headerChunks?: number; dirty?: boolean; nextId?: number } = {},
): Buffer {
  const h = Buffer.alloc(4096);
  h.write("ElfFile\0", 0, "latin1");
  const n = o.headerChunks ?? chunks.length;
  h.writeBigUInt64LE(0n, 8);
  h.writeBigUInt64LE(BigInt(Math.max(0, n - 1)), 16);
  let next = 1;
  for (const c of chunks.slice(0, n)) next = Math.max(next, Number(c.readBigUInt64LE(32)) + 1);
  h.writeBigUInt64LE(BigInt(o.nextId ?? next), 24);
  h.writeUInt32LE(128, 32);
  h.writeUInt16LE(1, 36);
  h.writeUInt16LE(3, 38);
  h.writeUInt16LE(4096, 40);
  h.writeUInt16LE(n, 42);
  h.writeUInt32LE(o.dirty ? 1 : 0, 120);
  h.writeUInt32LE(crc32(h.subarray(0, 120)), 124);
  return Buffer.concat([h, ...chunks]);
}

/** The events as one .evtx (as many chunks as they need). */
export function writeEvtx(events: WEvent[]): Buffer {
  return evtxFile(chunksOf(events));
}
