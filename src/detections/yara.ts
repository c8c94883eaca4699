// User YARA rules (`--yara FILE|DIR`) on every swept file, through yara-x (`@litko/yara-x`, an optional
// native dependency). Rules are compiled once per thread from the sources the scan set up; where the
// engine cannot be loaded the scan says so (a skipped entry), and every built-in rule still runs.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { once } from "../model/once.js";
import type { CheckInfo } from "../model/types.js";
import type { HuntContext } from "./context.js";
import { clip } from "./evidence.js";
import type { ContentDetection, FindingDraft } from "./types.js";
import { SCRIPT_EXT } from "./webfolders.js";
import { sweptDraft } from "./webshells/common.js";

export interface YaraSource {
  /** The rule file, as named on the command line (for messages and evidence). */
  file: string;
  text: string;
  /** Set for the rule sets exhunt ships (data/rules/): compiled apart from the user's, credited in matches. */
  bundled?: BundledRuleSet;
}

/** A third-party rule set shipped unchanged under data/rules/, with what its licence asks a match to show. */
export interface BundledRuleSet {
  name: string;
  licence: string;
  /** Where the rule file comes from (repository path), for the evidence. */
  url: string;
}

interface YaraMatch {
  ruleIdentifier: string;
  namespace: string;
  meta: object;
  matches: { offset: number; length: number; data: string; identifier: string }[];
}
export interface YaraRules {
  scan(data: Buffer): YaraMatch[];
  /** Milliseconds (the binding's unit, despite yara-x's own API taking seconds), rounded up to yara-x's 1 s tick. */
  setTimeout?(ms: number): void;
  setMaxMatchesPerPattern?(n: number): void;
  /** The compiled rules as bytes (yara-x's own format, tied to the engine's version). */
  serialize?(): Buffer;
}
interface YaraModule {
  compile(source: string): YaraRules;
  deserialize?(data: Buffer): YaraRules;
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

/** The first of `names` whose package.json resolves: its name and version (what a compiled-rule cache is keyed on). */
function versionOf(req: NodeJS.Require, names: string[]): string {
  for (const n of names) {
    try {
      const pkg = JSON.parse(readFileSync(req.resolve(`${n}/package.json`), "utf8")) as { version?: string };
      return `${n}@${pkg.version ?? "?"}`;
    } catch {
      // not this one
    }
  }
  return "unknown";
}

/** The yara-x binding loaded once per thread, or the first line of why it could not be. */
const loadedEngine = once((): { engine: YaraModule | null; error: string; version: string } => {
  const req = createRequire(import.meta.url);
  try {
    return { engine: loadFirst(req, YARA_PACKAGES), error: "", version: versionOf(req, YARA_PACKAGES) };
  } catch (e) {
    return { engine: null, error: (e as Error).message.split("\n")[0], version: "" };
  }
});

/** The yara-x binding, or null (with the reason in `yaraUnavailable()`). */
export function yaraEngine(): YaraModule | null {
  return loadedEngine().engine;
}

export function yaraUnavailable(): string {
  const { error } = loadedEngine();
  return `YARA is unavailable: the yara-x engine (optional dependency @litko/yara-x-linux-x64-gnu on Linux x64; elsewhere install @litko/yara-x) could not be loaded${error ? ` (${error})` : ""}`;
}

/** How long one file's YARA scan may take before it ends as a visible detection failure. */
export const YARA_TIMEOUT_MS = 30_000;

/** Compile rule sources into one rule set (namespaced per file); throws with the compiler's message. */
export function compileYara(sources: YaraSource[]): YaraRules {
  const y = yaraEngine();
  if (!y) throw new Error(yaraUnavailable());
  // One compilation unit: rule names must be unique across the files (as with one `yara` invocation).
  const rules = y.compile(unitText(sources));
  return configured(rules);
}

function unitText(sources: YaraSource[]): string {
  return sources.map((s) => `// ${s.file.replaceAll("\n", " ")}\n${s.text}`).join("\n");
}

function configured(rules: YaraRules): YaraRules {
  rules.setMaxMatchesPerPattern?.(16);
  // 30 s per file. The binding takes milliseconds: 30 here once meant 30 ms, which yara-x's 1 s heartbeat
  // turned into "the next tick", so about one small page a second failed with "Scan timed out".
  rules.setTimeout?.(YARA_TIMEOUT_MS);
  return rules;
}

/**
 * compileYara through a folder of compiled rule sets (the rule cache: `cache/yara/<key>.bin`, keyed on
 * the engine's package and version and the exact rule text). Compiling signature-base's web-shell
 * file takes about 0.6 s of CPU in every thread of every scan; reading it back about 0.1 s and a few
 * MiB less memory. A missing, damaged or foreign cache file is compiled afresh and rewritten; a
 * folder that cannot be written is only slower. The folder is the user's own (as the Sigma cache):
 * its files are loaded as compiled code, so it must not be writable by others.
 */
export function compileYaraCached(sources: YaraSource[], cache: string | null): YaraRules {
  const y = yaraEngine();
  if (!cache || !y?.deserialize) return compileYara(sources);
  const text = unitText(sources);
  const key = createHash("sha256")
    .update(`${loadedEngine().version}\u0000${text}`)
    .digest("hex")
    .slice(0, 32);
  const dir = join(cache, "yara");
  const file = join(dir, `${key}.bin`);
  try {
    return configured(y.deserialize(readFileSync(file)));
  } catch {
    // Not there yet, or not readable as rules of this engine: compile (below).
  }
  const rules = compileYara(sources);
  if (rules.serialize) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(dir, { recursive: true });
      // Written beside and renamed over: another thread or run never reads half a file.
      writeFileSync(tmp, rules.serialize());
      renameSync(tmp, file);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // no folder, so no half-written file either
      }
    }
  }
  return rules;
}

