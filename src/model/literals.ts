// Sets of literals that a text must contain one of (gates, prefilters): the ones that add nothing dropped.

/**
 * The literals without those that contain another (a text with the longer one has the shorter too),
 * shortest first, ties in code-unit order.
 */
export function minimalLiterals(literals: readonly string[]): string[] {
  const byLength = [...new Set(literals)].sort((x, y) => x.length - y.length || (x < y ? -1 : 1));
  const kept: string[] = [];
  for (const l of byLength) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept;
}

/** `s` with every regular-expression metacharacter escaped. */
function quote(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/**
 * A one-pass search for which of `literals` a text contains: one alternation, longest first, that steps
 * one character past each hit, so literals overlapping a hit are seen too (at each position the longest
 * literal there is taken, and those of its prefixes that are literals are there as well). With `fold`,
 * ASCII letters match in either case and the literals are given in lower case.
 */
export function literalPresence(literals: readonly string[], fold = false): (text: string) => Set<string> {
  const sorted = [...new Set(literals)].filter((l) => l.length > 0);
  sorted.sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const prefixes = new Map(sorted.map((l) => [l, sorted.filter((p) => l.startsWith(p))]));
  const source = sorted.length ? sorted.map(quote).join("|") : "^(?!)";
  return (text) => {
    const found = new Set<string>();
    const re = new RegExp(source, fold ? "gi" : "g");
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const hit = fold ? m[0].toLowerCase() : m[0];
      for (const p of prefixes.get(hit) ?? [hit]) found.add(p);
      re.lastIndex = m.index + 1;
    }
    return found;
  };
}

const CLASS_ESCAPES = new Set(["d", "D", "w", "W", "s", "S", "b", "B", "n", "r", "t", "f", "v", "0"]);

/**
 * Literals one of which every match of `re` contains, read off its source conservatively: per top-level
 * alternative, the longest run of plain characters outside groups and classes that no quantifier makes
 * optional or repeats. Null when some alternative has none, or the source holds a construct this reader
 * does not know (then the caller must not gate on it). Literals are lower-cased under the `i` flag
 * (callers search lower-cased text); with `i` and `u`/`v` (Unicode case folding) nothing is derived.
 */
export function requiredLiterals(re: RegExp): string[] | null {
  const fold = re.flags.includes("i");
  if (fold && /[uv]/.test(re.flags)) return null;
  const src = re.source;
  const alternatives: string[] = [];
  let pieces: string[] = [];
  let cur = "";
  const flush = () => {
    if (cur) pieces.push(cur);
    cur = "";
  };
  const endAlternative = (): boolean => {
    flush();
    const best = pieces.reduce((a, b) => (b.length > a.length ? b : a), "");
    pieces = [];
    if (!best) return false;
    alternatives.push(fold ? best.toLowerCase() : best);
    return true;
  };
  /** Index after the group or class that opens at `i`, or -1 when it does not close. */
  const skip = (i: number): number => {
    let depth = 0;
    let inClass = false;
    for (let j = i; j < src.length; j++) {
      const c = src[j];
      if (c === "\\") j++;
      else if (inClass) inClass = c !== "]";
      else if (c === "[") inClass = true;
      else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) return j + 1;
      if (depth === 0 && !inClass && c === "]") return j + 1;
    }
    return -1;
  };
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === "|") {
      if (!endAlternative()) return null;
      i++;
      continue;
    }
    let atom: string | null = null;
    let next: number;
    if (c === "(" || c === "[") {
      next = skip(i);
      if (next < 0) return null;
    } else if (c === "\\") {
      const e = src[i + 1];
      if (e === undefined) return null;
      if (/[A-Za-z0-9]/.test(e)) {
        if (!CLASS_ESCAPES.has(e)) return null;
      } else atom = e;
      next = i + 2;
    } else if (c === "." || c === "^" || c === "$") next = i + 1;
    else if ("*+?{})]".includes(c)) return null;
    else {
      atom = c;
      next = i + 1;
    }
    const q = src[next];
    if (q === "?" || q === "*" || q === "{") {
      // An optional or counted atom: it ends the run and is not part of it.
      flush();
      next = q === "{" ? src.indexOf("}", next) + 1 : next + 1;
      if (next <= 0) return null;
      if (src[next] === "?") next++;
    } else if (q === "+") {
      // At least once: the run ends after it.
      if (atom !== null) cur += atom;
      flush();
      next++;
      if (src[next] === "?") next++;
    } else if (atom !== null) cur += atom;
    else flush();
    i = next;
  }
  if (!endAlternative()) return null;
  return alternatives;
}
