// Sigma rules as detections: the bundled SigmaHQ selection (data/sigma) and the user's (`--sigma DIR`)
// on every Windows event and every IIS W3C row. The rules are compiled once per thread from the
// sources in the scan's set-up, through the hunt context (like the IOC feeds and YARA rules). Matches carry the rule's metadata and
// author; their effect on the verdict is sigma/effects.ts's documented table (context unless listed).
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { dataPath } from "../data-path.js";
import type { CheckInfo } from "../model/types.js";
import { baseMatch, capturedFields } from "../sigma/correlation.js";
import { sigmaEffect } from "../sigma/effects.js";
import { fieldEvidence, levelSeverity, ruleEvidence, ruleMeta } from "../sigma/evidence.js";
import {
  compileSources,
  matchEvent,
  matchRow,
  type RuleSet,
  type RuleSource,
  readRuleSources,
  webLineGate,
  webLiterals,
} from "../sigma/ruleset.js";
import type { CompiledRule, RecordView, SigmaLevel, SigmaRuleMeta } from "../sigma/types.js";
import { eventEvidence } from "./events/common.js";
import type { EventDetection, FindingDraft, MatchContext, RowDetection } from "./types.js";

const SIGMA_REF = "https://github.com/SigmaHQ/sigma";
const DRL = "DRL-1.1 (https://github.com/SigmaHQ/Detection-Rule-License)";

export const sigmaChecks = {
  context: {
    id: "sigma-match",
    title: "Sigma rule matched",
    cves: [],
    severity: "medium",
    effect: "context",
    description:
      "A Sigma rule (the bundled SigmaHQ selection or your own, --sigma) matched an event or a web-server request. " +
      "The finding names the rule, its level, author and references. Listed for the responder: it raises the " +
      "verdict only when another check hit (docs/sigma.md).",
    references: [SIGMA_REF],
  },
  attempt: {
    id: "sigma-exchange-attempt",
    title: "Sigma rule for Exchange exploitation matched (attempt)",
    cves: [],
    severity: "high",
    effect: "attempt",
    description:
      "A high or critical Sigma rule that docs/sigma.md lists as showing Exchange exploitation requests (ProxyLogon, " +
      "ProxyShell, ProxyToken, OWASSRF, CVE-2020-0688...) matched: exploitation was tried.",
    references: [SIGMA_REF],
  },
  compromise: {
    id: "sigma-exchange-compromise",
    title: "Sigma rule for Exchange compromise matched",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "A high or critical Sigma rule that docs/sigma.md lists as showing the result of Exchange exploitation (a web " +
      "shell written through a cmdlet, a mailbox exported into a web folder, code run by UMWorkerProcess...) matched.",
    references: [SIGMA_REF],
  },
} satisfies Record<string, CheckInfo>;

/** What a scan asks of Sigma; crosses to worker threads as data. */
export interface SigmaSetup {
  /** Run the bundled rules (data/sigma). */
  bundled: boolean;
  /** The user's rule files (--sigma), read and checked by the main thread. */
  user: RuleSource[];
  /** Only rules at this level or above (--sigma-level). */
  minLevel: SigmaLevel | null;
  /** The parsed-rule cache folder (sigma/cache.ts) for the bundled rules; null: none. */
  cache?: string | null;
}

export const DEFAULT_SIGMA: SigmaSetup = { bundled: true, user: [], minLevel: null };

/** Their YAML parsed (scripts/sigma-parsed.ts); a file whose text changed since is parsed again. */
export const BUNDLED_PARSED = "parsed.json";

/**
 * The bundled rules as sources (SigmaHQ, DRL 1.1), parsed: from the shipped parse, else through the
 * cache in `cacheDir` if given, else from their YAML.
 */
export function bundledSigmaSources(cacheDir: string | null = null): RuleSource[] {
  const dir = dataPath("sigma");
  if (!existsSync(dir)) return [];
  return readRuleSources(dir, DRL, cacheDir, join(dir, BUNDLED_PARSED)).map((s) => ({
    ...s,
    file: `bundled:${relative(dir, s.file).replaceAll("\\", "/")}`,
  }));
}

/**
 * A pure memo by set-up object: the main thread compiles once to report problems (hunt/setup.ts) and
 * then reads with the same set-up; a worker gets a copy (compiled rules are closures) and compiles it
 * (from the user's rules as the main thread parsed them: no worker parses their YAML again).
 */
const compiledBySetup = new WeakMap<SigmaSetup, RuleSet>();

export function compileSigmaSetup(s: SigmaSetup): RuleSet {
  const known = compiledBySetup.get(s);
  if (known) return known;
  const sources = [...(s.bundled ? bundledSigmaSources(s.cache ?? null) : []), ...s.user];
  const set = compileSources(sources, { minLevel: s.minLevel ?? undefined });
  compiledBySetup.set(s, set);
  return set;
}

/** The scan's compiled rules, once per hunt context (and thread). */
export function activeSigma(ctx: { hunt: MatchContext["hunt"] }): RuleSet {
  return ctx.hunt.memo("sigma", () => compileSigmaSetup(ctx.hunt.setup.sigma ?? DEFAULT_SIGMA));
}
const active = activeSigma;

