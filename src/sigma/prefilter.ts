// Index keys for rules: most rules can only match when a path field ends in one of a few file names
// (`Image|endswith: '\certutil.exe'`, `OriginalFileName: 'CertUtil.exe'`). From the detection and its
// condition we derive such a necessary set of (field, file name) pairs — exact-or-looser, like the
// EventID analysis — so that an event meets only the rules keyed on its own file names, plus the rules
// that have no key. Rules with keywords, wildcards, `contains`, regexes ... in every branch stay unkeyed.
import { type Cond, necessary } from "./condition.js";
import { parseSigmaString } from "./pattern.js";

/** A field whose value's last path segment (lower-cased) must be `name`. */
export interface RuleKey {
  field: string;
  name: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The last `\` or `/` separated segment, lower-cased. */
export function lastSegment(v: string): string {
  let i = v.length - 1;
  while (i >= 0 && v.charCodeAt(i) !== 92 && v.charCodeAt(i) !== 47) i--;
  return (i < 0 ? v : v.slice(i + 1)).toLowerCase();
}

const WILD = /[*?]/;

/** Keys for one `field|mods: values` item, or null when some value could match without one. */
function itemKeys(key: string, value: unknown): RuleKey[] | null {
  const [field, ...mods] = key.split("|").map((s) => s.trim());
  if (field === "") return null;
  const m = mods.map((x) => x.toLowerCase()).filter((x) => x !== "cased");
  const ends = m.length === 1 && m[0] === "endswith";
  if (m.length > 0 && !ends) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return null;
  const out: RuleKey[] = [];
  for (const v of values) {
    if (typeof v !== "string" && typeof v !== "number") return null;
    const s = String(v);
    if (WILD.test(s) || s.includes("\\\\")) return null; // escapes: keep it simple and exact
    if (ends && !/[\\/]/.test(s)) return null; // `endswith: 'cmd.exe'` also matches `xcmd.exe`
    const name = lastSegment(s);
    if (name === "") return null;
    out.push({ field, name });
  }
  return out;
}

/** The smallest necessary key set of a map (every item must hold: one keyed item is enough). */
function mapKeys(map: Obj): RuleKey[] | null {
  let best: RuleKey[] | null = null;
  for (const [k, v] of Object.entries(map)) {
    if (
      k
        .split("|")
        .slice(1)
        .some((x) => x.trim().toLowerCase() === "all")
    )
      continue;
    const ks = itemKeys(k, v);
    if (ks && (best === null || ks.length < best.length)) best = ks;
  }
  return best;
}

export function searchKeys(def: unknown): RuleKey[] | null {
  if (isObj(def)) return mapKeys(def);
  if (Array.isArray(def) && def.length > 0 && def.every(isObj)) {
    const out: RuleKey[] = [];
    for (const m of def) {
      const ks = mapKeys(m);
      if (!ks) return null;
      out.push(...ks);
    }
    return out;
  }
  return null;
}

const union = (xs: (RuleKey[] | null)[]): RuleKey[] | null => {
  if (xs.length === 0 || xs.some((x) => x === null)) return null;
  return (xs as RuleKey[][]).flat();
};
const smallest = (xs: (RuleKey[] | null)[]): RuleKey[] | null => {
  let best: RuleKey[] | null = null;
  for (const x of xs) if (x && (best === null || x.length < best.length)) best = x;
  return best;
};

/** Necessary keys of a condition: AND needs one keyed branch, OR all of them, NOT none. */
export function conditionKeys(c: Cond, keys: Map<string, RuleKey[] | null>): RuleKey[] | null {
  return necessary(c, (n) => keys.get(n) ?? null, smallest, union);
}

// ---------- line literals (webserver rules) ----------

/**
 * ASCII pieces of a value that must appear in the raw log line when the value matches: literal runs
 * between wildcards, cut at space, `+` and `?` (IIS writes `+` for a space, and the line has a space
 * where the URI has its `?`). The longest piece, lower-cased; null when none has 3 characters.
 */
function linePiece(v: unknown): string | null {
  if (typeof v !== "string" && typeof v !== "number") return null;
  let best = "";
  for (const p of parseSigmaString(String(v))) {
    if (typeof p !== "string") continue;
    for (const piece of p.split(/[ +?]/))
      if (/^[\x21-\x7e]+$/.test(piece) && piece.length > best.length) best = piece;
  }
  return best.length >= 3 ? best.toLowerCase() : null;
}

const LINE_SAFE_MODS = new Set(["contains", "startswith", "endswith", "cased", "all"]);

function itemLiterals(key: string, value: unknown): string[] | null {
  const mods = key
    .split("|")
    .slice(1)
    .map((m) => m.trim().toLowerCase());
  if (mods.some((m) => !LINE_SAFE_MODS.has(m))) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return null;
  const pieces = values.map(linePiece);
  if (mods.includes("all")) {
    const one = pieces.filter((p): p is string => p !== null).sort((a, b) => b.length - a.length)[0];
    return one ? [one] : null;
  }
  return pieces.some((p) => p === null) ? null : [...new Set(pieces as string[])];
}

/** A literal set is better when its weakest literal is longer, then when it is smaller. */
const better = (a: string[], b: string[] | null): boolean => {
  if (b === null) return true;
  const ma = Math.min(...a.map((x) => x.length));
  const mb = Math.min(...b.map((x) => x.length));
  return ma > mb || (ma === mb && a.length < b.length);
};

function mapLiterals(map: Obj): string[] | null {
  let best: string[] | null = null;
  for (const [k, v] of Object.entries(map)) {
    const ls = itemLiterals(k, v);
    if (ls && better(ls, best)) best = ls;
  }
  return best;
}

export function searchLiterals(def: unknown): string[] | null {
  if (isObj(def)) return mapLiterals(def);
  if (Array.isArray(def) && def.length > 0) {
    const out: string[] = [];
    for (const x of def) {
      const ls = isObj(x) ? mapLiterals(x) : itemLiterals("|contains", x);
      if (!ls) return null;
      out.push(...ls);
    }
    return [...new Set(out)];
  }
  return itemLiterals("|contains", def);
}

/** Literals one of which every line the condition can match contains (null: none known). */
export function conditionLiterals(c: Cond, lits: Map<string, string[] | null>): string[] | null {
  const pick = (xs: (string[] | null)[]): string[] | null => {
    let best: string[] | null = null;
    for (const x of xs) if (x && better(x, best)) best = x;
    return best;
  };
  const all = (xs: (string[] | null)[]): string[] | null =>
    xs.length === 0 || xs.some((x) => x === null) ? null : [...new Set((xs as string[][]).flat())];
  switch (c.op) {
    case "id":
      return lits.get(c.name) ?? null;
    case "not":
      return null;
    case "and":
      return pick(c.args.map((a) => conditionLiterals(a, lits)));
    case "or":
      return all(c.args.map((a) => conditionLiterals(a, lits)));
    case "of": {
      const xs = c.names.map((n) => lits.get(n) ?? null);
      return c.count === "all" ? pick(xs) : all(xs);
    }
  }
}
