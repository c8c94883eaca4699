// The evidence ladder as data: which finding raises a server to which verdict. docs/verdict.md shows
// this table and test/verdict/ladder.test.ts checks that the two agree, so the documentation is the
// code. Detections never name a verdict: they declare effect, severity and confidence per finding, and
// this table alone turns those into a verdict (a new detection plugs in by emitting the right effect).
import type { Finding } from "../model/finding.js";
import type { Confidence, Effect, Severity, VerdictName } from "../model/types.js";

/** A verdict the ladder raises to, or "-": the finding is listed but does not move the verdict. */
export type Raise = Exclude<VerdictName, "clean" | "unknown"> | "-";

export interface LadderRow {
  id: string;
  effect: Effect;
  confidence: readonly Confidence[];
  severity: readonly Severity[];
  /** The verdict this finding raises the server to on its own. */
  alone: Raise;
  /** The verdict when the server also has exploitation evidence (an attempt or compromise finding of another check). */
  withExploitation: Raise;
  /** What evidence this is, in words (docs/verdict.md shows it). */
  evidence: string;
}

const ALL_CONF: readonly Confidence[] = ["high", "medium", "low"];
const ALL_SEV: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** First matching row wins: stronger rows first. */
export const LADDER: readonly LadderRow[] = [
  {
    id: "proof",
    effect: "compromise",
    confidence: ["high", "medium"],
    severity: ALL_SEV,
    alone: "compromised",
    withExploitation: "compromised",
    evidence:
      "Proof of success or of what follows it: web shell by content, hash or an unexpected script in a web folder, or its use; malicious OAB/virtual directory change; mailbox export to a web path; process tree w3wp/UMWorkerProcess to a shell; proven LSASS dump inside a campaign window; modified shipped file; ProxyShell success stage",
  },
  {
    id: "weak-proof",
    effect: "compromise",
    confidence: ["low"],
    severity: ALL_SEV,
    alone: "suspicious",
    withExploitation: "compromised",
    evidence: "A compromise sign its check is not sure of",
  },
  {
    id: "attempt",
    effect: "attempt",
    confidence: ALL_CONF,
    severity: ALL_SEV,
    alone: "attempted",
    withExploitation: "attempted",
    evidence:
      "Exploitation requests with no sign they worked: scanner SSRF probes, SSRF anchored to localhost/Autodiscover only, ProxyShell probes answered 302/401/404, requests for a flagged file never answered 2xx",
  },
  {
    id: "strong-context",
    effect: "context",
    confidence: ["high"],
    severity: ["critical", "high"],
    alone: "suspicious",
    withExploitation: "compromised",
    evidence:
      "Post-exploitation proven but not tied to a campaign: a proven LSASS dump outside every campaign window",
  },
  {
    id: "weak-context",
    effect: "context",
    confidence: ALL_CONF,
    severity: ALL_SEV,
    alone: "-",
    withExploitation: "-",
    evidence:
      "A single weak signal, listed for the responder: an IOC-feed match on a file path only; an archive or dump in ProgramData/Temp; an lsass*.dmp file; a comsvcs MiniDump whose target PID is unknown; low-level Sigma matches",
  },
  {
    id: "exposure",
    effect: "exposure",
    confidence: ALL_CONF,
    severity: ALL_SEV,
    alone: "vulnerable",
    withExploitation: "vulnerable",
    evidence: "The build or a probe shows an open CVE; nothing about use",
  },
  {
    id: "coverage",
    effect: "coverage",
    confidence: ALL_CONF,
    severity: ALL_SEV,
    alone: "-",
    withExploitation: "-",
    evidence:
      "A gap in the evidence (logs too young, a source missing, an event log cleared): lowers the confidence of clean, or makes it unknown when no campaign window is covered",
  },
  {
    id: "info",
    effect: "info",
    confidence: ALL_CONF,
    severity: ALL_SEV,
    alone: "-",
    withExploitation: "-",
    evidence:
      "Recorded, never weighed (a detection that failed lowers the confidence of clean); Exchange exploit findings from an IIS site that is not an Exchange site",
  },
];

/** Verdicts from strongest to weakest: the server gets the strongest any finding raises it to. */
export const RAISE_ORDER: readonly Exclude<Raise, "-">[] = [
  "compromised",
  "suspicious",
  "attempted",
  "vulnerable",
];

export function ladderRow(f: Pick<Finding, "effect" | "confidence" | "severity">): LadderRow {
  const row = LADDER.find(
    (r) => r.effect === f.effect && r.confidence.includes(f.confidence) && r.severity.includes(f.severity),
  );
  // Every effect has a catch-all row; the fallback only guards a result from a future schema.
  return row ?? (LADDER.find((r) => r.id === "info") as LadderRow);
}

export interface Graded {
  finding: Finding;
  row: LadderRow;
  raises: Raise;
}

/** Each finding with the row that grades it and the verdict it raises the server to. */
export function gradeFindings(findings: readonly Finding[]): Graded[] {
  const rows = findings.map((f) => ({ finding: f, row: ladderRow(f) }));
  const exploitChecks = new Set(
    findings.filter((f) => f.effect === "attempt" || f.effect === "compromise").map((f) => f.check),
  );
  return rows.map(({ finding, row }) => {
    const other = [...exploitChecks].some((c) => c !== finding.check);
    return { finding, row, raises: other ? row.withExploitation : row.alone };
  });
}

/** The findings that move the verdict (their ladder row raises it), for renderers that list them first. */
export function raisingFindings(findings: readonly Finding[]): Set<Finding> {
  return new Set(
    gradeFindings(findings)
      .filter((g) => g.raises !== "-")
      .map((g) => g.finding),
  );
}

/** The strongest verdict the graded findings raise to, or null when none raises anything. */
export function strongest(graded: readonly Graded[]): Exclude<Raise, "-"> | null {
  for (const v of RAISE_ORDER) if (graded.some((g) => g.raises === v)) return v;
  return null;
}
