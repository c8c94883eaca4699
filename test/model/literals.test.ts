// requiredLiterals reads, off a pattern's source, literals one of which every match holds; when unsure
// it says nothing (null), and a literal it gives is never one a match can lack.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FAMILIES } from "../../src/detections/webshells/families.js";
import { minimalLiterals, requiredLiterals } from "../../src/model/literals.js";

test("the literals a pattern needs: runs outside groups, classes and optional atoms", () => {
  const cases: [RegExp, string[] | null][] = [
    [/abc/, ["abc"]],
    [/ab?c/, ["a"]],
    [/abcd?ef/, ["abc"]],
    [/ab*cdef/, ["cdef"]],
    [/ab+cd/, ["ab"]],
    [/x{2}yz/, ["yz"]],
    [/assembly\s*\.\s*load\s*\(/, ["assembly"]],
    [/(?<![.\w])eval\s*\([^\n]{0,300}?["']unsafe["']/, ["unsafe"]],
    [/system\.net\.sockets|new\s+socket\s*\(|tcpclient/, ["system.net.sockets", "socket", "tcpclient"]],
    [/\bantak\b/, ["antak"]],
    [/a\.b\\c/, ["a.b\\c"]],
    [/(?:eval|execute)\s*request/, ["request"]],
    [/\^=?\s*x/, ["^"]],
    [/AbC/i, ["abc"]],
    // Nothing it can vouch for: no plain run, a backreference, an unknown escape, Unicode case folding.
    [/(?:eval|execute)/, null],
    [/abc|\s+/, null],
    [/(\w+)\s*,\s*\1/, null],
    [/\x41bc/, null],
    [/\u0041bc/, null],
    [/\p{L}abc/u, null],
    [/sk/iu, null],
    [/a.b/, ["a"]],
    [/^ab$/, ["ab"]],
  ];
  for (const [re, want] of cases) assert.deepEqual(requiredLiterals(re), want, String(re));
});

test("every match of every family pattern in the web-shell tests holds one of its literals", () => {
  // The test files hold the samples (shells and traps) as text: each pattern's matches over them.
  const dir = join(import.meta.dirname, "../detections");
  const text = readdirSync(dir)
    .filter((f) => f.startsWith("webshell"))
    .map((f) => readFileSync(join(dir, f), "utf8").toLowerCase())
    .join("\n");
  let checked = 0;
  for (const f of FAMILIES)
    for (const r of f.rules)
      for (const re of r.all) {
        const lits = requiredLiterals(re);
        if (lits === null) continue;
        const g = new RegExp(re.source, `${re.flags.replace("g", "")}g`);
        for (const m of text.matchAll(g)) {
          checked++;
          assert.ok(
            lits.some((l) => m[0].includes(l)),
            `${r.id}: ${JSON.stringify(m[0])} lacks ${lits}`,
          );
        }
      }
  assert.ok(checked > 100, `only ${checked} matches checked`);
});

test("minimal literals drop the ones that contain another", () => {
  assert.deepEqual(minimalLiterals(["abc", "b", "xbz", "q", "q"]), ["b", "q"]);
});
