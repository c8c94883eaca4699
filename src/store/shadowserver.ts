// Shadowserver's Exchange reports, read as fleet imports. Columns as Shadowserver publishes them
// (github.com/The-Shadowserver-Foundation/report_schema, reports.json; IntelMQ's Shadowserver parser
// maps the same names):
// - scan_exchange ("Vulnerable-Exchange-Server", the special Exchange report): timestamp, severity, ip,
//   protocol, port, hostname, tag, asn, geo, region, city, naics, hostname_source, sector, version,
//   servername, url. Tag `exchange;webshell` means a web shell was found; other tags mean vulnerable.
// - scan_http_vulnerable ("Vulnerable-HTTP"): the same first 14, then http, http_code, http_reason,
//   content_type, connection, www_authenticate, set_cookie, server, content_length,
//   transfer_encoding, http_date, version, build_date, detail, build_branch. It covers every product;
//   only rows whose tag names Exchange or an Exchange CVE of the build table are imported, the others are counted.
// Every value is attacker-influenced (a host answers what it likes): stored as evidence, escaped on display.
import { CVES } from "../exposure/cves.js";
import type { FindingDraft } from "../model/finding.js";
import type { CheckInfo } from "../model/types.js";
import { CsvError, csvRecords } from "./csv-read.js";
import { type ImportedServer, importedResult, tryAssess } from "./imported.js";
import type { RunInput } from "./types.js";

export type ShadowserverReport = "scan_exchange" | "scan_http_vulnerable";

const REQUIRED = ["timestamp", "ip", "port", "tag"];

/** The Exchange CVEs the build table assesses, as Shadowserver tags name them (lower case). */
const EXCHANGE_CVES = new Set(CVES.map((c) => c.toLowerCase()));

export const SHADOWSERVER_CHECKS: Record<"webshell" | "vulnerable", CheckInfo> = {
  webshell: {
    id: "shadowserver-webshell",
    title: "Shadowserver reported a web shell on this server",
    cves: [],
    severity: "critical",
    effect: "compromise",
    confidence: "medium",
    description:
      "Shadowserver's Exchange report tagged the host `exchange;webshell`: a scan found a web shell reachable on it. Scan the server's evidence to confirm and find the entry point.",
    references: [
      "https://www.shadowserver.org/what-we-do/network-reporting/vulnerable-exchange-server-report/",
    ],
  },
  vulnerable: {
    id: "shadowserver-vulnerable",
    title: "Shadowserver reported this server as a vulnerable Exchange server",
    cves: [],
    severity: "high",
    effect: "exposure",
    confidence: "medium",
    description:
      "A Shadowserver scan report lists the host as a vulnerable Exchange server (by its tag or reported build).",
    references: [
      "https://www.shadowserver.org/what-we-do/network-reporting/vulnerable-exchange-server-report/",
      "https://www.shadowserver.org/what-we-do/network-reporting/vulnerable-http-report/",
    ],
  },
};

export interface ShadowserverImport {
  report: ShadowserverReport;
  servers: RunInput[];
  /** Rows not imported, with their line and why (never dropped without a word). */
  skipped: { line: number; why: string }[];
}

export function detectReport(header: string[]): ShadowserverReport {
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length)
    throw new CsvError(
      `not a Shadowserver scan report: no ${missing.join(", ")} column (header: ${header.join(",")})`,
    );
  if (header.includes("servername")) return "scan_exchange";
  if (header.includes("http_code") || header.includes("build_branch")) return "scan_http_vulnerable";
  throw new CsvError(
    "a Shadowserver report, but not an Exchange one: expected the scan_exchange (servername) or scan_http_vulnerable (http_code) columns",
  );
}

function isoOf(ts: string): string | null {
  // Shadowserver writes "2021-03-09 01:02:03" in UTC (sometimes with a trailing Z).
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts.replace(" ", "T") : `${ts.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function tagTokens(tag: string): string[] {
  return tag
    .toLowerCase()
    .split(/[;,\s]+/)
    .filter(Boolean);
}

/** Parse one report. Throws CsvError when the file is not one of the two Exchange reports. */
export function readShadowserver(text: string, file: string): ShadowserverImport {
  const { header, records } = csvRecords(text);
  const report = detectReport(header);
  const skipped: ShadowserverImport["skipped"] = [];
  const servers: RunInput[] = [];
  for (const { line, values: v } of records) {
    if (!v.ip) {
      skipped.push({ line, why: "no ip" });
      continue;
    }
    const tokens = tagTokens(v.tag ?? "");
    const cves = tokens.filter((t) => EXCHANGE_CVES.has(t));
    const exchange =
      report === "scan_exchange" || tokens.some((t) => t.includes("exchange")) || cves.length > 0;
    if (!exchange) {
      skipped.push({ line, why: `not an Exchange row (tag ${JSON.stringify(v.tag ?? "")})` });
      continue;
    }
    const time = isoOf(v.timestamp ?? "");
    const evidence: Record<string, string> = { Report: report, File: file, Line: String(line) };
    // Every reported column is kept (a responder may need any of them); empty ones say nothing.
    for (const [k, value] of Object.entries(v)) if (value) evidence[k] = value;
    const subject = {
      kind: "host" as const,
      host: v.hostname || v.ip,
      address: v.ip,
      port: Number.parseInt(v.port ?? "", 10) || null,
    };
    const drafts: ImportedServer["drafts"] = [];
    const notes: string[] = [];
    const webshell = tokens.includes("webshell");
    if (webshell)
      drafts.push({
        draft: { check: SHADOWSERVER_CHECKS.webshell.id, time, evidence, subject, file: null, line: null },
        info: SHADOWSERVER_CHECKS.webshell,
      });
    const { assessment, why } = tryAssess(v.version ?? "");
    if (why)
      notes.push(
        `Shadowserver reported version ${JSON.stringify(v.version)}, not a build the table knows: ${why}`,
      );
    // The report's own word, kept as a finding with the whole row as evidence, besides what the
    // build says: a tagged CVE, or (in the Exchange report) the listing itself.
    if (!webshell) {
      const draft: FindingDraft = {
        check: SHADOWSERVER_CHECKS.vulnerable.id,
        time,
        evidence: cves.length ? { ...evidence, CVEs: cves.map((c) => c.toUpperCase()).join(" ") } : evidence,
        subject,
        file: null,
        line: null,
      };
      drafts.push({
        draft,
        info: { ...SHADOWSERVER_CHECKS.vulnerable, cves: cves.map((c) => c.toUpperCase()) },
      });
    }
    const name = v.hostname || v.ip;
    const result = importedResult({
      name,
      root: `${file}:${line}`,
      drafts,
      build: assessment ? { assessment, source: `Shadowserver ${report}: version`, asOf: time } : null,
      notes,
    });
    servers.push({
      server: { name, addresses: [v.ip], asn: v.asn || null, tags: [] },
      result,
    });
  }
  return { report, servers, skipped };
}
