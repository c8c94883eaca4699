// What a scan sets up once before reading: user indicator feeds (--ioc) and YARA rules (--yara). The
// main thread reads and checks them (bad input is a usage error, not a crash in a worker); the setup
// is plain data: every thread makes its hunt context from it (workers get it as workerData), so row
// literals, content rules and YARA agree everywhere, and nothing is kept in module state.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { dataPath } from "../data-path.js";
import type { HuntSetup } from "../detections/context.js";
import { parseFeed } from "../detections/iocs/feeds.js";
import { compileSigmaSetup, DEFAULT_SIGMA, type SigmaSetup } from "../detections/sigma.js";
import {
  type BundledRuleSet,
  compileYaraCached,
  type YaraSource,
  yaraEngine,
  yaraUnavailable,
} from "../detections/yara.js";
import { UsageError } from "../model/errors.js";
import type { Skipped } from "../model/types.js";
import { parseRuleText } from "../sigma/load.js";
import { type RuleSet, readRuleSources } from "../sigma/ruleset.js";
import { SIGMA_LEVELS, type SigmaLevel } from "../sigma/types.js";

export type { HuntSetup } from "../detections/context.js";

export interface SetupOptions {
  /** --ioc FILE (CSV or text). */
  iocFiles?: string[];
  /** --yara FILE|DIR (.yar/.yara files in a folder, recursively). */
  yara?: string[];
  /** Run the shipped signature-base rules when the YARA engine loads (default true). */
  communityRules?: boolean;
  /** --sigma DIR|FILE (repeatable): Sigma rules added to the bundled ones. */
  sigma?: string[];
  /** --sigma-level: only Sigma rules at this level or above. */
  sigmaLevel?: string;
  /** false: the bundled Sigma rules do not run (only --sigma ones, if any). */
  sigmaBundled?: boolean;
  /**
   * The parsed-rule cache folder (sigma/cache.ts; the CLI's default is sigmaCacheDir's, --no-sigma-cache
   * none). Absent or null: no cache, every rule file's YAML is parsed.
   */
  sigmaCache?: string | null;
  /** The rule cache folder for compiled YARA rules (its yara/ folder; the CLI's is the Sigma cache's); default: none. */
  yaraCache?: string | null;
}

/** Read and check the Sigma options; the compiled set tells what loaded (`problems`, `notApplicable`). */
export function prepareSigma(o: Pick<SetupOptions, "sigma" | "sigmaLevel" | "sigmaBundled" | "sigmaCache">): {
  setup: SigmaSetup;
  set: RuleSet;
} {
  const level = o.sigmaLevel?.toLowerCase();
  if (level !== undefined && !SIGMA_LEVELS.includes(level as SigmaLevel))
    throw new UsageError(`--sigma-level ${o.sigmaLevel}: one of ${SIGMA_LEVELS.join(", ")}`);
  const cache = o.sigmaCache ?? null;
  // Parsed here (through the cache when there is one), once: workers get the parsed rules with the
  // set-up and only compile them.
  const user = (o.sigma ?? []).flatMap((path) => {
    let sources: ReturnType<typeof readRuleSources>;
    try {
      sources = readRuleSources(path, null, cache);
    } catch (e) {
      throw new UsageError(`--sigma: cannot read ${path}: ${(e as Error).message}`);
    }
    if (sources.length === 0) throw new UsageError(`--sigma ${path}: no .yml or .yaml files`);
    return sources.map((x) => (x.parsed ? x : { ...x, parsed: parseRuleText(x.text) }));
  });
  const setup: SigmaSetup = {
    bundled: o.sigmaBundled ?? DEFAULT_SIGMA.bundled,
    user,
    minLevel: (level as SigmaLevel | undefined) ?? null,
    cache,
  };
  return { setup, set: compileSigmaSetup(setup) };
}

