// How far the evidence reaches: per source, the oldest and newest record, judged against the campaign
// window. Every gap becomes a `log-coverage` finding too, so that no consumer can miss it.

import type { LogKind, RecordFamily } from "../model/records.js";
import {
  CAMPAIGN_WINDOW,
  CAMPAIGNS,
  type CampaignCoverage,
  type Coverage,
  type SourceCoverage,
  type WindowCoverage,
} from "../model/types.js";
import { familyOf } from "../readers/fields.js";

/** The record family a source's records were read as. */
export function sourceFamily(kind: LogKind | "event"): RecordFamily {
  return kind === "event" ? "event" : familyOf(kind);
}

/**
 * The coverage source a log file belongs to (e.g. `HttpProxy/Ecp`, `ECP Server`, `IIS W3SVC1`): from
 * its kind (told by its header), then what its rows name (`hint`: the HttpProxy protocol, the IIS
 * site; see readers/fields.ts SOURCE_COLUMNS), and only then its folder path, which a collector may
 * have flattened or renamed.
 */
export function sourceOf(
  kind: LogKind | "event",
  rel: string,
  channel?: string,
  hint?: string | null,
): string {
  const parts = rel.split("/");
  switch (kind) {
    case "httpproxy": {
      if (hint) return `HttpProxy/${hint}`;
      const i = parts.findIndex((p) => p.toLowerCase() === "httpproxy");
      return i >= 0 && i + 2 < parts.length ? `HttpProxy/${parts[i + 1]}` : "HttpProxy";
    }
    case "ecp-server":
      return "ECP Server";
    case "ecp-activity":
      return "ECP Activity";
    case "oab-generator":
      return "OABGeneratorLog";
    case "rps-cmdlet":
      return "Remote PowerShell cmdlets (CmdletInfra)";
    case "rps-http":
      return "Remote PowerShell HTTP (CmdletInfra)";
    case "iis-w3c": {
      const site = hint ?? parts.find((p) => /^W3SVC\d+$/i.test(p));
      return site ? `IIS ${site.toUpperCase()}` : "IIS";
    }
    case "event":
      return `Event log: ${channel ?? "(unknown channel)"}`;
    default:
      return "Exchange (other logs)";
  }
}

/** What the evidence layout shows, for sources expected only on some servers. */
export interface CoverageHints {
  /** The evidence holds an `inetpub` folder (IIS web root or logs): IIS logs are expected. */
  inetpub: boolean;
}

/** Hints from the files found (their Windows paths when known, else their relative paths). */
export function layoutHints(files: { path: string; winPath: string | null }[]): CoverageHints {
  const inetpub = files.some((f) => /(^|[\\/])inetpub([\\/]|$)/i.test(f.winPath ?? f.path));
  return { inetpub };
}

/** A source a full ProxyLogon assessment needs; later readers add theirs. */
export interface ExpectedSource {
  name: string;
  /** Expected only when the layout shows this (default: always). */
  when?: (hints: CoverageHints) => boolean;
  /** Whether a present coverage source satisfies this expectation. */
  satisfiedBy(source: string): boolean;
  /** What cannot be checked without it. */
  impact: string;
}

