// Webserver rules over IIS rows, indexed by field: a rule is matched only on rows where its necessary
// conditions hold, tested on the fields themselves, not on the line. Two kinds, both derived from the
// detection and its condition (sigma/condition.ts necessary(), exact-or-looser): keys (the field's
// value is one of a few names: `cs-method: POST`, `sc-status: 401`; sigma/prefilter.ts) and clauses of
// anchors (a literal the field's lower-cased value contains: `/ecp/` in the URI, a user agent's
// `python-requests/2.`; keywords anchored on the line; sigma/anchors.ts), all of which must hold. An
// anchor is tested once per row whatever the number of rules that have it, and not at all when the
// union of its field's anchors is absent from the field; a rule's tests run cheapest field first
// (the user agent, which is rewritten, and the line come last). Fields are read (and the URI decoded)
// only when a test asks for them. Rules with neither are gated by their line literals.
import { minimalLiterals } from "../model/literals.js";
import type { LogRow } from "../model/records.js";
import { TEXT_FIELD } from "./anchors.js";
import { W3C_PLUS_FIELDS } from "./logsources.js";
import { reEscape } from "./pattern.js";
import { lastSegment } from "./prefilter.js";
import type { RuleSet } from "./ruleset.js";
import type { CompiledRule, RecordView } from "./types.js";
import { webView } from "./views.js";
import { anyRuleTest, buildLinePlan, type LinePlan, lineHolds, lineReset } from "./web-line.js";

type Keys = [string, Set<string>][];

/** One test of a rule: its keys (atoms empty), or a clause (atom ids, one of which must hold). */
interface Step {
  keys: Keys | null;
  atoms: number[];
}

interface RuleNeeds {
  /** The rule's tests, all of which must hold, in the order they are tried; null: no keys or anchors. */
  steps: Step[] | null;
  /** Neither keys nor anchors: one of these must be in the line (null: every row). */
  line: RegExp | null;
}

/** An anchor, shared by every rule that has it: the field's lower-cased value contains `lit`. */
interface Atom {
  field: number;
  lit: string;
}

export interface WebIndex {
  rules: RuleNeeds[];
  atoms: Atom[];
  /** The anchored fields; per field, the union of its atoms' literals (no row holds an atom without it). */
  fields: { name: string; union: RegExp }[];
  /** The union of the rules' line literals (null: some rule has none), for rows no plan gated. */
  any: RegExp | null;
  /** The current row's tests (reset for each row; matchRow is never re-entered). */
  row: { atom: Int8Array; field: Int8Array };
  /** The rules' tests as literals of the raw line, tried before the row is split (sigma/web-line.ts). */
  line: LinePlan;
  /** Every rule has a line test: the union `any` adds nothing. */
  allLined: boolean;
  /** Per rule, its line literals (lower case; null: none), which the one-pass search gates on. */
  gates: (string[] | null)[];
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
  return minimalLiterals([...all]);
}

/** Relative cost of reading a field: the line and the rewritten (`+` to space) fields cost more. */
const fieldCost = (field: string): number => (field === TEXT_FIELD ? 3 : W3C_PLUS_FIELDS[field] ? 2 : 1);

/** Whether every value the keys allow holds one of the clause's anchors (the clause adds nothing). */
function impliedByKeys(keys: Keys, clause: readonly { field: string; lit: string }[]): boolean {
  return keys.every(([field, names]) =>
    [...names].every((n) => clause.some((a) => a.field === field && n.includes(a.lit))),
  );
}

