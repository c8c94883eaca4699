// The one URL canonicaliser every reader prefilter and detection shares, so that a literal a detection
// looks for and the value it tests agree on what an encoded form means. Attackers write
// `autodiscover.j%73on`, `%2540` (double-encoded: the front end decodes once, the back end again) or
// IIS's `%u0073`, and mix the case of everything. Decoding is byte by byte into Latin-1 and never throws
// on a bad sequence (`%zz` stays as it is).

/** Rounds of decoding: a once-, twice- or thrice-encoded form reaches the same text; more is left as is. */
const MAX_ROUNDS = 3;

/** Value of a hex digit's char code, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The value of `n` hex digits at `at`, or -1 when one is not a hex digit (or the text ends). */
function hexAt(v: string, at: number, n: number): number {
  if (at + n > v.length) return -1;
  let x = 0;
  for (let k = 0; k < n; k++) {
    const d = hexValue(v.charCodeAt(at + k));
    if (d < 0) return -1;
    x = x * 16 + d;
  }
  return x;
}

/**
 * One round: every `%XX` and `%uXXXX` replaced by its character; anything else kept. A loop over char
 * codes, not a regex with a callback: this runs on every percent-escaped log row.
 */
function decodeRound(v: string): string {
  let p = v.indexOf("%");
  if (p < 0) return v;
  let out = "";
  let from = 0;
  while (p >= 0) {
    const c = v.charCodeAt(p + 1);
    let code = -1;
    let len = 0;
    if (c === 117 || c === 85) {
      code = hexAt(v, p + 2, 4);
      len = 6;
    } else {
      code = hexAt(v, p + 1, 2);
      len = 3;
    }
    if (code >= 0) {
      out += v.slice(from, p) + String.fromCharCode(code);
      from = p + len;
      p = v.indexOf("%", from);
    } else {
      p = v.indexOf("%", p + 1);
    }
  }
  return from === 0 ? v : out + v.slice(from);
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
