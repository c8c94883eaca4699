// From findings and coverage to one verdict per server, with the reasons a person can check.
import { checkInfo } from "../detections/registry.js";
import type { Coverage, Finding, VerdictEffect, VerdictName } from "../model/types.js";

export function effectOf(f: Finding): VerdictEffect {
  return checkInfo(f.check)?.effect ?? (f.severity === "info" ? "coverage" : "attempt");
}

interface Group {
  check: string;
  title: string;
  count: number;
  first: string | null;
}

function groups(findings: Finding[], effect: VerdictEffect, counts: Record<string, number>): Group[] {
  const by = new Map<string, Group>();
  for (const f of findings) {
    if (effectOf(f) !== effect) continue;
    const g = by.get(f.check) ?? {
      check: f.check,
      title: checkInfo(f.check)?.title ?? f.title,
      count: 0,
      first: null,
    };
    g.count++;
    if (f.time && (g.first === null || f.time < g.first)) g.first = f.time;
    by.set(f.check, g);
  }
  for (const g of by.values()) g.count += counts[g.check] ?? 0;
  return [...by.values()].sort((a, b) => (a.first ?? "~").localeCompare(b.first ?? "~"));
}

function say(g: Group): string {
  return `${g.title}: ${g.count} hit${g.count === 1 ? "" : "s"}${g.first ? `, first ${g.first}` : ""}`;
}

/** The first line of a clean verdict: what was looked at, so "clean" is never read as "cleared". */
function cleanHeadline(coverage: Coverage): string {
  const files = coverage.sources.reduce((n, s) => n + s.files, 0);
  // ISO strings sort as times.
  const times = coverage.sources
    .flatMap((s) => [s.oldest, s.newest])
    .filter((t): t is string => !!t)
    .sort();
  const span =
    times.length > 0 ? `, ${times[0].slice(0, 10)} to ${times[times.length - 1].slice(0, 10)}` : "";
  const n = coverage.sources.length;
  return `No sign of exploitation in ${files.toLocaleString("en-US")} log file${files === 1 ? "" : "s"} from ${n} source${n === 1 ? "" : "s"}${span}.`;
}

export interface VerdictOutcome {
  verdict: VerdictName;
  reasons: string[];
}

/**
 * compromised: a compromise finding, or a credential dump on a server that also saw an attempt;
 * attempted: attempts only; vulnerable: exposure only; clean: nothing within the coverage;
 * unknown: no evidence that could show anything.
 * `omitted` counts findings beyond the per-check cap, so counts stay true.
 */
export function decideVerdict(
  findings: Finding[],
  coverage: Coverage,
  omitted: Record<string, number> = {},
): VerdictOutcome {
  const compromise = groups(findings, "compromise", omitted);
  const attempt = groups(findings, "attempt", omitted);
  const exposure = groups(findings, "exposure", omitted);
  const context = groups(findings, "context", omitted);
  const reasons: string[] = [];
  let verdict: VerdictName;
  const dump = context.find((g) => g.check === "lsass-dump" || g.check === "event-lsass-dump");
  if (compromise.length > 0) {
    verdict = "compromised";
    reasons.push(...compromise.map(say));
  } else if (attempt.length > 0 && dump) {
    verdict = "compromised";
    reasons.push(`${say(dump)}: on a server that saw exploitation attempts, treat it as credential theft`);
  } else if (attempt.length > 0) {
    verdict = "attempted";
    reasons.push("Exploitation was attempted; nothing in the evidence shows that it succeeded.");
  } else if (exposure.length > 0) {
    verdict = "vulnerable";
  } else if (coverage.sources.length === 0 && !findings.some((f) => effectOf(f) === "context")) {
    verdict = "unknown";
  } else {
    verdict = "clean";
    reasons.push(cleanHeadline(coverage));
  }
  reasons.push(...attempt.map(say), ...exposure.map(say));
  const raised = verdict === "compromised" || verdict === "attempted";
  for (const g of context) {
    if (g === dump && verdict === "compromised" && compromise.length === 0) continue;
    reasons.push(
      raised
        ? `${say(g)} (listed, and weighed because other checks hit)`
        : `${say(g)} (listed only: alone it does not change the verdict; backup and antivirus tools leave such files)`,
    );
  }
  if (verdict === "unknown") reasons.push("No log this tool reads was found in the evidence.");
  if (verdict === "clean" || verdict === "vulnerable") {
    if (!coverage.coversWindow) reasons.push(...coverage.notes);
    if (coverage.missing.length > 0) reasons.push(`Not in the evidence: ${coverage.missing.join(", ")}.`);
  }
  return { verdict, reasons };
}