export function buildWebIndex(rules: readonly CompiledRule[]): WebIndex {
  const atoms: Atom[] = [];
  const atomIds = new Map<string, number>();
  const fieldIds = new Map<string, number>();
  const fieldLits: { name: string; lits: string[] }[] = [];
  const atomOf = (field: string, lit: string): number => {
    let f = fieldIds.get(field);
    if (f === undefined) {
      f = fieldLits.push({ name: field, lits: [] }) - 1;
      fieldIds.set(field, f);
    }
    const key = JSON.stringify([field, lit]);
    let id = atomIds.get(key);
    if (id === undefined) {
      id = atoms.push({ field: f, lit }) - 1;
      atomIds.set(key, id);
      fieldLits[f].lits.push(lit);
    }
    return id;
  };
  const needs = rules.map((r): RuleNeeds => {
    let keys: Keys | null = null;
    if (r.keys) {
      const m = new Map<string, Set<string>>();
      for (const k of r.keys) m.set(k.field, (m.get(k.field) ?? new Set()).add(k.name));
      keys = [...m];
    }
    const tests: { step: Step; cost: number; weakest: number }[] = [];
    // Keys first among tests on fields as cheap (a set lookup); then the clause whose shortest
    // literal is longest: it is the likeliest to fail.
    if (keys)
      tests.push({
        step: { keys, atoms: [] },
        cost: Math.max(...keys.map(([f]) => fieldCost(f))),
        weakest: Infinity,
      });
    for (const c of r.webAnchors ?? []) {
      if (keys && impliedByKeys(keys, c)) continue;
      tests.push({
        step: { keys: null, atoms: [...new Set(c.map((a) => atomOf(a.field, a.lit)))] },
        cost: Math.max(...c.map((a) => fieldCost(a.field))),
        weakest: Math.min(...c.map((a) => a.lit.length)),
      });
    }
    tests.sort((a, b) => a.cost - b.cost || b.weakest - a.weakest);
    const steps = tests.length > 0 ? tests.map((t) => t.step) : null;
    return { steps, line: !steps && r.lineLiterals ? anyOfLiterals(r.lineLiterals) : null };
  });
  const lits = webLiterals({ web: rules });
  const line = buildLinePlan(
    needs.map((n) =>
      (n.steps ?? []).map((s) =>
        s.keys
          ? s.keys.map(([field, names]) => ({ field, lits: [...names], key: true }))
          : s.atoms.map((a) => ({ field: fieldLits[atoms[a].field].name, lits: [atoms[a].lit] })),
      ),
    ),
  );
  return {
    rules: needs,
    atoms,
    fields: fieldLits.map((f) => ({ name: f.name, union: anyOfLiterals(f.lits) })),
    any: lits && lits.length > 0 ? anyOfLiterals(lits) : null,
    row: { atom: new Int8Array(atoms.length), field: new Int8Array(fieldLits.length) },
    line,
    allLined: line.rules.every((c) => c.length > 0),
    gates: rules.map((r) => r.lineLiterals?.map((l) => l.toLowerCase()) ?? null),
  };
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

/** U+212A and U+0130 (which lower-case to ASCII letters) as UTF-8 read as Latin-1, lower-cased. */
const FOLDS_TO_ASCII_LATIN1 = /\u00e2\u0084\u00aa|\u00e4\u00b0/;

/**
 * The reader's gate for the rules' rows: whether the line as logged (Latin-1, lower-cased) passes
 * every line test of some rule (sigma/web-line.ts); null when some rule has none. A line with a
 * character that lower-cases to an ASCII letter passes (its fields' lower case differs from this form).
 */
export function webLineGate(
  ix: WebIndex | null,
): ((lower: string, gateHits: readonly string[] | null) => boolean) | null {
  if (ix === null) return null;
  const test = anyRuleTest(ix.line, ix.gates);
  if (test === null) return null;
  // Both forms end in a byte no ASCII line has: one character search rules most lines out.
  return (lower, gateHits) =>
    test(lower, gateHits) ||
    ((lower.includes("\u00aa") || lower.includes("\u00b0")) && FOLDS_TO_ASCII_LATIN1.test(lower));
}

/** One row's tests, each done at most once: 0 not yet, 1 holds, 2 does not. */
interface RowTests {
  ix: WebIndex;
  view: RecordView;
  atom: Int8Array;
  field: Int8Array;
}

function fieldOpen(t: RowTests, f: number): boolean {
  if (t.field[f] === 0) {
    const { name, union } = t.ix.fields[f];
    let open: boolean;
    if (name === TEXT_FIELD) open = t.view.text().some((v) => holdsLiteral(union, v));
    else {
      const v = t.view.get(name);
      open = v !== undefined && holdsLiteral(union, v);
    }
    t.field[f] = open ? 1 : 2;
  }
  return t.field[f] === 1;
}

function atomHolds(t: RowTests, i: number): boolean {
  if (t.atom[i] === 0) {
    const { field, lit } = t.ix.atoms[i];
    let holds = false;
    if (fieldOpen(t, field)) {
      const name = t.ix.fields[field].name;
      if (name === TEXT_FIELD) holds = t.view.textLower().some((v) => v.includes(lit));
      else holds = t.view.lower(name)?.includes(lit) === true;
    }
    t.atom[i] = holds ? 1 : 2;
  }
  return t.atom[i] === 1;
}

function keysHold(keys: Keys, view: RecordView): boolean {
  for (const [field, names] of keys) {
    const v = view.lower(field);
    if (v !== undefined && names.has(lastSegment(v))) return true;
  }
  return false;
}

function stepsHold(steps: Step[], t: RowTests): boolean {
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.keys !== null) {
      if (!keysHold(s.keys, t.view)) return false;
      continue;
    }
    let one = false;
    for (let j = 0; j < s.atoms.length && !one; j++) one = atomHolds(t, s.atoms[j]);
    if (!one) return false;
  }
  return true;
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
  if (!o.gated && ix.any && !ix.allLined && !holdsLiteral(ix.any, row.text())) return;
  // The line tests first, on the line lower-cased once: most rows that reach here fail them all and
  // are never split. A row's text holds every field's raw value (the IIS line; test rows alike).
  const lower = row.text().toLowerCase();
  lineReset(ix.line);
  let view: RecordView | undefined;
  let tests: RowTests | undefined;
  for (let i = 0; i < rules.length; i++) {
    const clauses = ix.line.rules[i];
    if (clauses.length > 0 && !lineHolds(ix.line, clauses, lower)) continue;
    view ??= webView(row);
    const n = ix.rules[i];
    if (n.steps) {
      if (tests === undefined) {
        ix.row.atom.fill(0);
        ix.row.field.fill(0);
        tests = { ix, view, atom: ix.row.atom, field: ix.row.field };
      }
      if (!stepsHold(n.steps, tests)) continue;
    } else if (n.line && !holdsLiteral(n.line, row.text())) continue;
    if (rules[i].match(view)) onMatch(rules[i], view);
  }
}
