// Findings of one check that describe the same event: a correlation detection emits one finding per
// linked finding (one web-shell request linked to the hash match, the content rule and the location
// check), identical but for the link. A report shows the event once with the linked checks inside it;
// the result keeps every finding (this is presentation only).
import type { Finding } from "../model/types.js";

export interface SameEvent {
  /** The first finding of the event (its evidence is what is shown). */
  first: Finding;
  findings: Finding[];
  /** The checks of the findings this event is linked to, in first-seen order, once each. */
  linked: string[];
}

/** Evidence keys that name the link rather than the event. */
const LINK_KEYS = new Set(["LinkedFinding", "LinkedCheck"]);

function eventKey(f: Finding): string {
  const { findingIds: _ids, ...subject } = f.subject as Finding["subject"] & { findingIds?: unknown };
  const evidence = Object.entries(f.evidence ?? {}).filter(([k]) => !LINK_KEYS.has(k));
  return JSON.stringify([
    f.check,
    f.time,
    f.source?.file,
    f.source?.line,
    f.source?.record,
    subject,
    evidence,
  ]);
}

function linkedChecks(f: Finding, byId: ReadonlyMap<string, Finding>): string[] {
  const ids = (f.subject as { findingIds?: unknown }).findingIds;
  const out: string[] = [];
  if (Array.isArray(ids))
    for (const id of ids) {
      const other = typeof id === "string" ? byId.get(id) : undefined;
      if (other && other.check !== f.check) out.push(other.check);
    }
  const named = f.evidence?.LinkedCheck;
  if (typeof named === "string" && named) out.push(named);
  return out;
}

/**
 * The findings grouped into events, in the order of each event's first finding. `all` is the
 * server's findings, to name the checks a correlation's `findingIds` point at.
 */
export function sameEvents(fs: readonly Finding[], all: readonly Finding[] = fs): SameEvent[] {
  const byId = new Map(all.map((f) => [f.id, f]));
  const events = new Map<string, SameEvent>();
  for (const f of fs) {
    const k = eventKey(f);
    let e = events.get(k);
    if (!e) {
      e = { first: f, findings: [], linked: [] };
      events.set(k, e);
    }
    e.findings.push(f);
    for (const c of linkedChecks(f, byId)) if (!e.linked.includes(c)) e.linked.push(c);
  }
  return [...events.values()];
}
