// What Exchange ships in its web folders, per build: the SHA-256 of every page, handler, config and
// script in FrontEnd\HttpProxy and of the pages, handlers and configs directly in the back-end roots
// ClientAccess\ecp, \owa and \Autodiscover (data/baselines/exchange-web.json, made from Microsoft's
// CSS-Exchange baselines by scripts/compact-baselines.mjs; source, commits and licence in SOURCES.md
// there). A file whose path and hash are in it is Exchange's own; a file at a shipped path with
// another hash was changed after setup (or comes from a build the data does not hold: see
// expectedHashes for what is judged then).
import { readFileSync } from "node:fs";
import { dataPath } from "../data-path.js";
import { once } from "../model/once.js";

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
export const shippedBaseline = once(
  (): Baseline => parseBaseline(readFileSync(dataPath("baselines", "exchange-web.json"), "utf8")),
);

const MARKER = "\\frontend\\httpproxy\\";
const CLIENT_ACCESS = /\\v1[45]\\clientaccess\\/;

/**
 * The baseline path of a Windows path under an Exchange front end (`frontend\httpproxy\owa\auth\
 * logon.aspx`), lower case, with the build-numbered folder under owa\auth written `version` as the
 * baselines do, or under the back-end apps (`clientaccess\ecp\about.aspx`); null when the path is
 * under neither FrontEnd\HttpProxy nor V15\ClientAccess.
 */
export function baselineKey(winPath: string): string | null {
  const p = winPath.replaceAll("/", "\\").toLowerCase();
  const i = p.indexOf(MARKER);
  if (i < 0) {
    const ca = CLIENT_ACCESS.exec(p);
    return ca ? `clientaccess\\${p.slice(ca.index + ca[0].length)}` : null;
  }
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

/** A build written as dotted integers (`15.02.0792.010` from ExSetup's FileVersion -> `15.2.792.10`), or null. */
export function canonicalBuild(raw: string | null | undefined): string | null {
  if (!raw || !/^\d+(\.\d+){3}$/.test(raw.trim())) return null;
  return raw
    .trim()
    .split(".")
    .map((n) => String(Number(n)))
    .join(".");
}

/** The product line of a build: `15.0` (2013), `15.1` (2016), `15.2` (2019). */
export function majorOf(build: string): string {
  return build.split(".").slice(0, 2).join(".");
}

function compareBuilds(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** What a server of one build must have at the paths the baselines know, and on what that rests. */
export interface ExpectedHashes {
  /** The server's build (canonical). */
  build: string;
  /**
   * `build`: the build's own list is held. `major`: it is not; only the files on which every held
   * build of the same product line agrees (same path in all of them, same hash) are expected.
   */
  basis: "build" | "major";
  /** The held builds the expectation rests on (the build itself, or the agreeing ones). */
  from: readonly string[];
  /** Baseline path -> expected SHA-256. */
  files: ReadonlyMap<string, string>;
}

/**
 * The hashes a server of this build must have. A held build: its own list. A build the data does not
 * hold: only the files on which all held builds of its product line agree, and only when the build
 * lies between the oldest and newest of those (a file that never changed across the held cumulative
 * updates may still have changed before or after them); a file whose hash differs between held
 * builds is not expected at all. Null when nothing can be expected (no build, another product line,
 * or a build outside the held span).
 */
export function expectedHashes(b: Baseline, rawBuild: string | null | undefined): ExpectedHashes | null {
  const build = canonicalBuild(rawBuild);
  if (build === null) return null;
  const own = b.byBuild.get(build);
  if (own) return { build, basis: "build", from: [build], files: own };
  const held = b.builds.filter((x) => majorOf(x) === majorOf(build)).sort(compareBuilds);
  if (held.length === 0) return null;
  if (compareBuilds(build, held[0]) < 0 || compareBuilds(build, held[held.length - 1]) > 0) return null;
  const lists = held.map((x) => b.byBuild.get(x)!);
  const files = new Map<string, string>();
  for (const [key, hash] of lists[0]) if (lists.every((l) => l.get(key) === hash)) files.set(key, hash);
  return { build, basis: "major", from: held, files };
}
