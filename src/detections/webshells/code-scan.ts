// Small scanners over normalised (lower-case) server code shared by the taint, sink and cue modules:
// assignments, parameter lists, statements and call arguments. Scans rather than regexes where a regex
// starting at an identifier would be tried at every position of the text.

/** `Dim name As T`, also VB's array forms `Dim name As T()` and `Dim name() As T`, ending where the `=` is. */
const VB_DIM_BEFORE = /\bdim\s+([a-z_]\w*)(?:\s*\(\s*\))?\s+as\s+(?:new\s+)?[\w.()]+\s*$/;
export const IDENT_CHAR = /[\w]/;

export const KEYWORDS = new Set([
  "if",
  "while",
  "for",
  "return",
  "new",
  "var",
  "dim",
  "set",
  "string",
  "byte",
  "object",
  "else",
]);

/**
 * Every `name = value` (also `name[i] = ...`, `Dim name As T = ...`), found from each `=` backwards:
 * a scan, because a regex that starts at an identifier is tried at every position of the text.
 */
export function assignments(t: string): { name: string; rhs: string; at: number }[] {
  const out: { name: string; rhs: string; at: number }[] = [];
  for (let i = t.indexOf("="); i >= 0; i = t.indexOf("=", i + 1)) {
    const prev = t[i - 1];
    const next = t[i + 1];
    if (next === "=" || next === ">" || prev === "=" || prev === "!" || prev === "<" || prev === ">")
      continue;
    let j = i - 1;
    if (prev === "+" || prev === "&" || prev === "-" || prev === "|") j--;
    while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    if (t[j] === "]") {
      const open = t.lastIndexOf("[", j);
      if (open < 0 || j - open > 40) continue;
      j = open - 1;
      while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    }
    const end = j + 1;
    const dim = VB_DIM_BEFORE.exec(t.slice(Math.max(0, end - 120), end));
    let name: string;
    if (dim) name = dim[1];
    else {
      while (j >= 0 && IDENT_CHAR.test(t[j])) j--;
      if (end - j - 1 < 1 || end - j - 1 > 40 || t[j] === ".") continue;
      name = t.slice(j + 1, end);
    }
    if (!/^[a-z_]/.test(name)) continue;
    let k = i + 1;
    const stop = Math.min(t.length, i + 401);
    while (k < stop && t[k] !== ";" && t[k] !== "\n") k++;
    out.push({ name, rhs: ownValue(t.slice(i + 1, k)), at: i });
  }
  return out;
}

/** The assignments of `t` by name, in text order, at most `cap` per name. */
export function assignmentsByName(
  t: string,
  cap = Number.POSITIVE_INFINITY,
): Map<string, { name: string; rhs: string; at: number }[]> {
  const out = new Map<string, { name: string; rhs: string; at: number }[]>();
  for (const a of assignments(t)) {
    const list = out.get(a.name) ?? [];
    if (list.length < cap) list.push(a);
    out.set(a.name, list);
  }
  return out;
}

/**
 * Where another statement or declarator starts on the same line: VB's `:` before the next assignment
 * or `Then`, C#'s `, b = …` at bracket depth 0. What follows it is not this assignment's value (in
 * `a = "x" : b = Request("c")` only `"x"` is given to `a`).
 */
const NEXT_STATEMENT = /:\s*(?:set\s+|dim\s+)?[a-z_][\w.]*\s*(?:\([^()\n]{0,40}\))?\s*=(?![=>])|\bthen\b/;
const NEXT_DECLARATOR = /^\s*[a-z_]\w*\s*=(?![=>])/;

/** An assignment's right-hand side up to where the next statement on its line starts. */
export function ownValue(rhs: string): string {
  const next = NEXT_STATEMENT.exec(rhs);
  let v = next ? rhs.slice(0, next.index) : rhs;
  if (!v.includes(",")) return v;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0 && NEXT_DECLARATOR.test(v.slice(i + 1, i + 60))) {
      v = v.slice(0, i);
      break;
    }
  }
  return v;
}

/** A VB statement up to its `:` separator (outside literals): `sh.Run cmd : Response.Write(x)` is two statements. */
export function vbStatement(s: string): string {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === ":" && !quoted && /^\s*[a-z_]/.test(s.slice(i + 1, i + 8))) return s.slice(0, i);
  }
  return s;
}

/** The names of a parameter list: the last word of each C# or JScript parameter, the first of VB's `x As T`. */
export function paramNames(list: string): string[] {
  return list
    .split(",")
    .map(
      (p) =>
        /([a-z_]\w*)\s*(?:as\s+[\w.]+\s*)?(?:=[^,]*)?$/.exec(
          p.trim().replace(/^(?:byval|byref|optional)\s+/, ""),
        )?.[1],
    )
    .filter((p): p is string => !!p && !KEYWORDS.has(p));
}

/** The text inside the block whose `{` is at `open`, up to its matching `}` or `reach` characters. */
export function braceBlock(t: string, open: number, reach: number): string {
  let depth = 0;
  const end = Math.min(t.length, open + reach);
  for (let i = open; i < end; i++) {
    if (t[i] === "{") depth++;
    else if (t[i] === "}" && --depth === 0) return t.slice(open + 1, i);
  }
  return t.slice(open + 1, end);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A call's first argument (to the first comma outside brackets), or the whole text after `=`. */
export function firstArgument(rest: string): string {
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") {
      if (depth === 0) return rest.slice(0, i);
      depth--;
    } else if (c === "," && depth === 0) return rest.slice(0, i);
  }
  return rest;
}

/** The rest of the statement from `at`: up to `;`, a line end or 400 characters. */
export function statementFrom(t: string, at: number): string {
  const end = Math.min(t.length, at + 400);
  let i = at;
  while (i < end && t[i] !== ";" && t[i] !== "\n") i++;
  return t.slice(at, i);
}

/** Where a path expression starts: up to the first top-level `+` or `&`. */
export function headOf(expr: string): string {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if ((c === "+" || c === "&") && depth === 0) return expr.slice(0, i).trim();
  }
  return expr.trim();
}

/** The arguments of the call whose `(` is at `open` (across lines, up to 800 characters). */
export function callArgs(t: string, open: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = open + 1;
  const end = Math.min(t.length, open + 800);
  for (let i = open + 1; i < end; i++) {
    const c = t[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) {
        out.push(t.slice(from, i).trim());
        return out;
      }
      depth--;
    } else if (c === "," && depth === 0) {
      out.push(t.slice(from, i).trim());
      from = i + 1;
    } else if (c === ";") break;
  }
  out.push(t.slice(from, end).trim());
  return out;
}