/** Where base matches of correlation rules travel to the server's correlation step (correlation/sigma.ts). */
export const SIGMA_BASE_CHANNEL = "sigma:correlation-base";

/**
 * A match of a rule some correlation counts: its time and the fields the correlations group by and
 * count, handed on to the server's findings detections (whether or not the rule makes findings itself).
 */
function collectBase(
  ctx: MatchContext,
  rule: CompiledRule,
  view: RecordView,
  time: string | null,
  at: { record?: number | null; line?: number | null },
): void {
  const set = active(ctx);
  if (set.correlations.length === 0 || !ctx.collect) return;
  const captures = ctx.hunt.memo("sigma:captures", () => new Map<CompiledRule, string[] | null>());
  let cap = captures.get(rule);
  if (cap === undefined) {
    cap = capturedFields(set.correlations, rule);
    captures.set(rule, cap);
  }
  if (!cap) return;
  const m = baseMatch(rule, view, time, cap);
  if (m) ctx.collect(SIGMA_BASE_CHANNEL, { ...m, file: ctx.file, ...at });
}

/** The check class (and so the verdict effect) of a rule's matches: sigma/effects.ts's table. */
export function sigmaClassOf(meta: Pick<SigmaRuleMeta, "id" | "level">): CheckInfo {
  const e = sigmaEffect(meta);
  return e === "compromise"
    ? sigmaChecks.compromise
    : e === "attempt"
      ? sigmaChecks.attempt
      : sigmaChecks.context;
}

function draft(
  rule: CompiledRule,
  view: RecordView,
  time: string | null,
  base: Record<string, string>,
): FindingDraft {
  const cls = sigmaClassOf(rule.meta);
  // One check per rule (`sigma-match:<rule id>`), so that reports group and cap matches by rule; the
  // class before the colon is the registered check that says what the matches mean for the verdict.
  return {
    check: `${cls.id}:${rule.meta.id}`,
    effect: cls.effect,
    time,
    // DRL 1.1: the author is named wherever a match is reported, the console's one-line title included.
    title: `Sigma: ${rule.meta.title} (by ${rule.meta.author ?? "no author given"})`,
    severity: levelSeverity(rule.meta.level),
    evidence: { ...base, ...fieldEvidence(rule, view), ...ruleEvidence(rule.meta) },
    rule: ruleMeta(rule.meta),
  };
}

export const sigmaEvents: EventDetection = {
  type: "event",
  id: "sigma-events",
  checks: [sigmaChecks.context, sigmaChecks.attempt, sigmaChecks.compromise],
  providers: null,
  match(ev, ctx) {
    const out: FindingDraft[] = [];
    matchEvent(active(ctx), ev, (rule, view) => {
      collectBase(ctx, rule, view, ev.time, { record: ev.recordId });
      if (rule.generate) out.push(draft(rule, view, ev.time, eventEvidence(ev)));
    });
    return out;
  },
};

export const sigmaWebRows: RowDetection = {
  type: "row",
  id: "sigma-webserver",
  checks: [sigmaChecks.context, sigmaChecks.attempt, sigmaChecks.compromise],
  kinds: ["iis-w3c"],
  // The rows that contain a literal every line a webserver rule matches must contain (derived from the
  // rules, sigma/prefilter.ts), found by the one-pass search; every row when some rule has none. The
  // gate hangs on the uri (cs-uri-stem), which every IIS layout logs.
  literals: [],
  field(kind, hunt) {
    if (kind !== "iis-w3c") return null;
    const set = hunt.memo("sigma", () => compileSigmaSetup(hunt.setup.sigma ?? DEFAULT_SIGMA));
    if (set.web.length === 0) return null;
    const literals = hunt.memo("sigma:web-literals", () => webLiterals(set));
    // The one-pass search holds 64 literals for all row detections of a log kind: the plan replaces
    // gate literals by pieces of them where they do not fit (hunt/literal-cover.ts).
    // No `accept`: the rules' own index (sigma/web-index.ts) reads the fields; the reader neither
    // splits nor decodes the row to wake them.
    // Rows through the gate must also hold, as logged, the literals of every line test of some rule
    // (the method, the status and the other fields' literals): most gated rows are Exchange's own
    // (autodiscover.json, /ecp/, /powershell) and fail that, and are never made into rows.
    const line = webLineGate(set.webIndex);
    return { field: "uri", ...(literals !== null ? { literals } : {}), ...(line ? { line } : {}) };
  },
  match(row, ctx) {
    const out: FindingDraft[] = [];
    // The rows come through the plan's gate (the rules' line literals or pieces of them): the rules'
    // field index alone decides (a speed choice only: the index never drops a match).
    matchRow(
      active(ctx),
      row,
      (rule, view) => {
        // No line: a range after the first counts lines from its own start (the engine offsets drafts only).
        collectBase(ctx, rule, view, row.time(), {});
        if (rule.generate) out.push(draft(rule, view, row.time(), {}));
      },
      { gated: false },
    );
    return out;
  },
};