export const expectedSources: ExpectedSource[] = [
  {
    name: "HttpProxy logs",
    satisfiedBy: (s) => s.startsWith("HttpProxy"),
    impact:
      "CVE-2021-26855 (the SSRF every ProxyLogon attack starts with) and CVE-2021-27065 (b) cannot be checked",
  },
  {
    name: "ECP Server logs",
    satisfiedBy: (s) => s === "ECP Server",
    impact: "CVE-2021-27065 (a), the Set-*VirtualDirectory web-shell write, cannot be checked",
  },
  {
    name: "OABGeneratorLog",
    satisfiedBy: (s) => s === "OABGeneratorLog",
    impact: "CVE-2021-26858, the OAB file write, cannot be checked",
  },
  {
    name: "Event log: Application",
    satisfiedBy: (s) => s.toLowerCase() === "event log: application",
    impact: "CVE-2021-26857 (Unified Messaging errors) and Exchange worker crashes cannot be checked",
  },
  {
    name: "Event log: MSExchange Management",
    satisfiedBy: (s) => s.toLowerCase() === "event log: msexchange management",
    impact:
      "the cmdlet log cannot be checked: Set-*VirtualDirectory web-shell writes (CVE-2021-27065) and ProxyShell mailbox exports",
  },
  {
    name: "IIS logs",
    when: (h) => h.inetpub,
    satisfiedBy: (s) => s.startsWith("IIS"),
    impact:
      "the IIS side of ProxyLogon, ProxyShell and ProxyNotShell, and who used a web shell (shell ↔ request linking), cannot be checked",
  },
];

/** Sources that tell about the campaign; "other" Exchange logs are read but judge nothing. */
export function judged(s: SourceCoverage): boolean {
  return s.source !== "Exchange (other logs)";
}

/** The time a file (or a channel of an event file) spans. */
export interface Span {
  oldest: string;
  newest: string;
}

/** Logs roll hourly or daily; a pause shorter than this (a reboot, a quiet weekend) is not a gap. */
const GAP_MS = 3 * 86_400_000;

/** Spans merged, as epoch milliseconds. */
type Merged = { from: number; to: number }[];

/** Merged spans, in time order, with pauses shorter than GAP_MS closed. */
export function mergeSpans(spans: Span[]): Merged {
  const xs = spans
    .map((s) => ({ from: Date.parse(s.oldest), to: Date.parse(s.newest) }))
    .filter((x) => Number.isFinite(x.from) && Number.isFinite(x.to) && x.to >= x.from)
    .sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const x of xs) {
    const last = out[out.length - 1];
    if (last && x.from - last.to <= GAP_MS) last.to = Math.max(last.to, x.to);
    else out.push({ ...x });
  }
  return out;
}

/**
 * Mass exploitation went on for weeks after the patches (ESET counted at least ten groups by
 * 2021-03-10; Microsoft's guidance of 2021-03-16 still saw unpatched servers attacked): logs of those
 * weeks show the campaign too, though not its zero-day phase.
 */
const MASS_EXPLOITATION_MS = 30 * 86_400_000;

/**
 * How much of the window the merged spans cover: full from the first exploitation to the patches;
 * partial when they hold some of that or of the month of mass exploitation after it; none otherwise.
 */
export function windowCoverage(spans: Span[], from: string, to: string): WindowCoverage {
  return windowOf(mergeSpans(spans), from, to);
}

function windowOf(merged: Merged, from: string, to: string): WindowCoverage {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (merged.some((m) => m.from <= f + 86_400_000 && m.to >= t - 86_400_000)) return "full";
  return merged.some((m) => m.to >= f && m.from <= t + MASS_EXPLOITATION_MS) ? "partial" : "none";
}

/**
 * Coverage of a later wave (ProxyShell, ProxyNotShell): unpatched servers were attacked for years
 * after it began, so logs from any time after its start show it; full when they span its first
 * month of mass exploitation, partial when they only start later.
 */
export function laterWaveCoverage(spans: Span[], from: string): WindowCoverage {
  return laterWaveOf(mergeSpans(spans), from);
}

function laterWaveOf(merged: Merged, from: string): WindowCoverage {
  const f = Date.parse(from);
  if (merged.some((m) => m.from <= f + 86_400_000 && m.to >= f + MASS_EXPLOITATION_MS)) return "full";
  return merged.some((m) => m.to >= f) ? "partial" : "none";
}

const RANK: Record<WindowCoverage, number> = { none: 0, partial: 1, full: 2 };

