// The declarative prefilters of the literal plan, applied to raw bytes before a row is split: literal
// guards (on the indexOf path; the one-pass search applies them itself) and the RowPrefilter a detection
// declares (more literals the line must contain, tests on the token a literal occurs in). Detections
// declare what they want; only this file and the scanner look at bytes and offsets.
import type { LiteralGuard, RowPrefilter } from "./types.js";
import { canonicalUri } from "./uri.js";

const LF = 10;
const CR = 13;

const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c);

/** A prefilter ready for bytes: literals as Buffers, suffixes lower-cased. */
export interface CompiledPrefilter {
  allOf: Buffer[][];
  /**
   * allOfPieces[g][k]: a literal of the plan (its index) that occurs wherever allOf[g][k] does (a piece
   * of it, in the same case or folded), or -1. Where the row's literal hits say that piece is absent,
   * the longer literal is not searched for (see piecesOf).
   */
  allOfPieces: number[][] | null;
  endsWith: Buffer[] | null;
  accept: ((token: string) => boolean) | null;
  /** Whether there is a token part at all. */
  token: boolean;
  /** The token is tested decoded (canonicalUri): `decodedEndsWith` and `accept` see that form. */
  decodedToken: boolean;
  decodedEndsWith: string[] | null;
  /** Lower-case literals one of which the decoded line contains, or null. */
  decodedAnyOf: string[] | null;
  /** The test of the whole line (lower-cased; decoded when decodedAnyOf is set), or null. */
  line: ((text: string) => boolean) | null;
}

/**
 * The literal that wakes the encoded forms of a detection's literals: every percent-escape has it.
 * One literal for all detections, so the one-pass search holds one more entry whatever their number.
 */
export const ENCODED_LITERAL = "%";

/**
 * The prefilter of a detection's encoded forms, for rows containing ENCODED_LITERAL: the decoded line
 * contains one of its literals (any case), the `allOf` groups as declared (they name unencoded parts such
 * as the method), the token part tested on the decoded token and the line test on the decoded line.
 * Looser than the detection's own prefilter applied to the decoded row, hence exact-or-looser than a
 * `match` that decodes the same way.
 */
export function encodedVariant(literals: readonly string[], p: RowPrefilter | undefined): RowPrefilter {
  return {
    allOf: p?.allOf,
    decodedAnyOf: literals.map((l) => l.toLowerCase()),
    token: p?.token ? { ...p.token, decoded: true } : undefined,
    line: p?.line,
  };
}

export function compilePrefilter(p: RowPrefilter): CompiledPrefilter {
  const decodedToken = p.token?.decoded === true;
  return {
    allOf: (p.allOf ?? []).map((g) => g.map((l) => Buffer.from(l, "utf8"))),
    allOfPieces: null,
    endsWith:
      p.token?.endsWith && !decodedToken
        ? p.token.endsWith.map((x) => Buffer.from(x.toLowerCase(), "latin1"))
        : null,
    accept: p.token?.accept ?? null,
    token: p.token !== undefined && (p.token.endsWith !== undefined || p.token.accept !== undefined),
    decodedToken,
    decodedEndsWith: decodedToken && p.token?.endsWith ? p.token.endsWith.map((x) => x.toLowerCase()) : null,
    decodedAnyOf: p.decodedAnyOf ? p.decodedAnyOf.map((x) => x.toLowerCase()) : null,
    line: p.line ?? null,
  };
}

/** ASCII letters lower-cased, every other byte kept (the one-pass search's folding). */
function asciiLower(b: Buffer): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(lower(c));
  return s;
}

/**
 * For each allOf literal of `pf`, the longest plan literal that is part of it (unguarded; folded ones
 * compared with ASCII letters folded, the others byte for byte), or -1: the plan's one-pass hits then
 * tell, for free, that the allOf literal cannot be in a row where its piece is not.
 */
export function piecesOf(
  pf: CompiledPrefilter,
  plan: readonly { bytes: Buffer; fold?: boolean; guard?: LiteralGuard }[],
): number[][] | null {
  if (pf.allOf.length === 0) return null;
  const folded = plan.map((l) => (l.fold ? asciiLower(l.bytes) : null));
  const out = pf.allOf.map((group) =>
    group.map((lit) => {
      const exact = lit.toString("latin1");
      const low = asciiLower(lit);
      let best = -1;
      plan.forEach((l, i) => {
        if (l.guard || l.bytes.length === 0) return;
        const inside = l.fold
          ? low.includes(folded[i] as string)
          : exact.includes(l.bytes.toString("latin1"));
        if (inside && (best < 0 || l.bytes.length > plan[best].bytes.length)) best = i;
      });
      return best;
    }),
  );
  return out.some((g) => g.some((i) => i >= 0)) ? out : null;
}

/**
 * The decoded form of the row being looked at, shared by every encoded prefilter of that row: a row
 * with a percent-escape wakes one encoded variant per detection, and each would decode the line again.
 * Owned by one scan (no shared state); `s` and `e` say which row `text` belongs to (-1: none yet).
 */
export interface DecodedRow {
  s: number;
  e: number;
  text: string;
}

export const newDecodedRow = (): DecodedRow => ({ s: -1, e: -1, text: "" });

function decodedLine(memo: DecodedRow | undefined, line: Buffer, s: number, e: number): string {
  if (!memo) return canonicalUri(line.toString("latin1"));
  if (memo.s !== s || memo.e !== e) {
    memo.text = canonicalUri(line.toString("latin1"));
    memo.s = s;
    memo.e = e;
  }
  return memo.text;
}

