// CSV output shaped like Test-ProxyLogon's, so existing playbooks keep working, plus exhunt's own
// complete findings table. Every cell is quoted and neutralised against formula injection.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Finding, ScanResult, ServerResult } from "../model/types.js";
import { csvRow, safeFileName } from "./safe.js";
import { openSink, writeAll } from "./sink.js";
import type { RunMeta, Writer } from "./writer.js";

/** Test-ProxyLogon's columns for CVE-2021-26855 and -27065 ResetVDir (note its `ClientIPAddress`). */
const PROXY_COLUMNS = [
  "DateTime",
  "RequestId",
  "ClientIPAddress",
  "UrlHost",
  "UrlStem",
  "RoutingHint",
  "UserAgent",
  "AnchorMailbox",
  "HttpStatus",
];
const PROXY_FIELDS = [
  "DateTime",
  "RequestId",
  "ClientIpAddress",
  "UrlHost",
  "UrlStem",
  "RoutingHint",
  "UserAgent",
  "AnchorMailbox",
  "HttpStatus",
];

/** LogAgeDays columns and the coverage sources they stand for. */
const LOG_AGE: [string, (source: string) => boolean][] = [
  ["OabGen", (s) => s === "OABGeneratorLog"],
  ["Ecp", (s) => s === "ECP Server"],
  ...["Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Oab", "Owa", "OwaCalendar", "PowerShell", "RpcHttp"].map(
    (p): [string, (s: string) => boolean] => [
      `${p === "Autodiscover" ? "AutoD" : p === "PowerShell" ? "Powershell" : p}Proxy`,
      (s) => s.toLowerCase() === `httpproxy/${p.toLowerCase()}`,
    ],
  ),
];

/** A table as pieces (the header, then one row each), built lazily: findings.csv can be a whole server. */
function* table(header: string[], rows: Iterable<(string | number | null)[]>): Generator<string> {
  yield csvRow(header);
  for (const r of rows) yield csvRow(r);
}

function* mapped<T, U>(xs: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of xs) yield f(x);
}

function of(findings: Finding[], ...checks: string[]): Finding[] {
  return findings.filter((f) => checks.includes(f.check));
}

/** Distinct values for the one-path-per-line .log files; line breaks inside a value cannot start a line. */
function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.replace(/[\r\n]+/g, " ")))];
}

function proxyRows(fs: Finding[]): Iterable<(string | null)[]> {
  return mapped(fs, (f) => PROXY_FIELDS.map((k) => f.evidence[k] ?? ""));
}

/** Days from the oldest record of each source to `reference` (1 decimal), Test-ProxyLogon's LogAgeDays. */
export function logAgeDays(s: ServerResult, reference: string): (string | number)[] {
  return LOG_AGE.map(([, match]) => {
    const oldest = s.coverage.sources
      .filter((c) => match(c.source) && c.oldest)
      .map((c) => c.oldest as string)
      .sort()[0];
    if (!oldest) return "";
    return Math.round((Date.parse(reference) - Date.parse(oldest)) / 8_640_000) / 10;
  });
}

/**
 * File name → content pieces, for one server. Only files with something to say are written, as
 * Microsoft did. `now` is the reference of a live scan's log ages; otherwise the newest record is.
 */
