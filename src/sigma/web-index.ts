// Webserver rules over IIS rows, indexed by field: a rule is matched only on rows where its necessary
// conditions hold, tested on the fields themselves, not on the line. Two kinds, both derived from the
// detection and its condition (sigma/condition.ts necessary(), exact-or-looser): keys (the field's
// value is one of a few names: `cs-method: POST`, `sc-status: 401`; sigma/prefilter.ts) and anchors
// (a literal the field's lower-cased value contains: `/ecp/` in the URI, a user agent's `python-requests/2.`;
// keywords anchored on the line; sigma/anchors.ts). A rule with both must pass both. One literal search
// per anchored field finds the anchors of every rule at once; fields are read (and the URI decoded) only
// when a rule that passed its keys asks for them. Rules with neither are gated by their line literals.
import type { LogRow } from "../model/records.js";
import { TEXT_FIELD } from "./anchors.js";
import { reEscape } from "./pattern.js";
import { lastSegment } from "./prefilter.js";
import type { RuleSet } from "./ruleset.js";
import type { CompiledRule, RecordView } from "./types.js";
import { webView } from "./views.js";

interface RuleNeeds {
  /** Per field, the last segments one of which the value must have; null: no keys. */
  keys: [string, Set<string>][] | null;
  /** Per anchored field, its literals (either case): one must occur; null: no anchors. */
  anchored: [string, RegExp][] | null;
  /** Neither keys nor anchors: one of these must be in the line (null: every row). */
  line: RegExp | null;
}

export interface WebIndex {
  rules: RuleNeeds[];
  /** The union of the rules' line literals (null: some rule has none), for rows no plan gated. */
  any: RegExp | null;
}

const anyOfLiterals = (lits: string[]): RegExp => new RegExp(lits.map(reEscape).join("|"), "i");

/**
 * Literals one of which every IIS line a webserver rule can match contains (lower-case ASCII), or null
 * when some rule has none (then every row is read).
 */
export function webLiterals(set: { web: readonly CompiledRule[] }): string[] | null {
  const all = new Set<string>();
  for (const r of set.web) {
    if (!r.lineLiterals) return null;
    for (const l of r.lineLiterals) all.add(l);
  }
  // A literal that contains another adds nothing: a line with it has the shorter one too.
  const list = [...all].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const l of list) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept;
}

export function buildWebIndex(rules: readonly CompiledRule[]): WebIndex {
  const needs = rules.map((r): RuleNeeds => {
    let keys: RuleNeeds["keys"] = null;
    if (r.keys) {
      const m = new Map<string, Set<string>>();
      for (const k of r.keys) m.set(k.field, (m.get(k.field) ?? new Set()).add(k.name));
      keys = [...m];
    }
    let anchored: RuleNeeds["anchored"] = null;
    if (r.webAnchors) {
      const m = new Map<string, string[]>();
      for (const a of r.webAnchors) m.set(a.field, [...(m.get(a.field) ?? []), a.lit]);
      anchored = [...m].map(([f, lits]) => [f, anyOfLiterals(lits)]);
    }
    const line = !keys && !anchored && r.lineLiterals ? anyOfLiterals(r.lineLiterals) : null;
    return { keys, anchored, line };
  });
  const lits = webLiterals({ web: rules });
  return { rules: needs, any: lits && lits.length > 0 ? anyOfLiterals(lits) : null };
}

function keysHold(keys: [string, Set<string>][], view: RecordView): boolean {
  for (const [field, names] of keys) {
    const v = view.lower(field);
    if (v !== undefined && names.has(lastSegment(v))) return true;
  }
  return false;
}

/** Characters whose lower case holds an ASCII letter (K for the Kelvin sign, i for dotted I). */
const FOLDS_TO_ASCII = /[\u0130\u212a]/;

/**
 * Whether the lower-cased `v` contains one of the ASCII literals of `re` (an `i` alternation): the same
 * as `re` on `v` itself (without the u flag, `i` folds no other character onto ASCII), but for the two
 * characters that lower-case to ASCII letters.
 */
export function holdsLiteral(re: RegExp, v: string): boolean {
  return re.test(v) || (FOLDS_TO_ASCII.test(v) && re.test(v.toLowerCase()));
}

function anchorsHold(anchored: [string, RegExp][], view: RecordView): boolean {
  for (const [field, re] of anchored) {
    if (field === TEXT_FIELD) {
      for (const t of view.text()) if (holdsLiteral(re, t)) return true;
      continue;
    }
    const v = view.get(field);
    if (v !== undefined && holdsLiteral(re, v)) return true;
  }
  return false;
}

export interface WebMatchOptions {
  /**
   * The rows come gated by the rules' line literals already (the scan's one-pass search): the union
   * test on the line is not repeated. Default: it is done first, as most rows hold none.
   */
  gated?: boolean;
}

export function matchRow(
  set: RuleSet,
  row: LogRow,
  onMatch: (rule: CompiledRule, view: ReturnType<typeof webView>) => void,
  o: WebMatchOptions = {},
): void {
  const rules = set.web;
  if (rules.length === 0) return;
  const ix = set.webIndex;
  if (ix === null) {
    // No index (the equivalence test): every rule's full matcher on every row.
    const view = webView(row);
    for (const r of rules) if (r.match(view)) onMatch(r, view);
    return;
  }
  if (!o.gated && ix.any && !holdsLiteral(ix.any, row.text())) return;
  let view: ReturnType<typeof webView> | undefined;
  for (let i = 0; i < rules.length; i++) {
    const n = ix.rules[i];
    view ??= webView(row);
    if (n.keys && !keysHold(n.keys, view)) continue;
    if (n.anchored ? !anchorsHold(n.anchored, view) : n.line && !holdsLiteral(n.line, row.text())) continue;
    if (rules[i].match(view)) onMatch(rules[i], view);
  }
}
