// Sigma string values as patterns: literal text, `*` (any run), `?` (one character) and character
// classes (windash), compiled once to the cheapest test that is exact: equality, startsWith, endsWith,
// includes or an ordered indexOf walk when only `*` occurs, a RegExp otherwise.

/** A piece of a pattern: literal text, ANY (`*`), ONE (`?`), or a set of alternative characters. */
export type Part = string | typeof ANY | typeof ONE | { oneOf: string[] };
export const ANY = 0 as const;
export const ONE = 1 as const;

/** A test on a field value. `cased`: it wants the value as is; otherwise lower-cased. */
export interface ValueTest {
  cased: boolean;
  test(value: string): boolean;
  /** Set when the test is `value === equals` (after case folding): lists of them become one Set lookup. */
  equals?: string;
  /** Set when the test is `value.endsWith(suffix)`: lists of them are grouped by the suffix's last segment. */
  suffix?: string;
}

/**
 * Parse a Sigma string: `*` and `?` are wildcards, `\*`, `\?` and `\\` escape them (pySigma's reading);
 * any other backslash is literal, so Windows paths need no escaping.
 */
export function parseSigmaString(s: string): Part[] {
  const out: Part[] = [];
  let lit = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length && (s[i + 1] === "*" || s[i + 1] === "?" || s[i + 1] === "\\")) {
      lit += s[i + 1];
      i++;
    } else if (c === "*" || c === "?") {
      if (lit) out.push(lit);
      lit = "";
      out.push(c === "*" ? ANY : ONE);
    } else lit += c;
  }
  if (lit) out.push(lit);
  return out;
}

/** Merge neighbouring literals and repeated `*`. */
export function normalise(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === "string") {
      if (p === "") continue;
      if (typeof last === "string") out[out.length - 1] = last + p;
      else out.push(p);
    } else if (p === ANY && last === ANY) continue;
    else out.push(p);
  }
  return out;
}

export function isLiteral(parts: Part[]): parts is string[] {
  return parts.every((p) => typeof p === "string");
}

/** `s` as a regular-expression literal (every metacharacter escaped). */
export const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

function toRegExp(parts0: Part[], cased: boolean): RegExp {
  // A leading or trailing `*` drops the anchor instead of becoming `[\s\S]*`, which would make the
  // search backtrack over long command lines; inner ones are lazy.
  let parts = parts0;
  const open = parts[0] === ANY;
  const close = parts.length > 1 && parts[parts.length - 1] === ANY;
  parts = parts.slice(open ? 1 : 0, close ? -1 : undefined);
  let src = open ? "" : "^";
  for (const p of parts) {
    if (typeof p === "string") src += reEscape(p);
    else if (p === ANY) src += "[\\s\\S]*?";
    else if (p === ONE) src += "[\\s\\S]";
    else src += `(?:${p.oneOf.map(reEscape).join("|")})`;
  }
  return new RegExp(close ? src : `${src}$`, cased ? "" : "i");
}

/** Only literals and `*`: match by ordered indexOf (exact for `*`-only patterns, and much faster). */
function starTest(lits: string[], anchoredStart: boolean, anchoredEnd: boolean): (v: string) => boolean {
  const n = lits.length;
  if (n === 0) return () => true;
  if (n === 1) {
    const a = lits[0];
    if (anchoredStart && anchoredEnd) return (v) => v === a;
    if (anchoredStart) return (v) => v.startsWith(a);
    if (anchoredEnd) return (v) => v.endsWith(a);
    return (v) => v.includes(a);
  }
  const min = lits.reduce((s, l) => s + l.length, 0);
  return (v) => {
    if (v.length < min) return false;
    let from = 0;
    let to = v.length;
    let i = 0;
    let j = n;
    if (anchoredStart) {
      if (!v.startsWith(lits[0])) return false;
      from = lits[0].length;
      i = 1;
    }
    if (anchoredEnd) {
      const last = lits[n - 1];
      if (!v.endsWith(last) || v.length - last.length < from) return false;
      to = v.length - last.length;
      j = n - 1;
    }
    for (; i < j; i++) {
      const at = v.indexOf(lits[i], from);
      if (at < 0 || at + lits[i].length > to) return false;
      from = at + lits[i].length;
    }
    return true;
  };
}

/** Compile a pattern to a test. Case-insensitive unless `cased` (literals are lower-cased here, once). */
export function compilePattern(parts0: Part[], cased: boolean): ValueTest {
  const parts = normalise(
    cased
      ? parts0
      : parts0.map((p) =>
          typeof p === "string"
            ? p.toLowerCase()
            : typeof p === "object"
              ? { oneOf: p.oneOf.map((c) => c.toLowerCase()) }
              : p,
        ),
  );
  if (parts.every((p) => typeof p === "string" || p === ANY)) {
    const lits = parts.filter((p): p is string => typeof p === "string");
    const start = parts[0] !== ANY;
    const end = parts[parts.length - 1] !== ANY;
    const test = starTest(lits, start, end);
    if (parts.length === 0) return { cased, test: (v) => v === "", equals: "" };
    if (lits.length === 1 && start && end) return { cased, test, equals: lits[0] };
    if (lits.length === 1 && !start && end) return { cased, test, suffix: lits[0] };
    return { cased, test };
  }
  // Lower-cased input is given to the regexp too when not cased: the `i` flag then only covers
  // characters whose lower-case form differs under Unicode rules.
  const re = toRegExp(parts, cased);
  return { cased, test: (v) => re.test(v) };
}
