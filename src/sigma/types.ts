// The Sigma engine's shared types. A rule is loaded once (YAML → RawRule), compiled once to closures
// (CompiledRule), and then matched against records through a RecordView: the engine never sees a
// reader's types, only named fields and the record's free text.

export type SigmaLevel = "informational" | "low" | "medium" | "high" | "critical";
export const SIGMA_LEVELS: readonly SigmaLevel[] = ["informational", "low", "medium", "high", "critical"];

export interface LogSource {
  product?: string;
  service?: string;
  category?: string;
}

/** What a finding says about the rule that produced it (maps to the result's `rule` field). */
export interface SigmaRuleMeta {
  id: string;
  title: string;
  level: SigmaLevel;
  status: string | null;
  author: string | null;
  references: string[];
  /** ATT&CK and other tags as written (`attack.t1505.003`). */
  tags: string[];
  /** The licence the rule is shipped under, when known (the bundled SigmaHQ rules: DRL 1.1). */
  licence: string | null;
  /** Where the rule was loaded from. */
  file: string;
  description: string | null;
  falsepositives: string[];
}

/** A record as the matcher sees it. Values are fetched lazily and lower-cased at most once per field. */
export interface RecordView {
  /** The value of a Sigma field name (after the log source's renames); undefined when absent. */
  get(field: string): string | undefined;
  /** get(field) lower-cased (cached for the record). */
  lower(field: string): string | undefined;
  /** The record's free text for keyword searches: every value (events) or the whole line (web logs). */
  text(): readonly string[];
  textLower(): readonly string[];
}

export type Matcher = (r: RecordView) => boolean;

/** A rule that can be matched. */
export interface CompiledRule {
  meta: SigmaRuleMeta;
  logsource: LogSource;
  match: Matcher;
  /**
   * EventIDs the rule can only match (from its detection, e.g. `EventID: 4104`); null when any event
   * of its log source may match. Used to index rules so an event only meets rules that can match it.
   */
  eventIds: number[] | null;
  /** Field names the rule reads: their values are the evidence of a match. */
  fields: string[];
  /** Necessary (field, last path segment) pairs: the rule can only match records that have one. */
  keys: { field: string; name: string }[] | null;
  /** Rules without keys: (field, lower-case literal) pairs one of which a matching record's field contains. */
  anchors: { field: string; lit: string }[] | null;
  /** Webserver rules: lower-case ASCII literals one of which any matching line contains; null: none known. */
  lineLiterals: string[] | null;
  /**
   * Webserver rules: necessary (field, literal) anchor clauses, every one of which holds on a matching
   * row (a clause: one of its anchors), keywords on the line (sigma/web-index.ts); null: none.
   */
  webAnchors?: { field: string; lit: string }[][] | null;
  /** The rule's `name` (Sigma 2 correlation references rules by id or name). */
  name: string | null;
  /** False when a correlation rule has `generate: false` for it: it only feeds the correlation. */
  generate: boolean;
}

export type CorrelationType = "event_count" | "value_count" | "temporal" | "temporal_ordered";

export interface CorrelationRule {
  meta: SigmaRuleMeta;
  type: CorrelationType;
  /** The correlation's `name` (another correlation may count its hits, by id or name). */
  name: string | null;
  /** Ids or names of the rules (or correlations) counted, in order (temporal_ordered). */
  rules: string[];
  /** Group-by fields; an alias names a different field per referenced rule (`aliases`). */
  groupBy: string[];
  /** Sigma 2 `aliases`: alias → (rule name or id → the field of that rule's events). */
  aliases: Record<string, Record<string, string>>;
  timespanMs: number;
  /** For value_count: the field whose distinct values are counted. */
  field: string | null;
  /** For temporal types the count is of distinct referenced rules; without a condition: all of them. */
  condition: { gt?: number; gte?: number; lt?: number; lte?: number; eq?: number };
  /** Sigma 2 `generate`: the referenced rules also report their own matches (default: they do not). */
  generate: boolean;
}

/** A rule that did not load, with the exact reason (an unsupported feature or an error in the rule). */
export interface LoadProblem {
  file: string;
  id: string | null;
  title: string | null;
  /** `unsupported`: a Sigma feature this engine does not implement; `invalid`: the rule is wrong. */
  kind: "unsupported" | "invalid";
  reason: string;
}

export class RuleError extends Error {
  constructor(
    readonly kind: "unsupported" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

export const unsupported = (msg: string): RuleError => new RuleError("unsupported", msg);
export const invalid = (msg: string): RuleError => new RuleError("invalid", msg);

export interface CompileOptions {
  /** Values for `expand` placeholders (`%DomainControllers%` → list). */
  placeholders?: Record<string, string[]>;
  /**
   * Per field, a normalisation the record view also applies to its values (IIS writes `+` for a
   * space in User-Agent; rules use either): applied to the rule's literal values, not to regexes.
   */
  normalise?: Readonly<Record<string, (s: string) => string>>;
}
