// Gate literals that fit the one-pass search. A field's gate only promises that every row containing
// one of its literals is looked at, so a literal may be replaced by any piece of it: the gate gets
// looser (more rows looked at), never misses a row. When the gates of a plan outgrow the search, the
// two literals that share the longest piece are replaced by that piece until they fit; a piece shorter
// than MIN_PIECE would open the gate on most rows, and then the caller drops the gates instead.

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

/** The literals without those that contain another (a row with the longer one has the shorter too). */
export function minimalLiterals(literals: readonly string[]): string[] {
  const byLength = [...new Set(literals)].sort((x, y) => x.length - y.length || (x < y ? -1 : 1));
  const kept: string[] = [];
  for (const l of byLength) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept;
}

/**
 * At most `budget` literals such that every one of `literals` contains one of them, or null when that
 * takes pieces shorter than MIN_PIECE. Literals are compared as given (the caller lower-cases
 * literals searched in either case). Deterministic: the same literals give the same cover.
 */
export function coverLiterals(literals: readonly string[], budget: number): string[] | null {
  let cover = minimalLiterals(literals);
  while (cover.length > budget) {
    let piece = "";
    let pi = -1;
    let pj = -1;
    for (let i = 0; i < cover.length; i++)
      for (let j = i + 1; j < cover.length; j++) {
        const p = longestCommonPiece(cover[i], cover[j]);
        if (p.length > piece.length) {
          piece = p;
          pi = i;
          pj = j;
        }
      }
    if (piece.length < MIN_PIECE) return null;
    cover = minimalLiterals([...cover.filter((_, k) => k !== pi && k !== pj), piece]);
  }
  return cover;
}
