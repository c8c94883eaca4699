// The layering of src/ (src/layers.json, docs/architecture.md): every relative import of every module
// is read and checked against the declared order. A new file outside every layer fails too.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers.js";

interface Layer {
  name: string;
  paths: string[];
}
interface Rule {
  from: string;
  mayNotImport?: string[];
  mayImportOnly?: string[];
}
const SRC = join(ROOT, "src");
const spec = JSON.parse(readFileSync(join(SRC, "layers.json"), "utf8")) as { layers: Layer[]; rules: Rule[] };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(n) ? [p] : [];
  });
}

/** The layer index of a module (path relative to src/, forward slashes), or -1. */
export function layerOf(rel: string, layers: Layer[] = spec.layers): number {
  return layers.findIndex((l) => l.paths.some((p) => rel === p || rel.startsWith(`${p}/`)));
}

/** The relative imports of a module's source (static, dynamic and re-exports). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith(".")) out.push(spec);
  }
  return out;
}

/** Violations: `from -> to (why)` for every import against the order or a rule. */
export function violations(modules: { rel: string; source: string }[], s = spec): string[] {
  const out: string[] = [];
  const nameOf = (i: number) => s.layers[i]?.name ?? "(none)";
  for (const m of modules) {
    const from = layerOf(m.rel, s.layers);
    if (from < 0) {
      out.push(`${m.rel}: in no layer of src/layers.json`);
      continue;
    }
    for (const imp of importsOf(m.source)) {
      const target = relative(SRC, resolve(SRC, dirname(m.rel), imp))
        .replaceAll("\\", "/")
        .replace(/\.js$/, ".ts");
      const to = layerOf(target, s.layers);
      if (to < 0) {
        out.push(`${m.rel} -> ${target}: target in no layer`);
        continue;
      }
      if (to > from) out.push(`${m.rel} -> ${target}: ${nameOf(from)} may not import ${nameOf(to)}`);
      for (const r of s.rules) {
        if (r.from !== nameOf(from)) continue;
        if (
          r.mayNotImport?.includes(nameOf(to)) ||
          (r.mayImportOnly && !r.mayImportOnly.includes(nameOf(to)))
        )
          out.push(`${m.rel} -> ${target}: ${nameOf(from)} may not import ${nameOf(to)} (rule)`);
      }
    }
  }
  return out;
}

describe("architecture: one dependency direction", () => {
  it("every import in src/ follows src/layers.json", () => {
    const modules = files(SRC).map((p) => ({
      rel: relative(SRC, p).replaceAll("\\", "/"),
      source: readFileSync(p, "utf8"),
    }));
    assert.ok(modules.length > 50, "src/ was read");
    assert.deepEqual(violations(modules), []);
  });

  it("the check can fail: an upward import, a file outside the layers and a rule are each caught", () => {
    const bad = violations([
      { rel: "model/x.ts", source: 'import { scan } from "../hunt/engine.js";' },
      { rel: "nowhere/y.ts", source: "" },
      { rel: "exposure/z.ts", source: 'export { a } from "../evidence/targets.js";' },
      { rel: "cli/w.ts", source: 'const m = await import("../hunt/engine.js");' },
      { rel: "hunt/ok.ts", source: 'import type { Finding } from "../model/finding.js";' },
    ]);
    assert.equal(bad.length, 4, bad.join("\n"));
    assert.match(bad[0], /base may not import hunt/);
    assert.match(bad[1], /in no layer/);
    assert.match(bad[2], /exposure may not import evidence \(rule\)/);
    assert.match(bad[3], /cli may not import hunt/);
  });
});
