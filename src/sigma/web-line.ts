// The raw-line pre-test of the webserver rules' index (sigma/web-index.ts). Every test of a rule (a
// key: the field's last segment is one of a few names; a clause: the field's lower-cased value
// contains one of a few literals) implies that the row's whole line, lower-cased, contains the same
// literal in the form the log writes it, because an IIS line holds every field's raw value:
// - URI fields are not decoded; the whole URI (`stem?query`) is written with a space for its `?`,
//   so a literal with `?` is represented by its longest `?`-free piece;
// - the user agent, referer and cookie are read with `+` turned into a space: IIS writes `+` for
//   each of the literal's spaces, so its longest piece between spaces represents it;
// - keyword literals are searched in the line itself.
// So a rule one of whose tests has none of its literals in the lower-cased line cannot match, and the
// row is neither split nor decoded for it. Exact-or-looser: the field tests still decide.
import { minimalLiterals } from "../model/literals.js";
import { TEXT_FIELD } from "./anchors.js";
import { W3C_PLUS_FIELDS, WEBSERVER_FULL_URI } from "./logsources.js";
import { reEscape } from "./pattern.js";

/** A test as the index holds it: its field and its literals (a key's names, a clause's atoms). */
export interface FieldTest {
  field: string;
  lits: readonly string[];
  /** A key (method, status): a value most rows have one of, so a weak test, tried last. */
  key?: boolean;
}

const longest = (xs: string[]): string => xs.reduce((a, b) => (b.length > a.length ? b : a), "");

/** The line literal that a field value containing `lit` puts in the line; null: none is implied. */
export function lineForm(field: string, lit: string): string | null {
  let s = lit;
  if (field !== TEXT_FIELD) {
    if (field === WEBSERVER_FULL_URI && s.includes("?")) s = longest(s.split("?"));
    // The line may have a space or a `+` for each space of such a value: its longest piece between them.
    if (W3C_PLUS_FIELDS[field]) s = longest(s.split(/[ +]/));
    // A raw value holds no space or tab (they separate the fields): such a literal says nothing here.
    else if (/[ \t]/.test(s)) return null;
  }
  return s.length > 0 ? s : null;
}

/** A line test: one of its literals is in the line. Three or more are one alternation. */
interface LineClause {
  lits: string[];
  re: RegExp | null;
}

export interface LinePlan {
  /** Distinct line tests, shared by the rules that have them. */
  clauses: LineClause[];
  /** Per rule, its line tests (clause ids), all of which must hold; the likeliest to fail first. */
  rules: number[][];
  /** The current row's tests: 0 not yet, 1 holds, 2 does not (reset per row by lineReset). */
  row: Int8Array;
}

/** The line tests of each rule, from its field tests (each a disjunction over fields and literals). */
export function buildLinePlan(rules: readonly (readonly (readonly FieldTest[])[])[]): LinePlan {
  const clauses: LineClause[] = [];
  const ids = new Map<string, number>();
  const perRule = rules.map((tests) => {
    const mine: { id: number; key: boolean; size: number; weakest: number }[] = [];
    for (const test of tests) {
      const forms: string[] = [];
      let open = false;
      for (const t of test)
        for (const l of t.lits) {
          const f = lineForm(t.field, l);
          if (f === null) open = true;
          else forms.push(f);
        }
      // A literal with no line form lets every line through: the test gates nothing.
      if (open || forms.length === 0) continue;
      // A literal that contains another of the same test adds nothing: a line with it has the other.
      const lits = minimalLiterals(forms).reverse();
      const k = JSON.stringify(lits);
      let id = ids.get(k);
      if (id === undefined) {
        id =
          clauses.push({ lits, re: lits.length >= 3 ? new RegExp(lits.map(reEscape).join("|")) : null }) - 1;
        ids.set(k, id);
      }
      if (mine.some((m) => m.id === id)) continue;
      mine.push({
        id,
        key: test.some((t) => t.key),
        size: lits.length,
        weakest: lits[lits.length - 1].length,
      });
    }
    // Tests on URIs and agents before keys (most rows are a GET or a POST); one lookup or one
    // alternation before two; then the longest weakest literal.
    mine.sort(
      (a, b) =>
        Number(a.key) - Number(b.key) || Math.min(a.size, 3) - Math.min(b.size, 3) || b.weakest - a.weakest,
    );
    return mine.map((m) => m.id);
  });
  return { clauses, rules: perRule, row: new Int8Array(clauses.length) };
}

/** Forget the last row's results. */
export function lineReset(plan: LinePlan): void {
  plan.row.fill(0);
}

/** Whether every line test of a rule holds in `lower` (the line, lower-cased) since the last reset. */
export function lineHolds(plan: LinePlan, rule: readonly number[], lower: string): boolean {
  const row = plan.row;
  for (let i = 0; i < rule.length; i++) {
    const id = rule[i];
    if (row[id] === 0) {
      const c = plan.clauses[id];
      let one = false;
      if (c.re !== null) one = c.re.test(lower);
      else for (let j = 0; j < c.lits.length && !one; j++) one = lower.includes(c.lits[j]);
      row[id] = one ? 1 : 2;
    }
    if (row[id] === 2) return false;
  }
  return true;
}

/**
 * Whether some rule's line tests all hold in `lower`; null when some rule has none (every line may
 * match it). For the reader's gate (before the row is made), on the line as logged. `gates[i]`: rule
 * i's line literals (one of which every line it matches holds; null: none known); told which gate
 * literals the row holds (each a piece of some rule's), only the rules with a literal that contains
 * one of them are tried.
 */
export function anyRuleTest(
  plan: LinePlan,
  gates: readonly (readonly string[] | null)[],
): ((lower: string, hits: readonly string[] | null) => boolean) | null {
  if (plan.rules.length === 0 || plan.rules.some((r) => r.length === 0)) return null;
  const all = plan.rules.map((_, i) => i);
  // Per gate literal, the rules it can stand for (at most one entry per literal of the plan).
  const rulesOf = new Map<string, number[]>();
  const forHit = (h: string): number[] => {
    let rs = rulesOf.get(h);
    if (rs === undefined) {
      rs = all.filter((i) => gates[i] === null || (gates[i] ?? []).some((l) => l.includes(h)));
      rulesOf.set(h, rs);
    }
    return rs;
  };
  const tried = new Uint8Array(plan.rules.length);
  return (lower, hits) => {
    lineReset(plan);
    if (hits === null) {
      for (const r of plan.rules) if (lineHolds(plan, r, lower)) return true;
      return false;
    }
    tried.fill(0);
    for (const h of hits)
      for (const i of forHit(h)) {
        if (tried[i] === 1) continue;
        tried[i] = 1;
        if (lineHolds(plan, plan.rules[i], lower)) return true;
      }
    return false;
  };
}
