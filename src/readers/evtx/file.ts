// EVTX file walking: file header, every 64 KiB chunk slot (found by its signature, never by the
// header's stale chunk count), records inside a chunk. Nothing here throws on bad input: damage is
// counted and described in the summary, and the rest of the file is still read.
import { closeSync, openSync, readSync } from "node:fs";
import * as zlib from "node:zlib";
import { once } from "../../model/once.js";
import type { EventRecord } from "../../model/records.js";
import type { FileMemo } from "../types.js";
import { BinXmlError, ChunkContext, K, LIMITS, type Node, parseStream } from "./binxml.js";
import { carveRecords } from "./carve.js";
import { type LiveSpan, recoveredDedupe } from "./dedupe.js";
import { extractEvent } from "./extract.js";
import { planEvent } from "./plan.js";
import { fastEvent } from "./record.js";
import { isElement, resolveNodes, type XContent, type XElement } from "./render.js";
import { fileTime } from "./values.js";

export const FILE_MAGIC = Buffer.from("ElfFile\0", "latin1");
const CHUNK_MAGIC = Buffer.from("ElfChnk\0", "latin1");
export const HEADER_BLOCK = 4096;
export const CHUNK_SIZE = 65536;

export interface EvtxRecord {
  /** Record identifier from the record header (the BinXML EventRecordID may differ). */
  id: number;
  /** Written time from the record header, ISO UTC. */
  written: string;
  /** Index of the chunk slot the record is in. */
  chunk: number;
  /** The <Event> element (or whatever single root the record holds). */
  root: XElement;
  /** The size copy at the record's end disagrees: a half-written record, read anyway (values may be zeros). */
  torn: boolean;
  /** Carved from space the file no longer points at (slack, chunks past the header's count). */
  recovered?: boolean;
}

export interface EvtxSummary {
  /** Whether the file starts with `ElfFile\0`. */
  magicOk: boolean;
  headerCrcOk: boolean | null;
  chunksRead: number;
  /** Slots holding data but no chunk signature (empty all-zero slots are not counted). */
  chunksSkipped: number;
  chunksCrcMismatch: number;
  records: number;
  /** Records read whose trailing size copy disagrees (half-written). */
  tornRecords: number;
  /** Records that could not be decoded (bad header or BinXML). */
  recordErrors: number;
  /** Records carved from slack, damaged chunks and chunks past the header's count (see carve.ts). */
  recovered: number;
  /** Carved records that were copies of a live record or of another carved one: emitted once (dedupe.ts). */
  recoveredDuplicates: number;
  /** Chunk slots past the chunk count in the file header (left over from before a clear, or not yet counted in a live file). */
  chunksPastHeader: number;
  /** Header flag 0x1: the file was not closed cleanly (a live copy). */
  dirty: boolean;
  /** Bytes after the last whole chunk slot. */
  trailingBytes: number;
  /** The file ends inside its header or inside a chunk. */
  truncated: boolean;
  /** One sentence per problem (capped), for the engine's partial-file report. */
  damage: string[];
  /** What is worth knowing about the file but leaves it fully read (recovered records, a live copy). */
  notes: string[];
  firstTime: string | null;
  lastTime: string | null;
}

const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (zlib as unknown as { crc32: (d: Uint8Array, v?: number) => number }).crc32
    : tableCrc32;

const crcTable = once((): Int32Array => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
});
function tableCrc32(data: Uint8Array, value = 0): number {
  const table = crcTable();
  let crc = ~value;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const MAX_DAMAGE_LINES = 20;

export function newSummary(): EvtxSummary {
  return {
    magicOk: false,
    headerCrcOk: null,
    chunksRead: 0,
    chunksSkipped: 0,
    chunksCrcMismatch: 0,
    records: 0,
    tornRecords: 0,
    recordErrors: 0,
    recovered: 0,
    recoveredDuplicates: 0,
    chunksPastHeader: 0,
    dirty: false,
    trailingBytes: 0,
    truncated: false,
    damage: [],
    notes: [],
    firstTime: null,
    lastTime: null,
  };
}

function note(s: EvtxSummary, line: string): void {
  if (s.damage.length < MAX_DAMAGE_LINES) s.damage.push(line);
  else if (s.damage.length === MAX_DAMAGE_LINES) s.damage.push("further problems not listed");
}

/** Check the 4096-byte file header block. */
export function checkFileHeader(head: Buffer, s: EvtxSummary): void {
  s.magicOk = head.length >= 8 && head.subarray(0, 8).equals(FILE_MAGIC);
  if (!s.magicOk || head.length < 128) return;
  const flags = head.readUInt32LE(120);
  s.dirty = (flags & 0x1) !== 0;
  if (flags & 0x4) return; // flagged "no CRC32"
  s.headerCrcOk = crc32(head.subarray(0, 120)) === head.readUInt32LE(124);
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += 8) {
    if (b[i] | b[i + 1] | b[i + 2] | b[i + 3] | b[i + 4] | b[i + 5] | b[i + 6] | b[i + 7]) return false;
  }
  return true;
}

