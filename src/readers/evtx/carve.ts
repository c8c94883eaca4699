// Record carving: event records left where the chunk no longer points at them. Windows reuses chunks
// and files without wiping them, so a cleared or rolled-over log keeps old records in the space after a
// chunk's last record (slack), in chunks past the count the file header holds (left over from before a
// clear), and after a damaged record. They are found the way libevtx's `evtxexport -m recovered` finds
// them: the record signature, a plausible header, the size copy at the record's end; then decoded with
// the chunk's own names and templates. A carved record is never trusted blindly: one that does not
// decode is dropped silently (slack is mostly noise), one that does is marked `recovered`.
/** `**\0\0`: the record signature. */
const SIGNATURE = Buffer.from([0x2a, 0x2a, 0, 0]);
const MIN_RECORD = 28;
/** FILETIME bounds for a plausible written time: 1990 to 2100. */
const FT_MIN = 122_756_256_000_000_000n;
const FT_MAX = 157_469_184_000_000_000n;

/** Where a candidate record sits and what its header says. */
export interface CarvedHeader {
  pos: number;
  size: number;
  id: number;
}

/** Whether `pos` holds a record header whose size, id, time and size copy are plausible. */
export function plausibleRecord(chunk: Buffer, pos: number, end: number): CarvedHeader | null {
  if (pos + MIN_RECORD > end) return null;
  const size = chunk.readUInt32LE(pos + 4);
  if (size < MIN_RECORD || pos + size > end) return null;
  if (chunk.readUInt32LE(pos + size - 4) !== size) return null;
  const lo = chunk.readUInt32LE(pos + 8);
  const hi = chunk.readUInt32LE(pos + 12);
  if (hi > 0xffff || (lo === 0 && hi === 0)) return null;
  const ft = chunk.readBigUInt64LE(pos + 16);
  if (ft < FT_MIN || ft > FT_MAX) return null;
  // The BinXML stream starts with a fragment header or a template instance.
  const t = chunk[pos + 24];
  if (t !== 0x0f && t !== 0x0c) return null;
  return { pos, size, id: lo + hi * 4294967296 };
}

/**
 * Every plausible record from `from` to the chunk's end, in order; `tryDecode` decodes one and says
 * whether it worked (a decoded record's bytes are skipped, an undecodable one is searched past).
 */
export function carveRecords(
  chunk: Buffer,
  from: number,
  end: number,
  tryDecode: (h: CarvedHeader) => boolean,
): number {
  let found = 0;
  let pos = Math.max(from, 512);
  while (pos + MIN_RECORD <= end) {
    const at = chunk.indexOf(SIGNATURE, pos);
    if (at < 0 || at + MIN_RECORD > end) break;
    const h = plausibleRecord(chunk, at, end);
    if (h && tryDecode(h)) {
      found++;
      pos = at + h.size;
    } else pos = at + 1;
  }
  return found;
}