export function serverCsvFiles(s: ServerResult, now: string, live: boolean): Map<string, Iterable<string>> {
  const out = new Map<string, Iterable<string>>();
  const name = safeFileName(s.name);
  const f = s.findings;
  const ssrf = of(f, "cve-2021-26855-ssrf", "cve-2021-26855-ssrf-failed");
  if (ssrf.length) out.set(`${name}-Cve-2021-26855.csv`, table(PROXY_COLUMNS, proxyRows(ssrf)));
  const probes = of(f, "cve-2021-26855-probe", "cve-2021-26855-backend-cookie");
  if (probes.length)
    out.set(
      `${name}-Cve-2021-26855-Attempts.csv`,
      table(
        [...PROXY_COLUMNS, "BackEndCookie", "Check"],
        mapped(probes, (x) => [
          ...PROXY_FIELDS.map((k) => x.evidence[k] ?? ""),
          x.evidence.BackEndCookie ?? "",
          x.check,
        ]),
      ),
    );
  const um = of(f, "cve-2021-26857-um");
  if (um.length)
    out.set(
      `${name}-Cve-2021-26857.csv`,
      table(
        ["TimeCreated", "MachineName", "Message"],
        mapped(um, (x) => [x.time, x.evidence.Computer ?? "", x.evidence.Message ?? ""]),
      ),
    );
  const oab = of(f, "cve-2021-26858-oab-write");
  if (oab.length) {
    out.set(`${name}-Cve-2021-26858.log`, [
      `${unique(oab.map((x) => x.source.file ?? "")).join("\r\n")}\r\n`,
    ]);
    out.set(`${name}-Cve-2021-26858-DownloadPaths.log`, [
      `${unique(oab.map((x) => x.evidence.DownloadPath ?? "")).join("\r\n")}\r\n`,
    ]);
  }
  const setVdir = of(f, "cve-2021-27065-set-vdir");
  if (setVdir.length)
    out.set(`${name}-Cve-2021-27065.log`, [
      `${unique(setVdir.map((x) => x.source.file ?? "")).join("\r\n")}\r\n`,
    ]);
  const reset = of(f, "cve-2021-27065-reset-vdir");
  if (reset.length) out.set(`${name}-Cve-2021-27065-ResetVDir.csv`, table(PROXY_COLUMNS, proxyRows(reset)));
  const raised = s.verdict === "compromised" || s.verdict === "attempted" || s.verdict === "suspicious";
  const other = of(f, "lsass-dump", "suspicious-archive");
  if (other.length && raised) {
    out.set(
      `${name}-other.csv`,
      table(
        ["ComputerName", "Type", "Path", "Name", "LastWrite"],
        mapped(other, (x) => [
          s.name,
          x.check === "lsass-dump" ? "LsassDump" : "SuspiciousArchive",
          x.evidence.Path ?? x.source.file,
          x.evidence.Name ?? "",
          x.evidence.LastWrite ?? "",
        ]),
      ),
    );
  }
  const newest = s.coverage.sources
    .map((c) => c.newest)
    .filter((t): t is string => !!t)
    .sort()
    .pop();
  const reference = live || !newest ? now : newest;
  out.set(
    `${name}-LogAgeDays.csv`,
    table(
      LOG_AGE.map(([c]) => c),
      [logAgeDays(s, reference)],
    ),
  );
  out.set(
    `${name}-findings.csv`,
    table(
      ["Id", "Severity", "Check", "CVEs", "Title", "Time", "File", "Line", "Evidence"],
      mapped(f, (x) => [
        x.id,
        x.severity,
        x.check,
        x.cves.join(" "),
        x.title,
        x.time,
        x.source.file,
        x.source.line,
        Object.entries(x.evidence)
          .map(([k, v]) => `${k}=${v}`)
          .join("; "),
      ]),
    ),
  );
  if (s.skipped.length)
    out.set(
      `${name}-skipped.csv`,
      table(
        ["File", "Reason", "Detail"],
        mapped(s.skipped, (k) => [k.file, k.reason, k.detail]),
      ),
    );
  return out;
}

/** Whole-result CSV (small results, tests); `exhunt scan --csv` writes server by server instead. */
export async function writeCsvDir(result: ScanResult, dir: string, live = false): Promise<string[]> {
  const w = csvWriter(dir);
  await w.begin({ tool: result.tool, startedAt: result.startedAt, finishedAt: result.finishedAt, live });
  for (const s of result.servers) await w.server(s);
  await w.end({ finishedAt: result.finishedAt, servers: [] });
  return w.files();
}

/** One folder of CSV files, written per server as it arrives. */
export function csvWriter(
  dir: string,
  clock: () => string = () => new Date().toISOString(),
): Writer & {
  files(): string[];
} {
  let meta: RunMeta | undefined;
  const written: string[] = [];
  return {
    name: "csv",
    async begin(m) {
      if (dir === "-") throw new Error("--csv writes several files: give a folder, not -");
      meta = m;
      await mkdir(dir, { recursive: true });
    },
    async server(s) {
      if (!meta) throw new Error("csv writer: server() before begin()");
      for (const [file, pieces] of serverCsvFiles(s, meta.finishedAt ?? clock(), meta.live)) {
        const sink = await openSink(join(dir, file));
        await writeAll(sink, pieces);
        await sink.close();
        written.push(file);
      }
    },
    async end() {
      return `wrote ${written.length} CSV files to ${dir}`;
    },
    async abort() {},
    files: () => [...written],
  };
}
