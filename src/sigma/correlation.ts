// Sigma 2 correlation rules (event_count, value_count, temporal, temporal_ordered) over the matches of
// their base rules, grouped by fields (or by aliases: one name for a different field per rule), within
// a timespan. Evaluated once all records are read, on matches sorted by time, so the order of files
// and records does not change the result. A correlation may count another correlation's hits (a
// chain): those run first and each hit becomes a base match at the time the inner one completed.
import { append } from "../model/arrays.js";
import type { CompiledRule, CorrelationRule, RecordView } from "./types.js";

export interface BaseMatch {
  /** The base rule's id and name (a correlation may name either). */
  id: string;
  name: string | null;
  /** Milliseconds since the epoch; matches without a time cannot be correlated and are not kept. */
  time: number;
  /** The group-by fields and the counted field, as the record had them. */
  fields: Record<string, string>;
  /** Where the match was read, when the caller knows (a scan: the file, and the record or line). */
  file?: string;
  record?: number | null;
  line?: number | null;
}

export interface CorrelationHit {
  rule: CorrelationRule;
  group: Record<string, string>;
  /** Events (event_count), distinct values (value_count) or distinct rules seen (temporal types) in the window. */
  count: number;
  first: string;
  last: string;
  /** The base matches in the window. */
  events: number;
  /** The window's first base match (where a finding points). */
  firstMatch: BaseMatch;
}

/** Whether a correlation's reference (an id or a name) names this rule or correlation. */
const names = (ref: string, id: string, name: string | null): boolean =>
  ref === id || (name !== null && ref === name);

const references = (c: CorrelationRule, id: string, name: string | null): boolean =>
  c.rules.some((r) => names(r, id, name));

/** The field a group-by name (or an alias) reads in a match of the rule (id, name). */
function fieldName(c: CorrelationRule, g: string, id: string, name: string | null): string {
  const alias = c.aliases[g];
  if (!alias) return g;
  return (name !== null ? alias[name] : undefined) ?? alias[id] ?? g;
}

/** Fields the matches of (id, name) must carry: for each correlation counting it, and those counting that one. */
function neededFields(
  correlations: CorrelationRule[],
  id: string,
  name: string | null,
  out: Set<string>,
  seen: Set<CorrelationRule>,
): boolean {
  let used = false;
  for (const c of correlations) {
    if (!references(c, id, name)) continue;
    used = true;
    for (const g of c.groupBy) out.add(fieldName(c, g, id, name));
    if (c.field) out.add(fieldName(c, c.field, id, name));
    if (seen.has(c)) continue;
    seen.add(c);
    // A chained correlation groups its hits by fields the inner hit carries from its first match.
    neededFields(correlations, c.meta.id, c.name, out, seen);
  }
  return used;
}

/** The fields each base rule must capture when it matches (group-by and value fields of every correlation counting it). */
export function capturedFields(correlations: CorrelationRule[], rule: CompiledRule): string[] | null {
  const out = new Set<string>();
  return neededFields(correlations, rule.meta.id, rule.name, out, new Set()) ? [...out] : null;
}

export function baseMatch(
  rule: CompiledRule,
  view: RecordView,
  time: string | null,
  fields: string[],
): BaseMatch | null {
  const t = time ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(t)) return null;
  const values: Record<string, string> = {};
  for (const f of fields) values[f] = view.get(f) ?? "";
  return { id: rule.meta.id, name: rule.name, time: t, fields: values };
}

function satisfied(c: CorrelationRule["condition"], n: number): boolean {
  if (c.gt !== undefined && !(n > c.gt)) return false;
  if (c.gte !== undefined && !(n >= c.gte)) return false;
  if (c.lt !== undefined && !(n < c.lt)) return false;
  if (c.lte !== undefined && !(n <= c.lte)) return false;
  if (c.eq !== undefined && n !== c.eq) return false;
  return true;
}

/** A match's value of a group-by name or the counted field, through the correlation's aliases. */
const groupValue = (c: CorrelationRule, g: string, m: BaseMatch): string =>
  m.fields[fieldName(c, g, m.id, m.name)] ?? "";

/** Which of the correlation's references a match is (temporal types count distinct ones). */
const refIndex = (c: CorrelationRule, m: BaseMatch): number =>
  c.rules.findIndex((r) => names(r, m.id, m.name));

/**
 * temporal_ordered: how many of the referenced rules, from the first and in their order, the window's
 * matches show in time order (the earliest match of each step after the previous one; equal times
 * count in the order the matches were read).
 */
function orderedPrefix(c: CorrelationRule, w: readonly BaseMatch[], from: number, to: number): number {
  let next = 0;
  for (let i = from; i <= to && next < c.rules.length; i++) if (refIndex(c, w[i]) === next) next++;
  return next;
}

/** A window's measure (used for consecutive windows with an upper bound). */
function measure(c: CorrelationRule, w: BaseMatch[]): number {
  if (c.type === "event_count") return w.length;
  if (c.type === "temporal_ordered") return orderedPrefix(c, w, 0, w.length - 1);
  const seen = new Set<string | number>();
  for (const m of w) {
    if (c.type === "temporal") seen.add(refIndex(c, m));
    else {
      const v = groupValue(c, c.field ?? "", m);
      if (v !== "") seen.add(v);
    }
  }
  return seen.size;
}

