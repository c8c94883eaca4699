// data/schema/result.schema.json describes what scan really writes: a small validator for the keywords the
// schema uses, run on a real scan result and on fixtures (and shown to reject broken results).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeCompromised } from "../../examples/generate.js";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { compromisedFindings, result, server, vulnerableExposure } from "./fixtures.js";

type Schema = Record<string, unknown>;
const root = JSON.parse(readFileSync(join(ROOT, "data/schema/result.schema.json"), "utf8")) as Schema;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Errors of `v` against `s` (subset: $ref type enum const required properties additionalProperties items oneOf pattern minimum). */
export function validate(v: unknown, s: Schema, path = "$"): string[] {
  if (typeof s.$ref === "string") {
    const def = (s.$ref as string).replace("#/$defs/", "");
    return validate(v, (root.$defs as Record<string, Schema>)[def], path);
  }
  const errs: string[] = [];
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === "integer" && types.includes("number")))
      return [`${path}: ${t} not ${types}`];
  }
  if (s.const !== undefined && v !== s.const) errs.push(`${path}: not ${String(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(v)) errs.push(`${path}: ${String(v)} not in enum`);
  if (typeof s.pattern === "string" && typeof v === "string" && !new RegExp(s.pattern).test(v))
    errs.push(`${path}: ${v} does not match ${s.pattern}`);
  if (typeof s.minimum === "number" && typeof v === "number" && v < s.minimum)
    errs.push(`${path}: < ${s.minimum}`);
  if (Array.isArray(s.oneOf)) {
    const ok = (s.oneOf as Schema[]).filter((o) => validate(v, o, path).length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf`);
  }
  if (typeOf(v) === "object") {
    const o = v as Record<string, unknown>;
    for (const k of (s.required as string[] | undefined) ?? [])
      if (!(k in o)) errs.push(`${path}.${k}: missing`);
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, val] of Object.entries(o)) {
      if (props[k]) errs.push(...validate(val, props[k], `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}.${k}: not in the schema`);
      else if (typeof s.additionalProperties === "object")
        errs.push(...validate(val, s.additionalProperties as Schema, `${path}.${k}`));
    }
  }
  if (Array.isArray(v) && s.items)
    for (const [i, x] of v.entries()) errs.push(...validate(x, s.items as Schema, `${path}[${i}]`));
  return errs;
}

describe("data/schema/result.schema.json", () => {
  it("accepts what exhunt scan --json writes", (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "bad"), {
      rowsPerHour: 2,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-05T00:00:00Z"),
    });
    const run = runCli(["scan", join(dir, "bad"), "--workers", "0", "--json", join(dir, "r.json")]);
    assert.equal(run.status, 1, run.stderr);
    const r = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    assert.ok(r.servers[0].findings.length > 3);
    assert.deepEqual(validate(r, root), []);
  });

  it("accepts a result with exposure, and rejects broken ones (the check can fail)", () => {
    const good = result([server("A", compromisedFindings("A"), { exposure: vulnerableExposure() })]);
    assert.deepEqual(validate(JSON.parse(JSON.stringify(good)), root), []);
    const bad = JSON.parse(JSON.stringify(good));
    delete bad.servers[0].findings[0].time;
    bad.servers[0].verdict = "pwned";
    bad.servers[0].findings[1].evidence.X = 5;
    bad.schemaVersion = 3;
    const errs = validate(bad, root);
    assert.ok(
      errs.some((e) => e.endsWith(".findings[0].time: missing")),
      errs.join("\n"),
    );
    assert.ok(errs.some((e) => e.includes(".verdict: pwned not in enum")));
    assert.ok(errs.some((e) => e.includes(".evidence.X: integer not string")));
    assert.ok(errs.some((e) => e.startsWith("$.schemaVersion")));
  });
});
