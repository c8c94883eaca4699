// `fleet diff SERVER`: what is new, gone or changed between two runs of a server. Findings are
// matched on their fingerprint (rule + server + subject + time), which is stable across runs and
// evidence copies; a matched finding "changed" when what it means (effect, severity, confidence,
// title) differs, as when a newer exhunt judges the same evidence differently.
import type { Finding } from "../model/finding.js";
import type { RunDetail } from "./types.js";

export interface FindingChange {
  fingerprint: string;
  check: string;
  before: Pick<Finding, "effect" | "severity" | "confidence" | "title">;
  after: Pick<Finding, "effect" | "severity" | "confidence" | "title">;
}

export interface RunDiff {
  server: string;
  from: { id: number; at: string; kind: string; verdict: string } | null;
  to: { id: number; at: string; kind: string; verdict: string };
  verdictChanged: boolean;
  added: Finding[];
  removed: Finding[];
  changed: FindingChange[];
  unchanged: number;
}

const meaning = (f: Finding) => ({
  effect: f.effect,
  severity: f.severity,
  confidence: f.confidence,
  title: f.title,
});

function byFingerprint(fs: readonly Finding[]): Map<string, Finding> {
  const m = new Map<string, Finding>();
  for (const f of fs) if (!m.has(f.fingerprint)) m.set(f.fingerprint, f);
  return m;
}

export function diffRuns(server: string, from: RunDetail | null, to: RunDetail): RunDiff {
  const before = byFingerprint(from?.findingList ?? []);
  const after = byFingerprint(to.findingList);
  const added: Finding[] = [];
  const changed: FindingChange[] = [];
  let unchanged = 0;
  for (const [fp, f] of after) {
    const old = before.get(fp);
    if (!old) added.push(f);
    else if (JSON.stringify(meaning(old)) !== JSON.stringify(meaning(f)))
      changed.push({ fingerprint: fp, check: f.check, before: meaning(old), after: meaning(f) });
    else unchanged++;
  }
  const removed = [...before.entries()].filter(([fp]) => !after.has(fp)).map(([, f]) => f);
  const head = (r: RunDetail) => ({ id: r.id, at: r.at, kind: r.kind, verdict: r.verdict });
  return {
    server,
    from: from ? head(from) : null,
    to: head(to),
    verdictChanged: !!from && from.verdict !== to.verdict,
    added,
    removed,
    changed,
    unchanged,
  };
}
