// Whole-source clean-ups before any folding, each keeping the line count: typographic quotes as ASCII,
// short block comments dropped, literal concatenations continued over lines joined onto their first line.

/**
 * Typographic quotes as ASCII: UTF-8 “ ” ‘ ’ and their GBK forms, seen through Latin-1 (one byte one
 * char), as copies pasted from web pages carry them; also the GBK forms after a page was re-saved as
 * UTF-8 from Latin-1 (A1 B1 became C2 A1 C2 B1; lower-cased, C2 reads as E2).
 */
export function asciiQuotes(s: string): string {
  if (!/[\u00e2\u00a1]/.test(s)) return s;
  return s
    .replace(/[\u00c2\u00e2]\u00a1[\u00c2\u00e2][\u00b0\u00b1]/g, '"')
    .replace(/[\u00c2\u00e2]\u00a1[\u00c2\u00e2][\u00ae\u00af]/g, "'")
    .replace(/\u00e2\u0080[\u009c\u009d]|\u00a1[\u00b0\u00b1]/g, '"')
    .replace(/\u00e2\u0080[\u0098\u0099]|\u00a1[\u00ae\u00af]/g, "'");
}

/** Short block comments (also over line ends) removed, keeping the line count: `ev/*x*\/al` splits no token. */
export function dropShortComments(s: string): string {
  if (!s.includes("/*")) return s;
  // Not across quotes: `"/*/"` in a string literal opens no comment (escaped quotes do not count). But
  // a "comment" of only punctuation inside a literal goes too: it is there to become one when the
  // literal is evaluated (`eval("Request[/*-*/0]")`), and dropping it changes no real text.
  return s.replace(/\/\*[^"']{0,200}?\*\//g, (c, at: number) => {
    const lineStart = s.lastIndexOf("\n", at) + 1;
    const quotes = s.slice(lineStart, at).replaceAll('\\"', "").split('"').length - 1;
    const filler = /^\/\*[\s\-*/=#~]*\*\/$/.test(c);
    return quotes % 2 === 1 && !filler ? c : "\n".repeat(c.split("\n").length - 1);
  });
}

const CONT_END = /"[ \t]*\+[ \t]*$/;
const CONT_START = /^[ \t]*\+[ \t]*"/;
const CONCAT_ANY = /"[ \t]*\+|\+[ \t]*"/;

function oddQuotes(line: string): boolean {
  return (line.replaceAll('\\"', "").split('"').length - 1) % 2 === 1;
}

/**
 * A concatenation of literals split over lines (`"ev" +` / `"al(..."`, or a literal broken by a
 * comment's line end) joined onto its first line, the lines it took left empty so that the line count
 * stays; at most five lines are joined.
 */
export function joinContinuations(s: string): string {
  if (!s.includes("+")) return s;
  const lines = s.split("\n");
  let changed = false;
  for (let i = 0; i < lines.length - 1; i++) {
    let taken = 0;
    while (i + 1 + taken < lines.length && taken < 4) {
      const cur = lines[i];
      const next = lines[i + 1 + taken];
      const open = CONCAT_ANY.test(cur) && oddQuotes(cur);
      if (!(CONT_END.test(cur) || CONT_START.test(next) || open)) break;
      lines[i] = cur.replace(/\r$/, "") + next;
      lines[i + 1 + taken] = "";
      taken++;
      changed = true;
    }
    i += taken;
  }
  return changed ? lines.join("\n") : s;
}
