// What a Sigma match says in a finding: the rule's metadata (DRL 1.1 asks that the author be named
// with every match) and the values of the fields the rule reads, clipped.
import type { RuleMeta } from "../model/finding.js";
import type { CompiledRule, RecordView, SigmaLevel, SigmaRuleMeta } from "./types.js";

/** The rule as the result's `rule` field describes it (schema v2). */
export interface SigmaRuleRef {
  id: string;
  title: string;
  level: SigmaLevel;
  author: string | null;
  licence: string | null;
  references: string[];
  tags: string[];
}

export function ruleRef(m: SigmaRuleMeta): SigmaRuleRef {
  return {
    id: m.id,
    title: m.title,
    level: m.level,
    author: m.author,
    licence: m.licence,
    references: m.references,
    tags: m.tags,
  };
}

const MAX_VALUE = 2000;
const clip = (v: string): string =>
  v.length <= MAX_VALUE ? v : `${v.slice(0, MAX_VALUE)}… [${v.length - MAX_VALUE} more characters]`;

/** The rule as a finding's `rule` (schema v2): author and licence shown with every match. */
export function ruleMeta(m: SigmaRuleMeta): RuleMeta {
  const out: RuleMeta = { id: m.id, title: m.title, references: m.references, origin: "sigma", tags: m.tags };
  if (m.author) out.author = m.author;
  if (m.licence) out.licence = m.licence;
  return out;
}

/** Rule metadata as flat evidence strings (every output shows evidence; not every output shows `rule`). */
export function ruleEvidence(m: SigmaRuleMeta): Record<string, string> {
  const out: Record<string, string> = {
    SigmaRule: m.title,
    SigmaId: m.id,
    SigmaLevel: m.level,
    SigmaAuthor: m.author ?? "(no author given)",
  };
  if (m.licence) out.SigmaLicence = m.licence;
  if (m.tags.length) out.SigmaTags = m.tags.join(" ");
  if (m.references.length) out.SigmaReferences = m.references.join(" ");
  out.SigmaFile = m.file;
  return out;
}

/** The values of the fields the rule reads (present ones only), under their Sigma names; keyword rules: the text. */
export function fieldEvidence(rule: CompiledRule, view: RecordView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of rule.fields) {
    const v = view.get(f);
    if (v !== undefined && v !== "") out[f] = clip(v);
  }
  // Keyword rules read the record's text, not fields: show its first non-empty form (the values; the
  // rendered message only when there are none), so that an event gives the same evidence whatever
  // format it came in (an .evtx has no message, an export often has both).
  if (rule.fields.length === 0) out.Text = clip(view.text().find((t) => t.trim() !== "") ?? "");
  return out;
}

/** exhunt's severity for a Sigma level. */
export function levelSeverity(l: SigmaLevel): "critical" | "high" | "medium" | "low" | "info" {
  return l === "informational" ? "info" : l;
}