type CompiledSet = { rules: YaraRules | null; bundled: BundledRuleSet | null; error: string | null };

/**
 * One compiled set per group, once per scan and thread (kept in the hunt context): the user's files
 * together, each bundled rule file on its own, so their rule names never clash.
 */
function ruleSets(hunt: HuntContext): CompiledSet[] {
  return hunt.memo("yara:sets", () => {
    const groups = new Map<string, YaraSource[]>();
    for (const src of hunt.setup.yara) {
      // Each bundled file on its own: a match names its own file, and a file the engine refuses costs only itself.
      const key = src.bundled?.url ?? "";
      groups.set(key, [...(groups.get(key) ?? []), src]);
    }
    const out: CompiledSet[] = [];
    for (const group of groups.values()) {
      const bundled = group[0].bundled ?? null;
      try {
        out.push({ rules: compileYaraCached(group, hunt.setup.yaraCache ?? null), bundled, error: null });
      } catch (e) {
        // The user's files were compiled by the scan set-up (a usage error there); bundled ones are first
        // compiled here, and a refusal is reported by the first page this thread sweeps.
        if (bundled) out.push({ rules: null, bundled, error: (e as Error).message.split("\n")[0] });
      }
    }
    return out;
  });
}

/** Bundled rules target web shells and the files they hide in: pages, configs, PST exports. */
function bundledTarget(file: { winPath: string | null; path: string; content: Buffer }): boolean {
  const c = file.content;
  if (c.length >= 4 && c[0] === 0x21 && c[1] === 0x42 && c[2] === 0x44 && c[3] === 0x4e) return true;
  return SCRIPT_EXT.test(file.winPath ?? file.path) || /applicationhost\.config$/i.test(file.path);
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
  community: {
    id: "yara-signature-base",
    title: "Community YARA rule matched (signature-base)",
    cves: [],
    severity: "high",
    effect: "compromise",
    description:
      "A rule of the signature-base web-shell and Exchange rule files exhunt ships (data/rules/signature-base, " +
      "unchanged, Detection Rule License 1.1) matched a page, config or PST export, run by the yara-x engine " +
      "when it is installed, next to the built-in rules. The evidence names the rule, its author (as the " +
      "licence asks), its description and reference, the rule file, and the engine.",
    references: ["https://github.com/Neo23x0/signature-base", "https://virustotal.github.io/yara-x/"],
  },
} satisfies Record<string, CheckInfo>;

export const yaraRules: ContentDetection = {
  type: "content",
  id: "yara",
  checks: [checks.yara, checks.community],
  select: (_file, ctx) => ctx.hunt.setup.yara.length > 0 && yaraEngine() !== null,
  match(file, ctx) {
    const out: FindingDraft[] = [];
    let refused: CompiledSet | null = null;
    for (const set of ruleSets(ctx.hunt)) {
      if (set.bundled && !bundledTarget(file)) continue;
      if (set.rules) for (const m of set.rules.scan(file.content)) out.push(draftOf(file, m, set.bundled));
      else refused = set;
    }
    // Bundled rules this engine refused: said once per thread, on a page without other matches (the
    // sweep turns the throw into a visible finding for that file).
    const told = ctx.hunt.memo("yara:refusal-told", () => ({ done: false }));
    if (refused && !told.done && out.length === 0) {
      told.done = true;
      throw new Error(
        `the bundled ${refused.bundled?.name} rules do not compile with this YARA engine (${refused.error}); built-in rules ran`,
      );
    }
    return out;
  },
};

function draftOf(
  file: Parameters<ContentDetection["match"]>[0],
  m: YaraMatch,
  bundled: BundledRuleSet | null,
): FindingDraft {
  const first = m.matches[0];
  const meta = m.meta as Record<string, unknown>;
  const author = typeof meta.author === "string" ? meta.author : null;
  const check = bundled ? checks.community.id : checks.yara.id;
  const d = sweptDraft(check, file, m.ruleIdentifier, first ? first.data : undefined, {
    title: bundled
      ? `signature-base rule ${m.ruleIdentifier} matched${author ? ` (by ${author})` : ""}`
      : `YARA rule ${m.ruleIdentifier} matched`,
  });
  const metaText = Object.entries(meta)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join("; ");
  if (metaText) d.evidence.RuleMeta = clip(metaText, 500);
  if (first) d.evidence.MatchOffset = String(first.offset);
  d.evidence.Engine = "YARA (yara-x)";
  // Result schema v2: the rule's own metadata travels with the finding (the licence asks for the author).
  d.rule = {
    id: m.ruleIdentifier,
    title: typeof meta.description === "string" ? meta.description : m.ruleIdentifier,
    references: typeof meta.reference === "string" && /^https?:/.test(meta.reference) ? [meta.reference] : [],
    ...(author ? { author } : {}),
    ...(bundled ? { licence: bundled.licence } : {}),
    origin: bundled ? `yara:${bundled.name}` : "yara",
  };
  if (bundled) {
    d.evidence.RuleSet = bundled.name;
    d.evidence.RuleFile = bundled.url;
    d.evidence.Licence = bundled.licence;
    if (author) d.evidence.Author = clip(author, 200);
    if (typeof meta.description === "string") d.evidence.Description = clip(meta.description, 300);
  }
  return d;
}
