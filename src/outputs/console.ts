// The console report: per server, the verdict in one line, then findings grouped by check (count,
// first and last time, a few samples), why, coverage and skipped files; printed as each server is
// judged. Colour only when asked. Every string from the result is attacker-controlled or hand-edited:
// all of it goes through term() (control characters shown as text, clipped).
import type { Writable } from "node:stream";
import pc from "picocolors";
import { count } from "../model/plural.js";
import type {
  FileAccounting,
  Finding,
  ScanResult,
  ServerResult,
  Severity,
  VerdictName,
} from "../model/types.js";
import { describeRequest, firstMaliciousRequest } from "../verdict/facts.js";
import { raisingFindings } from "../verdict/ladder.js";
import { renderExposureBlock } from "./exposure.js";
import { forTerminal } from "./safe.js";
import { sameEvents } from "./same-event.js";
import { openSink, type Sink } from "./sink.js";
import type { RunSummary, ServerSummary, Writer } from "./writer.js";

export interface ConsoleOptions {
  color: boolean;
  /** Samples shown per check. */
  samples?: number;
  /** Only the verdict lines. */
  brief?: boolean;
}

type Paint = (s: string) => string;

/** A result string as terminal text: escaped, and clipped so that a hostile megabyte stays a line. */
function term(s: unknown, max = 400): string {
  const text = typeof s === "string" ? s : String(s ?? "");
  return forTerminal(text.length <= max ? text : `${text.slice(0, max - 1)}…`);
}

function palette(color: boolean) {
  const c = pc.createColors(color);
  const verdict: Record<VerdictName, Paint> = {
    compromised: (s) => c.bold(c.red(s)),
    attempted: (s) => c.bold(c.yellow(s)),
    suspicious: (s) => c.bold(c.yellow(s)),
    vulnerable: (s) => c.bold(c.magenta(s)),
    clean: (s) => c.bold(c.green(s)),
    unknown: (s) => c.bold(c.gray(s)),
  };
  const severity: Record<Severity, Paint> = {
    critical: (s) => c.bold(c.red(s)),
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
    info: c.gray,
  };
  // Lookups never fail on a value outside the enum (the schema keeps them out; this keeps a crash out).
  return {
    c,
    verdict: (v: VerdictName, s: string) => (verdict[v] ?? verdict.unknown)(s),
    severity: (v: Severity, s: string) => (severity[v] ?? severity.info)(s),
  };
}

/** The evidence fields that say the most about a finding, in this order, when present. */
const KEY_FIELDS = [
  "ClientIpAddress",
  "ClientIp",
  "Method",
  "UrlStem",
  "UriStem",
  "AnchorMailbox",
  "HttpStatus",
  "Status",
  "BackEndCookie",
  "DownloadPath",
  "Command",
  "Path",
  "Source",
  "Impact",
  "RequestCount",
  "RequestsFrom",
];

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function sampleLine(f: Finding): string {
  const parts = KEY_FIELDS.filter((k) => f.evidence[k]).map((k) => shorten(f.evidence[k], 90));
  const fallback = Object.values(f.evidence)
    .slice(0, 3)
    .map((v) => shorten(v, 60));
  return term((parts.length ? parts : fallback).join("  "), 600);
}

function where(f: Finding): string {
  if (!f.source.file) return "";
  return term(f.source.line ? `${f.source.file}:${f.source.line}` : f.source.file);
}

