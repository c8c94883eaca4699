// One pass over a chunk for a whole set of literals (multi.wat: a SIMD fingerprint filter, then an
// exact check). Replaces one `indexOf` pass per literal, which cost about 0.65 s per GB and literal
// on the reference machine. The haystack is the module's own memory: the delimited reader reads
// file bytes straight into `buffer`, so nothing is copied.
import { once } from "../../model/once.js";
import { BUCKETS, bucketsOf } from "./buckets.js";
import { MULTI_WASM } from "./multi-bytes.js";

export interface MultiLiteral {
  bytes: Buffer;
  /** Match ASCII letters in either case. */
  fold: boolean;
  /** Count an occurrence only when this byte follows it before a stop byte, a line break or the end. */
  guard?: LiteralGuard;
}

export interface LiteralGuard {
  /** The byte that must follow (not 0). */
  need: number;
  /** Up to four bytes (not 0) that end the search for `need`; CR and LF always do. */
  stops: number[];
}

const HAYSTACK = 65536;
export const HAYSTACK_SIZE = 2 << 20;
/** The most literals one search holds (bits of the two 32-bit hit masks). */
export const MAX_LITERALS = 64;
const LIT_TABLE = 1024;
const LIT_ENTRY = 32;
const LIT_BYTES = 4096;
const LIT_BYTES_END = HAYSTACK;

// The few WebAssembly API members used here (the project's TypeScript libs carry no WebAssembly types).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  next(from: number, end: number): number;
  maskLo(): number;
  maskHi(): number;
  skip(from: number, to: number): number;
  skipped(): number;
  lastStart(): number;
  lastEnd(): number;
}

const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c);
const upper = (c: number): number => (c >= 97 && c <= 122 ? c & ~32 : c);

export class MultiSearch {
  /** The read buffer: bytes searched must be in it. */
  readonly buffer: Buffer;
  private loaded: readonly MultiLiteral[] | null = null;
  /** The bucketing of each literal set loaded before (about 1 ms to compute; files of two kinds alternate). */
  private readonly bucketed = new WeakMap<readonly MultiLiteral[], number[][]>();
  private constructor(private readonly x: Exports) {
    this.buffer = Buffer.from(x.memory.buffer, HAYSTACK, HAYSTACK_SIZE);
  }

  static create(): MultiSearch | null {
    try {
      const mod = new WebAssembly.Module(Buffer.from(MULTI_WASM, "base64"));
      const inst = new WebAssembly.Instance(mod, {});
      return new MultiSearch(inst.exports as unknown as Exports);
    } catch {
      return null; // no WebAssembly SIMD here: callers fall back to indexOf
    }
  }

  /** Whether this set of literals can be searched (count, sizes); loads it. Cheap when already loaded. */
  load(literals: readonly MultiLiteral[]): boolean {
    if (literals === this.loaded) return true;
    if (literals.length === 0 || literals.length > MAX_LITERALS) return false;
    if (literals.some((l) => l.bytes.length === 0)) return false;
    const badGuard = (g: LiteralGuard | undefined) =>
      g !== undefined &&
      (g.need < 1 || g.need > 255 || g.stops.length > 4 || g.stops.some((b) => b < 1 || b > 255));
    if (literals.some((l) => badGuard(l.guard))) return false;
    const total = literals.reduce((n, l) => n + l.bytes.length, 0);
    if (LIT_BYTES + total > LIT_BYTES_END) return false;
    const mem = Buffer.from(this.x.memory.buffer, 0, HAYSTACK);
    mem.fill(0, 0, LIT_BYTES + total);
    // Literals go to the bucket they widen least, so that fingerprints stay sharp (buckets.ts).
    let buckets = this.bucketed.get(literals);
    if (!buckets) {
      buckets = bucketsOf(
        literals.map((l) =>
          l.fold ? Buffer.from(l.bytes.toString("latin1").toLowerCase(), "latin1") : l.bytes,
        ),
        literals.map((l) => l.fold),
      );
      this.bucketed.set(literals, buckets);
    }
    let at = LIT_BYTES;
    literals.forEach((l, id) => {
      const t = LIT_TABLE + LIT_ENTRY * id;
      mem.writeUInt32LE(at, t);
      mem.writeUInt32LE(l.bytes.length, t + 4);
      mem.writeUInt32LE(l.fold ? 1 : 0, t + 8);
      mem.writeUInt32LE(l.guard?.need ?? 0, t + 12);
      for (let k = 0; k < 4; k++) mem[t + 16 + k] = l.guard?.stops[k] ?? 0;
      // The word test of the first four bytes (multi.wat, verify): case bits, mask, bytes.
      for (let k = 0; k < 4 && k < l.bytes.length; k++) {
        const c = l.fold ? lower(l.bytes[k]) : l.bytes[k];
        const letter = l.fold && c >= 97 && c <= 122;
        mem[t + 20 + k] = letter ? 0x20 : 0;
        mem[t + 24 + k] = 0xff;
        mem[t + 28 + k] = c;
      }
      for (let j = 0; j < l.bytes.length; j++) mem[at + j] = l.fold ? lower(l.bytes[j]) : l.bytes[j];
      at += l.bytes.length;
    });
    let listAt = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const group = buckets[b];
      mem[256 + 2 * b] = listAt;
      mem[257 + 2 * b] = group.length;
      const bit = 1 << b;
      for (const id of group) {
        mem[288 + listAt++] = id;
        const l = literals[id];
        for (let k = 0; k < 4; k++) {
          const lo = 32 * k;
          const hi = lo + 16;
          if (k >= l.bytes.length) {
            // Shorter than the fingerprint: any byte agrees.
            for (let n = 0; n < 16; n++) {
              mem[lo + n] |= bit;
              mem[hi + n] |= bit;
            }
            continue;
          }
          const c = l.bytes[k];
          for (const v of l.fold ? [lower(c), upper(c)] : [c]) {
            mem[lo + (v & 15)] |= bit;
            mem[hi + (v >> 4)] |= bit;
          }
        }
      }
    }
    this.loaded = literals;
    return true;
  }

  /**
   * First position in [from, end) of `buffer` where a loaded literal occurs entirely before `end`,
   * or -1. `lo`/`hi` then tell which literals occur there.
   */
  next(from: number, end: number): number {
    const p = this.x.next(HAYSTACK + from, HAYSTACK + end);
    if (p < 0) return -1;
    this.lo = this.x.maskLo();
    this.hi = this.x.maskHi();
    return p - HAYSTACK;
  }
  /** Which literals occur at the position the last `next` returned: bit i of lo (i < 32) or of hi (i - 32). */
  lo = 0;
  hi = 0;

  /**
   * From the line start `from`, step over whole lines of `buffer` whose line feed comes before `to`,
   * stopping at a line that starts with `#`, CR, LF or 0xEF. Returns where it stopped; `skipped` is
   * then the number of lines stepped over and `lastStart`/`lastEnd` the last one's first byte and line feed.
   */
  skipLines(from: number, to: number): number {
    const p = this.x.skip(HAYSTACK + from, HAYSTACK + to) - HAYSTACK;
    this.skipped = this.x.skipped();
    if (this.skipped > 0) {
      this.lastStart = this.x.lastStart() - HAYSTACK;
      this.lastEnd = this.x.lastEnd() - HAYSTACK;
    }
    return p;
  }
  skipped = 0;
  lastStart = 0;
  lastEnd = 0;
}

/** This thread's searcher (one module instance per thread), or null without WebAssembly SIMD. */
export const multiSearch = once((): MultiSearch | null => MultiSearch.create());
