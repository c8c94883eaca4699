// Console and JSON forms of build assessments (`exhunt build`) and the scan's Exposure block.
import pc from "picocolors";
import { type Assessment, cveJson } from "../exposure/assess.js";
import type { CveExposure, CveStatus, Exposure, UpdateStep } from "../model/types.js";
import { forTerminal } from "./safe.js";

type Paint = (s: string) => string;

function statusPaint(color: boolean): Record<CveStatus, Paint> {
  const c = pc.createColors(color);
  return {
    vulnerable: (s) => c.bold(c.red(s)),
    unknown: c.yellow,
    fixed: c.green,
    "config-check": c.cyan,
    "not-affected": c.gray,
  };
}

/** The documented `exhunt build --json` entry: names are stable (docs/exposure.md). */
export function buildJson(a: Assessment): Record<string, unknown> {
  const cves: Record<string, CveExposure> = {};
  const notes: string[] = [];
  for (const [k, v] of Object.entries(a.cves)) {
    cves[k] = cveJson(v);
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

const STATUS_TEXT: Record<CveStatus, string> = {
  vulnerable: "vulnerable",
  unknown: "unknown",
  fixed: "fixed",
  "config-check": "config-check",
  "not-affected": "not-affected",
};

function cveLines(
  cves: Exposure["cves"],
  color: boolean,
  notes: Record<string, string | undefined> = {},
): string[] {
  const paint = statusPaint(color);
  const out: string[] = [];
  for (const [cve, s] of Object.entries(cves)) {
    const by = s.fixedBy ? ` (${s.fixedBy}${s.kb ? `, ${s.kb}` : ""})` : "";
    const fixed = s.fixedIn
      ? `fixed in ${s.fixedIn}${by}`
      : s.status === "vulnerable"
        ? "no fix for this CU"
        : "";
    const note = notes[cve] ? `  (${notes[cve] ?? ""})` : "";
    // A result file is attacker-reachable input: an unknown status paints as unknown, every string is made safe.
    const status = paint[s.status] ?? paint.unknown;
    const text = STATUS_TEXT[s.status] ?? String(s.status);
    out.push(
      `  ${forTerminal(cve).padEnd(15)} ${status(forTerminal(text).padEnd(12))} ${forTerminal(fixed)}${forTerminal(note)}`,
    );
    if (s.check && (s.status === "config-check" || s.status === "vulnerable")) {
      out.push(`  ${"".padEnd(15)} ${"".padEnd(12)} check: ${forTerminal(s.check.what)}`);
      out.push(`  ${"".padEnd(15)} ${"".padEnd(12)}   live: ${forTerminal(s.check.live)}`);
      out.push(`  ${"".padEnd(15)} ${"".padEnd(12)}   offline: ${forTerminal(s.check.offline)}`);
    }
  }
  return out;
}

function stepLine(s: UpdateStep): string {
  return `    - ${s.name}  ${s.kb ?? "(no KB)"}  → ${s.build}${s.date ? `  (${s.date}${s.esuOnly ? ", ESU only" : ""})` : ""}`;
}

export function renderAssessment(a: Assessment, color: boolean): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  out.push(c.bold(`${forTerminal(a.input)}  →  ${a.product} ${a.cu}, build ${a.build}, update: ${a.update}`));
  for (const w of a.warnings) out.push(c.yellow(`  warning: ${w}`));
  const notes = Object.fromEntries(Object.entries(a.cves).map(([k, v]) => [k, v.note]));
  out.push(
    ...cveLines(Object.fromEntries(Object.entries(a.cves).map(([k, v]) => [k, cveJson(v)])), color, notes),
  );
  const r = a.recommendation;
  if (r.support) {
    const paint = r.support.status === "supported" ? c.green : c.yellow;
    out.push(`  ${c.bold("Support:")} ${paint(r.support.status)}: ${r.support.notice}`);
  }
  out.push(`  ${c.bold("What to do:")} ${r.summary}`);
  for (const s of r.steps) out.push(stepLine(s));
  const open = Object.values(a.cves).some((s) => s.status === "vulnerable");
  if (r.newerUpdates?.length && !open) {
    out.push(`  ${c.bold("Newer security updates of this line:")}`);
    for (const s of r.newerUpdates) out.push(stepLine(s));
  }
  if (r.support?.upgradePath.length) {
    out.push(`  ${c.bold("Upgrade path:")}`);
    for (const s of r.support.upgradePath) out.push(stepLine(s));
  }
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
        ` (${forTerminal(`${e.buildSource}${e.asOf ? `, as of ${e.asOf.slice(0, 19).replace("T", " ")}Z` : ""}`)})`,
      ),
    forTerminal(
      `  ${e.product ?? "unknown product"} ${e.cu ?? ""}, build ${e.build ?? "unknown"}, update: ${e.update ?? "unknown"}`,
    ),
    ...cveLines(e.cves, color),
  ];
  const support = e.recommendation?.support;
  if (support && support.status !== "supported")
    out.push(`  ${c.bold("Support:")} ${forTerminal(`${support.status}: ${support.notice}`)}`);
  const summary = e.recommendation?.summary;
  if (typeof summary === "string") out.push(`  ${c.bold("What to do:")} ${forTerminal(summary)}`);
  return out;
}
