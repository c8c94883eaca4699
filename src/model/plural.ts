// The one plural rule of every message: "1 file", "2 files", "1,204 files". English only; a word whose
// plural is not word + "s" passes it ("address", "addresses").

/** The word for n things: `plural(1, "file")` is "file", `plural(2, "file")` "files". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

/** n and its word, n with thousands separators: `count(1204, "file")` is "1,204 files". */
export function count(n: number, word: string, many?: string): string {
  return `${n.toLocaleString("en-US")} ${plural(n, word, many)}`;
}