function hit(c: CorrelationRule, w: BaseMatch[], n: number): CorrelationHit {
  const group: Record<string, string> = {};
  for (const g of c.groupBy) group[g] = groupValue(c, g, w[0]);
  return {
    rule: c,
    group,
    count: n,
    first: new Date(w[0].time).toISOString(),
    last: new Date(w[w.length - 1].time).toISOString(),
    events: w.length,
    firstMatch: w[0],
  };
}

/** Counts of keys in a sliding window: distinct values (value_count) or distinct rules (temporal). */
class WindowCounts {
  private readonly counts = new Map<string | number, number>();
  add(k: string | number): void {
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  remove(k: string | number): void {
    const n = (this.counts.get(k) ?? 0) - 1;
    if (n <= 0) this.counts.delete(k);
    else this.counts.set(k, n);
  }
  get size(): number {
    return this.counts.size;
  }
  clear(): void {
    this.counts.clear();
  }
}

/** The smallest count a lower-bound condition needs (temporal_ordered only checks where it can be reached). */
const threshold = (c: CorrelationRule["condition"]): number =>
  Math.max(c.gte ?? 0, c.gt !== undefined ? Math.floor(c.gt) + 1 : 0);

/** One correlation over its matches (any order): the hits. */
function correlate(c: CorrelationRule, matches: readonly BaseMatch[]): CorrelationHit[] {
  const out: CorrelationHit[] = [];
  const groups = new Map<string, BaseMatch[]>();
  for (const m of matches) {
    if (!references(c, m.id, m.name)) continue;
    const key = JSON.stringify(c.groupBy.map((g) => groupValue(c, g, m)));
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  const upper = c.condition.lt !== undefined || c.condition.lte !== undefined || c.condition.eq !== undefined;
  for (const list of groups.values()) {
    list.sort((a, b) => a.time - b.time);
    if (upper) {
      for (let i = 0; i < list.length; ) {
        let j = i;
        while (j + 1 < list.length && list[j + 1].time - list[i].time <= c.timespanMs) j++;
        const w = list.slice(i, j + 1);
        const n = measure(c, w);
        if (satisfied(c.condition, n)) out.push(hit(c, w, n));
        i = j + 1;
      }
      continue;
    }
    // Lower bounds: the window slides and reports as soon as the bound is reached, then starts after it.
    const key = (m: BaseMatch): string | number =>
      c.type === "value_count" ? groupValue(c, c.field ?? "", m) : refIndex(c, m);
    const counts = new WindowCounts();
    const need = threshold(c.condition);
    let left = 0;
    for (let right = 0; right < list.length; right++) {
      while (list[right].time - list[left].time > c.timespanMs) {
        if (c.type === "value_count" || c.type === "temporal") {
          const k = key(list[left]);
          if (k !== "") counts.remove(k);
        }
        left++;
      }
      let n: number;
      if (c.type === "event_count") n = right - left + 1;
      else if (c.type === "temporal_ordered")
        // The bound is first reached when the match that completes it arrives: it is step need-1.
        n = refIndex(c, list[right]) >= need - 1 ? orderedPrefix(c, list, left, right) : 0;
      else {
        const k = key(list[right]);
        if (k !== "") counts.add(k);
        n = counts.size;
      }
      if (satisfied(c.condition, n)) {
        out.push(hit(c, list.slice(left, right + 1), n));
        left = right + 1;
        counts.clear();
      }
    }
  }
  return out;
}

/**
 * Run the correlations. With lower bounds only (gt/gte) the window slides and reports as soon as it is
 * reached, then starts after it; with upper bounds (lt/lte/eq) a window is only known when it closes,
 * so windows are consecutive from each group's first match. Correlations counted by another run first;
 * their hits are returned only when a correlation counting them says `generate: true`.
 */
export function runCorrelations(correlations: CorrelationRule[], matches: BaseMatch[]): CorrelationHit[] {
  const out: CorrelationHit[] = [];
  const chained: BaseMatch[] = [];
  const done = new Set<CorrelationRule>();
  const dependsOn = (c: CorrelationRule): CorrelationRule[] =>
    correlations.filter((d) => d !== c && references(c, d.meta.id, d.name));
  while (done.size < correlations.length) {
    const ready = correlations.filter((c) => !done.has(c) && dependsOn(c).every((d) => done.has(d)));
    // A cycle (the rule set refuses them when it is built): the rest cannot be ordered.
    if (ready.length === 0) break;
    for (const c of ready) {
      done.add(c);
      const hits = correlate(c, chained.length ? [...matches, ...chained] : matches);
      const counters = correlations.filter((d) => d !== c && references(d, c.meta.id, c.name));
      if (counters.length === 0 || counters.some((d) => d.generate)) append(out, hits);
      if (counters.length === 0) continue;
      for (const h of hits) {
        const last = Date.parse(h.last);
        chained.push({
          id: c.meta.id,
          name: c.name,
          time: last,
          fields: { ...h.firstMatch.fields, ...h.group },
          file: h.firstMatch.file,
          record: h.firstMatch.record,
          line: h.firstMatch.line,
        });
      }
    }
  }
  return out;
}
