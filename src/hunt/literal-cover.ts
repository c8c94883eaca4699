// Gate literals that fit the one-pass search. A field's gate only promises that every row containing
// one of its literals is looked at, so a literal may be replaced by any piece of it: the gate gets
// looser (more rows looked at), never misses a row. When the gates of a plan outgrow the search, the
// two literals that share the longest piece are replaced by that piece, or a literal by the longest
// literal the search holds already that it contains (whichever is longer), until they fit; a piece
// shorter than MIN_PIECE would open the gate on most rows, and then the caller drops the gates instead.
import { minimalLiterals } from "../model/literals.js";

/** The shortest piece two literals are merged into. */
export const MIN_PIECE = 4;

/** The longest common substring of `a` and `b` made of printable ASCII only ("" when none). */
function longestCommonPiece(a: string, b: string): string {
  let best = 0;
  let end = 0;
  const run = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    const c = a.charCodeAt(i - 1);
    const ascii = c >= 0x20 && c < 0x7f;
    for (let j = 1; j <= b.length; j++) {
      const up = run[j];
      run[j] = ascii && c === b.charCodeAt(j - 1) ? diag + 1 : 0;
      if (run[j] > best) {
        best = run[j];
        end = i;
      }
      diag = up;
    }
  }
  return a.slice(end - best, end);
}

/** More distinct literals than this are not covered (a feed of thousands of addresses): the caller drops the gates. */
export const MAX_COVERED = 256;

/** The longest of `free` that `l` contains, at least MIN_PIECE long ("" when none). */
function freePieceOf(l: string, free: readonly string[]): string {
  let best = "";
  for (const f of free) if (f.length >= MIN_PIECE && f.length > best.length && l.includes(f)) best = f;
  return best;
}

/**
 * At most `budget` literals such that every one of `literals` contains one of them, or null when that
 * takes pieces shorter than MIN_PIECE (or there are more than MAX_COVERED). `free`: literals the search
 * holds already (another detection's): a literal that contains one may be represented by it at no cost,
 * and the result then names it (it does not count against `budget`). Literals are compared as given
 * (the caller lower-cases literals searched in either case). Deterministic: the same literals give the
 * same cover. The common pieces of all pairs are computed once; a merge computes the new piece's.
 */
export function coverLiterals(
  literals: readonly string[],
  budget: number,
  free: readonly string[] = [],
): string[] | null {
  if (new Set(literals).size > MAX_COVERED) return null; // before the quadratic work
  const cover: (string | null)[] = minimalLiterals(literals);
  if (cover.length <= budget) return cover as string[];
  // piece[i][j] (i < j): the longest common piece of cover[i] and cover[j]; merged entries become null.
  const piece: string[][] = cover.map((a, i) =>
    cover.map((b, j) => (j > i ? longestCommonPiece(a ?? "", b ?? "") : "")),
  );
  // freeOf[i]: the longest free literal cover[i] contains.
  const freeOf = cover.map((c) => freePieceOf(c ?? "", free));
  const used = new Set<string>();
  let left = cover.length;
  while (left > budget) {
    let pi = -1;
    let best = "";
    let absorb = false;
    for (let i = 0; i < cover.length; i++) {
      if (cover[i] === null) continue;
      if (freeOf[i].length > best.length) {
        best = freeOf[i];
        pi = i;
        absorb = true;
      }
      for (let j = i + 1; j < cover.length; j++)
        if (cover[j] !== null && piece[i][j].length > best.length) {
          best = piece[i][j];
          pi = i;
          absorb = false;
        }
    }
    if (best.length < MIN_PIECE) return null;
    // A free literal represents every literal that contains it; a merged piece replaces both (the
    // other contains it), and every literal that contains it (a row with those has the piece too).
    if (absorb) {
      used.add(best);
      cover[pi] = null;
    } else {
      cover[pi] = best;
      freeOf[pi] = freePieceOf(best, free);
    }
    for (let k = 0; k < cover.length; k++) {
      const c = cover[k];
      if (k !== pi && c !== null && c.includes(best)) cover[k] = null;
    }
    if (!absorb)
      for (let k = 0; k < cover.length; k++) {
        const c = cover[k];
        if (k === pi || c === null) continue;
        const p = longestCommonPiece(best, c);
        if (k < pi) piece[k][pi] = p;
        else piece[pi][k] = p;
      }
    left = cover.filter((c) => c !== null).length;
  }
  return minimalLiterals([...cover.filter((c): c is string => c !== null), ...used]);
}
