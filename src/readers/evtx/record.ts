// The usual record, read without building its node tree: a fragment header, one template instance and
// the end-of-stream token. The instance's value descriptors go into a scratch array the chunk reuses
// from record to record, and the template's plan (plan.ts) turns them into the EventRecord. Anything
// else (several fragments, a plain element stream, a value the plan does not cover, malformed bytes)
// returns null, and the record is parsed again by the general path, which gives the same EventRecord
// or the same error (the corpus tests compare both lanes on every record).
import type { EventRecord } from "../../model/records.js";
import { type ChunkContext, LIMITS, type ValueRef } from "./binxml.js";
import { planValues } from "./plan.js";

/**
 * The EventRecord of the BinXML stream in [pos, end) of the chunk, or null when it is not one plain
 * template instance the plan covers. Never throws: a record that fails here is left to the general path.
 */
export function fastEvent(c: ChunkContext, pos: number, end: number, headerId: number): EventRecord | null {
  const b = c.b;
  // Fragment header (token 0x0f and three bytes), then the instance token 0x0c and its 9 header bytes.
  if (pos + 18 > end || (b[pos] & 0x1f) !== 0x0f || (b[pos + 4] & 0x1f) !== 0x0c) return null;
  const at = pos + 4;
  const defOff = u32(b, at + 6);
  let p = at + 10;
  if (defOff === p) {
    if (p + 24 > end) return null;
    p += 24 + u32(b, p + 20);
  }
  if (p + 4 > end) return null;
  const n = u32(b, p);
  p += 4;
  if (n > LIMITS.values || p + 4 * n > end) return null;
  try {
    const template = c.template(defOff, 0);
    const values = c.scratch;
    let v = p + 4 * n;
    for (let i = 0; i < n; i++) {
      const q = p + 4 * i;
      const size = b[q] | (b[q + 1] << 8);
      const type = b[q + 2];
      const slot: ValueRef | undefined = values[i];
      if (slot === undefined) values.push({ type, off: v, size });
      else {
        slot.type = type;
        slot.off = v;
        slot.size = size;
      }
      v += size;
    }
    // What the general parse accepts after the instance: the end of the stream, or its EOF token.
    if (v > end || (v < end && (b[v] & 0x1f) !== 0x00)) return null;
    return planValues(c, template, values, n, headerId);
  } catch {
    return null;
  }
}

function u32(b: Buffer, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}
