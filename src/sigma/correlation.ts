// Sigma 2 correlation rules (event_count, value_count) over the matches of their base rules, grouped
// by fields, within a timespan. Evaluated once all records are read, on matches sorted by time, so the
// order of files and records does not change the result.
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
  /** Events (event_count) or distinct values (value_count) in the window. */
  count: number;
  first: string;
  last: string;
  /** The base matches in the window. */
  events: number;
  /** The window's first base match (where a finding points). */
  firstMatch: BaseMatch;
}

/** The fields each base rule must capture when it matches (group-by and value fields of every correlation naming it). */
export function capturedFields(correlations: CorrelationRule[], rule: CompiledRule): string[] | null {
  const out = new Set<string>();
  let used = false;
  for (const c of correlations) {
    if (!c.rules.includes(rule.meta.id) && !(rule.name && c.rules.includes(rule.name))) continue;
    used = true;
    for (const f of c.groupBy) out.add(f);
    if (c.field) out.add(c.field);
  }
  return used ? [...out] : null;
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

/** A window's measure: the number of events, or of distinct values of the counted field. */
function measure(c: CorrelationRule, w: BaseMatch[]): number {
  if (c.type === "event_count") return w.length;
  const f = c.field ?? "";
  return new Set(w.map((m) => m.fields[f]).filter((v) => v !== "")).size;
}

function hit(c: CorrelationRule, w: BaseMatch[], n: number): CorrelationHit {
  const group: Record<string, string> = {};
  for (const g of c.groupBy) group[g] = w[0].fields[g] ?? "";
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

/**
 * Run the correlations. With lower bounds only (gt/gte) the window slides and reports as soon as it is
 * reached, then starts after it; with upper bounds (lt/lte/eq) a window is only known when it closes,
 * so windows are consecutive from each group's first match.
 */
export function runCorrelations(correlations: CorrelationRule[], matches: BaseMatch[]): CorrelationHit[] {
  const out: CorrelationHit[] = [];
  for (const c of correlations) {
    const groups = new Map<string, BaseMatch[]>();
    for (const m of matches) {
      if (!c.rules.includes(m.id) && !(m.name && c.rules.includes(m.name))) continue;
      const key = JSON.stringify(c.groupBy.map((g) => m.fields[g] ?? ""));
      const list = groups.get(key);
      if (list) list.push(m);
      else groups.set(key, [m]);
    }
    const upper =
      c.condition.lt !== undefined || c.condition.lte !== undefined || c.condition.eq !== undefined;
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
      let left = 0;
      for (let right = 0; right < list.length; right++) {
        while (list[right].time - list[left].time > c.timespanMs) left++;
        const n = c.type === "event_count" ? right - left + 1 : measure(c, list.slice(left, right + 1));
        if (satisfied(c.condition, n)) {
          out.push(hit(c, list.slice(left, right + 1), n));
          left = right + 1;
        }
      }
    }
  }
  return out;
}
