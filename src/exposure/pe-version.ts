// The file version of a Windows PE file (ExSetup.exe), read from its RT_VERSION resource: the
// VS_FIXEDFILEINFO block. Pure byte parsing, so it runs (and is tested) on any OS.
import { open } from "node:fs/promises";

export class PeError extends Error {}

const RT_VERSION = 16;
const FIXED_SIGNATURE = 0xfeef04bd;
/** ExSetup.exe is a few MB; refuse anything absurd rather than read it whole. */
const MAX_BYTES = 256 * 2 ** 20;

interface Section {
  va: number;
  vsize: number;
  raw: number;
  rawSize: number;
}

function need(buf: Buffer, off: number, len: number, what: string): void {
  if (off < 0 || off + len > buf.length) throw new PeError(`truncated PE: ${what} at ${off} is past the end`);
}

function rvaToOffset(sections: Section[], rva: number): number {
  for (const s of sections) {
    const span = Math.max(s.vsize, s.rawSize);
    if (rva >= s.va && rva < s.va + span) return s.raw + (rva - s.va);
  }
  throw new PeError(`RVA 0x${rva.toString(16)} is in no section`);
}

/** Entry of a resource directory: by id, or the first one when `id` is null. */
function dirEntry(
  buf: Buffer,
  base: number,
  dir: number,
  id: number | null,
): { sub: boolean; off: number } | null {
  need(buf, base + dir, 16, "resource directory");
  const named = buf.readUInt16LE(base + dir + 12);
  const ids = buf.readUInt16LE(base + dir + 14);
  const n = named + ids;
  if (n > 4096) throw new PeError("resource directory too large");
  for (let i = 0; i < n; i++) {
    const e = base + dir + 16 + i * 8;
    need(buf, e, 8, "resource entry");
    const name = buf.readUInt32LE(e);
    const data = buf.readUInt32LE(e + 4);
    if (id !== null && ((name & 0x80000000) !== 0 || name !== id)) continue;
    return { sub: (data & 0x80000000) !== 0, off: data & 0x7fffffff };
  }
  return null;
}

/** "15.1.2176.2" from the bytes of a PE file. Throws PeError when it is not a PE or has no version. */
export function peFileVersion(buf: Buffer): string {
  need(buf, 0, 64, "DOS header");
  if (buf.readUInt16LE(0) !== 0x5a4d) throw new PeError("not a PE file (no MZ header)");
  const pe = buf.readUInt32LE(0x3c);
  need(buf, pe, 24, "PE header");
  if (buf.readUInt32LE(pe) !== 0x00004550) throw new PeError("not a PE file (no PE signature)");
  const nSections = buf.readUInt16LE(pe + 6);
  const optSize = buf.readUInt16LE(pe + 20);
  const opt = pe + 24;
  need(buf, opt, 2, "optional header");
  const magic = buf.readUInt16LE(opt);
  const dirs = magic === 0x20b ? opt + 112 : magic === 0x10b ? opt + 96 : -1;
  if (dirs < 0) throw new PeError(`unknown optional header magic 0x${magic.toString(16)}`);
  need(buf, dirs + 2 * 8, 8, "resource data directory");
  const rsrcRva = buf.readUInt32LE(dirs + 16);
  if (rsrcRva === 0) throw new PeError("PE file has no resources");
  const sections: Section[] = [];
  const first = opt + optSize;
  for (let i = 0; i < Math.min(nSections, 96); i++) {
    const s = first + i * 40;
    need(buf, s, 40, "section header");
    sections.push({
      vsize: buf.readUInt32LE(s + 8),
      va: buf.readUInt32LE(s + 12),
      rawSize: buf.readUInt32LE(s + 16),
      raw: buf.readUInt32LE(s + 20),
    });
  }
  const base = rvaToOffset(sections, rsrcRva);
  const type = dirEntry(buf, base, 0, RT_VERSION);
  if (!type?.sub) throw new PeError("PE file has no version resource");
  const name = dirEntry(buf, base, type.off, null);
  if (!name?.sub) throw new PeError("malformed version resource (name level)");
  const lang = dirEntry(buf, base, name.off, null);
  if (!lang || lang.sub) throw new PeError("malformed version resource (language level)");
  need(buf, base + lang.off, 8, "resource data entry");
  const dataRva = buf.readUInt32LE(base + lang.off);
  const dataSize = buf.readUInt32LE(base + lang.off + 4);
  const data = rvaToOffset(sections, dataRva);
  need(buf, data, Math.min(dataSize, 92), "VS_VERSIONINFO");
  // VS_VERSIONINFO: 3 WORDs, "VS_VERSION_INFO\0" in UTF-16, padding to a DWORD, then VS_FIXEDFILEINFO.
  const key = buf.toString("utf16le", data + 6, data + 36);
  if (key !== "VS_VERSION_INFO") throw new PeError("version resource without VS_VERSION_INFO");
  const fixed = data + 40;
  need(buf, fixed, 16, "VS_FIXEDFILEINFO");
  if (buf.readUInt32LE(fixed) !== FIXED_SIGNATURE) throw new PeError("VS_FIXEDFILEINFO signature missing");
  const ms = buf.readUInt32LE(fixed + 8);
  const ls = buf.readUInt32LE(fixed + 12);
  return `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
}

export async function readPeFileVersion(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size > MAX_BYTES) throw new PeError(`${path}: ${size} bytes, too large for an executable`);
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return peFileVersion(buf);
  } finally {
    await fh.close();
  }
}
