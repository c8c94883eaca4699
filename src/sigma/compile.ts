// A rule's `detection` section compiled once to a Matcher: each search identifier becomes a closure
// (a map: every item; a list of maps: any map; a list of values: keywords), then the condition joins them.
import {
  type Anchor,
  type Clauses,
  detectionAnchors,
  detectionClauses,
  searchAnchors,
  searchClauses,
  TEXT_FIELD,
} from "./anchors.js";
import { compileCondition, conditionEventIds, parseCondition } from "./condition.js";
import { fieldMatcher, keywordMatcher } from "./modifiers.js";
import { conditionKeys, conditionLiterals, type RuleKey, searchKeys, searchLiterals } from "./prefilter.js";
import { type CompileOptions, invalid, type Matcher, unsupported } from "./types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function splitKey(key: string): { field: string; mods: string[] } {
  const [field, ...mods] = key.split("|");
  return { field, mods: mods.map((m) => m.trim().toLowerCase()).filter((m) => m !== "") };
}

function mapMatcher(map: Obj, o: CompileOptions): Matcher {
  const items: Matcher[] = [];
  for (const [key, value] of Object.entries(map)) {
    const { field, mods } = splitKey(key);
    if (isObj(value) || (Array.isArray(value) && value.some((v) => isObj(v) || Array.isArray(v))))
      throw invalid(`${key}: a value is a map or a nested list`);
    items.push(field === "" ? keywordMatcher(mods, value, o) : fieldMatcher(field, mods, value, o));
  }
  if (items.length === 0) return () => true;
  if (items.length === 1) return items[0];
  if (items.length === 2) {
    const [a, b] = items;
    return (r) => a(r) && b(r);
  }
  return (r) => {
    for (const m of items) if (!m(r)) return false;
    return true;
  };
}

function searchMatcher(name: string, def: unknown, o: CompileOptions): Matcher {
  if (isObj(def)) return mapMatcher(def, o);
  if (Array.isArray(def)) {
    const maps = def.filter(isObj);
    const values = def.filter((v) => !isObj(v));
    if (values.some((v) => Array.isArray(v))) throw invalid(`${name}: a nested list`);
    const ms = maps.map((m) => mapMatcher(m, o));
    if (values.length) ms.push(keywordMatcher([], values, o));
    if (ms.length === 1) return ms[0];
    return (r) => ms.some((m) => m(r));
  }
  if (typeof def === "string" || typeof def === "number") return keywordMatcher([], [def], o);
  throw invalid(
    `${name}: a search identifier must be a map, a list or a keyword (it is ${def === null ? "null" : typeof def})`,
  );
}

/** EventIDs a search identifier requires (`EventID: 4104` or `EventID: [4103, 4104]`); null: none. */
function searchEventIds(def: unknown): Set<number> | null {
  const fromMap = (m: Obj): Set<number> | null => {
    const v = m.EventID;
    if (v === undefined) return null;
    const list = Array.isArray(v) ? v : [v];
    const ids = new Set<number>();
    for (const x of list) {
      const n = typeof x === "number" ? x : typeof x === "string" && /^\d+$/.test(x) ? Number(x) : Number.NaN;
      if (!Number.isInteger(n)) return null;
      ids.add(n);
    }
    return ids;
  };
  if (isObj(def)) return fromMap(def);
  if (Array.isArray(def) && def.length > 0 && def.every(isObj)) {
    const u = new Set<number>();
    for (const m of def) {
      const s = fromMap(m);
      if (!s) return null;
      for (const x of s) u.add(x);
    }
    return u;
  }
  return null;
}

export interface CompiledDetection {
  match: Matcher;
  eventIds: number[] | null;
  /** Field names the detection reads (for the evidence of a match). */
  fields: string[];
  /** Necessary (field, file name) keys for the rule index; null: none. */
  keys: RuleKey[] | null;
  /** Necessary (field, literal) anchors for rules without keys (sigma/anchors.ts); null: none. */
  anchors: Anchor[] | null;
  /** Lower-case ASCII literals one of which a matching log line contains; null: none known (or not asked). */
  lineLiterals: string[] | null;
  /**
   * Webserver rules (`lines`): necessary (field, literal) anchor clauses, all of which hold on a
   * matching row, derived whether or not the rule has keys, keywords anchored on TEXT_FIELD (the line);
   * null: none (or not asked).
   */
  webAnchors: Clauses | null;
}

