// From findings and coverage to one verdict per server, with the reasons a person can check.

import type { Finding } from "../model/finding.js";
import { count } from "../model/plural.js";
import type { Coverage, Effect, VerdictName } from "../model/types.js";

interface Group {
  check: string;
  title: string;
  count: number;
  first: string | null;
}

function groups(
  findings: readonly Finding[],
  effect: Effect,
  counts: Readonly<Record<string, number>>,
): Group[] {
  const by = new Map<string, Group>();
  for (const f of findings) {
    if (f.effect !== effect) continue;
    const g = by.get(f.check) ?? {
      check: f.check,
      title: f.rule.title || f.title,
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
  return `${g.title}: ${count(g.count, "hit")}${g.first ? `, first ${g.first}` : ""}`;
}

/** The first line of a clean verdict: what was looked at, so "clean" is never read as "cleared". */
function cleanHeadline(coverage: Coverage, logFiles?: number): string {
  // A file with several event channels is one file, however many sources it counts in.
  const files = logFiles ?? coverage.sources.reduce((n, s) => n + s.files, 0);
  // ISO strings sort as times.
  const times = coverage.sources
    .flatMap((s) => [s.oldest, s.newest])
    .filter((t): t is string => !!t)
    .sort();
  const span =
    times.length > 0 ? `, ${times[0].slice(0, 10)} to ${times[times.length - 1].slice(0, 10)}` : "";
  const n = coverage.sources.length;
  const startsLate = coverage.sources.some(
    (s) => s.oldest !== null && s.oldest > coverage.window.exploitationFrom,
  );
  const late = coverage.coversWindow
    ? ""
    : startsLate
      ? `: they start after exploitation began (${coverage.window.exploitationFrom.slice(0, 10)}), so this does not clear the server for early 2021`
      : ": they do not span the campaign window without a gap, so this does not clear the server for early 2021";
  return `No sign of exploitation in ${count(files, "log file")} from ${count(n, "source")}${span}${late}.`;
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
  findings: readonly Finding[],
  coverage: Coverage,
  omitted: Readonly<Record<string, number>> = {},
  logFiles?: number,
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
  } else if (exposure.length > 0) {
    verdict = "vulnerable";
  } else if (coverage.sources.length === 0 && !findings.some((f) => f.effect === "context")) {
    verdict = "unknown";
    reasons.push("No log this tool reads was found in the evidence.");
  } else if (coverage.sources.length > 0 && coverage.windowCoverage === "none") {
    // Logs that end before the campaign, start after it or have a gap across it show nothing about it.
    verdict = "unknown";
    reasons.push(
      `Unknown: the logs do not cover the campaign window (${coverage.window.exploitationFrom.slice(0, 10)} to ${coverage.window.patchedOn.slice(0, 10)}), so finding nothing in them says nothing.`,
      ...coverage.notes,
    );
  } else {
    verdict = "clean";
    reasons.push(cleanHeadline(coverage, logFiles));
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
  if (verdict === "clean" || verdict === "vulnerable") {
    if (!coverage.coversWindow) reasons.push(...coverage.notes);
    if (coverage.missing.length > 0) reasons.push(`Not in the evidence: ${coverage.missing.join(", ")}.`);
  }
  // Clean and unknown verdicts already start with their one-line summary.
  if (verdict === "compromised" || verdict === "attempted" || verdict === "vulnerable")
    reasons.unshift(headline(verdict, findings, compromise, attempt, exposure));
  return { verdict, reasons };
}

function day(t: string | null): string {
  return t ? t.slice(0, 10) : "an unknown date";
}

function minute(t: string): string {
  return `${t.slice(0, 16).replace("T", " ")} UTC`;
}

/** The first reason of a raised verdict: one line an admin under stress understands without the checks. */
export function headline(
  verdict: "compromised" | "attempted" | "vulnerable",
  findings: readonly Finding[],
  compromise: Group[] = groups(findings, "compromise", {}),
  attempt: Group[] = groups(findings, "attempt", {}),
  exposure: Group[] = groups(findings, "exposure", {}),
): string {
  const active = findings.filter((f) => {
    const e = f.effect;
    return (e === "compromise" || e === "attempt") && f.time;
  });
  const times = active.map((f) => f.time as string).sort();
  const ips = new Set(
    active.map((f) => f.evidence.ClientIp ?? f.evidence.ClientIpAddress).filter((v): v is string => !!v),
  );
  const from = ips.size ? ` from ${ips.size === 1 ? [...ips][0] : `${ips.size} addresses`}` : "";
  if (verdict === "compromised") {
    const g = compromise.find((x) => /web ?shell|wr[io]te/i.test(x.title)) ?? compromise[0];
    const more =
      compromise.length > 1
        ? `, and ${compromise.length - 1} more kind${compromise.length > 2 ? "s" : ""} of compromise evidence`
        : "";
    const what = g
      ? `${g.title}${g.first ? ` on ${day(g.first)}` : ""}${more}`
      : "LSASS memory dumped after exploitation attempts";
    const since = times.length ? `; attack activity since ${minute(times[0])}${from}` : "";
    return `${what}${since}. Contain the server and follow the plan.`;
  }
  if (verdict === "attempted") {
    const n = attempt.reduce((a, g) => a + g.count, 0);
    const span = times.length ? `, ${day(times[0])} to ${day(times[times.length - 1])}` : "";
    return `Attacked, no sign of success in the evidence read: ${count(n, "exploitation attempt")}${from}${span}. Patch and look deeper.`;
  }
  return `Vulnerable, no sign of attack in the evidence read: ${exposure.map((g) => g.title).join("; ")}. Install the update.`;
}
