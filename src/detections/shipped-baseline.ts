// What Exchange ships in its front-end web folders, per build: the SHA-256 of every page, handler,
// config and script in FrontEnd\HttpProxy (data/baselines/exchange-web.json, made from Microsoft's
// CSS-Exchange baselines by scripts/compact-baselines.mjs; source and licence in SOURCES.md there).
// A file whose path and hash are in it is Exchange's own; a file at a shipped path with another hash
// was changed after setup (or comes from a build the data does not hold).
import { readFileSync } from "node:fs";
import { dataPath } from "../data-path.js";

export interface Baseline {
  /** Builds the data holds (e.g. 15.0.1497.12). */
  builds: readonly string[];
  /** Baseline path (see baselineKey) -> hash (lower-case hex) -> the builds that ship it. */
  byPath: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** build -> baseline path -> hash. */
  byBuild: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

interface BaselineFile {
  format: number;
  hashes: string[];
  builds: Record<string, Record<string, number>>;
}

/** Parse the compact file (throws on a malformed one: shipped data, so a defect to report). */
export function parseBaseline(text: string): Baseline {
  const raw = JSON.parse(text) as BaselineFile;
  if (raw.format !== 1 || !Array.isArray(raw.hashes) || typeof raw.builds !== "object")
    throw new Error("exchange-web.json: unknown format");
  const byPath = new Map<string, Map<string, string[]>>();
  const byBuild = new Map<string, Map<string, string>>();
  for (const [build, files] of Object.entries(raw.builds)) {
    const m = new Map<string, string>();
    for (const [path, i] of Object.entries(files)) {
      const hash = raw.hashes[i];
      if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash))
        throw new Error(`exchange-web.json: bad hash index for ${build} ${path}`);
      m.set(path, hash);
      const hs = byPath.get(path) ?? new Map<string, string[]>();
      hs.set(hash, [...(hs.get(hash) ?? []), build]);
      byPath.set(path, hs);
    }
    byBuild.set(build, m);
  }
  return { builds: [...byBuild.keys()], byPath, byBuild };
}

// Immutable shipped data, read once on first use (like the build table).
let shipped: Baseline | null = null;
export function shippedBaseline(): Baseline {
  shipped ??= parseBaseline(readFileSync(dataPath("baselines", "exchange-web.json"), "utf8"));
  return shipped;
}

const MARKER = "\\frontend\\httpproxy\\";

/**
 * The baseline path of a Windows path under an Exchange front end (`frontend\httpproxy\owa\auth\
 * logon.aspx`), lower case, with the build-numbered folder under owa\auth written `version` as the
 * baselines do; null when the path is not under FrontEnd\HttpProxy.
 */
export function baselineKey(winPath: string): string | null {
  const p = winPath.replaceAll("/", "\\").toLowerCase();
  const i = p.indexOf(MARKER);
  if (i < 0) return null;
  const rest = p.slice(i + MARKER.length).replace(/^owa\\auth\\\d+\.\d+\.\d+\.\d+\\/, "owa\\auth\\version\\");
  return `frontend\\httpproxy\\${rest}`;
}

/** The builds that ship exactly this file (path and hash); empty when none of the known builds does. */
export function stockBuilds(b: Baseline, key: string, sha256: string): readonly string[] {
  return b.byPath.get(key)?.get(sha256.toLowerCase()) ?? [];
}

/** Whether a file with this Windows path and hash is one Exchange ships, per the baseline. */
export function isStockFile(winPath: string | null, sha256: string | null, b = shippedBaseline()): boolean {
  if (!winPath || !sha256) return false;
  const key = baselineKey(winPath);
  return key !== null && stockBuilds(b, key, sha256).length > 0;
}
