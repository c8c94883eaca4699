// The web-shell content detection: every server-side script the sweep reads, wherever it lies, is
// normalised, analysed for request data reaching dangerous sinks, and matched against the named
// families. A family match or a strong behaviour score decides alone; a middling score is listed as
// context, with a confidence raised by where the file lies (Exchange web folders, IIS web roots, Temp).

import { requiredLiterals } from "../../model/literals.js";
import type { CheckInfo } from "../../model/types.js";
import { clip } from "../evidence.js";
import { isStockFile } from "../shipped-baseline.js";
import type { ContentDetection, FindingDraft, SweptFile } from "../types.js";
import { type Analysis, analyse, mayScore, type Signal } from "./analyse.js";
import { hasScriptExt, isServerScript, REFS, singleByteText, sweptDraft } from "./common.js";
import { FAMILIES, type Family, type FamilyRule } from "./families.js";
import { literalGate, presentIn } from "./literal-gate.js";

/** A behaviour score at or above this decides alone; from WEAK up it is listed as context. */
export const STRONG = 10;
export const WEAK = 6;

export const checks = {
  behaviour: {
    id: "webshell-behaviour",
    title: "Server-side code with web-shell behaviour",
    cves: [],
    severity: "high",
    effect: "compromise",
    description:
      `Server-side code whose behaviour score reaches ${STRONG} without matching a named family: request data ` +
      "(Request.*, posted form controls, values and Session slots derived from them) reaches eval/Execute, " +
      "Assembly.Load, a process start or PowerShell (10 points each), reflection (6), a socket (5), file " +
      "writes (4), the registry (3), SQL or file reads (2); decryption or XOR next to a load (+3/+2), a " +
      "Session-held assembly (+4), command-shell words (+2), an embedded executable (+6), an encoded literal " +
      "of 2000+ characters (+3), a tiny page of only server code (+2), entropy over 5.7 bits/byte (+2). " +
      "Matching runs after normalisation (HTML entities, \\x/\\u escapes, char codes, concatenation, Base64, " +
      "reversed strings). The evidence lists every signal with its rule and line.",
    references: [REFS.sigbase, REFS.certlv, REFS.msBlog],
  },
  suspicious: {
    id: "webshell-suspicious-code",
    title: "Server-side code with some web-shell traits",
    cves: [],
    severity: "medium",
    effect: "context",
    description:
      `Server-side code with a behaviour score from ${WEAK} to ${STRONG - 1} (see webshell-behaviour): e.g. ` +
      "reflection or file writes driven by request data. Ordinary applications have such pages (upload " +
      "handlers, plug-in loaders), so this is listed for review and raises the verdict only next to other " +
      "hits. The evidence says where the file lies (Placement) and how much that adds to the confidence.",
    references: [REFS.sigbase, REFS.certlv],
  },
} satisfies Record<string, CheckInfo>;

type Placement =
  | "exchange-web"
  | "iis-webroot"
  | "compiled-cache"
  | "exchange-app"
  | "temp-or-data"
  | "other";

/** Where a file lies, as the responder would rank it: where shells were dropped comes first. */
export function placementOf(file: SweptFile): Placement {
  switch (file.folder) {
    case "aspnet_client":
    case "owa-auth":
    case "ecp-auth":
    case "httpproxy":
      return "exchange-web";
    case "wwwroot":
    case "webroot":
      return "iis-webroot";
    case "clientaccess":
      return "exchange-app";
    case "temp-aspnet":
      return "compiled-cache";
    default: {
      const p = (file.winPath ?? file.path).replaceAll("/", "\\").toLowerCase();
      return /\\(?:windows\\temp|temp|tmp|programdata|users\\[^\\]+\\appdata)\\/.test(p)
        ? "temp-or-data"
        : "other";
    }
  }
}

function confidence(strong: boolean, placement: Placement): "high" | "medium" | "low" {
  if (strong) return "high";
  return placement === "exchange-web" || placement === "temp-or-data" ? "medium" : "low";
}

/**
 * Which files the content rules judge. In web folders and --files roots: any server script (by
 * extension or ASP.NET markup at the head). Anywhere else on the disk: files with a page/handler
 * extension (a shell must have one for IIS to run it), not the compiled-page cache (its own rules).
 */
export function judged(file: SweptFile): boolean {
  if (file.folder === "temp-aspnet") return false;
  if (file.folder === null && !file.extraRoot && !hasScriptExt(file)) return false;
  // A file Exchange ships, byte for byte (path and SHA-256 in a build's baseline), is never a shell.
  if (isStockFile(file.winPath, file.sha256)) return false;
  return isServerScript(file);
}

/**
 * Per rule, the literals its `all` patterns need (each pattern: one of its list), read off the patterns'
 * sources; a pattern the reader cannot vouch for adds no gate.
 */
const RULE_GATES: ReadonlyMap<FamilyRule, readonly (readonly string[])[]> = new Map(
  FAMILIES.flatMap((f) =>
    f.rules.map((r) => [r, r.all.map(requiredLiterals).filter((g): g is string[] => g !== null)] as const),
  ),
);
// In nearly every ASP/ASP.NET page, and early: `includes` finds them at once, the one-pass search would stop at each.
const FAMILY_GATE = literalGate([...RULE_GATES.values()].flat(2), {
  frequent: ["request", "<%", "language"],
});

