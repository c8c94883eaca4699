// No module keeps mutable state (docs/architecture.md): options and per-scan data travel in an explicit
// context. Every module of src/ is parsed with the TypeScript compiler and fails when it declares a
// module-level `let`/`var`, or when code inside a function writes to a module-level collection (a Map,
// Set, array or plain object declared with `const`: `.set`, `.add`, `.push`, `.delete`, `.clear`, an
// element or property assignment). Module-level values computed on first use go through
// src/model/once.ts. Allowed: WeakMap/WeakSet caches keyed by an object (their entries live and die
// with the object, like a property of it), and collections filled once by top-level code.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { ROOT } from "../helpers.js";

const SRC = join(ROOT, "src");
const MUTATORS = new Set([
  "set",
  "add",
  "push",
  "pop",
  "shift",
  "unshift",
  "splice",
  "delete",
  "clear",
  "sort",
  "fill",
]);
const WEAK = /^new\s+Weak(Map|Set)\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(n) && !n.endsWith(".d.ts") ? [p] : [];
  });
}

function isFunctionLike(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessor(n) ||
    ts.isSetAccessor(n) ||
    ts.isClassStaticBlockDeclaration(n)
  );
}

/** The module-level state problems of one source file, as `line: what`. */
export function moduleStateProblems(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const out: string[] = [];
  const collections = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const flags = st.declarationList.flags;
    const isConst = (flags & ts.NodeFlags.Const) !== 0;
    for (const d of st.declarationList.declarations) {
      const name = d.name.getText(sf);
      if (!isConst) {
        out.push(`${line(d)}: module-level ${flags & ts.NodeFlags.Let ? "let" : "var"} ${name}`);
        continue;
      }
      const init = d.initializer;
      if (!init || !ts.isIdentifier(d.name)) continue;
      const src = init.getText(sf);
      if (WEAK.test(src)) continue;
      if (ts.isNewExpression(init) || ts.isArrayLiteralExpression(init) || ts.isObjectLiteralExpression(init))
        collections.add(name);
    }
  }
  const visit = (n: ts.Node, inFunction: boolean): void => {
    const inside = inFunction || isFunctionLike(n);
    if (inside && collections.size) {
      // NAME.set(..) and the other mutators
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        ts.isIdentifier(n.expression.expression) &&
        collections.has(n.expression.expression.text) &&
        MUTATORS.has(n.expression.name.text)
      )
        out.push(
          `${line(n)}: ${n.expression.getText(sf)}() writes module-level ${n.expression.expression.text}`,
        );
      // NAME[k] = v, NAME.k = v, NAME.k++ and compound assignments
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
      ) {
        const target = n.left;
        if (
          (ts.isElementAccessExpression(target) || ts.isPropertyAccessExpression(target)) &&
          ts.isIdentifier(target.expression) &&
          collections.has(target.expression.text)
        )
          out.push(`${line(n)}: assignment to module-level ${target.expression.text}`);
      }
      if (
        (ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) &&
        (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) &&
        (ts.isElementAccessExpression(n.operand) || ts.isPropertyAccessExpression(n.operand)) &&
        ts.isIdentifier(n.operand.expression) &&
        collections.has(n.operand.expression.text)
      )
        out.push(`${line(n)}: increment of module-level ${n.operand.expression.text}`);
    }
    ts.forEachChild(n, (c) => visit(c, inside));
  };
  visit(sf, false);
  return out;
}

describe("module-level state", () => {
  it("catches what it is meant to catch (and lets constants, once() and top-level filling through)", () => {
    const bad = [
      "let cache = null;\nexport function f() { cache ??= 1; return cache; }",
      "var n = 0;",
      "const seen = new Map<string, number>();\nexport function f(k: string) { seen.set(k, 1); }",
      "const list: string[] = [];\nexport const f = (s: string) => { list.push(s); };",
      "const state = { n: 0 };\nexport function f() { state.n += 1; }",
      "const counts = { n: 0 };\nexport function f() { counts.n++; }",
      "const byKey: Record<string, number> = {};\nclass A { m(k: string) { byKey[k] = 1; } }",
    ];
    for (const b of bad) assert.ok(moduleStateProblems("x.ts", b).length > 0, b);
    const good = [
      'const NAMES = new Set(["a", "b"]);\nexport const has = (s: string) => NAMES.has(s);',
      "const T = new Map<string, number>();\nfor (const k of ['a']) T.set(k, 1);\nexport const get = (k: string) => T.get(k);",
      "const memo = new WeakMap<object, number>();\nexport function f(o: object) { memo.set(o, 1); }",
      "export function f() { let x = 0; const m = new Map(); m.set(1, 2); x++; return x; }",
      "const table = once(() => new Int32Array(256));",
    ];
    for (const g of good) assert.deepEqual(moduleStateProblems("x.ts", g), [], g);
  });

  it("no module of src/ keeps mutable state", () => {
    const problems = files(SRC).flatMap((f) =>
      moduleStateProblems(f, readFileSync(f, "utf8")).map((p) => `${relative(ROOT, f)}:${p}`),
    );
    assert.deepEqual(problems, []);
  });
});
