// Index keys for rules: most rules can only match when a path field ends in one of a few file names
// (`Image|endswith: '\certutil.exe'`, `OriginalFileName: 'CertUtil.exe'`). From the detection and its
// condition we derive such a necessary set of (field, file name) pairs — exact-or-looser, like the
// EventID analysis — so that an event meets only the rules keyed on its own file names, plus the rules
// that have no key. Rules with keywords, wildcards, `contains`, regexes ... in every branch stay unkeyed.
import type { Cond } from "./condition.js";

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
  switch (c.op) {
    case "id":
      return keys.get(c.name) ?? null;
    case "not":
      return null;
    case "and":
      return smallest(c.args.map((a) => conditionKeys(a, keys)));
    case "or":
      return union(c.args.map((a) => conditionKeys(a, keys)));
    case "of": {
      const xs = c.names.map((n) => keys.get(n) ?? null);
      return c.count === "all" ? smallest(xs) : union(xs);
    }
  }
}
