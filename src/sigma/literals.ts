// Many literals searched in one pass over a string: every literal is at least two characters long and
// is bucketed by its first two; a 64 KiB table of (low bytes of) those pairs skips most positions before
// the exact bucket lookup, and startsWith confirms. Built once per rule group, read by every event.

export interface LiteralSearch {
  lits: string[];
  /** Per literal, the payload given with it (rule indices). */
  payload: number[][];
  pairs: Uint8Array;
  buckets: Map<number, number[]>;
  /** Per literal, the last search stamp that found it. */
  found: number[];
  stamp: number;
}

const pairOf = (s: string, i: number): number =>
  ((s.charCodeAt(i) & 0xff) << 8) | (s.charCodeAt(i + 1) & 0xff);
const keyOf = (s: string, i: number): number => s.charCodeAt(i) * 0x10000 + s.charCodeAt(i + 1);

export function literalSearch(entries: Map<string, number[]>): LiteralSearch {
  const s: LiteralSearch = {
    lits: [],
    payload: [],
    pairs: new Uint8Array(0x10000),
    buckets: new Map(),
    found: [],
    stamp: 0,
  };
  for (const [lit, payload] of entries) {
    if (lit.length < 2) throw new Error(`literal search: '${lit}' is shorter than two characters`);
    const j = s.lits.length;
    s.lits.push(lit);
    s.payload.push(payload);
    s.found.push(0);
    s.pairs[pairOf(lit, 0)] = 1;
    const k = keyOf(lit, 0);
    const b = s.buckets.get(k);
    if (b) b.push(j);
    else s.buckets.set(k, [j]);
  }
  return s;
}

/** Indices of the literals that occur in `v`, each once, appended to `out`. */
export function searchLiterals(s: LiteralSearch, v: string, out: number[]): void {
  const stamp = ++s.stamp;
  const { pairs, buckets, lits, found } = s;
  const end = v.length - 1;
  for (let i = 0; i < end; i++) {
    if (pairs[((v.charCodeAt(i) & 0xff) << 8) | (v.charCodeAt(i + 1) & 0xff)] === 0) continue;
    const b = buckets.get(v.charCodeAt(i) * 0x10000 + v.charCodeAt(i + 1));
    if (b === undefined) continue;
    for (const j of b) {
      if (found[j] === stamp || !v.startsWith(lits[j], i)) continue;
      found[j] = stamp;
      out.push(j);
    }
  }
}
