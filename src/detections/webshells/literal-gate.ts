// Which of a set of literals a page's normalised text holds, in one pass: the SIMD multi-literal search
// of the log readers (readers/wasm/multi.ts) over the text's single-byte form, else one alternation
// (model/literals.ts). The detections gate on it: a rule whose literals are absent cannot match, so its
// patterns are not run over the page (most pages hold few of them).
import { literalPresence } from "../../model/literals.js";
import { once } from "../../model/once.js";
import { HAYSTACK_SIZE, MAX_LITERALS, type MultiLiteral, MultiSearch } from "../../readers/wasm/multi.js";

export interface LiteralGate {
  /** The literals of the one-pass search. */
  readonly literals: readonly string[];
  /** Literals most pages hold early: one `includes` each finds them sooner than the search would. */
  readonly frequent: readonly string[];
  /** ASCII letters match in either case (the literals are lower case). */
  readonly fold: boolean;
  /** The literals for the SIMD search, or null when they do not fit it (count, non-ASCII). */
  readonly multi: readonly MultiLiteral[] | null;
  /** This gate's own searcher (its literal tables stay loaded), made on first use; null without SIMD. */
  readonly search: () => MultiSearch | null;
  readonly fallback: (text: string) => Set<string>;
}

const ascii = (l: string) => [...l].every((c) => c.charCodeAt(0) > 0 && c.charCodeAt(0) < 128);

/**
 * A gate for `literals`; those also in `frequent` are looked up one by one instead. With `fold`, ASCII
 * letters match in either case (give the literals in lower case; `frequent` is then not allowed).
 */
export function literalGate(
  literals: readonly string[],
  o: { frequent?: readonly string[]; fold?: boolean } = {},
): LiteralGate {
  const fold = o.fold ?? false;
  const frequent = o.frequent ?? [];
  if (fold && (frequent.length > 0 || literals.some((l) => l !== l.toLowerCase())))
    throw new Error("a case-folding gate takes lower-case literals and no frequent ones");
  const all = [...new Set(literals)].filter((l) => l.length > 0);
  const list = all.filter((l) => !frequent.includes(l));
  // Only ASCII literals: the text's ASCII characters are its bytes, so a literal in the text is in them.
  const fits = list.length > 0 && list.length <= MAX_LITERALS && list.every(ascii);
  return {
    literals: list,
    frequent: all.filter((l) => frequent.includes(l)),
    fold,
    multi: fits ? list.map((l) => ({ bytes: Buffer.from(l, "latin1"), fold })) : null,
    // Apart from the log readers' searcher, whose buffer holds the chunk they are reading.
    search: once((): MultiSearch | null => (fits ? MultiSearch.create() : null)),
    fallback: literalPresence(list, fold),
  };
}

/** Whether literal `l` is at `p` of `text`. */
function at(gate: LiteralGate, text: string, l: string, p: number): boolean {
  if (!gate.fold) return text.startsWith(l, p);
  for (let i = 0; i < l.length; i++) {
    const c = text.charCodeAt(p + i);
    if ((c >= 65 && c <= 90 ? c | 32 : c) !== l.charCodeAt(i)) return false;
  }
  return true;
}

function searched(gate: LiteralGate, text: string): Set<string> {
  const s = gate.multi && text.length <= HAYSTACK_SIZE ? gate.search() : null;
  if (!s || !gate.multi || !s.load(gate.multi)) return gate.fallback(text);
  const n = s.buffer.write(text, 0, "latin1");
  const found = new Set<string>();
  for (let p = s.next(0, n); p >= 0; p = s.next(p + 1, n)) {
    // Byte p is character p. A character above U+00FF was written as its low byte: the text itself
    // confirms each hit, so such a character never makes one.
    for (const [mask, first] of [
      [s.lo, 0],
      [s.hi, 32],
    ])
      for (let m = mask, i = first; m !== 0; m >>>= 1, i++) {
        const l = gate.literals[i];
        if (m & 1 && !found.has(l) && at(gate, text, l, p)) found.add(l);
      }
  }
  return found;
}

/** The literals of `gate` that `text` contains. */
export function presentIn(gate: LiteralGate, text: string): Set<string> {
  const found = searched(gate, text);
  for (const l of gate.frequent) if (text.includes(l)) found.add(l);
  return found;
}
