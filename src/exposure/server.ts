// A scanned server's exposure: from --build, the live server's ExSetup.exe, or the `#Version`
// header of its newest Exchange log, in that order of trust.
import type { Exposure, Skipped } from "../model/types.js";
import { type Assessment, assessBuild, toExposure } from "./assess.js";
import { EXSETUP_SOURCE, localBuild } from "./local.js";

/** `#Version` of one Exchange log file and the newest record time in it. */
export interface HeaderVersion {
  version: string;
  newest: string | null;
  file: string;
}

export interface ServerExposureInput {
  /** --build VERSION (already validated by the CLI; a bad value throws). */
  given?: string | null;
  live?: boolean;
  installPath?: string | null;
  headers?: HeaderVersion[];
  now?: Date;
}

export interface ServerExposure {
  exposure: Exposure | null;
  /** The assessment behind `exposure`, with where the build came from (for the exposure findings). */
  facts: { assessment: Assessment; buildSource: string; asOf: string | null } | null;
  skipped: Skipped[];
}

/** A log header only shows the build at the time the log was written. */
export const HEADER_SOURCE = "log header #Version (the build when the log was written)";

export async function serverExposure(i: ServerExposureInput): Promise<ServerExposure> {
  const now = i.now ?? new Date();
  const done = (a: Assessment, source: string, asOf: string | null): ServerExposure => ({
    exposure: toExposure(a, source, asOf),
    facts: { assessment: a, buildSource: source, asOf },
    skipped: [],
  });
  if (i.given) return done(assessBuild(i.given, now), "given (--build)", null);
  const skipped: Skipped[] = [];
  if (i.live) {
    try {
      const { version, path } = await localBuild(i.installPath ?? null);
      return done(assessBuild(version, now), `${EXSETUP_SOURCE} (${path})`, now.toISOString());
    } catch (e) {
      skipped.push({
        file: "ExSetup.exe",
        reason: "unreadable",
        detail: `build not read: ${(e as Error).message}`,
      });
    }
  }
  // Newest first; logs whose header is not an Exchange build (ECP writes 15.0.0.0) are passed over.
  const headers = [...(i.headers ?? [])].sort((a, b) => (b.newest ?? "").localeCompare(a.newest ?? ""));
  for (const h of headers) {
    let a: Assessment;
    try {
      a = assessBuild(h.version, now);
    } catch {
      continue;
    }
    const r = done(a, `${HEADER_SOURCE}: ${h.file}`, h.newest);
    r.skipped = skipped;
    return r;
  }
  return { exposure: null, facts: null, skipped };
}
