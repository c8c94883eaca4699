// The library API: `import { scan } from "exhunt"`.
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { localTarget } from "./evidence/live.js";
import { eachIn, type ServerTarget, targetFor, UsageError } from "./evidence/targets.js";
import type { ZipLimits } from "./evidence/zip.js";
import { type EngineOptions, scanServer } from "./hunt/engine.js";
import { defaultWorkers, WorkerPool } from "./hunt/pool.js";
import { applySetup, prepareHunt } from "./hunt/setup.js";
import type { ScanResult, ServerResult } from "./model/types.js";
import { buildCoverage } from "./verdict/coverage.js";
import { VERSION } from "./version.js";

export { allChecks, checkInfo } from "./detections/registry.js";
export { UsageError } from "./evidence/targets.js";
export { type Assessment, assessBuild } from "./exposure/assess.js";
export { mitigationPowerShell, mitigationXml } from "./exposure/mitigations.js";
export { type HostResult, probeTargets } from "./exposure/probe/probe.js";
export { resolveProbeTargets } from "./exposure/probe/targets.js";
export { prepareSigma as loadSigmaRules } from "./hunt/setup.js";
export type {
  CheckInfo,
  Coverage,
  Exposure,
  Finding,
  ScanResult,
  ServerResult,
  Severity,
  Skipped,
  VerdictName,
} from "./model/types.js";
export { huntSigma, type SigmaHit, type SigmaHuntResult } from "./sigma/hunt.js";
export type { RuleSet as SigmaRuleSet } from "./sigma/ruleset.js";
export { VERSION } from "./version.js";

export interface ScanOptions extends EngineOptions {
  /** Treat every PATH as a folder whose subfolders (and .zip files) are one server each. */
  each?: boolean;
  zipLimits?: ZipLimits;
  /** Called after each server, for streaming output over large fleets. */
  onServer?: (s: ServerResult) => void;
  /** User indicator feeds (CSV or text: hashes, IPs, paths, domains), added to the bundled ones. */
  iocFiles?: string[];
  /** YARA rule files or folders, run on every swept file (needs the optional yara-x engine). */
  yara?: string[];
  /** Sigma rule files or folders (`--sigma`), added to the bundled SigmaHQ selection. */
  sigma?: string[];
  /** Only Sigma rules at this level or above (informational, low, medium, high, critical). */
  sigmaLevel?: string;
  /** false: leave out the bundled Sigma rules. Default true. */
  sigmaBundled?: boolean;
}

/** Servers named by `paths` (none: the local server, on Windows). Throws UsageError for bad paths. */
export async function resolveTargets(paths: string[], each = false): Promise<string[] | null> {
  if (paths.length === 0) return null;
  if (!each) return paths;
  const all: string[] = [];
  for (const p of paths) all.push(...(await eachIn(p)));
  if (all.length === 0) throw new UsageError(`--each: no subfolders or .zip files in ${paths.join(", ")}`);
  return all;
}

async function assertPathsExist(paths: string[]): Promise<void> {
  for (const p of paths) {
    try {
      await stat(p);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
  }
}

function unreadableServer(path: string, why: string): ServerResult {
  const coverage = buildCoverage([]);
  return {
    name: basename(path).replace(/\.zip$/i, ""),
    root: path,
    verdict: "unknown",
    reasons: [`The evidence could not be opened: ${why}`],
    coverage,
    findings: [],
    omittedFindings: {},
    skipped: [{ file: path, reason: "corrupt", detail: why }],
    stats: { files: 0, bytes: 0, logFiles: 0, logBytes: 0, records: 0, badRows: 0, durationMs: 0 },
    installPath: null,
  };
}

/** Scan one server per path and return the result object (see the README for its schema). */
export async function scan(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const startedAt = new Date().toISOString();
  const list = await resolveTargets(paths, options.each);
  // User feeds and rules are read and checked before any evidence, and reach the workers at start.
  applySetup(
    prepareHunt({
      iocFiles: options.iocFiles,
      yara: options.yara,
      sigma: options.sigma,
      sigmaLevel: options.sigmaLevel,
      sigmaBundled: options.sigmaBundled,
    }),
  );
  const workers = options.workers ?? defaultWorkers();
  const pool = workers > 0 ? new WorkerPool(workers) : undefined;
  const servers: ServerResult[] = [];
  try {
    const names = list ?? [null];
    if (list) await assertPathsExist(list);
    for (const p of names) {
      let target: ServerTarget;
      try {
        target = p === null ? await localTarget() : await targetFor(p, options.zipLimits);
      } catch (e) {
        if (e instanceof UsageError || names.length === 1) throw e;
        // In a fleet, one unreadable collection must not stop the others.
        const result = unreadableServer(p ?? "local", (e as Error).message);
        servers.push(result);
        options.onServer?.(result);
        continue;
      }
      try {
        const { result } = await scanServer(target, options, pool);
        servers.push(result);
        options.onServer?.(result);
      } finally {
        await target.cleanup();
      }
    }
  } finally {
    await pool?.close();
    applySetup(null);
  }
  return {
    schemaVersion: 1,
    tool: { name: "exhunt", version: VERSION },
    startedAt,
    finishedAt: new Date().toISOString(),
    servers,
  };
}
