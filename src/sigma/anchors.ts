// Literal anchors for the rule index: for a rule without file-name keys (sigma/prefilter.ts), a set of
// (field, lower-case ASCII literal) pairs one of which occurs in the lower-cased field value of every
// event the rule matches. The derivation is exact-or-looser, like the keys: only plain, contains,
// startswith, endswith, windash, cased and all items give anchors (their literal runs between
// wildcards must occur in the value); null values, keywords, regexes, encodings, fieldref, exists,
// cidr and numeric comparisons give none, and a `not` or an item without one leaves the rule unanchored.
// ASCII only: then a literal found case-sensitively (cased) is also found in the lower-cased value, and
// the `i` flag of a pattern's RegExp cannot fold another character onto it.
import { type Cond, necessary } from "./condition.js";
import { windash } from "./modifiers.js";
import { type Part, parseSigmaString } from "./pattern.js";
import type { CompileOptions } from "./types.js";

/** The lower-cased value of `field` contains `lit`. */
export interface Anchor {
  field: string;
  lit: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Shorter literals would meet most events and save nothing. */
export const MIN_ANCHOR = 3;
const SAFE_MODS = new Set(["contains", "startswith", "endswith", "windash", "cased", "all"]);
const ASCII = /^[\x20-\x7e]+$/;

/** The longest literal run of one value, lower-cased; null when none is ASCII and long enough. */
function valueAnchor(v: unknown, mods: string[]): string | null {
  let parts: Part[];
  if (typeof v === "string") parts = parseSigmaString(v);
  else if (typeof v === "number" || typeof v === "boolean") parts = [String(v)];
  else return null; // null matches an empty or absent field
  if (mods.includes("windash")) parts = windash(parts);
  let best = "";
  for (const p of parts) if (typeof p === "string" && ASCII.test(p) && p.length > best.length) best = p;
  return best.length >= MIN_ANCHOR ? best.toLowerCase() : null;
}

/**
 * The field keyword searches read (webserver rules: the line) when `text` is given to searchAnchors;
 * its anchors are tested against the record's lower-cased text.
 */
export const TEXT_FIELD = "\u0000text";

/** The field and the literal of each value of one item (null: unanchored); `all`: every value must occur. */
function itemLits(
  key: string,
  value: unknown,
  o: CompileOptions,
  text?: string,
): { field: string; lits: (string | null)[]; all: boolean } | null {
  const [name, ...rest] = key.split("|");
  const mods = rest.map((m) => m.trim().toLowerCase()).filter((m) => m !== "");
  // A keyword item (`'|all': [...]`) searches the text; the values are contained, as keywords are.
  const field = name === "" && text !== undefined ? text : name;
  if (field === "" || mods.some((m) => !SAFE_MODS.has(m))) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return null;
  // The view normalises such a field's values and the matcher the rule's (IIS `+` for a space): the
  // literal runs of the normalised value are what must occur.
  const norm = name === "" ? undefined : o.normalise?.[field];
  const lits = values.map((v) => valueAnchor(norm && typeof v === "string" ? norm(v) : v, mods));
  return { field, lits, all: mods.includes("all") };
}

function itemAnchors(key: string, value: unknown, o: CompileOptions, text?: string): Anchor[] | null {
  const it = itemLits(key, value, o, text);
  if (!it) return null;
  const { field, lits } = it;
  if (it.all) {
    // Every value must match: the longest of them is enough.
    const one = lits.filter((l): l is string => l !== null).sort((a, b) => b.length - a.length)[0];
    return one ? [{ field, lit: one }] : null;
  }
  if (lits.some((l) => l === null)) return null;
  return [...new Set(lits as string[])].map((lit) => ({ field, lit }));
}

/** A set is better when its weakest literal is longer, then when it is smaller. */
function better(a: Anchor[], b: Anchor[] | null): boolean {
  if (b === null) return true;
  const ma = Math.min(...a.map((x) => x.lit.length));
  const mb = Math.min(...b.map((x) => x.lit.length));
  return ma > mb || (ma === mb && a.length < b.length);
}

const pick = (xs: (Anchor[] | null)[]): Anchor[] | null => {
  let best: Anchor[] | null = null;
  for (const x of xs) if (x && better(x, best)) best = x;
  return best;
};
const every = (xs: (Anchor[] | null)[]): Anchor[] | null =>
  xs.length === 0 || xs.some((x) => x === null) ? null : (xs as Anchor[][]).flat();

function mapAnchors(map: Obj, o: CompileOptions, text?: string): Anchor[] | null {
  return pick(Object.entries(map).map(([k, v]) => itemAnchors(k, v, o, text)));
}

/**
 * Anchors of a search identifier: a map needs every item (one anchored item is enough), a list any map.
 * Keywords (a list of values) give anchors on `text` when it is given, else none.
 */
export function searchAnchors(def: unknown, o: CompileOptions, text?: string): Anchor[] | null {
  if (isObj(def)) return mapAnchors(def, o, text);
  if (Array.isArray(def) && def.length > 0 && def.every(isObj))
    return every(def.map((m) => mapAnchors(m, o, text)));
  if (text === undefined) return null;
  if (Array.isArray(def) ? def.length > 0 && !def.some((v) => isObj(v) || Array.isArray(v)) : !isObj(def))
    return itemAnchors("|contains", def, o, text);
  return null; // keywords mixed with maps
}

/** Anchors of a condition: AND needs one anchored branch, OR all of them, NOT none. */
export function conditionAnchors(c: Cond, anchors: Map<string, Anchor[] | null>): Anchor[] | null {
  return necessary(c, (n) => anchors.get(n) ?? null, pick, every);
}

/** Anchors of a detection's conditions (any may match: all their anchors), deduplicated; null: none. */
export function detectionAnchors(trees: Cond[], anchors: Map<string, Anchor[] | null>): Anchor[] | null {
  const all = every(trees.map((t) => conditionAnchors(t, anchors)));
  if (!all || all.length === 0) return null;
  const seen = new Set<string>();
  return all.filter((a) => {
    const id = `${a.field}\u0000${a.lit}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Webserver rules: necessary anchors as clauses, every one of which holds on a matching row (a clause:
 * one of its anchors occurs). Where `Anchor[]` keeps one branch of an AND, clauses keep them all: a
 * rule asking for `autodiscover.json` and one of `/powershell`, `/ews` is only tried on rows with both.
 * An OR keeps one clause: the best clause of each branch, joined. Exact-or-looser like the rest.
 */
export type Clauses = Anchor[][];

const dedupe = (xs: Anchor[]): Anchor[] => {
  const seen = new Set<string>();
  return xs.filter((a) => {
    const id = `${a.field}\u0000${a.lit}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
};

function andClauses(xs: (Clauses | null)[]): Clauses | null {
  const kept = xs.filter((x): x is Clauses => x !== null && x.length > 0);
  return kept.length === 0 ? null : kept.flat(1);
}

function orClauses(xs: (Clauses | null)[]): Clauses | null {
  if (xs.length === 1) return xs[0];
  if (xs.length === 0 || xs.some((x) => x === null || x.length === 0)) return null;
  return [dedupe((xs as Clauses[]).flatMap((c) => pick(c) ?? []))];
}

function itemClauses(key: string, value: unknown, o: CompileOptions, text?: string): Clauses | null {
  const it = itemLits(key, value, o, text);
  if (!it) return null;
  if (it.all) {
    const lits = [...new Set(it.lits.filter((l): l is string => l !== null))];
    return lits.length === 0 ? null : lits.map((lit) => [{ field: it.field, lit }]);
  }
  const one = itemAnchors(key, value, o, text);
  return one ? [one] : null;
}

const mapClauses = (map: Obj, o: CompileOptions, text?: string): Clauses | null =>
  andClauses(Object.entries(map).map(([k, v]) => itemClauses(k, v, o, text)));

/** Clauses of a search identifier: a map, all its items; a list, one of its maps; keywords, on `text`. */
export function searchClauses(def: unknown, o: CompileOptions, text?: string): Clauses | null {
  if (isObj(def)) return mapClauses(def, o, text);
  if (Array.isArray(def) && def.length > 0 && def.every(isObj))
    return orClauses(def.map((m) => mapClauses(m, o, text)));
  const one = searchAnchors(def, o, text);
  return one ? [one] : null;
}

/** Clauses of a detection's conditions (any may match), each clause deduplicated; null: none. */
export function detectionClauses(trees: Cond[], clauses: Map<string, Clauses | null>): Clauses | null {
  const per = trees.map((t) => necessary(t, (n) => clauses.get(n) ?? null, andClauses, orClauses));
  const all = orClauses(per);
  if (!all) return null;
  const seen = new Set<string>();
  const out: Clauses = [];
  for (const c of all.map(dedupe)) {
    const id = JSON.stringify(c);
    if (c.length > 0 && !seen.has(id)) {
      seen.add(id);
      out.push(c);
    }
  }
  return out.length === 0 ? null : out;
}
