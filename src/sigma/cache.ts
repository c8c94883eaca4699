// A cache of parsed rule files (sigma/load.ts's ParsedRuleFile), so that a second run over the same
// rules reads, hashes and JSON.parses them instead of parsing ~3,000 YAML files again (1.4 s of the
// 1.6 s it takes to load every Windows SigmaHQ rule). One file per rule folder (or rule file) the
// user names, in the user's cache folder, keyed by each rule file's SHA-256 and the loader's version.
// Nothing here is trusted blindly: a cache file whose header, checksum or shape is wrong, or an entry
// whose shape is wrong, is ignored and the YAML parsed again. Every failure to read or write the
// cache only costs the parse: the cache never stops a run.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { VERSION } from "../version.js";
import { type ParsedDoc, type ParsedRuleFile, parseRuleText } from "./load.js";

/** Bumped whenever parseRuleText's output changes for the same text (so old entries never apply). */
const PARSE_FORMAT = 2;
export const CACHE_LOADER = `exhunt ${VERSION} sigma-parse ${PARSE_FORMAT}`;
/**
 * The loader of the shipped parse of the bundled rules (data/sigma/parsed.json, written by
 * scripts/sigma-parsed.ts): made from this source tree, so without the version (a test keeps it fresh).
 */
export const SHIPPED_LOADER = `exhunt sigma-parse ${PARSE_FORMAT}`;
const FORMAT = "exhunt-sigma-cache";

/** The environment variable naming the cache folder, or `off` to use none. */
export const SIGMA_CACHE_ENV = "EXHUNT_SIGMA_CACHE";

/**
 * Where the cache lives: $EXHUNT_SIGMA_CACHE if set (`off`, `0`, `false`, `no`: no cache), else the
 * OS user cache folder: %LOCALAPPDATA%\exhunt\sigma on Windows, ~/Library/Caches/exhunt/sigma on
 * macOS, $XDG_CACHE_HOME/exhunt/sigma or ~/.cache/exhunt/sigma elsewhere. null: no cache.
 */
export function sigmaCacheDir(
  env: Readonly<Record<string, string | undefined>>,
  platform: string = process.platform,
  home: () => string = homedir,
): string | null {
  const set = env[SIGMA_CACHE_ENV];
  if (set !== undefined && set !== "") {
    return ["off", "0", "false", "no"].includes(set.toLowerCase()) ? null : resolve(set);
  }
  const h = home();
  if (platform === "win32") {
    const base = env.LOCALAPPDATA || (h ? join(h, "AppData", "Local") : "");
    return base ? join(base, "exhunt", "sigma") : null;
  }
  if (platform === "darwin") return h ? join(h, "Library", "Caches", "exhunt", "sigma") : null;
  const xdg = env.XDG_CACHE_HOME;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  if (xdg?.startsWith("/")) return join(xdg, "exhunt", "sigma");
  return h ? join(h, ".cache", "exhunt", "sigma") : null;
}

export interface CachedParse {
  /** Per input text, in order. */
  parsed: ParsedRuleFile[];
  /** Texts found in the cache (or in the shipped parse). */
  hits: number;
  misses: number;
  /** Whether the cache file was (re)written. */
  written: boolean;
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** The cache file of one rule folder or file (by its absolute path, so two folders never share one). */
export function cacheFileFor(dir: string, root: string): string {
  return join(dir, `rules-${sha256(`${CACHE_LOADER}\0${resolve(root)}`).slice(0, 32)}.json`);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function validDoc(d: unknown): d is ParsedDoc {
  if (!isObj(d)) return false;
  const keys = Object.keys(d);
  if (keys.length !== 1) return false;
  return keys[0] === "value" || (keys[0] === "error" && typeof d.error === "string");
}

/** An entry as parseRuleText makes them; anything else is not used. */
function validEntry(e: unknown): e is ParsedRuleFile {
  if (!isObj(e)) return false;
  const keys = Object.keys(e);
  if (keys.length !== 1) return false;
  if (keys[0] === "error") return typeof e.error === "string";
  return keys[0] === "docs" && Array.isArray(e.docs) && e.docs.every(validDoc);
}

/**
 * The entries of a cache file, or an empty map when it is absent, damaged or not this loader's: line 1
 * is a header (format, loader, SHA-256 of the rest), the rest a JSON object of text hash → entry.
 */
export function readEntries(path: string, loader: string = CACHE_LOADER): Map<string, unknown> {
  const none = new Map<string, unknown>();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return none;
  }
  const nl = text.indexOf("\n");
  if (nl < 0) return none;
  try {
    const head: unknown = JSON.parse(text.slice(0, nl));
    if (!isObj(head) || head.format !== FORMAT || head.loader !== loader) return none;
    const body = text.slice(nl + 1);
    if (head.sha256 !== sha256(body)) return none;
    const entries: unknown = JSON.parse(body);
    if (!isObj(entries)) return none;
    return new Map(Object.entries(entries));
  } catch {
    return none;
  }
}

/** A cache file's text: the header line, then the entries. */
export function cacheText(entries: Map<string, ParsedRuleFile>, loader: string = CACHE_LOADER): string {
  const body = JSON.stringify(Object.fromEntries(entries));
  return `${JSON.stringify({ format: FORMAT, loader, sha256: sha256(body) })}\n${body}`;
}

/** Every text's parse, keyed as the cache keys them. */
export function parseAll(texts: readonly string[]): Map<string, ParsedRuleFile> {
  return new Map(texts.map((t) => [sha256(t), parseRuleText(t)]));
}

function writeEntries(path: string, dir: string, entries: Map<string, ParsedRuleFile>): boolean {
  // Written beside and renamed over: a reader never sees half a file, and two runs never mix theirs.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, cacheText(entries));
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is not usable: nothing was written
    }
    return false;
  }
}

/**
 * Parse the texts of the rule files under `root` through the cache in `dir` (null: no cache), after
 * the shipped parse `shipped` if given (read-only, in the cache's format with SHIPPED_LOADER). The
 * cache file keeps exactly the entries of these texts that the shipped parse lacks: it is rewritten
 * when one was parsed or one of its entries is no longer needed.
 */
export function parseThroughCache(
  texts: readonly string[],
  root: string,
  dir: string | null,
  shipped: string | null = null,
): CachedParse {
  const seed = shipped === null ? new Map<string, unknown>() : readEntries(shipped, SHIPPED_LOADER);
  const path = dir === null ? null : cacheFileFor(dir, root);
  const old = path === null ? new Map<string, unknown>() : readEntries(path);
  const now = new Map<string, ParsedRuleFile>();
  let hits = 0;
  let misses = 0;
  const parsed = texts.map((t) => {
    const key = sha256(t);
    const ready = seed.get(key);
    if (ready !== undefined && validEntry(ready)) {
      hits++;
      return ready;
    }
    const known = now.get(key) ?? old.get(key);
    if (known !== undefined && validEntry(known)) {
      hits++;
      now.set(key, known);
      return known;
    }
    misses++;
    const p = parseRuleText(t);
    now.set(key, p);
    return p;
  });
  const stale = misses > 0 || old.size !== now.size;
  const written = path !== null && dir !== null && stale ? writeEntries(path, dir, now) : false;
  return { parsed, hits, misses, written };
}
