// Sigma conditions: a tokenizer and a recursive-descent parser (precedence not > and > or, brackets,
// `1 of`/`any of`/`all of`/`N of` with wildcards and `them`) to a tree, which is compiled to one closure.
import { invalid, type Matcher, unsupported } from "./types.js";

export type Cond =
  | { op: "id"; name: string }
  | { op: "and" | "or"; args: Cond[] }
  | { op: "not"; arg: Cond }
  | { op: "of"; count: number | "all"; names: string[] };

function tokenize(src: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|\||[^\s()|]+)/gy;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[1]);
  return out;
}

const wildcardRe = (p: string): RegExp =>
  new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );

/** Parse one condition string against the detection's search identifiers. */
export function parseCondition(src: string, identifiers: string[]): Cond {
  const t = tokenize(src);
  if (t.includes("|"))
    throw unsupported(
      "aggregation in the condition (Sigma 1 `| count() ...`, deprecated): rewrite it as a correlation rule",
    );
  let i = 0;
  const peek = (): string | undefined => t[i];
  const lower = (): string | undefined => t[i]?.toLowerCase();
  const expect = (s: string) => {
    if (lower() !== s) throw invalid(`condition: expected '${s}' at token ${i + 1} of "${src}"`);
    i++;
  };
  const orExpr = (): Cond => {
    const args = [andExpr()];
    while (lower() === "or") {
      i++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0] : { op: "or", args };
  };
  const andExpr = (): Cond => {
    const args = [notExpr()];
    while (lower() === "and") {
      i++;
      args.push(notExpr());
    }
    return args.length === 1 ? args[0] : { op: "and", args };
  };
  const notExpr = (): Cond => {
    if (lower() === "not") {
      i++;
      return { op: "not", arg: notExpr() };
    }
    return primary();
  };
  const primary = (): Cond => {
    const tok = peek();
    if (tok === undefined) throw invalid(`condition: ends too early: "${src}"`);
    if (tok === "(") {
      i++;
      const e = orExpr();
      expect(")");
      return e;
    }
    const l = tok.toLowerCase();
    if (t[i + 1]?.toLowerCase() === "of" && (l === "all" || l === "any" || /^\d+$/.test(l))) {
      i += 2;
      const target = peek();
      if (target === undefined) throw invalid(`condition: '${tok} of' without a target`);
      i++;
      const count = l === "all" ? "all" : l === "any" ? 1 : Number(l);
      let names: string[];
      if (target.toLowerCase() === "them") names = identifiers.filter((n) => !n.startsWith("_"));
      else {
        const re = wildcardRe(target);
        names = identifiers.filter((n) => re.test(n));
      }
      if (names.length === 0) throw invalid(`condition: '${tok} of ${target}' matches no search identifier`);
      return { op: "of", count, names };
    }
    if (["and", "or", "not", "of", ")"].includes(l))
      throw invalid(`condition: unexpected '${tok}' in "${src}"`);
    if (!identifiers.includes(tok)) throw invalid(`condition: unknown search identifier '${tok}'`);
    i++;
    return { op: "id", name: tok };
  };
  const e = orExpr();
  if (i < t.length) throw invalid(`condition: unexpected '${t[i]}' in "${src}"`);
  return e;
}

/** The condition as one closure over the compiled selections. */
export function compileCondition(c: Cond, sel: Map<string, Matcher>): Matcher {
  switch (c.op) {
    case "id": {
      const m = sel.get(c.name);
      if (!m) throw invalid(`condition: unknown search identifier '${c.name}'`);
      return m;
    }
    case "not": {
      const m = compileCondition(c.arg, sel);
      return (r) => !m(r);
    }
    case "and": {
      const ms = c.args.map((a) => compileCondition(a, sel));
      if (ms.length === 2) {
        const [a, b] = ms;
        return (r) => a(r) && b(r);
      }
      return (r) => ms.every((m) => m(r));
    }
    case "or": {
      const ms = c.args.map((a) => compileCondition(a, sel));
      return (r) => ms.some((m) => m(r));
    }
    case "of": {
      const ms = c.names.map((n) => compileCondition({ op: "id", name: n }, sel));
      if (c.count === "all") return (r) => ms.every((m) => m(r));
      const need = c.count;
      if (need <= 1) return (r) => ms.some((m) => m(r));
      return (r) => {
        let n = 0;
        for (const m of ms) if (m(r) && ++n >= need) return true;
        return false;
      };
    }
  }
}

/**
 * What any match of a condition needs, folded from what each search identifier needs (null: nothing
 * known). Sound by construction: an AND (and `all of`) needs what one constrained branch needs
 * (`narrowest` picks it), an OR (and `1 of`, `N of`) needs one of its branches, so the union of all of
 * them (`union`, null when any is unconstrained), and a NOT constrains nothing. The event-id, image-key
 * and literal-anchor prefilters each give their own leaf, narrowest and union.
 */
export function necessary<T>(
  c: Cond,
  leaf: (name: string) => T | null,
  narrowest: (xs: (T | null)[]) => T | null,
  union: (xs: (T | null)[]) => T | null,
): T | null {
  const walk = (x: Cond): T | null => {
    switch (x.op) {
      case "id":
        return leaf(x.name);
      case "not":
        return null;
      case "and":
        return narrowest(x.args.map(walk));
      case "or":
        return union(x.args.map(walk));
      case "of": {
        const xs = x.names.map(leaf);
        return x.count === "all" ? narrowest(xs) : union(xs);
      }
    }
  };
  return walk(c);
}

/**
 * EventIDs the condition can only be true for (null: any). Exact-or-looser: an AND needs one
 * constrained branch, an OR needs all of them, NOT constrains nothing.
 */
export function conditionEventIds(c: Cond, ids: Map<string, Set<number> | null>): Set<number> | null {
  const all = (xs: (Set<number> | null)[]): Set<number> | null => {
    if (xs.some((x) => x === null)) return null;
    const u = new Set<number>();
    for (const x of xs) for (const v of x as Set<number>) u.add(v);
    return u;
  };
  const any = (xs: (Set<number> | null)[]): Set<number> | null => {
    let best: Set<number> | null = null;
    for (const x of xs) if (x && (best === null || x.size < best.size)) best = x;
    return best;
  };
  return necessary(c, (n) => ids.get(n) ?? null, any, all);
}