/** How a record's parsed stream becomes what the caller wants (tree or EventRecord). Throws on bad input. */
export interface Decoder<R> {
  decode(c: ChunkContext, nodes: Node[], id: number, pos: number, chunk: number, torn: boolean): R;
  /**
   * The record from its BinXML bytes [start, end) without a node tree, or null to parse it and call
   * `decode` (which must give the same record). Never throws.
   */
  fast?(c: ChunkContext, start: number, end: number, id: number): R | null;
  time(r: R): string | null;
  /**
   * The record's identity: its record id and time. A carved record with the id and time of another
   * record of the file is a copy of it, whatever its content decoded to (a copy in slack often decodes
   * against the wrong chunk's templates: empty or garbled parameters); a log cleared and refilled reuses
   * ids, but with other times.
   */
  key(r: R): string;
}

export const treeDecoder: Decoder<EvtxRecord> = {
  decode(c, nodes, id, pos, chunk, torn) {
    const out: XContent[] = [];
    resolveNodes(c, nodes, [], out, 0);
    const root = out.find(isElement);
    if (!root) throw new BinXmlError("no element in the record");
    return { id, written: fileTime(c.b, pos + 16), chunk, root, torn };
  },
  time: (r) => timeOf(r.root),
  key: (r) => JSON.stringify([r.id, timeOf(r.root)]),
};

export const eventDecoder: Decoder<EventRecord> = {
  decode(c, nodes, id) {
    // The usual record is one template instance: its template's plan, else the walk.
    const n = nodes[0];
    if (nodes.length === 1 && n.k === K.Instance) {
      const e = planEvent(c, n, id);
      if (e) return e;
    }
    return extractEvent(c, nodes, id);
  },
  fast: fastEvent,
  time: (e) => e.time,
  key: (e) => JSON.stringify([e.recordId, e.time]),
};

/**
 * Whether a stream that starts with a fragment header and a template instance names a definition whose
 * GUID does not begin with the instance's template id (InstanceNode.idMatches false): such a carved
 * record is refused whatever follows, so it is refused before decoding.
 */
function instanceIdMismatch(b: Buffer, start: number, end: number): boolean {
  const at = start + 4;
  if (at + 10 > end || (b[start] & 0x1f) !== 0x0f || (b[at] & 0x1f) !== 0x0c) return false;
  const defOff = b.readUInt32LE(at + 6);
  return !(defOff + 8 <= b.length && b.readUInt32LE(at + 2) === b.readUInt32LE(defOff + 4));
}

