// The one-pass literal gates (literal-gate.ts; sinks.ts presentLiterals) find exactly the literals a
// search per literal would: overlapping ones, prefixes of longer ones, at the start and end, in the SIMD
// search, in the alternation it falls back to, and for the literals looked up one by one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { literalGate, presentIn } from "../../src/detections/webshells/literal-gate.js";
import { presentLiterals, SINK_LITERALS } from "../../src/detections/webshells/sinks.js";

const naive = (lits: readonly string[], t: string) => new Set(lits.filter((l) => t.includes(l)));

function cases(lits: readonly string[]): string[] {
  // Prefixes of longer literals, literals inside others, back to back and at both ends.
  const out = [
    "",
    "nothing here",
    lits.join(""),
    lits.join(" "),
    [...lits].reverse().join(""),
    ...lits.map((l) => l.slice(0, -1)),
    ...lits.map((l) => `x${l}y`),
    // Characters above U+00FF whose low byte is a literal's: never a hit they do not spell.
    lits.map((l) => [...l].map((c) => String.fromCharCode(c.charCodeAt(0) + 0x100)).join("")).join(" "),
  ];
  // Deterministic mixtures of literal pieces and noise.
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < 400; i++) {
    let t = "";
    for (let k = 0; k < 12; k++) {
      const l = lits[next() % lits.length];
      const a = next() % l.length;
      t += next() % 3 === 0 ? l : l.slice(a);
      if (next() % 2 === 0) t += " ;(\u0163".charAt(next() % 4);
    }
    out.push(t);
  }
  return out;
}

test("the sinks' one-pass search finds what a search per literal finds", () => {
  for (const t of cases(SINK_LITERALS))
    assert.deepEqual([...presentLiterals(t)].sort(), [...naive(SINK_LITERALS, t)].sort(), JSON.stringify(t));
});

test("a gate finds the same literals by SIMD, by the alternation and one by one", () => {
  const lits = [
    "request",
    "<%",
    "eval",
    "evaluate",
    "unsafe",
    "safe",
    "^",
    "x-cmd",
    "system.net.sockets",
    "socket",
  ];
  const simd = literalGate(lits, { frequent: ["request", "<%"] });
  assert.ok(simd.multi, "ASCII literals fit the SIMD search");
  assert.deepEqual([...simd.frequent].sort(), ["<%", "request"]);
  // More literals than the SIMD search holds, and a non-ASCII one: the alternation.
  const many = [...lits, ...Array.from({ length: 70 }, (_, i) => `lit${i}q`)];
  const wide = literalGate([...many, "caf\u00e9"]);
  assert.equal(wide.multi, null);
  for (const t of cases(lits)) {
    assert.deepEqual([...presentIn(simd, t)].sort(), [...naive(lits, t)].sort(), JSON.stringify(t));
    const w = [...many, "caf\u00e9"];
    assert.deepEqual([...presentIn(wide, t)].sort(), [...naive(w, t)].sort(), JSON.stringify(t));
  }
  // Past the SIMD search's buffer (2 MiB): the alternation, same answer.
  const big = `${"a".repeat(3 << 20)}x-cmd`;
  assert.deepEqual([...presentIn(simd, big)], ["x-cmd"]);
  assert.deepEqual([...presentIn(literalGate(["x"]), "")], []);
});

test("a case-folding gate finds literals in either case, by SIMD and by the alternation", () => {
  const lits = ["getstring", "char", "chr", "fromcharcode", "reverse", "/*"];
  const gate = literalGate(lits, { fold: true });
  assert.ok(gate.multi);
  const lower = (t: string) => t.replace(/[A-Z]/g, (c) => c.toLowerCase());
  for (const t of [
    ...cases(lits),
    "String.FromCharCode(101)",
    "ChrW(101) & CHR(97)",
    "x.Reverse()/* c */",
    // Not ASCII letters: no case folding onto them (U+212A KELVIN SIGN, U+0130, U+017F).
    "\u212Aey ch\u0130r \u017Ftring",
  ]) {
    const want = [...naive(lits, lower(t))].sort();
    assert.deepEqual([...presentIn(gate, t)].sort(), want, JSON.stringify(t));
    assert.deepEqual([...gate.fallback(t)].sort(), want, JSON.stringify(t));
  }
  assert.throws(() => literalGate(["Eval"], { fold: true }));
});