function fieldsOf(def: unknown, out: Set<string>): void {
  for (const m of Array.isArray(def) ? def : [def]) {
    if (!isObj(m)) continue;
    for (const k of Object.keys(m)) {
      const { field, mods } = splitKey(k);
      if (field !== "") out.add(field);
      if (mods.includes("fieldref"))
        for (const v of Array.isArray(m[k]) ? m[k] : [m[k]]) if (typeof v === "string") out.add(v);
    }
  }
}

/**
 * `lines`: derive the line literals too (webserver rules: only the IIS row gate reads them; for event
 * rules they would cost a quarter of the compile time and never be read).
 */
export function compileDetection(detection: unknown, o: CompileOptions, lines = false): CompiledDetection {
  if (!isObj(detection)) throw invalid("detection: missing or not a map");
  const { condition, timeframe: _timeframe, ...searches } = detection;
  if (condition === undefined) throw invalid("detection: no condition");
  const names = Object.keys(searches);
  const sel = new Map<string, Matcher>();
  const ids = new Map<string, Set<number> | null>();
  for (const n of names) {
    sel.set(n, searchMatcher(n, searches[n], o));
    ids.set(n, searchEventIds(searches[n]));
  }
  const conds = Array.isArray(condition) ? condition : [condition];
  if (conds.length === 0 || conds.some((c) => typeof c !== "string"))
    throw invalid("detection: condition must be a string or a list of strings");
  const trees = (conds as string[]).map((c) => parseCondition(c, names));
  const ms = trees.map((t) => compileCondition(t, sel));
  const match: Matcher = ms.length === 1 ? ms[0] : (r) => ms.some((m) => m(r));
  let eventIds: Set<number> | null = new Set();
  for (const t of trees) {
    const s = conditionEventIds(t, ids);
    if (s === null) {
      eventIds = null;
      break;
    }
    for (const x of s) eventIds.add(x);
  }
  const fields = new Set<string>();
  for (const n of names) fieldsOf(searches[n], fields);
  const skeys = new Map(names.map((n) => [n, searchKeys(searches[n])]));
  const perCondition = trees.map((t) => conditionKeys(t, skeys));
  const keys = perCondition.some((k) => k === null) ? null : (perCondition as RuleKey[][]).flat();
  // Anchors only for rules without keys (the keys index the others, and deriving costs compile time).
  const anchors =
    keys === null
      ? detectionAnchors(trees, new Map(names.map((n) => [n, searchAnchors(searches[n], o)])))
      : null;
  let lineLiterals: string[] | null = null;
  let webAnchors: Clauses | null = null;
  if (lines) {
    webAnchors = detectionClauses(
      trees,
      new Map(names.map((n) => [n, searchClauses(searches[n], o, TEXT_FIELD)])),
    );
    const slits = new Map(names.map((n) => [n, searchLiterals(searches[n])]));
    const perCond = trees.map((t) => conditionLiterals(t, slits));
    lineLiterals = perCond.some((l) => l === null) ? null : [...new Set((perCond as string[][]).flat())];
  }
  return {
    match,
    eventIds: eventIds ? [...eventIds].sort((a, b) => a - b) : null,
    fields: [...fields],
    keys: keys && keys.length > 0 ? dedupeKeys(keys.map((k) => normaliseKey(k, o))) : null,
    anchors,
    lineLiterals: lineLiterals && lineLiterals.length > 0 ? lineLiterals : null,
    webAnchors,
  };
}

/**
 * A key on a field the view normalises (IIS `+` for a space) names the normalised last segment: the
 * matcher compares normalised values, and the normalisation leaves `\` and `/` alone.
 */
function normaliseKey(k: RuleKey, o: CompileOptions): RuleKey {
  const norm = o.normalise?.[k.field];
  return norm ? { field: k.field, name: norm(k.name) } : k;
}

function dedupeKeys(keys: RuleKey[]): RuleKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.field}\u0000${k.name}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Sigma 2 `timespan` (`30s`, `5m`, `1h`, `2d`, `1w`...) in milliseconds. */
export function parseTimespan(v: unknown): number {
  const m = typeof v === "string" ? /^\s*(\d+)\s*([smhdwMy])\s*$/.exec(v) : null;
  if (!m) throw invalid(`timespan: ${JSON.stringify(v)} is not like 10m, 1h, 2d`);
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, M: 2.592e9, y: 3.1536e10 }[m[2]] ?? 0;
  if (unit === 0) throw unsupported(`timespan unit ${m[2]}`);
  return Number(m[1]) * unit;
}