/** Parse one 64 KiB chunk slot; `emit` gets every record that decodes. */
export function parseChunk<R>(
  chunk: Buffer,
  index: number,
  fileOffset: number,
  s: EvtxSummary,
  decoder: Decoder<R>,
  /** Gets every decoded record with the id from its record header. */
  emit: (r: R, id: number) => void,
  /** The slot is past the header's chunk count and holds no newer records: all its records are recovered. */
  stale = false,
  /**
   * Decode only the live records with these header ids (the others are walked past undecoded) and carve
   * nothing: what the recovered-duplicate check needs when it reads a live chunk again.
   */
  only?: Set<number>,
): void {
  const recover = (c: ChunkContext, from: number, live: Set<number>) => {
    s.recovered += carveRecords(chunk, from, CHUNK_SIZE, (h) => {
      if (live.has(h.id)) return false; // an older copy of a record the chunk still holds
      try {
        const start = h.pos + 24;
        const end = h.pos + h.size - 4;
        // A template offset that now points at another template decodes to the wrong event.
        if (instanceIdMismatch(chunk, start, end)) return false;
        c.budget = LIMITS.nodesPerRecord;
        let r: R | null = decoder.fast?.(c, start, end, h.id) ?? null;
        if (r === null) {
          c.budget = LIMITS.nodesPerRecord;
          const { nodes } = parseStream(c, start, end, false, 0);
          if (nodes.some((n) => n.k === K.Instance && !n.idMatches)) return false;
          r = decoder.decode(c, nodes, h.id, h.pos, index, false);
        }
        (r as { recovered?: boolean }).recovered = true;
        track(s, decoder.time(r));
        emit(r, h.id);
        return true;
      } catch {
        return false;
      }
    });
  };
  if (!chunk.subarray(0, 8).equals(CHUNK_MAGIC)) {
    if (isZero(chunk)) return;
    s.chunksSkipped++;
    const before = s.recovered;
    // A slot whose header was overwritten may still hold records that decode against its own bytes.
    recover(new ChunkContext(chunk), 512, new Set());
    const got = s.recovered - before;
    note(
      s,
      `chunk ${index} at offset ${hex(fileOffset)}: bad signature${got ? `, ${got} record${got === 1 ? "" : "s"} recovered from it` : ", skipped"}`,
    );
    return;
  }
  s.chunksRead++;
  const lastId = chunk.readUInt32LE(32) + chunk.readUInt32LE(36) * 4294967296;
  const free = Math.min(Math.max(chunk.readUInt32LE(48), 512), CHUNK_SIZE);
  const flags = chunk.readUInt32LE(120);
  if (!(flags & 0x4) && !only) {
    const headerCrc = crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120)));
    const dataCrc = crc32(chunk.subarray(512, free));
    if (headerCrc !== chunk.readUInt32LE(124) || dataCrc !== chunk.readUInt32LE(52)) s.chunksCrcMismatch++;
  }
  const c = new ChunkContext(chunk);
  const live = new Set<number>();
  let decoded: R | undefined;
  let decodedId = 0;
  let pos = 512;
  while (pos < free && pos + 24 <= CHUNK_SIZE) {
    const magic = chunk.readUInt32LE(pos);
    if (magic === 0) break;
    if (magic !== 0x2a2a) {
      s.recordErrors++;
      note(
        s,
        `chunk ${index}: bad record signature at offset ${hex(fileOffset + pos)}, rest of chunk skipped`,
      );
      break;
    }
    const size = chunk.readUInt32LE(pos + 4);
    if (size < 28 || pos + size > CHUNK_SIZE) {
      s.recordErrors++;
      note(
        s,
        `chunk ${index}: record at offset ${hex(fileOffset + pos)} declares ${size} bytes, rest of chunk skipped`,
      );
      break;
    }
    const id = chunk.readUInt32LE(pos + 8) + chunk.readUInt32LE(pos + 12) * 4294967296;
    if (only && !only.has(id)) {
      pos += size;
      if (id === lastId) break;
      continue;
    }
    try {
      c.budget = LIMITS.nodesPerRecord;
      const torn = chunk.readUInt32LE(pos + size - 4) !== size;
      decoded = decoder.fast ? (decoder.fast(c, pos + 24, pos + size - 4, id) ?? undefined) : undefined;
      if (decoded === undefined) {
        c.budget = LIMITS.nodesPerRecord;
        const { nodes } = parseStream(c, pos + 24, pos + size - 4, false, 0);
        decoded = decoder.decode(c, nodes, id, pos, index, torn);
      }
      decodedId = id;
      if (stale) {
        (decoded as { recovered?: boolean }).recovered = true;
        s.recovered++;
      } else s.records++;
      live.add(id);
      if (torn) s.tornRecords++;
    } catch (e) {
      s.recordErrors++;
      const why = e instanceof Error ? e.message : String(e);
      note(s, `chunk ${index}: record ${id} at offset ${hex(fileOffset + pos)} not decoded (${why})`);
    }
    if (decoded !== undefined) {
      track(s, decoder.time(decoded));
      emit(decoded, decodedId);
      decoded = undefined;
    }
    pos += size;
    if (id === lastId) break;
  }
  // Whatever follows the last record the chunk points at (or the record it could not read) is slack.
  if (!only) recover(c, pos, live);
}

