// A set of compiled rules, indexed so that a record meets only the rules that can match it: events by
// channel and event id (from the log source mapping and the rules' own `EventID`), web-server rows by
// their kind. Built once per scan and thread; matching allocates one view per record and rule group.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { EventRecord } from "../model/records.js";
import { parseThroughCache } from "./cache.js";
import { type LiteralSearch, literalSearch, searchLiterals } from "./literals.js";
import { compileParsed, type ParsedRuleFile, parseRuleText } from "./load.js";
import { type EventTarget, placeRule, SYSMON } from "./logsources.js";
import { lastSegment } from "./prefilter.js";
import {
  type CompiledRule,
  type CompileOptions,
  type CorrelationRule,
  type LoadProblem,
  SIGMA_LEVELS,
  type SigmaLevel,
} from "./types.js";
import { eventView } from "./views.js";
import { buildWebIndex, type WebIndex } from "./web-index.js";

export { matchRow, webLineGate, webLiterals } from "./web-index.js";

/**
 * Rules that share a target (and so the same field renames): one view serves them all. Rules with
 * keys (sigma/prefilter.ts) are found through the file names of the event's keyed fields, rules with
 * anchors (sigma/anchors.ts) through one search per anchored field for all their literals; the others
 * are always tried.
 */
interface Group {
  renames: Readonly<Record<string, string>> | undefined;
  rules: CompiledRule[];
  unkeyed: number[];
  keyed: Map<string, Map<string, number[]>>;
  /** Per field, literal → rules anchored on it; searched through `search`, built on first use. */
  anchored: Map<string, Map<string, number[]>>;
  search: Map<string, LiteralSearch> | null;
  /** Per rule: the last event it was tried on (dedupes rules found under several keys). */
  seen: number[];
  stamp: number;
}

interface ChannelIndex {
  byId: Map<number, Group[]>;
  /** Groups for rules that can match any event id of the channel. */
  any: Group[];
}

export interface NotApplicable {
  file: string;
  id: string;
  title: string;
  reason: string;
}

export interface RuleSet {
  rules: CompiledRule[];
  correlations: CorrelationRule[];
  problems: LoadProblem[];
  /** Rules for log sources exhunt does not read (Linux, cloud, proxies...): counted, not run. */
  notApplicable: NotApplicable[];
  /** Rules filtered out by the level option. */
  belowLevel: number;
  channels: Map<string, ChannelIndex>;
  web: CompiledRule[];
  /** The webserver rules' field index (sigma/web-index.ts); null without the index (`index: false`). */
  webIndex: WebIndex | null;
}

/** Channel names as the index keys them (case-insensitive). */
const channelKey = (c: string): string => c.toLowerCase();

/** Exports without a channel still name their provider. */
const PROVIDER_CHANNEL: Record<string, string> = {
  "microsoft-windows-sysmon": SYSMON,
  "microsoft-windows-security-auditing": "Security",
  "msexchange cmdletlogs": "MSExchange Management",
};

function groupFor(list: Group[], renames: Group["renames"]): Group {
  let g = list.find((x) => x.renames === renames);
  if (!g) {
    g = {
      renames,
      rules: [],
      unkeyed: [],
      keyed: new Map(),
      anchored: new Map(),
      search: null,
      seen: [],
      stamp: 0,
    };
    list.push(g);
  }
  return g;
}

function addToGroup(g: Group, rule: CompiledRule, index: boolean): void {
  const i = g.rules.length;
  g.rules.push(rule);
  g.seen.push(0);
  if (index && !rule.keys && rule.anchors) {
    for (const a of rule.anchors) {
      let byLit = g.anchored.get(a.field);
      if (!byLit) {
        byLit = new Map();
        g.anchored.set(a.field, byLit);
      }
      const list = byLit.get(a.lit);
      if (list) list.push(i);
      else byLit.set(a.lit, [i]);
    }
    return;
  }
  if (!index || !rule.keys) {
    g.unkeyed.push(i);
    return;
  }
  for (const k of rule.keys) {
    let byName = g.keyed.get(k.field);
    if (!byName) {
      byName = new Map();
      g.keyed.set(k.field, byName);
    }
    const list = byName.get(k.name);
    if (list) list.push(i);
    else byName.set(k.name, [i]);
  }
}

function addEventRule(
  channels: Map<string, ChannelIndex>,
  t: EventTarget,
  rule: CompiledRule,
  index: boolean,
): void {
  const key = channelKey(t.channel);
  let ci = channels.get(key);
  if (!ci) {
    ci = { byId: new Map(), any: [] };
    channels.set(key, ci);
  }
  let ids: number[] | null = t.eventIds;
  if (rule.eventIds) ids = ids ? ids.filter((x) => rule.eventIds?.includes(x)) : rule.eventIds;
  if (ids === null) {
    addToGroup(groupFor(ci.any, t.renames), rule, index);
    return;
  }
  for (const id of ids) {
    let list = ci.byId.get(id);
    if (!list) {
      list = [];
      ci.byId.set(id, list);
    }
    addToGroup(groupFor(list, t.renames), rule, index);
  }
}