/** Per wave, the best coverage of any judged source (ProxyLogon as `windowCoverage` judges it). */
export function campaignCoverage(
  present: readonly SourceCoverage[],
  /** A source's merged spans (buildCoverage merges each source once, not once per wave). */
  mergedOf: (s: SourceCoverage) => Merged,
): CampaignCoverage[] {
  return CAMPAIGNS.map((c) => {
    let best: WindowCoverage = "none";
    for (const s of present) {
      const m = mergedOf(s);
      const w = c.name === "ProxyLogon" ? windowOf(m, c.from, c.patchedOn) : laterWaveOf(m, c.from);
      if (RANK[w] > RANK[best]) best = w;
    }
    return { campaign: c.name, from: c.from, patchedOn: c.patchedOn, coverage: best };
  });
}

/** A source's spans: each file's, or its oldest to newest record when they were not kept. */
function ownSpans(s: SourceCoverage, spans: ReadonlyMap<string, Span[]>): Span[] {
  return spans.get(s.source) ?? (s.oldest && s.newest ? [{ oldest: s.oldest, newest: s.newest }] : []);
}

function day(t: string | null): string {
  return t ? t.slice(0, 10) : "undated";
}

/**
 * Coverage of the evidence. `spans` (source name -> each file's span) lets gaps between files count;
 * without it a source counts as one span from its oldest to its newest record.
 */
export function buildCoverage(
  sources: SourceCoverage[],
  hints: CoverageHints = { inetpub: false },
  spans: ReadonlyMap<string, Span[]> = new Map(),
): Coverage {
  const { exploitationFrom: from, patchedOn: to } = CAMPAIGN_WINDOW;
  // Each source's spans merged once for the window and every wave (a source may hold a span per file).
  const merged = new Map<string, Merged>();
  const mergedOf = (s: SourceCoverage): Merged => {
    let m = merged.get(s.source);
    if (!m) {
      m = mergeSpans(ownSpans(s, spans));
      merged.set(s.source, m);
    }
    return m;
  };
  const rated = sources.map((s): SourceCoverage => ({ ...s, window: windowOf(mergedOf(s), from, to) }));
  const present = rated.filter(judged);
  // With nothing read at all, every source is worth naming (every Exchange server runs IIS).
  const expected = (e: ExpectedSource) => present.length === 0 || (e.when ? e.when(hints) : true);
  const missing = expectedSources
    .filter((e) => expected(e) && !present.some((s) => e.satisfiedBy(s.source)))
    .map((e) => e.name);
  const best: WindowCoverage = present.some((s) => s.window === "full")
    ? "full"
    : present.some((s) => s.window === "partial")
      ? "partial"
      : "none";
  const coversWindow = best === "full";
  const notes: string[] = [];
  const window = `the ProxyLogon campaign window (${from.slice(0, 10)}, first exploitation, to ${to.slice(0, 10)}, the patches)`;
  if (present.length === 0)
    notes.push("No log this tool reads was found: nothing can be said about exploitation.");
  else if (best === "none") {
    const spanText = present.map((s) => `${s.source} ${day(s.oldest)} to ${day(s.newest)}`).join("; ");
    notes.push(
      `The logs do not cover ${window}: ${spanText}. They end before it, start after it or have a gap across it, ` +
        "so nothing found in them says anything about the campaign.",
    );
  } else if (best === "partial") {
    const oldest = present
      .map((s) => s.oldest)
      .filter((t): t is string => t !== null)
      .sort()[0];
    const late = oldest !== undefined && oldest > from;
    notes.push(
      late
        ? `The oldest record is ${oldest}: no log reaches back to ${from.slice(0, 10)}, when exploitation ` +
            "began. What happened before the logs start cannot be seen: a clean result does not clear the server for 2021."
        : `No log source spans all of ${window} without a gap: what happened in the missing days cannot be seen.`,
    );
  }
  return {
    sources: rated.sort((a, b) => a.source.localeCompare(b.source)),
    missing,
    window: { ...CAMPAIGN_WINDOW },
    coversWindow,
    windowCoverage: best,
    campaigns: campaignCoverage(present, mergedOf),
    notes,
  };
}
