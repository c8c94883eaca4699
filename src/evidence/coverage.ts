// How far the evidence reaches: per source, the oldest and newest record, judged against the campaign
// window. Every gap becomes a `log-coverage` finding too, so that no consumer can miss it.

import type { LogKind, RecordFamily } from "../model/records.js";
import { CAMPAIGN_WINDOW, type Coverage, type SourceCoverage } from "../model/types.js";
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

export function buildCoverage(
  sources: SourceCoverage[],
  hints: CoverageHints = { inetpub: false },
): Coverage {
  const present = sources.filter(judged);
  const missing = expectedSources
    .filter((e) => (e.when ? e.when(hints) : true) && !present.some((s) => e.satisfiedBy(s.source)))
    .map((e) => e.name);
  const from = CAMPAIGN_WINDOW.exploitationFrom;
  const coversWindow = present.some((s) => s.oldest !== null && s.oldest <= from);
  const notes: string[] = [];
  if (present.length === 0)
    notes.push("No log this tool reads was found: nothing can be said about exploitation.");
  else if (!coversWindow) {
    const oldest = present
      .map((s) => s.oldest)
      .filter((t): t is string => t !== null)
      .sort()[0];
    notes.push(
      `The oldest record is ${oldest ?? "unknown"}: no log reaches back to ${from.slice(0, 10)}, when exploitation ` +
        "began. What happened before the logs start cannot be seen: a clean result does not clear the server for 2021.",
    );
  }
  return {
    sources: [...sources].sort((a, b) => a.source.localeCompare(b.source)),
    missing,
    window: { ...CAMPAIGN_WINDOW },
    coversWindow,
    notes,
  };
}