export interface BuildOptions {
  /** Only rules at this level or above. */
  minLevel?: SigmaLevel;
  /**
   * Index events' rules by their keys and anchors (default). False: every rule of a channel and event
   * id is tried on each event (the equivalence test compares the two).
   */
  index?: boolean;
}

export function buildRuleSet(
  loaded: { rules: CompiledRule[]; correlations: CorrelationRule[]; problems: LoadProblem[] },
  o: BuildOptions = {},
): RuleSet {
  const set: RuleSet = {
    rules: [],
    correlations: loaded.correlations,
    problems: loaded.problems,
    notApplicable: [],
    belowLevel: 0,
    channels: new Map(),
    web: [],
    webIndex: null,
  };
  const min = SIGMA_LEVELS.indexOf(o.minLevel ?? "informational");
  const checked = checkCorrelations(loaded.rules, loaded.correlations);
  set.correlations = checked.correlations;
  set.problems = [...loaded.problems, ...checked.problems];
  const referenced = new Set(set.correlations.flatMap((c) => c.rules));
  for (const rule of loaded.rules) {
    const counted = referenced.has(rule.meta.id) || (rule.name !== null && referenced.has(rule.name));
    if (SIGMA_LEVELS.indexOf(rule.meta.level) < min && !counted) {
      set.belowLevel++;
      continue;
    }
    // Sigma 2: rules a correlation counts do not report on their own unless it says `generate: true`.
    if (counted) {
      rule.generate = set.correlations.some(
        (c) =>
          c.generate &&
          (c.rules.includes(rule.meta.id) || (rule.name !== null && c.rules.includes(rule.name))),
      );
    }
    const p = placeRule(rule.logsource);
    if (p.kind === "none") {
      set.notApplicable.push({
        file: rule.meta.file,
        id: rule.meta.id,
        title: rule.meta.title,
        reason: p.reason,
      });
      continue;
    }
    set.rules.push(rule);
    if (p.kind === "web") set.web.push(rule);
    else for (const t of p.targets) addEventRule(set.channels, t, rule, o.index ?? true);
  }
  if (o.index ?? true) set.webIndex = buildWebIndex(set.web);
  return set;
}

/**
 * Correlations whose references all resolve (to a rule or another correlation, by id or name), whose
 * aliases name referenced rules, and that are not part of a cycle; the others are problems with the reason.
 */
function checkCorrelations(
  rules: CompiledRule[],
  correlations: CorrelationRule[],
): { correlations: CorrelationRule[]; problems: LoadProblem[] } {
  const known = new Set<string>();
  for (const r of rules) {
    known.add(r.meta.id);
    if (r.name) known.add(r.name);
  }
  for (const c of correlations) {
    known.add(c.meta.id);
    if (c.name) known.add(c.name);
  }
  const problems: LoadProblem[] = [];
  const bad = (c: CorrelationRule, reason: string) =>
    problems.push({ file: c.meta.file, id: c.meta.id, title: c.meta.title, kind: "invalid", reason });
  const ok = new Set<CorrelationRule>();
  for (const c of correlations) {
    const missing = c.rules.filter((r) => !known.has(r));
    if (missing.length) {
      bad(c, `correlation: no rule or correlation with the id or name ${missing.join(", ")}`);
      continue;
    }
    // An alias is keyed by a counted rule's name (or id), whichever of the two `rules` lists.
    const counted = new Set(c.rules);
    for (const x of [
      ...rules.map((r) => ({ id: r.meta.id, name: r.name })),
      ...correlations.map((d) => ({ id: d.meta.id, name: d.name })),
    ])
      if (counted.has(x.id) || (x.name !== null && counted.has(x.name))) {
        counted.add(x.id);
        if (x.name) counted.add(x.name);
      }
    const stray = Object.entries(c.aliases).flatMap(([alias, per]) =>
      Object.keys(per)
        .filter((k) => !counted.has(k))
        .map((k) => `${alias}: ${k}`),
    );
    if (stray.length) {
      bad(c, `correlation aliases name rules the correlation does not count (${stray.join("; ")})`);
      continue;
    }
    ok.add(c);
  }
  // A chain must end: follow references between correlations; one that reaches itself is refused.
  const refs = (c: CorrelationRule): CorrelationRule[] =>
    correlations.filter((d) => c.rules.includes(d.meta.id) || (d.name !== null && c.rules.includes(d.name)));
  const reaches = (from: CorrelationRule, target: CorrelationRule, seen: Set<CorrelationRule>): boolean =>
    refs(from).some((d) => {
      if (d === target) return true;
      if (seen.has(d)) return false;
      seen.add(d);
      return reaches(d, target, seen);
    });
  for (const c of [...ok])
    if (reaches(c, c, new Set())) {
      ok.delete(c);
      bad(c, "correlation: a cycle of correlations counting each other");
    }
  // One that counts a refused correlation can never fire: refused too, with the reason.
  let changed = true;
  while (changed) {
    changed = false;
    for (const c of [...ok]) {
      const gone = refs(c).find((d) => !ok.has(d));
      if (gone) {
        ok.delete(c);
        bad(c, `correlation: it counts ${gone.meta.id}, which did not load`);
        changed = true;
      }
    }
  }
  return { correlations: correlations.filter((c) => ok.has(c)), problems };
}