function ruleHits(rule: FamilyRule, a: Analysis, file: SweptFile, present: Set<string>): number | null {
  if (rule.maxBytes !== undefined && file.size > rule.maxBytes) return null;
  if (rule.name && !rule.name.test(file.winPath ?? file.path)) return null;
  if (rule.flow && !rule.flow.some((k) => a.flows.has(k))) return null;
  if (!RULE_GATES.get(rule)?.every((g) => g.some((l) => present.has(l)))) return null;
  if (rule.test && !rule.test(a)) return null;
  const t = a.norm.text;
  let line: number | null = null;
  for (const re of rule.all) {
    const m = re.exec(t);
    if (!m) return null;
    line ??= a.norm.lineAt(m.index);
  }
  if (rule.any && !rule.any.some((re) => re.test(t))) return null;
  // A rule about a flow points at the line where request data reaches the sink.
  const flowLine = rule.flow && a.signals.find((s) => s.flow && s.kind && rule.flow?.includes(s.kind))?.line;
  if (flowLine) return flowLine;
  if (line === null) {
    // Rules on the analysis alone: the line of the strongest flow signal.
    const top = [...a.signals].sort((x, y) => y.points - x.points)[0];
    line = top?.line ?? 1;
  }
  return line;
}

/** The original text of a line, and its normalised form when normalisation changed what it says. */
function lineEvidence(file: SweptFile, a: Analysis, line: number): { match: string; decoded?: string } {
  const lines = file.content.toString("latin1").split("\n");
  const raw = (lines[line - 1] ?? "").trim();
  const norm = (a.norm.lines[line - 1] ?? "").trim();
  const squeeze = (s: string) => s.replace(/\s+/g, "").toLowerCase();
  const layer = a.norm.layers.find((l) => l.line === line);
  if (layer) return { match: raw, decoded: `${layer.how}: ${layer.text}` };
  return squeeze(raw) === squeeze(norm) ? { match: raw } : { match: raw, decoded: norm };
}

function signalsText(signals: Signal[]): string {
  return [...signals]
    .sort((x, y) => y.points - x.points || x.line - y.line)
    .map((s) => `${s.rule} line ${s.line} (+${s.points}): ${s.what}`)
    .join("; ");
}

function draftFor(
  file: SweptFile,
  a: Analysis,
  check: string,
  rule: string,
  line: number,
  strong: boolean,
  extra: Partial<FindingDraft> = {},
): FindingDraft {
  const ev = lineEvidence(file, a, line);
  const placement = placementOf(file);
  const d = sweptDraft(check, file, rule, ev.match, { line, ...extra });
  d.evidence.Line = String(line);
  if (ev.decoded) d.evidence.Decoded = clip(ev.decoded, 300);
  d.evidence.Score = String(a.score);
  if (a.signals.length) d.evidence.Signals = clip(signalsText(a.signals), 800);
  d.evidence.Placement = placement;
  d.evidence.Confidence = confidence(strong, placement);
  d.confidence = confidence(strong, placement);
  d.excerpt = ev.match;
  d.evidence.Engine = "exhunt built-in";
  return d;
}

/** Families that match, each once, with the first rule that matched. */
export function familyMatches(
  a: Analysis,
  file: SweptFile,
): { family: Family; rule: FamilyRule; line: number }[] {
  const out: { family: Family; rule: FamilyRule; line: number }[] = [];
  const present = presentIn(FAMILY_GATE, a.norm.text);
  for (const family of FAMILIES) {
    for (const rule of family.rules) {
      const line = ruleHits(rule, a, file, present);
      if (line === null) continue;
      out.push({ family, rule, line });
      break;
    }
  }
  // The generic checks (loader, command runner, eval of request data) add nothing when a named family
  // explains the file.
  const named = out.filter((m) => !GENERIC.has(m.family.check.id));
  return named.length ? named : out;
}

const GENERIC = new Set(["webshell-memory-loader", "webshell-cmd-runner", "webshell-asp-eval"]);

/** Analyse one file: the drafts of every family that matched, else one behaviour finding, or none. */
export function judge(file: SweptFile): FindingDraft[] {
  const name = file.winPath ?? file.path;
  const text = singleByteText(file.content);
  if (!mayScore(text === file.content ? file.lower() : text.toString("latin1").toLowerCase(), name))
    return [];
  const a = analyse(text, name);
  const families = familyMatches(a, file);
  if (families.length)
    return families.map((m) => draftFor(file, a, m.family.check.id, m.rule.id, m.line, true));
  if (a.score < WEAK) return [];
  // Exchange's back-end apps (ClientAccess: ecp, owa, ...) hold thousands of pages of their own that
  // post forms and call into Exchange code; only a strong score is worth a finding there.
  if (a.score < STRONG && placementOf(file) === "exchange-app") return [];
  const top = [...a.signals].sort((x, y) => y.points - x.points)[0];
  const strong = a.score >= STRONG;
  return [draftFor(file, a, strong ? checks.behaviour.id : checks.suspicious.id, top.rule, top.line, strong)];
}

export const webshellContent: ContentDetection = {
  type: "content",
  id: "webshell-content",
  checks: [...FAMILIES.map((f) => f.check), checks.behaviour, checks.suspicious],
  select: judged,
  match: judge,
};
