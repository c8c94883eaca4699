// The one URL canonicaliser every reader prefilter and detection shares, so that a literal a detection
// looks for and the value it tests agree on what an encoded form means. Attackers write
// `autodiscover.j%73on`, `%2540` (double-encoded: the front end decodes once, the back end again) or
// IIS's `%u0073`, and mix the case of everything. Decoding is byte by byte into Latin-1 and never throws
// on a bad sequence (`%zz` stays as it is).

/** Rounds of decoding: a once-, twice- or thrice-encoded form reaches the same text; more is left as is. */
const MAX_ROUNDS = 3;

const ESCAPE = /%(?:([0-9a-fA-F]{2})|[uU]([0-9a-fA-F]{4}))/g;

function decodeRound(v: string): string {
  return v.replace(ESCAPE, (_, hex: string | undefined, wide: string | undefined) =>
    String.fromCharCode(Number.parseInt(hex ?? wide ?? "0", 16)),
  );
}

/** Percent-decoded (up to three rounds, `%XX` and `%uXXXX`) and lower-cased. */
export function canonicalUri(value: string): string {
  let v = value;
  for (let i = 0; i < MAX_ROUNDS && v.includes("%"); i++) {
    const next = decodeRound(v);
    if (next === v) break;
    v = next;
  }
  return v.toLowerCase();
}

/** Whether a value carries an escape at all (what sends a row to the decoding path). */
export function hasEscape(value: string): boolean {
  return value.includes("%");
}