/** The rule files under each path (a file or a folder, recursively), sorted. */
export function ruleFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const e of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...ruleFiles(p));
    else if (/\.ya?ml$/i.test(e.name)) out.push(p);
  }
  return out;
}

export interface RuleSource {
  /** Shown with findings and problems: the path as given (a folder joined with the file's path in it). */
  file: string;
  text: string;
  licence: string | null;
  /** The text's YAML as data, when already parsed (through the cache, or by the main thread for workers). */
  parsed?: ParsedRuleFile;
}

/**
 * Read rule files (the caller decides what a missing path means). With `cacheDir` or `shipped` (a
 * shipped parse of these files), their YAML is parsed too, through the parsed-rule cache
 * (sigma/cache.ts); without, compileSources parses it.
 */
export function readRuleSources(
  path: string,
  licence: string | null = null,
  cacheDir: string | null = null,
  shipped: string | null = null,
): RuleSource[] {
  const sources = ruleFiles(path).map((f) => ({ file: f, text: readFileSync(f, "utf8"), licence }));
  if (cacheDir === null && shipped === null) return sources;
  const { parsed } = parseThroughCache(
    sources.map((s) => s.text),
    path,
    cacheDir,
    shipped,
  );
  return sources.map((s, i) => ({ ...s, parsed: parsed[i] }));
}

export function compileSources(sources: RuleSource[], o: CompileOptions & BuildOptions = {}): RuleSet {
  const all = {
    rules: [] as CompiledRule[],
    correlations: [] as CorrelationRule[],
    problems: [] as LoadProblem[],
  };
  for (const s of sources) {
    const r = compileParsed(s.parsed ?? parseRuleText(s.text), s.file, o, s.licence);
    all.rules.push(...r.rules);
    all.correlations.push(...r.correlations);
    all.problems.push(...r.problems);
  }
  return buildRuleSet(all, o);
}

function channelIndexFor(set: RuleSet, ev: EventRecord): ChannelIndex | undefined {
  const ci = set.channels.get(channelKey(ev.channel));
  if (ci || ev.channel) return ci;
  const c = PROVIDER_CHANNEL[ev.provider.toLowerCase()];
  return c ? set.channels.get(channelKey(c)) : undefined;
}

/** Whether any rule of the set can see events of this provider/channel at all (a cheap pre-check). */
export function hasEventRules(set: RuleSet): boolean {
  return set.channels.size > 0;
}

/** Rules (that report) matching one event. `onMatch` gets each with the view it matched through. */
export function matchEvent(
  set: RuleSet,
  ev: EventRecord,
  onMatch: (rule: CompiledRule, view: ReturnType<typeof eventView>) => void,
): void {
  const ci = channelIndexFor(set, ev);
  if (!ci) return;
  const byId = ci.byId.get(ev.eventId);
  if (byId) runGroups(byId, ev, onMatch);
  if (ci.any.length) runGroups(ci.any, ev, onMatch);
}

function runGroups(
  groups: Group[],
  ev: EventRecord,
  onMatch: (rule: CompiledRule, view: ReturnType<typeof eventView>) => void,
): void {
  for (const g of groups) {
    const view = eventView(ev, g.renames);
    const stamp = ++g.stamp;
    let candidates: number[] = g.unkeyed;
    let copied = false;
    for (const [field, byName] of g.keyed) {
      const v = view.lower(field);
      if (v === undefined) continue;
      const hit = byName.get(lastSegment(v));
      if (!hit) continue;
      if (!copied) {
        candidates = [...candidates];
        copied = true;
      }
      for (const i of hit) {
        if (g.seen[i] === stamp) continue;
        g.seen[i] = stamp;
        candidates.push(i);
      }
    }
    if (g.anchored.size) {
      if (g.search === null)
        g.search = new Map([...g.anchored].map(([field, byLit]) => [field, literalSearch(byLit)]));
      for (const [field, search] of g.search) {
        const v = view.lower(field);
        if (v === undefined) continue;
        const hits: number[] = [];
        searchLiterals(search, v, hits);
        for (const j of hits)
          for (const i of search.payload[j]) {
            if (g.seen[i] === stamp) continue;
            g.seen[i] = stamp;
            if (!copied) {
              candidates = [...candidates];
              copied = true;
            }
            candidates.push(i);
          }
      }
    }
    // In the rules' own order, whatever key or anchor found them.
    if (copied) candidates.sort((a, b) => a - b);
    for (const i of candidates) {
      const r = g.rules[i];
      if (r.match(view)) onMatch(r, view);
    }
  }
}
