// Console and JSON forms of build assessments (`exhunt build`) and the scan's Exposure block.
import pc from "picocolors";
import type { Assessment } from "../exposure/assess.js";
import type { CveStatus, Exposure } from "../model/types.js";
import { forTerminal } from "./safe.js";

type Paint = (s: string) => string;

function statusPaint(color: boolean): Record<CveStatus, Paint> {
  const c = pc.createColors(color);
  return {
    vulnerable: (s) => c.bold(c.red(s)),
    unknown: c.yellow,
    fixed: c.green,
    "not-affected": c.gray,
  };
}

/** The documented `exhunt build --json` entry: names are stable (docs/exposure.md). */
export function buildJson(a: Assessment): Record<string, unknown> {
  const cves: Record<string, { status: CveStatus; fixedIn: string | null }> = {};
  const notes: string[] = [];
  for (const [k, v] of Object.entries(a.cves)) {
    cves[k] = { status: v.status, fixedIn: v.fixedIn };
    if (v.note) notes.push(`${k}: ${v.note}`);
  }
  return {
    input: a.input,
    build: a.build,
    product: a.product,
    cu: a.cu,
    update: a.update,
    cves,
    recommendation: a.recommendation,
    warnings: a.warnings,
    notes,
  };
}

function cveLines(
  cves: Exposure["cves"],
  color: boolean,
  notes: Record<string, string | undefined> = {},
): string[] {
  const paint = statusPaint(color);
  return Object.entries(cves).map(([cve, s]) => {
    const fixed = s.fixedIn ? `fixed in ${s.fixedIn}` : s.status === "vulnerable" ? "no fix for this CU" : "";
    const note = notes[cve] ? `  (${notes[cve]})` : "";
    return `  ${cve.padEnd(15)} ${paint[s.status](s.status.padEnd(12))} ${fixed}${note}`;
  });
}

export function renderAssessment(a: Assessment, color: boolean): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  out.push(c.bold(`${forTerminal(a.input)}  →  ${a.product} ${a.cu}, build ${a.build}, update: ${a.update}`));
  for (const w of a.warnings) out.push(c.yellow(`  warning: ${w}`));
  const notes = Object.fromEntries(Object.entries(a.cves).map(([k, v]) => [k, v.note]));
  out.push(...cveLines(a.cves, color, notes));
  const r = a.recommendation;
  out.push(`  ${c.bold("What to do:")} ${r.summary}`);
  for (const s of r.steps) out.push(`    - ${s.name}  ${s.kb ?? "(no KB)"}  → ${s.build}`);
  for (const n of r.notes) out.push(c.gray(`  note: ${n}`));
  return out.join("\n");
}

/** The Exposure block of a server in `exhunt scan`. */
export function renderExposureBlock(e: Exposure, color: boolean): string[] {
  const c = pc.createColors(color);
  const out = [
    "",
    c.bold("  Exposure") +
      c.gray(
        ` (${forTerminal(e.buildSource)}${e.asOf ? `, as of ${e.asOf.slice(0, 19).replace("T", " ")}Z` : ""})`,
      ),
    `  ${e.product ?? "unknown product"} ${e.cu ?? ""}, build ${forTerminal(e.build ?? "unknown")}, update: ${e.update ?? "unknown"}`,
    ...cveLines(e.cves, color),
  ];
  const summary = e.recommendation?.summary;
  if (typeof summary === "string") out.push(`  ${c.bold("What to do:")} ${summary}`);
  return out;
}
