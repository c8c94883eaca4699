// A ServerResult for what an import knows of a server (a scan report row, a probe): no evidence was
// read, so its coverage is empty and the verdict comes only from what the report says, judged by the
// same evidence ladder as a scan.

import { checkInfo } from "../detections/registry.js";
import { buildCoverage } from "../evidence/coverage.js";
import { type Assessment, assessBuild, toExposure } from "../exposure/assess.js";
import { exposureDrafts } from "../exposure/findings.js";
import { type Finding, type FindingDraft, toFinding } from "../model/finding.js";
import type { CheckInfo, Exposure, ServerResult } from "../model/types.js";
import { judgeServer } from "../verdict/judge.js";

/** The assessment of a reported build, or null (with the reason) when it is not a build the table knows. */
export function tryAssess(version: string): { assessment: Assessment | null; why: string | null } {
  if (!version.trim()) return { assessment: null, why: null };
  try {
    return { assessment: assessBuild(version.trim()), why: null };
  } catch (e) {
    return { assessment: null, why: (e as Error).message };
  }
}

export interface ImportedServer {
  name: string;
  root: string;
  drafts: { draft: FindingDraft; info?: CheckInfo }[];
  /** Findings the source already made (a probe's), kept as they are. */
  findings?: Finding[];
  /** The reported build; `findings: false` when the source's findings already include its exposure. */
  build: { assessment: Assessment; source: string; asOf: string | null; findings?: boolean } | null;
  notes: string[];
}

export function importedResult(s: ImportedServer): ServerResult {
  const findings: Finding[] = [...(s.findings ?? [])];
  let exposure: Exposure | null = null;
  if (s.build) {
    exposure = toExposure(s.build.assessment, s.build.source, s.build.asOf);
    if (s.build.findings !== false)
      for (const d of exposureDrafts(s.build.assessment, s.build.source, s.build.asOf))
        findings.push(toFinding(d, s.name, checkInfo(d.check)));
  }
  for (const { draft, info } of s.drafts)
    findings.push(toFinding(draft, s.name, info ?? checkInfo(draft.check)));
  const coverage = buildCoverage([]);
  coverage.notes.push(...s.notes);
  return judgeServer({
    name: s.name,
    root: s.root,
    findings,
    omittedFindings: {},
    coverage,
    skipped: [],
    stats: { files: 0, bytes: 0, logFiles: 0, logBytes: 0, records: 0, badRows: 0, durationMs: 0 },
    installPath: null,
    exposure,
  });
}