function fmtTime(t: string | null): string {
  return t ? `${term(t.slice(0, 19).replace("T", " "))}Z` : "no time";
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** The one line a stressed admin reads first. */
export function verdictLine(s: Pick<ServerResult, "name" | "verdict" | "reasons">, color = false): string {
  const { verdict } = palette(color);
  const label = verdict(s.verdict, term(s.verdict).toUpperCase().padEnd(11));
  const why = s.reasons[0] ? term(s.reasons[0], 1000) : "";
  return `${term(s.name, 200)}  ${label}  ${why}`;
}

function renderServer(s: ServerResult, o: ConsoleOptions): string {
  const { c, severity } = palette(o.color);
  const out: string[] = [];
  const nSamples = o.samples ?? 3;
  out.push(verdictLine(s, o.color));
  const st = s.stats;
  out.push(
    c.gray(
      `  root ${term(s.root)} · ${count(st.logFiles, "log file")}, ${fmtBytes(st.logBytes)}, ${count(st.records, "record")} · ${count(st.files, "file")} in all · ${(st.durationMs / 1000).toFixed(1)} s`,
    ),
  );
  if (s.installPath) out.push(c.gray(`  Exchange install path: ${term(s.installPath)}`));
  if (o.brief) return out.join("\n");
  out.push(...basisLines(s, o.color));
  out.push(...firstSteps(s, o.color));

  const real = s.findings.filter((f) => f.effect !== "coverage");
  const groups = new Map<string, Finding[]>();
  for (const f of real) groups.set(f.check, [...(groups.get(f.check) ?? []), f]);
  // Checks whose findings move the verdict (by the evidence ladder) come first, under "Findings"; the
  // rest (single weak signals, rules whose match is context, records) are listed apart, so a critical
  // Sigma level on a clean server does not read as the reason for alarm.
  const raising = new Set([...raisingFindings(real)].map((f) => f.check));
  const sections: [string, [string, Finding[]][]][] = [
    ["  Findings", [...groups].filter(([check]) => raising.has(check))],
    [
      "  Listed for the responder (they do not change the verdict)",
      [...groups].filter(([check]) => !raising.has(check)),
    ],
  ];
  for (const [heading, list] of sections) {
    if (list.length === 0) continue;
    out.push("", c.bold(heading));
    for (const [check, fs] of list) {
      const times = fs
        .map((f) => f.time)
        .filter((t): t is string => !!t)
        .sort();
      // One line per event: findings that differ only in what they link to are one hit.
      const events = sameEvents(fs, s.findings);
      const omitted = s.omittedFindings[check] ?? 0;
      const total = events.length + omitted;
      const first = fs[0];
      const cves = first.cves.length ? ` [${term(first.cves.join(", "))}]` : "";
      out.push(
        `  ${severity(first.severity, term(first.severity).toUpperCase().padEnd(8))} ${c.bold(term(check, 200))}${cves}`,
      );
      out.push(`           ${term(fs.length === 1 ? first.title : (checkTitle(fs) ?? first.title))}`);
      const merged = fs.length > events.length ? ` (${count(fs.length + omitted, "finding")})` : "";
      out.push(
        c.gray(
          `           ${count(total, "hit")}${merged}${times.length ? ` · ${fmtTime(times[0])} → ${fmtTime(times[times.length - 1])}` : ""}`,
        ),
      );
      for (const e of events.slice(0, nSamples)) {
        out.push(`           ${fmtTime(e.first.time)}  ${sampleLine(e.first)}`);
        if (e.linked.length) out.push(c.gray(`             linked to: ${term(e.linked.join(", "), 600)}`));
        const w = where(e.first);
        if (w) out.push(c.gray(`             ${w}`));
      }
      if (total > nSamples)
        out.push(c.gray(`           … ${total - nSamples} more (--json or --csv for all)`));
    }
  }
  if (s.reasons.length > 0) {
    out.push("", c.bold("  Why"));
    for (const r of s.reasons) out.push(`  - ${term(r, 1000)}`);
  }
  if (s.exposure) out.push(...renderExposureBlock(s.exposure, o.color));
  out.push(
    "",
    c.bold("  Coverage") +
      c.gray(
        ` (exploitation from ${s.coverage.window.exploitationFrom.slice(0, 10)}, patches ${s.coverage.window.patchedOn.slice(0, 10)})`,
      ),
  );
  if (s.coverage.sources.length === 0) out.push(c.yellow("  no logs read"));
  // Columns as wide as the longest name and count: a long channel name does not push its row out.
  const names = s.coverage.sources.map((src) => term(src.source, 60));
  const counts = s.coverage.sources.map((src) => count(src.files, "file"));
  const nameW = Math.max(0, ...names.map((n) => n.length));
  const countW = Math.max(0, ...counts.map((n) => n.length));
  s.coverage.sources.forEach((src, i) => {
    const early = src.oldest !== null && src.oldest <= s.coverage.window.exploitationFrom;
    const span = `${fmtTime(src.oldest)} → ${fmtTime(src.newest)}`;
    out.push(
      `  ${names[i].padEnd(nameW)}  ${counts[i].padStart(countW)} ${fmtBytes(src.bytes).padStart(9)}  ${early ? span : c.yellow(span)}`,
    );
  });
  if (s.coverage.missing.length)
    out.push(c.yellow(`  missing: ${term(s.coverage.missing.join(", "), 1000)}`));
  for (const n of s.coverage.notes) out.push(c.yellow(`  ${term(n, 1000)}`));
  if (s.files) out.push("", `  ${term(accountingLine(s.files), 1000)}`);
  if (s.skipped.length > 0) {
    out.push("", c.bold(`  Skipped or partly read (${s.skipped.length})`));
    for (const k of s.skipped.slice(0, 20))
      out.push(`  ${term(k.file)}: ${term(k.reason)} — ${term(k.detail)}`);
    if (s.skipped.length > 20)
      out.push(c.gray(`  … ${s.skipped.length - 20} more (--json or --csv for all)`));
  }
  return out.join("\n");
}

/** How sure the verdict is, the ladder rules and findings that decided it, and what would change it. */
export function basisLines(s: Pick<ServerResult, "confidence" | "basis">, color = false): string[] {
  const { c } = palette(color);
  const b = s.basis;
  const rules = b?.rules.length
    ? c.gray(` · ladder rule${b.rules.length > 1 ? "s" : ""} `) + term(b.rules.join(", "), 200)
    : "";
  const out = [`  ${c.gray("confidence")} ${c.bold(term(s.confidence, 20))}${rules}`];
  if (!b) return out;
  if (b.decidedBy.length) {
    out.push(`  ${c.gray("decided by:")}`);
    for (const d of b.decidedBy.slice(0, 5)) out.push(`    - ${term(d, 600)}`);
    if (b.decidedBy.length > 5) out.push(c.gray(`    … ${b.decidedBy.length - 5} more (--json or --html)`));
  }
  if (b.wouldChange.length) {
    out.push(`  ${c.gray("would change it:")}`);
    for (const w of b.wouldChange) out.push(`    - ${term(w, 600)}`);
  }
  return out;
}

/** The first malicious request and the first steps of the plan: what to look at and do first. */
function firstSteps(s: ServerResult, color: boolean): string[] {
  const { c } = palette(color);
  const out: string[] = [];
  const req = firstMaliciousRequest(s.findings);
  if (req)
    out.push(
      "",
      c.bold("  First malicious request"),
      `  ${fmtTime(req.time)}  ${term(describeRequest(req), 600)}`,
      c.gray(`    ${term(req.title)}${req.source.file ? ` · ${where(req)}` : ""}`),
    );
  // The plan as the scan computed it (renderers never recompute it).
  if (s.verdict === "clean" || s.plan.length === 0) return out;
  out.push("", c.bold("  Do now") + c.gray(" (the full plan: --html)"));
  s.plan.slice(0, 3).forEach((p, i) => {
    out.push(`  ${i + 1}. ${term(p.title)}`);
    for (const a of p.actions.slice(0, 2)) out.push(c.gray(`     - ${term(a, 600)}`));
  });
  return out;
}

/** The check's own title when findings of one check carry per-finding titles. */
function checkTitle(fs: Finding[]): string | undefined {
  const titles = new Set(fs.map((f) => f.title));
  return titles.size === 1 ? fs[0].title : undefined;
}

const ORDER: VerdictName[] = ["compromised", "suspicious", "attempted", "vulnerable", "unknown", "clean"];

/** The last line of a fleet run: how many servers have each verdict. */
function fleetLine(servers: readonly Pick<ServerSummary, "verdict">[], color: boolean): string {
  const { c, verdict } = palette(color);
  const counts = new Map<VerdictName, number>();
  for (const s of servers) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  return (
    c.bold(`${servers.length} servers: `) +
    ORDER.filter((v) => counts.has(v))
      .map((v) => verdict(v, `${counts.get(v)} ${v}`))
      .join(", ")
  );
}

function separator(color: boolean): string {
  return palette(color).c.gray("─".repeat(72));
}

/** The console report of a whole result (the writer prints the same, server by server). */
export function renderConsole(result: ScanResult, o: ConsoleOptions): string {
  const out = [result.servers.map((s) => renderServer(s, o)).join(`\n\n${separator(o.color)}\n\n`)];
  if (result.servers.length > 1) out.push("", fleetLine(result.servers, o.color));
  return `${out.join("\n")}\n`;
}

/** The console as a writer: each server's block as soon as it is judged, the fleet line at the end. */
export function consoleWriter(stream: Writable, o: ConsoleOptions): Writer {
  let sink: Sink | undefined;
  let n = 0;
  return {
    name: "console",
    async begin() {
      sink = await openSink("-", stream);
    },
    async server(s) {
      if (!sink) throw new Error("console writer: server() before begin()");
      await sink.write(`${n++ > 0 ? `\n${separator(o.color)}\n\n` : ""}${renderServer(s, o)}\n`);
      // Flushed per server: the admin reads each verdict as it comes.
      await sink.close();
    },
    async end(summary: RunSummary) {
      if (summary.servers.length > 1) await sink?.write(`\n${fleetLine(summary.servers, o.color)}\n`);
      await sink?.close();
      return null;
    },
    async abort() {
      // What was printed stays printed: the servers reported before the failure are real results.
      await sink?.close().catch(() => {});
    },
  };
}

/** The one console line: "1,204 files read, 37 not read: 30 Apache/nginx access logs, 6 unknown JSON, 1 unreadable". */
export function accountingLine(a: FileAccounting): string {
  const n = (x: number) => x.toLocaleString("en-US");
  let line = `${count(a.read, "file")} read`;
  const notRead = a.files.filter((f) => f.outcome === "not-read");
  if (notRead.length) {
    const by = new Map<string, number>();
    for (const f of notRead) by.set(f.reason ?? "?", (by.get(f.reason ?? "?") ?? 0) + 1);
    const parts = [...by]
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .map(([r, k]) => `${n(k)} ${r}`);
    line += `, ${n(notRead.length)} not read: ${parts.join(", ")}`;
  }
  if (a.excluded) line += `, ${n(a.excluded)} excluded`;
  return notRead.length || a.excluded ? `${line} (see --json)` : line;
}