/** The id span of every chunk slot the file counts (from the chunk headers alone). */
function liveSpans(src: ByteSource, slots: number, isStale: (i: number, b: Buffer) => boolean): LiveSpan[] {
  const out: LiveSpan[] = [];
  const h = Buffer.alloc(40);
  for (let i = 0; i < slots; i++) {
    if (src.read(h, 40, HEADER_BLOCK + i * CHUNK_SIZE) < 40) break;
    if (!h.subarray(0, 8).equals(CHUNK_MAGIC) || isStale(i, h)) continue;
    out.push({ slot: i, first: Number(h.readBigUInt64LE(24)), last: Number(h.readBigUInt64LE(32)) });
  }
  return out;
}

function track(s: EvtxSummary, t: string | null): void {
  if (!t) return;
  if (s.firstTime === null || t < s.firstTime) s.firstTime = t;
  if (s.lastTime === null || t > s.lastTime) s.lastTime = t;
}

/** Where the bytes come from: a file descriptor or a buffer. */
export interface ByteSource {
  size: number;
  /** Read up to `len` bytes at `pos` into `buf`; returns the count read. */
  read(buf: Buffer, len: number, pos: number): number;
}

/**
 * Read the chunk slots whose start offset lies in [start, end); the range starting at 0 also reports
 * file-level problems. A cut-off last slot is read as far as it goes (its tail reads as zeros).
 */
export function parseEvtx<R = EvtxRecord>(
  src: ByteSource,
  emit: (r: R) => void,
  range: { start: number; end: number } = { start: 0, end: src.size },
  decoder: Decoder<R> = treeDecoder as unknown as Decoder<R>,
  /**
   * Keeps the chunk id spans between the ranges of one file (they depend on the whole file only): a
   * large file read as hundreds of ranges otherwise reads every chunk header once per range.
   */
  spansOf: (make: () => LiveSpan[]) => LiveSpan[] = (make) => make(),
): EvtxSummary {
  const s = newSummary();
  const size = src.size;
  const head = Buffer.alloc(Math.min(HEADER_BLOCK, size));
  src.read(head, head.length, 0);
  checkFileHeader(head, s);
  if (!s.magicOk) return s;
  const slots = Math.ceil(Math.max(0, size - HEADER_BLOCK) / CHUNK_SIZE);
  if (range.start === 0) {
    if (s.headerCrcOk === false)
      note(s, "file header checksum mismatch (header ignored, chunks read anyway)");
    s.trailingBytes = size < HEADER_BLOCK ? 0 : (size - HEADER_BLOCK) % CHUNK_SIZE;
    if (size < HEADER_BLOCK) {
      s.truncated = true;
      note(s, `file is ${size} bytes, shorter than its 4096-byte header: truncated`);
    }
  }
  const first = Math.max(0, Math.ceil((range.start - HEADER_BLOCK) / CHUNK_SIZE));
  // Chunks the header counts; slots past them hold what a clear or a roll-over left behind, unless the
  // file is a live copy whose header lags behind its newest chunks (dirty, and newer record ids).
  const counted = head.length >= 44 ? head.readUInt16LE(42) : slots;
  const nextId = head.length >= 32 ? Number(head.readBigUInt64LE(24)) : 0;
  const isStale = (i: number, b: Buffer) =>
    i >= counted &&
    b.subarray(0, 8).equals(CHUNK_MAGIC) &&
    !(s.dirty && Number(b.readBigUInt64LE(24)) >= nextId);
  let slot = first;
  const dedupe = recoveredDedupe<R>(
    () => spansOf(() => liveSpans(src, slots, isStale)),
    decoder.key,
    (r) => emit(r),
  );
  const route = (r: R, id: number) =>
    (r as { recovered?: boolean }).recovered ? dedupe.offer(r, id, slot) : emit(r);
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  for (let i = first; i < slots; i++) {
    slot = i;
    const off = HEADER_BLOCK + i * CHUNK_SIZE;
    if (off >= range.end) break;
    const n = src.read(buf, CHUNK_SIZE, off);
    if (n < CHUNK_SIZE) {
      buf.fill(0, n);
      if (n >= 8 && buf.subarray(0, 8).equals(CHUNK_MAGIC)) {
        s.truncated = true;
        note(
          s,
          `chunk ${i} at offset ${hex(off)} is cut off after ${n} of ${CHUNK_SIZE} bytes: file truncated`,
        );
      } else if (n > 0 && !isZero(buf)) {
        s.truncated = true;
        note(s, `${n} bytes after the last whole chunk: file truncated or padded`);
        break;
      }
    }
    const stale = isStale(i, buf);
    if (stale) s.chunksPastHeader++;
    parseChunk(buf, i, off, s, decoder, route, stale);
  }
  // Carved records that may be copies of live ones, compared with the live chunk read again.
  const dups = dedupe.finish((i, ids) => {
    const keys = new Set<string>();
    const n = src.read(buf, CHUNK_SIZE, HEADER_BLOCK + i * CHUNK_SIZE);
    buf.fill(0, n);
    parseChunk(
      buf,
      i,
      HEADER_BLOCK + i * CHUNK_SIZE,
      newSummary(),
      decoder,
      (r, id) => {
        if (!(r as { recovered?: boolean }).recovered && ids.has(id)) keys.add(decoder.key(r));
      },
      false,
      ids,
    );
    return keys;
  });
  s.recovered -= dups;
  s.recoveredDuplicates = dups;
  // A live copy (header flagged dirty) has a last chunk still being written: a half-written record and
  // a checksum that lags are what such a copy looks like, not damage.
  const soft = (line: string) => (s.dirty ? s.notes.push(line) : note(s, line));
  if (s.tornRecords)
    soft(
      `${s.tornRecords} record${s.tornRecords === 1 ? "" : "s"} half-written (size copy mismatch), read anyway`,
    );
  if (s.chunksCrcMismatch)
    soft(
      `${s.chunksCrcMismatch} chunk${s.chunksCrcMismatch === 1 ? "" : "s"} with checksum mismatch (records read anyway)`,
    );
  if (s.dirty && range.start === 0)
    s.notes.push("a live copy (the file was not closed cleanly): read as it was");
  if (s.recovered)
    s.notes.push(
      `${s.recovered} record${s.recovered === 1 ? "" : "s"} recovered from slack space${s.chunksPastHeader ? ` and ${s.chunksPastHeader} chunk${s.chunksPastHeader === 1 ? "" : "s"} past the header's count` : ""} (marked recovered)`,
    );
  if (dups)
    s.notes.push(
      `${dups} duplicate${dups === 1 ? "" : "s"} of live records among the carved ones, counted once (recovered-duplicate)`,
    );
  return s;
}

