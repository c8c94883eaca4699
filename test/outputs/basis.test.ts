// Each verdict's confidence, what decided it and what would change it, on the console and in the HTML
// report: taken from the result (never recomputed), escaped, and the same with or without colour.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { basisLines, renderConsole } from "../../src/outputs/console.js";
import { esc, renderHtml } from "../../src/outputs/html.js";
import { basisSection } from "../../src/outputs/html-sections.js";
import { attemptedFindings, compromisedFindings, result, server } from "./fixtures.js";

const ESC = "\u001b";

describe("verdict basis: console", () => {
  it("shows confidence, ladder rule, what decided the verdict and what would change it", () => {
    const s = server("EXCH01", compromisedFindings("EXCH01"));
    assert.equal(s.verdict, "compromised");
    const text = renderConsole(result([s]), { color: false });
    assert.match(text, new RegExp(`\\n {2}confidence ${s.confidence} · ladder rule proof\\n`));
    assert.ok(s.basis && s.basis.decidedBy.length > 0);
    for (const d of s.basis.decidedBy.slice(0, 5)) assert.ok(text.includes(`    - ${d}`), d);
    assert.match(text, /\n {2}would change it:\n {4}- Only showing each deciding finding false/);
    assert.ok(text.indexOf("confidence") < text.indexOf("Findings"), "before the findings");
  });

  it("a clean verdict says it was decided by the coverage", () => {
    const s = server("EXCH02", []);
    const text = renderConsole(result([s]), { color: false });
    assert.equal(s.verdict, "clean");
    assert.match(text, /confidence (high|medium|low)\n {2}decided by:\n {4}- coverage: /);
    assert.ok(!/ladder rule/.test(text), "no rule raised a clean verdict");
  });

  it("an attempted verdict names the attempt row", () => {
    const s = server("EXCH03", attemptedFindings("EXCH03"));
    assert.equal(s.verdict, "attempted");
    assert.match(renderConsole(result([s]), { color: false }), /ladder rule attempt\n/);
  });

  it("no colour codes without colour; control characters in the basis are shown as text", () => {
    const s = server("EXCH01", compromisedFindings("EXCH01"));
    s.basis = { rules: ["proof"], decidedBy: [`evil${ESC}[2J\nline`], wouldChange: ["x\r\ny"] };
    const plain = basisLines(s, false).join("\n");
    assert.ok(!plain.includes(ESC), "no escape sequence");
    assert.ok(!plain.includes("\r"));
    assert.equal(plain.split("\n").length, 5, plain);
    assert.ok(renderConsole(result([s]), { color: true }).includes(`${ESC}[`), "colour when asked");
    assert.ok(!renderConsole(result([s]), { color: false }).includes(ESC));
  });

  it("a result without a basis (an older result file) still shows its confidence", () => {
    const s = { ...server("EXCH02", []), basis: undefined };
    assert.deepEqual(basisLines(s), [`  confidence ${s.confidence}`]);
  });

  it("brief mode keeps to the verdict lines", () => {
    const s = server("EXCH01", compromisedFindings("EXCH01"));
    assert.ok(!/confidence/.test(renderConsole(result([s]), { color: false, brief: true })));
  });
});

describe("verdict basis: HTML", () => {
  it("shows confidence, rules, decided by and would change it, next to the verdict", () => {
    const s = server("EXCH01", compromisedFindings("EXCH01"));
    const html = renderHtml(result([s]));
    const at = html.indexOf('<div class="basis">');
    assert.ok(at > html.indexOf('class="banner'), "after the banner");
    assert.ok(html.includes(`<strong>Confidence:</strong> <span class="conf conf-${s.confidence}">`));
    assert.ok(html.includes('<strong>Ladder rule:</strong> <span class="mono">proof</span>'));
    for (const d of s.basis?.decidedBy ?? []) assert.ok(html.includes(`<li>${esc(d)}</li>`), d);
    assert.ok(html.includes("<h4>What would change it</h4>"));
  });

  it("escapes every string of the basis, and a confidence outside the enum gets no class of its own", () => {
    const out = basisSection({
      confidence: '"><script>x</script>' as never,
      basis: { rules: ["<b>"], decidedBy: ["<img src=x onerror=alert(1)>"], wouldChange: ["a & b"] },
    });
    assert.ok(!/<script|<img|<b>/.test(out), out);
    assert.ok(out.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(out.includes("a &amp; b"));
    assert.ok(out.includes('class="conf conf-low"'));
  });
});