function sigmaSetup(o: SetupOptions, warnings: Skipped[]): SigmaSetup {
  // Compiled here once so that every rule that cannot run is reported (with the exact reason) before
  // any evidence is read; each thread compiles the same sources again (compiled rules are closures,
  // which cannot cross to a worker).
  const { setup, set } = prepareSigma(o);
  for (const p of set.problems) {
    warnings.push({
      file: p.file,
      reason: "refused",
      detail: `Sigma rule ${p.id ?? "(no id)"}${p.title ? ` "${p.title}"` : ""} not loaded (${p.kind}): ${p.reason}`,
    });
  }
  return setup;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

function ruleFiles(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`--yara: no such file or folder: ${path}`);
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const e of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...ruleFiles(p));
    else if (/\.(yar|yara)$/i.test(e.name)) out.push(p);
  }
  return out;
}

/** Read and check the user's feeds and rules. Throws UsageError for missing files or bad rules. */
export function prepareHunt(
  o: SetupOptions,
  yaraLoads: () => boolean = () => yaraEngine() !== null,
): HuntSetup {
  const setup: HuntSetup = {
    userIocs: [],
    yara: [],
    yaraCache: o.yaraCache ?? null,
    sigma: DEFAULT_SIGMA,
    warnings: [],
  };
  setup.sigma = sigmaSetup(o, setup.warnings);
  for (const f of o.iocFiles ?? []) {
    const parsed = parseFeed(readText(f, "--ioc"), `user:${f}`);
    setup.userIocs.push(...parsed.iocs);
    if (parsed.iocs.length === 0) throw new UsageError(`--ioc ${f}: no hash, IP, path or domain found in it`);
    if (parsed.bad.length > 0) {
      const sample = parsed.bad
        .slice(0, 3)
        .map((b) => `line ${b.line}: ${JSON.stringify(b.text)}`)
        .join("; ");
      setup.warnings.push({
        file: f,
        reason: "partial",
        detail: `indicator feed: ${parsed.bad.length} line(s) not recognised as a hash, IP, path or domain, ignored (${sample})`,
      });
    }
  }
  const files = (o.yara ?? []).flatMap(ruleFiles);
  if ((o.yara ?? []).length > 0 && files.length === 0)
    throw new UsageError(`--yara ${o.yara?.join(", ")}: no .yar or .yara files`);
  if (files.length > 0) {
    if (!yaraLoads()) {
      setup.warnings.push({
        file: files.join(", "),
        reason: "refused",
        detail: `${yaraUnavailable()}; built-in rules ran`,
      });
    } else {
      const sources = files.map((file) => ({ file, text: readText(file, "--yara") }));
      try {
        compileYaraCached(sources, setup.yaraCache ?? null);
      } catch (e) {
        throw new UsageError(`--yara: rules do not compile: ${(e as Error).message}`);
      }
      setup.yara = sources;
    }
  }
  // The bundled rules compile (or are read from the rule cache) where a page is first swept: 0.3-0.8 s of
  // CPU per thread uncached, which a scan of logs alone should not pay; should this engine refuse them,
  // that thread's first page says so (detections/yara.ts).
  if (o.communityRules !== false && yaraLoads()) setup.yara.push(...bundledRules());
  return setup;
}

const SIGNATURE_BASE: BundledRuleSet = {
  name: "signature-base (Neo23x0)",
  licence: "Detection Rule License 1.1 https://github.com/Neo23x0/signature-base/blob/master/LICENSE",
  url: "https://github.com/Neo23x0/signature-base/blob/master/yara/",
};

/** The rule files shipped under data/rules/signature-base (unchanged; see the SOURCES.md there). */
function bundledRules(): YaraSource[] {
  let dir: string;
  try {
    dir = dataPath("rules", "signature-base");
  } catch {
    return [];
  }
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".yar"))
    .sort()
    .map((n) => ({
      file: `signature-base/${n}`,
      text: readFileSync(join(dir, n), "utf8"),
      bundled: { ...SIGNATURE_BASE, url: `${SIGNATURE_BASE.url}${n}` },
    }));
}