/** The token part on the decoded token (encoded forms). */
function decodedTokenPasses(pf: CompiledPrefilter, raw: string): boolean {
  const t = canonicalUri(raw);
  if (pf.decodedEndsWith && !pf.decodedEndsWith.some((x) => t.endsWith(x))) return false;
  return !pf.accept || pf.accept(t);
}

/** Whether `lit` (lower-cased when `fold`) occurs at `p`, entirely before `end`. */
function literalAt(buf: Buffer, p: number, end: number, lit: Buffer, fold: boolean): boolean {
  if (p + lit.length > end) return false;
  if (fold) {
    for (let k = 0; k < lit.length; k++) if (lower(buf[p + k]) !== lit[k]) return false;
  } else {
    for (let k = 0; k < lit.length; k++) if (buf[p + k] !== lit[k]) return false;
  }
  return true;
}

/** Whether the guard holds for an occurrence of a literal that ends at `from`. */
export function guardHolds(buf: Buffer, from: number, end: number, g: LiteralGuard): boolean {
  for (let p = from; p < end; p++) {
    const c = buf[p];
    if (c === g.need) return true;
    if (c === LF || c === CR || g.stops.includes(c)) return false;
  }
  return false;
}

/**
 * First occurrence of `lit` in [from, end) of `line` (a view that ends at the line's end, so that a
 * search never runs on into the next rows) that satisfies `guard`, or -1. Folded literals are found
 * through their first byte in both cases.
 */
export function nextOccurrence(
  line: Buffer,
  lit: Buffer,
  fold: boolean,
  guard: LiteralGuard | undefined,
  from: number,
): number {
  const end = line.length;
  const b0 = lit[0];
  const alt = fold && b0 >= 97 && b0 <= 122 ? b0 & ~32 : -1;
  let p = from;
  let pa = -2; // next position of the other case of the first byte (-2: not searched yet)
  while (p < end) {
    let q = line.indexOf(b0, p);
    if (alt >= 0) {
      if (pa === -2 || (pa >= 0 && pa < p)) pa = line.indexOf(alt, p);
      if (pa >= 0 && (q < 0 || pa < q)) q = pa;
    }
    if (q < 0) return -1;
    if (literalAt(line, q, end, lit, fold) && (!guard || guardHolds(line, q + lit.length, end, guard)))
      return q;
    p = q + 1;
  }
  return -1;
}

const stopTables = new WeakMap<readonly number[], Uint8Array>();
/** A byte → is-a-stop table, made once per dialect's list (a lookup per byte, not a list search). */
function stopTable(stops: readonly number[]): Uint8Array {
  let t = stopTables.get(stops);
  if (!t) {
    t = new Uint8Array(256);
    for (const b of stops) t[b] = 1;
    stopTables.set(stops, t);
  }
  return t;
}

function endsWithAny(buf: Buffer, ts: number, te: number, suffixes: Buffer[]): boolean {
  for (const x of suffixes)
    if (te - ts >= x.length && literalAt(buf, te - x.length, te, x, true)) return true;
  return false;
}

/**
 * Whether a line [s, e) of `buf`, in which literal `lit` first occurs at `hit`, passes the prefilter.
 * `stops` are the dialect's field separators; without them the token part lets the row through.
 * `memo` holds the row's decoded form for the next prefilter of the same row (same buffer, same s/e).
 * `rowHit` (the reader's first position of each plan literal in the row, -1: absent) lets allOf skip
 * the literals whose piece (allOfPieces) the row does not hold.
 */
export function prefilterPasses(
  pf: CompiledPrefilter,
  buf: Buffer,
  s: number,
  e: number,
  hit: number,
  lit: Buffer,
  fold: boolean,
  guard: LiteralGuard | undefined,
  stops: readonly number[] | undefined,
  memo?: DecodedRow,
  rowHit?: readonly number[],
): boolean {
  if (pf.allOf.length === 0 && !pf.token && !pf.decodedAnyOf && !pf.line) return true;
  // Searches run on a view of the line: on the whole buffer an absent literal would scan the rest of the chunk.
  const line = buf.subarray(s, e);
  if (pf.decodedAnyOf) {
    const decoded = decodedLine(memo, line, s, e);
    if (!pf.decodedAnyOf.some((l) => decoded.includes(l))) return false;
    if (pf.line && !pf.line(decoded)) return false;
  } else if (pf.line && !pf.line(line.toString("latin1").toLowerCase())) return false;
  const pieces = rowHit ? pf.allOfPieces : null;
  for (let g = 0; g < pf.allOf.length; g++) {
    const group = pf.allOf[g];
    const piece = pieces?.[g];
    let any = false;
    for (let k = 0; k < group.length; k++) {
      if (piece && rowHit && piece[k] >= 0 && rowHit[piece[k]] < 0) continue;
      if (line.indexOf(group[k]) >= 0) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (!pf.token || !stops || stops.length === 0) return true;
  const stop = stopTable(stops);
  const n = line.length;
  for (let p = hit - s; p >= 0 && p < n; ) {
    let ts = p;
    while (ts > 0 && stop[line[ts - 1]] === 0) ts--;
    let te = p;
    while (te < n && stop[line[te]] === 0) te++;
    const ok = pf.decodedToken
      ? decodedTokenPasses(pf, line.toString("latin1", ts, te))
      : (!pf.endsWith || endsWithAny(line, ts, te, pf.endsWith)) &&
        (!pf.accept || pf.accept(line.toString("latin1", ts, te).toLowerCase()));
    if (ok) return true;
    // The next occurrence in another token: each token is looked at once.
    p = nextOccurrence(line, lit, fold, guard, Math.max(p + 1, te));
  }
  return false;
}
