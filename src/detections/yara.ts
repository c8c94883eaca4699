// User YARA rules (`--yara FILE|DIR`) on every swept file, through yara-x (`@litko/yara-x`, an optional
// native dependency). Rules are compiled once per thread from the sources the scan set up; where the
// engine cannot be loaded the scan says so (a skipped entry), and every built-in rule still runs.
import { createRequire } from "node:module";
import type { CheckInfo } from "../model/types.js";
import { clip } from "./evidence.js";
import type { ContentDetection, FindingDraft } from "./types.js";
import { sweptDraft } from "./webshells/common.js";

export interface YaraSource {
  /** The rule file, as named on the command line (for messages and evidence). */
  file: string;
  text: string;
}

interface YaraMatch {
  ruleIdentifier: string;
  namespace: string;
  meta: object;
  matches: { offset: number; length: number; data: string; identifier: string }[];
}
export interface YaraRules {
  scan(data: Buffer): YaraMatch[];
  setTimeout?(seconds: number): void;
  setMaxMatchesPerPattern?(n: number): void;
}
interface YaraModule {
  compile(source: string): YaraRules;
}

/**
 * The yara-x binding: the Linux x64 build is an optional dependency (the only one the npm registry
 * serves, which is also why the meta package, whose darwin builds are missing there, is not a
 * dependency: `npm ci` could not install it); elsewhere a user-installed `@litko/yara-x` is used.
 */
const YARA_PACKAGES = ["@litko/yara-x-linux-x64-gnu", "@litko/yara-x"];

function loadFirst(req: NodeJS.Require, names: string[]): YaraModule {
  let first: unknown = null;
  for (const n of names) {
    try {
      return req(n) as YaraModule;
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

let engine: YaraModule | null | undefined;
let engineError = "";

/** The yara-x binding, or null (with the reason in `yaraUnavailable()`). */
export function yaraEngine(): YaraModule | null {
  if (engine !== undefined) return engine;
  try {
    const req = createRequire(import.meta.url);
    engine = loadFirst(req, YARA_PACKAGES);
  } catch (e) {
    engine = null;
    engineError = (e as Error).message.split("\n")[0];
  }
  return engine;
}

export function yaraUnavailable(): string {
  return `YARA is unavailable: the yara-x engine (optional dependency @litko/yara-x-linux-x64-gnu on Linux x64; elsewhere install @litko/yara-x) could not be loaded${engineError ? ` (${engineError})` : ""}`;
}

/** Compile rule sources into one rule set (namespaced per file); throws with the compiler's message. */
export function compileYara(sources: YaraSource[]): YaraRules {
  const y = yaraEngine();
  if (!y) throw new Error(yaraUnavailable());
  // One compilation unit: rule names must be unique across the files (as with one `yara` invocation).
  const text = sources.map((s) => `// ${s.file.replaceAll("\n", " ")}\n${s.text}`).join("\n");
  const rules = y.compile(text);
  rules.setMaxMatchesPerPattern?.(16);
  rules.setTimeout?.(30);
  return rules;
}

export const checks = {
  yara: {
    id: "yara-match",
    title: "YARA rule matched",
    cves: [],
    severity: "high",
    effect: "compromise",
    description:
      "A rule from a --yara file matched a swept file (web folders, --files roots, other non-log files). " +
      "What it means is the rule author's call: read the rule's meta in the evidence.",
    references: ["https://virustotal.github.io/yara-x/"],
  },
} satisfies Record<string, CheckInfo>;

export const yaraRules: ContentDetection = {
  type: "content",
  id: "yara",
  checks: [checks.yara],
  select: (_file, ctx) => ctx.hunt.setup.yara.length > 0 && yaraEngine() !== null,
  match(file, ctx) {
    const r = ctx.hunt.yaraRules();
    if (!r) return null;
    const out: FindingDraft[] = [];
    for (const m of r.scan(file.content)) {
      const first = m.matches[0];
      const d = sweptDraft(checks.yara.id, file, m.ruleIdentifier, first ? first.data : undefined, {
        title: `YARA rule ${m.ruleIdentifier} matched`,
      });
      const meta = Object.entries(m.meta as Record<string, unknown>)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join("; ");
      if (meta) d.evidence.RuleMeta = clip(meta, 500);
      if (first) d.evidence.MatchOffset = String(first.offset);
      out.push(d);
    }
    return out;
  },
};
