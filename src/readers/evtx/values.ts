// BinXML value types (MS-EVEN6 §3.1.4.7.3) rendered to text the way the Rust `evtx` crate does, so the
// output compares with its published renderings: hex integers unpadded, GUIDs without braces, FILETIME
// with microseconds (truncated), binary as uppercase hex.

/** A rendered scalar: numbers and booleans stay typed (JSON output keeps them so). */
export type Scalar = string | number | boolean;

export const T = {
  Null: 0x00,
  String: 0x01,
  Ansi: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SysTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  BinXml: 0x21,
  Array: 0x80,
} as const;

/** Fixed widths of scalar types (0 = sized by the descriptor). */
const WIDTHS: Record<number, number> = {
  [T.Int8]: 1,
  [T.UInt8]: 1,
  [T.Int16]: 2,
  [T.UInt16]: 2,
  [T.Int32]: 4,
  [T.UInt32]: 4,
  [T.Int64]: 8,
  [T.UInt64]: 8,
  [T.Real32]: 4,
  [T.Real64]: 8,
  [T.Bool]: 4,
  [T.Guid]: 16,
  [T.FileTime]: 8,
  [T.SysTime]: 16,
  [T.HexInt32]: 4,
  [T.HexInt64]: 8,
};

/** WIDTHS by type as a flat table (the lookup runs once per value). */
const WIDTH = new Uint8Array(256);
for (const [t, w] of Object.entries(WIDTHS)) WIDTH[Number(t)] = w;

export class ValueError extends Error {}

const HEX = "0123456789ABCDEF";
const TWO_32 = 4294967296;

/** UTF-16LE text cut at the first NUL code unit (values often carry their terminator). */
export function utf16z(b: Buffer, off: number, size: number): string {
  let end = off + (size & ~1);
  if (size <= 48) {
    // Short values (most of them): decode and look for the NUL in one pass.
    let s = "";
    for (let i = off; i < end; i += 2) {
      const c = b[i] | (b[i + 1] << 8);
      if (c === 0) return s;
      if (c >= 0xd800 && c <= 0xdfff) break;
      s += String.fromCharCode(c);
    }
    if (s.length === (end - off) >> 1) return s;
  }
  for (let i = off; i < end; i += 2) {
    if (b[i] === 0 && b[i + 1] === 0) {
      end = i;
      break;
    }
  }
  return utf16(b, off, end);
}

