// Text spelled out one character at a time so that no word of it appears in the source: VB/JScript
// character-code arrays, arrays of single characters, literals with a separator between every
// character. normalise.ts keeps what they spell as "spelled" layers.

/** `Array(101, 118, 97, 108, ...)`: eight or more printable character codes (VBScript, JScript). */
const CODE_ARRAY = /\barray\s*\(\s*((?:\d{2,3}\s*,\s*){7,}\d{2,3})\s*\)/g;
/** `Array("e", "v", "a", "l", ...)`: four or more literals of one or two characters. */
const PIECE_ARRAY = /\barray\s*\(\s*((?:"(?:[^"\n]|""){1,2}"\s*,\s*){3,}"(?:[^"\n]|""){1,2}")\s*\)/g;
/** A literal that spells words one character at a time: `"e|v|a|l"`, `"e!v!a!l$request"`. */
const SPELLED_LITERAL = /"([^"\s]{7,200})"/g;

/**
 * Text spelled out so that no word of it appears in the source: character-code arrays, arrays of
 * single characters, and literals with a separator between every character (removed at run time by
 * Split/Join or Replace). Returns what they spell, with where each is.
 */
export function spelledOut(low: string): { at: number; text: string }[] {
  const out: { at: number; text: string }[] = [];
  for (const m of low.matchAll(CODE_ARRAY)) {
    const codes = m[1].split(",").map((n) => Number(n.trim()));
    if (codes.every((c) => c >= 32 && c <= 126))
      out.push({ at: m.index, text: String.fromCharCode(...codes).toLowerCase() });
  }
  for (const m of low.matchAll(PIECE_ARRAY)) {
    const pieces = [...m[1].matchAll(/"((?:[^"\n]|""){1,2})"/g)].map((p) => p[1].replaceAll('""', '"'));
    out.push({ at: m.index, text: pieces.join("") });
  }
  for (const m of low.matchAll(SPELLED_LITERAL)) {
    const lit = m[1];
    // The separator: the one non-word character that stands between single letters at least 3 times.
    const sep = /\w([^\w])\w\1\w\1\w/.exec(lit)?.[1];
    if (!sep) continue;
    const text = lit
      .split(sep)
      .join("")
      .replace(/[^\w(){}[\]"'.]+/g, " ")
      .trim();
    if (text !== lit) out.push({ at: m.index, text });
  }
  return out;
}
