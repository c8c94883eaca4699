// The library API: `import { scan } from "exhunt"`.
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createHuntContext } from "./detections/context.js";
import { buildCoverage } from "./evidence/coverage.js";
import { localTarget } from "./evidence/live.js";
import { eachIn, type ServerTarget, targetFor } from "./evidence/targets.js";
import type { ZipLimits } from "./evidence/zip.js";
import { type EngineOptions, scanServer } from "./hunt/engine.js";
import { defaultWorkers, WorkerPool } from "./hunt/pool.js";
import { prepareHunt } from "./hunt/setup.js";
import { UsageError } from "./model/errors.js";
import { SCHEMA_VERSION, type ScanResult, type ServerResult } from "./model/types.js";
import { judgeServer } from "./verdict/judge.js";
import { VERSION } from "./version.js";

export { allChecks, checkInfo } from "./detections/registry.js";
export { type Assessment, assessBuild } from "./exposure/assess.js";
export { exposureDrafts } from "./exposure/findings.js";
export { EXSETUP_SOURCE, localBuild } from "./exposure/local.js";
export { mitigationPowerShell, mitigationXml } from "./exposure/mitigations.js";
export { type BuildTable, buildTable, dataFiles, loadBuildTable } from "./exposure/table.js";
export { parseVersion } from "./exposure/version.js";
export type { Progress } from "./hunt/engine.js";
export { prepareSigma as loadSigmaRules } from "./hunt/setup.js";
export { UsageError } from "./model/errors.js";
export type { Finding, Subject } from "./model/finding.js";
export type { EventRecord } from "./model/records.js";
export type {
  CheckInfo,
  Coverage,
  Exposure,
  ScanResult,
  ServerResult,
  Severity,
  Skipped,
  VerdictName,
} from "./model/types.js";
export { readExportedEvents } from "./readers/event-file.js";
export { parseEvtxFile, readEvtxEvents, toEventRecord, toXml } from "./readers/evtx/index.js";
export { SIGMA_CACHE_ENV, sigmaCacheDir } from "./sigma/cache.js";
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
  /** Run the shipped signature-base web-shell rules when yara-x loads (default true). */
  communityRules?: boolean;
  /** Sigma rule files or folders (`--sigma`), added to the bundled SigmaHQ selection. */
  sigma?: string[];
  /** Only Sigma rules at this level or above (informational, low, medium, high, critical). */
  sigmaLevel?: string;
  /** false: leave out the bundled Sigma rules. Default true. */
  sigmaBundled?: boolean;
  /** The parsed-Sigma-rule cache folder (`sigmaCacheDir(process.env)` is the CLI's); default: none. */
  sigmaCache?: string | null;
  /** The folder compiled YARA rule sets are kept in (its yara/ folder; the CLI uses the Sigma cache's); default: none. */
  yaraCache?: string | null;
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
  const r = judgeServer({
    name: basename(path).replace(/\.zip$/i, ""),
    root: path,
    findings: [],
    omittedFindings: {},
    coverage: buildCoverage([]),
    skipped: [{ file: path, reason: "corrupt", detail: why }],
    stats: { files: 0, bytes: 0, logFiles: 0, logBytes: 0, records: 0, badRows: 0, durationMs: 0 },
    installPath: null,
    exposure: null,
  });
  r.reasons.unshift(`The evidence could not be opened: ${why}`);
  return r;
}

/**
 * Scan one server per path and yield each server's result as soon as it is judged, so that a run over
 * a large fleet never holds every finding in memory. Options travel in an explicit context: scans
 * with different options may run at the same time in one process.
 */
export async function* scanServers(paths: string[], options: ScanOptions = {}): AsyncGenerator<ServerResult> {
  const list = await resolveTargets(paths, options.each);
  // User feeds and rules are read and checked before any evidence, and reach the workers at start.
  const setup = prepareHunt({
    iocFiles: options.iocFiles,
    yara: options.yara,
    communityRules: options.communityRules,
    sigma: options.sigma,
    sigmaLevel: options.sigmaLevel,
    sigmaBundled: options.sigmaBundled,
    sigmaCache: options.sigmaCache,
    yaraCache: options.yaraCache,
  });
  const hunt = createHuntContext(setup);
  const workers = options.workers ?? defaultWorkers();
  const pool = workers > 0 ? new WorkerPool(workers, hunt) : undefined;
  try {
    const names = list ?? [null];
    if (list) await assertPathsExist(list);
    for (const p of names) {
      let target: ServerTarget;
      try {
        target = p === null ? await localTarget() : await targetFor(p, options.zipLimits);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        // A collection that cannot be opened is named and skipped, alone or in a fleet (exit 3).
        yield unreadableServer(p ?? "local", (e as Error).message);
        continue;
      }
      let result: ServerResult;
      try {
        const { evidence } = await scanServer(target, options, hunt, pool);
        result = judgeServer(evidence);
      } finally {
        await target.cleanup();
      }
      yield result;
    }
  } finally {
    await pool?.close();
  }
}

/** Scan one server per path and return the result object (docs/output.md; schema in data/result.schema.json). */
export async function scan(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const startedAt = new Date().toISOString();
  const servers: ServerResult[] = [];
  for await (const s of scanServers(paths, options)) {
    servers.push(s);
    options.onServer?.(s);
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: "exhunt", version: VERSION },
    startedAt,
    finishedAt: new Date().toISOString(),
    servers,
  };
}