/** parseEvtx over a file: element trees (XML/JSON views). */
export function parseEvtxFile(
  abs: string,
  size: number,
  emit: (r: EvtxRecord) => void,
  range: { start: number; end: number } = { start: 0, end: size },
): EvtxSummary {
  return withFile(abs, size, (src) => parseEvtx(src, emit, range));
}

/**
 * parseEvtx over a file: EventRecords only, by the fast lane (scans, `exhunt events` JSON). With `memo`,
 * the chunk id spans the recovered-duplicate check reads are read once per file, not once per range.
 */
export function readEvtxEvents(
  abs: string,
  size: number,
  emit: (e: EventRecord) => void,
  range: { start: number; end: number } = { start: 0, end: size },
  memo?: FileMemo,
): EvtxSummary {
  const spans = memo && ((make: () => LiveSpan[]) => memo(`evtx-live-spans\0${abs}\0${size}`, make));
  return withFile(abs, size, (src) => parseEvtx(src, emit, range, eventDecoder, spans));
}

function withFile<T>(abs: string, size: number, f: (src: ByteSource) => T): T {
  const fd = openSync(abs, "r");
  try {
    return f({ size, read: (buf, len, pos) => readSync(fd, buf, 0, len, pos) });
  } finally {
    closeSync(fd);
  }
}

/** parseEvtx over bytes in memory (trees, or EventRecords with `eventDecoder`). */
export function parseEvtxBuffer<R = EvtxRecord>(
  bytes: Buffer,
  emit: (r: R) => void,
  decoder: Decoder<R> = treeDecoder as unknown as Decoder<R>,
): EvtxSummary {
  const src: ByteSource = {
    size: bytes.length,
    read: (buf, len, pos) => bytes.copy(buf, 0, pos, Math.min(pos + len, bytes.length)),
  };
  return parseEvtx(src, emit, { start: 0, end: bytes.length }, decoder);
}

function timeOf(root: XElement): string | null {
  for (const x of root.children) {
    if (!isElement(x) || x.name !== "System") continue;
    for (const y of x.children) {
      if (isElement(y) && y.name === "TimeCreated") {
        const v = y.attrs.find((a) => a.name === "SystemTime")?.value;
        return typeof v === "string" ? v : null;
      }
    }
  }
  return null;
}
