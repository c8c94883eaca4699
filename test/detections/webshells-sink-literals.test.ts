// The one-pass search for the sink literals a page holds (sinks.ts presentLiterals) finds exactly the
// literals a search per literal would: overlapping ones, prefixes of longer ones, at the start and end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { presentLiterals, SINK_LITERALS } from "../../src/detections/webshells/sinks.js";

const naive = (t: string) => new Set(SINK_LITERALS.filter((l) => t.includes(l)));

test("the one-pass search finds what a search per literal finds", () => {
  // Prefixes of longer literals, literals inside others, back to back and at both ends.
  const cases = [
    "",
    "nothing here",
    SINK_LITERALS.join(""),
    SINK_LITERALS.join(" "),
    [...SINK_LITERALS].reverse().join(""),
    ...SINK_LITERALS.map((l) => l.slice(0, -1)),
    ...SINK_LITERALS.map((l) => `x${l}y`),
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
      const l = SINK_LITERALS[next() % SINK_LITERALS.length];
      const a = next() % l.length;
      t += next() % 3 === 0 ? l : l.slice(a);
      if (next() % 2 === 0) t += " ;(".charAt(next() % 3);
    }
    cases.push(t);
  }
  for (const t of cases)
    assert.deepEqual([...presentLiterals(t)].sort(), [...naive(t)].sort(), JSON.stringify(t));
});
