// Helpers for the Sigma tests: a rule from YAML, records from plain values, and the shared corpus.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EventRecord, LogRow } from "../../src/model/records.js";
import { loadRuleText } from "../../src/sigma/load.js";
import type { CompiledRule, CompileOptions, LoadProblem, RecordView } from "../../src/sigma/types.js";
import { eventView, webView } from "../../src/sigma/views.js";
import { CORPUS, fakeRow, SHARED } from "../helpers.js";

export const SIGMA_RULES = join(SHARED, "sigma");
export const REGRESSION = join(CORPUS, "evtx", "sigma-regression");
const HAVE = existsSync(SIGMA_RULES) && existsSync(REGRESSION);
/** Skip visibly without ../shared; in CI its absence is a failure (the test runs and fails). */
export const NO_SHARED: string | false =
  HAVE || process.env.CI === "true" ? false : "../shared/sigma or its regression corpus not found: skipped";
export function assertShared(): void {
  if (!HAVE)
    throw new Error("CI=true but ../shared/sigma or ../shared/corpus/evtx/sigma-regression is missing");
}

/** A detection rule around `detection` (YAML text, indented by 4 spaces under `detection:`). */
export function ruleYaml(
  detection: string,
  logsource = "    product: windows\n    category: process_creation",
): string {
  return `title: Test rule\nid: 00000000-0000-0000-0000-000000000001\nauthor: Tester\nlevel: high\nlogsource:\n${logsource}\ndetection:\n${detection}\n`;
}

export function compileOne(detection: string, o: CompileOptions = {}): CompiledRule {
  const r = loadRuleText(ruleYaml(detection), "test.yml", o);
  if (r.problems.length) throw new Error(`rule did not load: ${r.problems.map((p) => p.reason).join("; ")}`);
  return r.rules[0];
}

export function problemOf(detection: string, o: CompileOptions = {}): LoadProblem {
  const r = loadRuleText(ruleYaml(detection), "test.yml", o);
  if (r.problems.length !== 1) throw new Error(`expected one problem, got ${r.problems.length}`);
  return r.problems[0];
}

export function event(data: Record<string, string>, o: Partial<EventRecord> = {}): EventRecord {
  return {
    eventId: 1,
    provider: "Microsoft-Windows-Sysmon",
    channel: "Microsoft-Windows-Sysmon/Operational",
    computer: "EXCH01",
    recordId: 1,
    time: "2021-03-03T06:00:00.000Z",
    level: 4,
    data,
    values: Object.values(data),
    ...o,
  };
}

export function view(data: Record<string, string>, o: Partial<EventRecord> = {}): RecordView {
  return eventView(event(data, o));
}

export function rowView(values: Record<string, string>, text?: string): RecordView {
  const row: LogRow = fakeRow("iis-w3c", values, { text });
  return webView(row);
}
