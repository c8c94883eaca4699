// `exhunt sigma`: Sigma rules alone over evidence files (like Chainsaw's hunt). Every file is
// recognised by its content (EVTX, exported events, IIS W3C); events and web rows meet the indexed
// rules; correlation rules run once everything is read. Files that are not read are listed, never
// dropped silently.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { LogKind } from "../model/records.js";
import type { LiteralPlan } from "../readers/delimited.js";
import { readerFor, sniff } from "../readers/index.js";
import {
  type BaseMatch,
  baseMatch,
  type CorrelationHit,
  capturedFields,
  runCorrelations,
} from "./correlation.js";
import { fieldEvidence, ruleRef, type SigmaRuleRef } from "./evidence.js";
import type { RuleSet } from "./ruleset.js";
import { matchEvent, matchRow, webLineGate } from "./ruleset.js";
import type { CompiledRule, RecordView } from "./types.js";

export interface SigmaHit {
  rule: SigmaRuleRef;
  file: string;
  /** EVTX/exports: the event's record id; IIS: null. */
  record: number | null;
  /** IIS and JSON-lines exports: the line. */
  line: number | null;
  time: string | null;
  /** Computer (events) or client address (IIS). */
  host: string | null;
  fields: Record<string, string>;
}

export interface SigmaHuntResult {
  hits: SigmaHit[];
  /** Matches beyond `maxHits`, counted per rule id. */
  omitted: Record<string, number>;
  correlations: CorrelationHit[];
  files: { file: string; format: string; records: number; damage: string[] }[];
  skipped: { file: string; reason: string }[];
  records: number;
  bytes: number;
}

export interface HuntOptions {
  maxHits?: number;
}

const HEAD = 64 * 1024;

function walk(path: string, out: string[], skipped: SigmaHuntResult["skipped"]): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    skipped.push({ file: path, reason: `not-found: ${(e as Error).message}` });
    return;
  }
  if (st.isDirectory()) {
    for (const n of readdirSync(path).sort()) walk(join(path, n), out, skipped);
  } else if (st.isFile()) out.push(path);
  else skipped.push({ file: path, reason: "not a regular file" });
}

function head(path: string, size: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(Math.min(HEAD, size));
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

export function huntSigma(paths: string[], set: RuleSet, o: HuntOptions = {}): SigmaHuntResult {
  const res: SigmaHuntResult = {
    hits: [],
    omitted: {},
    correlations: [],
    files: [],
    skipped: [],
    records: 0,
    bytes: 0,
  };
  const max = o.maxHits ?? 100_000;
  const files: string[] = [];
  for (const p of paths) walk(p, files, res.skipped);
  const captures = new Map<CompiledRule, string[] | null>();
  const base: BaseMatch[] = [];
  const onMatch = (rule: CompiledRule, view: RecordView, at: Omit<SigmaHit, "rule" | "fields">): void => {
    let cap = captures.get(rule);
    if (cap === undefined) {
      cap = capturedFields(set.correlations, rule);
      captures.set(rule, cap);
    }
    if (cap) {
      const m = baseMatch(rule, view, at.time, cap);
      if (m) base.push(m);
    }
    if (!rule.generate) return;
    if (res.hits.length >= max) {
      res.omitted[rule.meta.id] = (res.omitted[rule.meta.id] ?? 0) + 1;
      return;
    }
    res.hits.push({ rule: ruleRef(rule.meta), ...at, fields: fieldEvidence(rule, view) });
  };
  // Every row, or with the rules' line gate the rows whose line holds some rule's literals (the others
  // are never made into rows: sigma/web-line.ts).
  const line = set.web.length ? webLineGate(set.webIndex) : null;
  const webPlan: LiteralPlan = line
    ? { literals: [], fields: [{ name: "cs-uri-stem", consumers: [0], line }], everyRow: [] }
    : { literals: [], fields: [], everyRow: set.web.length ? [0] : [] };
  const noRows: LiteralPlan = { literals: [], fields: [], everyRow: [] };
  for (const file of files) {
    let size: number;
    let sniffed: ReturnType<typeof sniff>;
    try {
      size = statSync(file).size;
      sniffed = size === 0 ? null : sniff(head(file, size), file);
    } catch (e) {
      res.skipped.push({ file, reason: `unreadable: ${(e as Error).message}` });
      continue;
    }
    const reader = sniffed ? readerFor(sniffed.format) : undefined;
    if (!sniffed || !reader) {
      res.skipped.push({
        file,
        reason: size === 0 ? "empty" : "unknown-format: not EVTX, exported events or a W3C log",
      });
      continue;
    }
    if (sniffed.kind !== "event" && sniffed.kind !== "iis-w3c") {
      res.skipped.push({ file, reason: `no Sigma log source for ${sniffed.kind} logs` });
      continue;
    }
    try {
      const stats = reader.read(
        file,
        size,
        sniffed,
        { start: 0, end: size, header: null },
        {
          planFor: (kind: LogKind) => (kind === "iis-w3c" ? webPlan : noRows),
          onRow(row) {
            matchRow(set, row, (rule, view) =>
              onMatch(rule, view, {
                file,
                record: null,
                line: row.line,
                time: row.time(),
                host: row.get("c-ip") ?? null,
              }),
            );
          },
          onEvent(ev, line) {
            matchEvent(set, ev, (rule, view) =>
              onMatch(rule, view, {
                file,
                record: ev.recordId,
                line,
                time: ev.time,
                host: ev.computer || null,
              }),
            );
          },
        },
      );
      res.records += stats.records;
      res.bytes += size;
      res.files.push({ file, format: sniffed.format, records: stats.records, damage: stats.damage });
    } catch (e) {
      res.skipped.push({ file, reason: `unreadable: ${(e as Error).message}` });
    }
  }
  res.correlations = runCorrelations(set.correlations, base);
  return res;
}
