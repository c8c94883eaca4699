// How the one-pass search (multi.wat) groups its literals into its 8 buckets. A position is a candidate
// for a bucket when each of the four bytes from there has a low and a high nibble that some literal of
// the bucket has at that place (a literal shorter than four bytes agrees with any byte past its end);
// every literal of a candidate bucket is then verified byte by byte. Literals that share a bucket
// therefore widen each other's fingerprint: cut evenly, a bucket holding `%` (one byte) and `/ecp/`
// made every `.` and `/` of the text a candidate. Here each literal, in sorted order, goes to the
// bucket it adds the least expected work to: the chance that a position of log text is a candidate,
// times the literals then verified.

export const BUCKETS = 8;

/**
 * Weights of bytes in log text (a model, not a measurement of any one file): printable ASCII, digits,
 * lower-case letters and the separators of URLs, times and CSV/W3C fields three times as likely.
 */
const WEIGHT = (() => {
  const w = new Float64Array(256);
  for (let b = 0x20; b < 0x7f; b++) w[b] = 1;
  for (let b = 48; b <= 57; b++) w[b] = 3;
  for (let b = 97; b <= 122; b++) w[b] = 3;
  for (const c of "./ -:=&%+,") w[c.charCodeAt(0)] = 3;
  return w;
})();
const TOTAL = WEIGHT.reduce((a, b) => a + b, 0);

const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c);
const upper = (c: number): number => (c >= 97 && c <= 122 ? c & ~32 : c);

/** The nibble sets of one bucket at the four fingerprint places (bit n of lo[k]: low nibble n). */
interface Print {
  lo: number[];
  hi: number[];
  size: number;
}

const emptyPrint = (): Print => ({ lo: [0, 0, 0, 0], hi: [0, 0, 0, 0], size: 0 });

function withLiteral(p: Print, bytes: Buffer, fold: boolean): Print {
  const q = { lo: [...p.lo], hi: [...p.hi], size: p.size + 1 };
  for (let k = 0; k < 4; k++) {
    if (k >= bytes.length) {
      q.lo[k] = 0xffff;
      q.hi[k] = 0xffff;
      continue;
    }
    for (const v of fold ? [lower(bytes[k]), upper(bytes[k])] : [bytes[k]]) {
      q.lo[k] |= 1 << (v & 15);
      q.hi[k] |= 1 << (v >> 4);
    }
  }
  return q;
}

/** Expected verifications per position of log text for a bucket. */
function cost(p: Print): number {
  if (p.size === 0) return 0;
  let chance = 1;
  for (let k = 0; k < 4; k++) {
    let w = 0;
    for (let b = 0; b < 256; b++) if (p.lo[k] & (1 << (b & 15)) && p.hi[k] & (1 << (b >> 4))) w += WEIGHT[b];
    chance *= w / TOTAL;
  }
  return chance * p.size;
}

/** The literal ids of each bucket (BUCKETS lists, some maybe empty); `keys` are lower-cased where `fold`. */
export function bucketsOf(keys: readonly Buffer[], fold: readonly boolean[]): number[][] {
  const order = keys.map((_, id) => id).sort((a, b) => Buffer.compare(keys[a], keys[b]) || a - b);
  const lists: number[][] = Array.from({ length: BUCKETS }, () => []);
  const prints = lists.map(emptyPrint);
  const costs = lists.map(() => 0);
  for (const id of order) {
    let best = 0;
    let bestAdd = Number.POSITIVE_INFINITY;
    let bestPrint = prints[0];
    for (let b = 0; b < BUCKETS; b++) {
      const p = withLiteral(prints[b], keys[id], fold[id]);
      const add = cost(p) - costs[b];
      if (add < bestAdd) {
        bestAdd = add;
        best = b;
        bestPrint = p;
      }
    }
    lists[best].push(id);
    prints[best] = bestPrint;
    costs[best] += bestAdd;
  }
  return lists;
}