/** UTF-16LE text; short ASCII strings are decoded by hand (cheaper than a decoder call). */
export function utf16(b: Buffer, start: number, end: number): string {
  const n = (end - start) >> 1;
  if (n <= 24) {
    let s = "";
    for (let i = start; i < end; i += 2) {
      const c = b[i] | (b[i + 1] << 8);
      if (c >= 0xd800 && c <= 0xdfff) return b.toString("utf16le", start, start + n * 2);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return b.toString("utf16le", start, start + n * 2);
}

function u64(b: Buffer, off: number): number | string {
  const lo = b.readUInt32LE(off);
  const hi = b.readUInt32LE(off + 4);
  if (hi < 0x200000) return hi * TWO_32 + lo;
  return b.readBigUInt64LE(off).toString();
}

function i64(b: Buffer, off: number): number | string {
  const v = b.readBigInt64LE(off);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

function hex64(b: Buffer, off: number): string {
  const lo = b.readUInt32LE(off);
  const hi = b.readUInt32LE(off + 4);
  if (hi === 0) return `0x${lo.toString(16)}`;
  return `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

const DAYS_1601_TO_1970 = 134774;
const MS_PER_DAY = 86400000;

/**
 * `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian; the civil-from-days arithmetic of
 * H. Hinnant's "chrono-compatible low-level date algorithms"), as `Date.toISOString` writes it; years
 * past 9999 (which ISO writes as `+010000`) go through Date itself.
 */
function dayText(day: number): string {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y > 9999) {
    const iso = new Date(day * MS_PER_DAY).toISOString();
    return iso.slice(0, iso.indexOf("T"));
  }
  return `${y < 1000 ? String(y).padStart(4, "0") : y}-${two(m)}-${two(d)}`;
}

/** FILETIME (100 ns ticks since 1601) as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function fileTime(b: Buffer, off: number): string {
  const lo = b.readUInt32LE(off);
  const hi = b.readUInt32LE(off + 4);
  // ticks = hi·2^32 + lo exceeds 2^53: split as 10000·hi·429496 + (hi·7296 + lo), both exact.
  const r = hi * 7296 + lo;
  const msSince1601 = hi * 429496 + Math.floor(r / 10000);
  const subMs = Math.floor((r % 10000) / 10);
  const ms = msSince1601 - DAYS_1601_TO_1970 * MS_PER_DAY;
  const day = Math.floor(ms / MS_PER_DAY);
  let rest = ms - day * MS_PER_DAY;
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const mi = Math.floor(rest / 60000);
  rest -= mi * 60000;
  const sec = Math.floor(rest / 1000);
  const frac = (rest - sec * 1000) * 1000 + subMs;
  return `${dayText(day)}T${two(h)}:${two(mi)}:${two(sec)}.${String(1000000 + frac).slice(1)}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function sysTime(b: Buffer, off: number): string {
  const y = b.readUInt16LE(off);
  const mo = b.readUInt16LE(off + 2);
  const d = b.readUInt16LE(off + 6);
  const h = b.readUInt16LE(off + 8);
  const mi = b.readUInt16LE(off + 10);
  const s = b.readUInt16LE(off + 12);
  const ms = b.readUInt16LE(off + 14);
  if (y === 0 && mo === 0 && d === 0) return "1601-01-01T00:00:00.000000Z";
  return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms * 1000, 6)}Z`;
}

function guid(b: Buffer, off: number): string {
  const d1 = b.readUInt32LE(off).toString(16).padStart(8, "0");
  const d2 = b
    .readUInt16LE(off + 4)
    .toString(16)
    .padStart(4, "0");
  const d3 = b
    .readUInt16LE(off + 6)
    .toString(16)
    .padStart(4, "0");
  return `${d1}-${d2}-${d3}-${b.toString("hex", off + 8, off + 10)}-${b.toString("hex", off + 10, off + 16)}`.toUpperCase();
}

/** SID; returns the text and the bytes it used. */
function sid(b: Buffer, off: number, size: number): [string, number] {
  if (size < 8) throw new ValueError(`SID of ${size} bytes`);
  const rev = b[off];
  const count = b[off + 1];
  const used = 8 + 4 * count;
  if (used > size) throw new ValueError(`SID declares ${count} sub-authorities in ${size} bytes`);
  const auth = b.readUIntBE(off + 2, 6);
  let s = `S-${rev}-${auth}`;
  for (let i = 0; i < count; i++) s += `-${b.readUInt32LE(off + 8 + 4 * i)}`;
  return [s, used];
}

function binaryHex(b: Buffer, off: number, size: number): string {
  let s = "";
  for (let i = off; i < off + size; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

// Windows-1252 bytes 0x80..0x9F; the rest of the range maps to Latin-1.
const CP1252 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

function ansi(b: Buffer, off: number, size: number): string {
  let s = "";
  for (let i = off; i < off + size; i++) {
    const c = b[i];
    if (c === 0) continue;
    s += c >= 0x80 && c < 0xa0 ? CP1252[c - 0x80] : String.fromCharCode(c);
  }
  return s;
}

/** One scalar of type `type` (array bit clear) at `off`, `size` bytes. Throws ValueError when malformed. */
export function scalar(b: Buffer, type: number, off: number, size: number): Scalar {
  const w = WIDTH[type & 0xff];
  if (w !== 0 && size !== w) throw new ValueError(`value of type 0x${type.toString(16)} has ${size} bytes`);
  switch (type) {
    case T.Null:
      return "";
    case T.String:
      return utf16z(b, off, size);
    case T.Ansi:
      return ansi(b, off, size);
    case T.Int8:
      return b.readInt8(off);
    case T.UInt8:
      return b[off];
    case T.Int16:
      return b.readInt16LE(off);
    case T.UInt16:
      return b.readUInt16LE(off);
    case T.Int32:
      return b.readInt32LE(off);
    case T.UInt32:
      return b.readUInt32LE(off);
    case T.Int64:
      return i64(b, off);
    case T.UInt64:
      return u64(b, off);
    case T.Real32:
      return String(b.readFloatLE(off));
    case T.Real64:
      return String(b.readDoubleLE(off));
    case T.Bool:
      return b.readInt32LE(off) !== 0;
    case T.Binary:
      return binaryHex(b, off, size);
    case T.Guid:
      return guid(b, off);
    case T.SizeT:
      if (size === 4) return `0x${b.readUInt32LE(off).toString(16)}`;
      if (size === 8) return hex64(b, off);
      throw new ValueError(`SizeT of ${size} bytes`);
    case T.FileTime:
      return fileTime(b, off);
    case T.SysTime:
      return sysTime(b, off);
    case T.Sid:
      return sid(b, off, size)[0];
    case T.HexInt32:
      return `0x${b.readUInt32LE(off).toString(16)}`;
    case T.HexInt64:
      return hex64(b, off);
    default:
      throw new ValueError(`unsupported value type 0x${type.toString(16)}`);
  }
}

/** Items of an array value (type has the 0x80 bit). */
export function arrayItems(b: Buffer, type: number, off: number, size: number): Scalar[] {
  const base = type & 0x7f;
  const out: Scalar[] = [];
  const end = off + size;
  if (base === T.String) {
    let start = off;
    for (let i = off; i + 1 < end; i += 2) {
      if (b[i] === 0 && b[i + 1] === 0) {
        out.push(utf16(b, start, i));
        start = i + 2;
      }
    }
    if (start + 1 < end) out.push(utf16(b, start, end));
    return out;
  }
  if (base === T.Ansi) {
    let start = off;
    for (let i = off; i < end; i++) {
      if (b[i] === 0) {
        out.push(ansi(b, start, i - start));
        start = i + 1;
      }
    }
    if (start < end) out.push(ansi(b, start, end - start));
    return out;
  }
  if (base === T.Sid) {
    let p = off;
    while (p < end) {
      const [s, used] = sid(b, p, end - p);
      out.push(s);
      p += used;
    }
    return out;
  }
  const w = base === T.SizeT ? 8 : WIDTH[base];
  if (!w) throw new ValueError(`unsupported array type 0x${type.toString(16)}`);
  if (size % w !== 0)
    throw new ValueError(`array of type 0x${type.toString(16)}: ${size} bytes is not a multiple of ${w}`);
  for (let p = off; p < end; p += w) out.push(scalar(b, base, p, w));
  return out;
}

/** Whether a value counts as empty for an optional substitution (then it contributes nothing). */
export function isEmptyValue(b: Buffer, type: number, off: number, size: number): boolean {
  if (type === T.Null || size === 0) return true;
  if (type === T.String) return size < 2 || (b[off] === 0 && b[off + 1] === 0);
  if (type === T.Ansi) return b[off] === 0;
  return false;
}
