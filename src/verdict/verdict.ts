// From findings and coverage to one verdict per server, with the reasons a person can check.

import type { Finding } from "../model/finding.js";
import { count } from "../model/plural.js";
import type { Coverage, Effect, VerdictBasis, VerdictName } from "../model/types.js";
import { gradeFindings, strongest } from "./ladder.js";

interface Group {
  check: string;
  title: string;
  count: number;
  first: string | null;
}

function groups(
  findings: readonly Finding[],
  effect: Effect | null,
  counts: Readonly<Record<string, number>>,
): Group[] {
  const by = new Map<string, Group>();
  for (const f of findings) {
    if (effect !== null && f.effect !== effect) continue;
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
  basis: VerdictBasis;
}

/** Campaign waves whose window the logs reach, with how much of it. */
function coveredWaves(coverage: Coverage): string[] {
  return (coverage.campaigns ?? [])
    .filter((c) => c.coverage !== "none")
    .map((c) => `${c.campaign} (${c.coverage})`);
}

/** What evidence would move each verdict (docs/verdict.md, "What would change it"). */
const WOULD_CHANGE: Record<VerdictName, string[]> = {
  compromised: [
    "Only showing each deciding finding false (e.g. the file is the build's own by hash) would lower it; nothing found later clears a compromise.",
  ],
  suspicious: [
    "Exploitation requests or any proof of compromise would make it compromised.",
    "Showing the deciding finding benign (a documented administrator action) would lower it.",
  ],
  attempted: [
    "A web shell, a file write, a mailbox export, a proven LSASS dump or a process tree from w3wp/UMWorkerProcess would make it compromised.",
  ],
  vulnerable: [
    "Any exploitation request would make it attempted; installing the update removes the exposure.",
  ],
  clean: [
    "Any attempt or compromise finding would raise it; logs of the missing sources or windows would make it surer.",
  ],
  unknown: [
    "Logs that reach a campaign window (ProxyLogon 2021-01, ProxyShell 2021-08, ProxyNotShell 2022-08 on).",
  ],
};

/**
 * The verdict the evidence ladder (ladder.ts, docs/verdict.md) gives: the strongest verdict any finding
 * raises to; without one, clean within the coverage, or unknown when no log reaches any campaign
 * window. `omitted` counts findings beyond the per-check cap, so counts stay true.
 */
export function decideVerdict(
  findings: readonly Finding[],
  coverage: Coverage,
  omitted: Readonly<Record<string, number>> = {},
  logFiles?: number,
): VerdictOutcome {
  const graded = gradeFindings(findings);
  const raised = strongest(graded);
  const deciding = raised ? graded.filter((g) => g.raises === raised) : [];
  const decidingFindings = deciding.map((g) => g.finding);
  const decidingChecks = new Set(decidingFindings.map((f) => f.check));
  const compromise = groups(findings, "compromise", omitted);
  const attempt = groups(findings, "attempt", omitted);
  const exposure = groups(findings, "exposure", omitted);
  const context = groups(findings, "context", omitted);
  const doubts = groups(findings, "coverage", omitted).filter((g) => g.check !== "log-coverage");
  const decidingGroups = groups(decidingFindings, null, omitted);
  const reasons: string[] = [];
  let verdict: VerdictName;
  const waves = coveredWaves(coverage);
  if (raised) {
    verdict = raised;
    if (raised === "compromised" || raised === "suspicious") reasons.push(...decidingGroups.map(say));
  } else if (coverage.sources.length === 0 && !findings.some((f) => f.effect === "context")) {
    verdict = "unknown";
    reasons.push("No log this tool reads was found in the evidence.");
  } else if (coverage.sources.length > 0 && coverage.windowCoverage === "none" && waves.length === 0) {
    // Logs that end before the campaigns, or have gaps across every window, show nothing about them.
    verdict = "unknown";
    reasons.push(
      `Unknown: the logs do not cover the campaign window (${coverage.window.exploitationFrom.slice(0, 10)} to ${coverage.window.patchedOn.slice(0, 10)}) nor a later wave, so finding nothing in them says nothing.`,
      ...coverage.notes,
    );
  } else {
    verdict = "clean";
    reasons.push(cleanHeadline(coverage, logFiles));
    if (coverage.windowCoverage === "none" && waves.length > 0)
      reasons.push(
        `Clean within coverage for ${waves.join(", ")} only: the logs do not reach the ProxyLogon window, so they say nothing about it.`,
      );
  }
  const listed = (gs: Group[]) => gs.filter((g) => !(decidingChecks.has(g.check) && verdict !== "attempted"));
  reasons.push(...listed(attempt).map(say), ...exposure.map(say));
  const weighed = verdict === "compromised" || verdict === "attempted" || verdict === "suspicious";
  for (const g of context) {
    if (decidingChecks.has(g.check)) continue;
    reasons.push(
      weighed
        ? `${say(g)} (listed, and weighed because other checks hit)`
        : `${say(g)} (listed only: a single weak signal does not decide the verdict alone)`,
    );
  }
  for (const g of doubts)
    reasons.push(
      `${say(g)}: a gap in the evidence, so what it held is not fully known (carved records are checked)`,
    );
  if (verdict === "clean" || verdict === "vulnerable") {
    if (!coverage.coversWindow) reasons.push(...coverage.notes);
    if (coverage.missing.length > 0) reasons.push(`Not in the evidence: ${coverage.missing.join(", ")}.`);
  }
  // Clean and unknown verdicts already start with their one-line summary.
  if (verdict === "compromised" || verdict === "attempted" || verdict === "vulnerable")
    reasons.unshift(headline(verdict, findings, compromise, attempt, exposure));
  else if (verdict === "suspicious")
    reasons.unshift(
      `Suspicious, not proven: ${decidingGroups.map((g) => `${g.title}${g.first ? ` on ${day(g.first)}` : ""}`).join("; ")}. Investigate before calling the server clean.`,
    );
  const basis: VerdictBasis = {
    rules: [...new Set(deciding.map((g) => g.row.id))],
    decidedBy: raised
      ? decidingGroups.map(say)
      : verdict === "clean"
        ? [`coverage: ${waves.length ? waves.join(", ") : "the logs read"}, no finding raises the verdict`]
        : ["coverage: no log reaches a campaign window"],
    wouldChange: WOULD_CHANGE[verdict],
  };
  return { verdict, reasons, basis };
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
