// The console report: per server, the verdict in one line, then findings grouped by check (count,
// first and last time, a few samples), why, coverage and skipped files. Colour only when asked.
import pc from "picocolors";
import type {
  FileAccounting,
  Finding,
  ScanResult,
  ServerResult,
  Severity,
  VerdictName,
} from "../model/types.js";
import { describeRequest, firstMaliciousRequest } from "../verdict/facts.js";
import { remediationPlan } from "../verdict/plan.js";
import { renderExposureBlock } from "./exposure.js";
import { forTerminal } from "./safe.js";

export interface ConsoleOptions {
  color: boolean;
  /** Samples shown per check. */
  samples?: number;
  /** Only the verdict lines. */
  brief?: boolean;
}

type Paint = (s: string) => string;

function palette(color: boolean) {
  const c = pc.createColors(color);
  const verdict: Record<VerdictName, Paint> = {
    compromised: (s) => c.bold(c.red(s)),
    attempted: (s) => c.bold(c.yellow(s)),
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
  return { c, verdict, severity };
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
  return forTerminal((parts.length ? parts : fallback).join("  "));
}

function where(f: Finding): string {
  if (!f.source.file) return "";
  return forTerminal(f.source.line ? `${f.source.file}:${f.source.line}` : f.source.file);
}

function fmtTime(t: string | null): string {
  return t ? `${t.slice(0, 19).replace("T", " ")}Z` : "no time";
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
export function verdictLine(s: ServerResult, color = false): string {
  const { verdict } = palette(color);
  const label = verdict[s.verdict](s.verdict.toUpperCase().padEnd(11));
  const why = s.reasons[0] ? forTerminal(s.reasons[0]) : "";
  return `${forTerminal(s.name)}  ${label}  ${why}`;
}

function renderServer(s: ServerResult, o: ConsoleOptions): string {
  const { c, severity } = palette(o.color);
  const out: string[] = [];
  const nSamples = o.samples ?? 3;
  out.push(verdictLine(s, o.color));
  const st = s.stats;
  out.push(
    c.gray(
      `  root ${forTerminal(s.root)} · ${st.logFiles} log files, ${fmtBytes(st.logBytes)}, ${st.records.toLocaleString("en-US")} records · ${st.files} files in all · ${(st.durationMs / 1000).toFixed(1)} s`,
    ),
  );
  if (s.installPath) out.push(c.gray(`  Exchange install path: ${forTerminal(s.installPath)}`));
  if (o.brief) return out.join("\n");
  out.push(...firstSteps(s, o.color));

  const real = s.findings.filter((f) => f.effect !== "coverage");
  const groups = new Map<string, Finding[]>();
  for (const f of real) groups.set(f.check, [...(groups.get(f.check) ?? []), f]);
  if (groups.size > 0) {
    out.push("", c.bold("  Findings"));
    for (const [check, fs] of groups) {
      const times = fs
        .map((f) => f.time)
        .filter((t): t is string => !!t)
        .sort();
      const total = fs.length + (s.omittedFindings[check] ?? 0);
      const first = fs[0];
      const cves = first.cves.length ? ` [${first.cves.join(", ")}]` : "";
      out.push(
        `  ${severity[first.severity](first.severity.toUpperCase().padEnd(8))} ${c.bold(check)}${cves}`,
      );
      out.push(`           ${forTerminal(fs.length === 1 ? first.title : (checkTitle(fs) ?? first.title))}`);
      out.push(
        c.gray(
          `           ${total} hit${total === 1 ? "" : "s"}${times.length ? ` · ${fmtTime(times[0])} → ${fmtTime(times[times.length - 1])}` : ""}`,
        ),
      );
      for (const f of fs.slice(0, nSamples)) {
        out.push(`           ${fmtTime(f.time)}  ${sampleLine(f)}`);
        const w = where(f);
        if (w) out.push(c.gray(`             ${w}`));
      }
      if (total > nSamples)
        out.push(c.gray(`           … ${total - nSamples} more (--json or --csv for all)`));
    }
  }
  if (s.reasons.length > 0) {
    out.push("", c.bold("  Why"));
    for (const r of s.reasons) out.push(`  - ${forTerminal(r)}`);
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
  for (const src of s.coverage.sources) {
    const early = src.oldest !== null && src.oldest <= s.coverage.window.exploitationFrom;
    const span = `${fmtTime(src.oldest)} → ${fmtTime(src.newest)}`;
    out.push(
      `  ${forTerminal(src.source).padEnd(26)} ${String(src.files).padStart(6)} files ${fmtBytes(src.bytes).padStart(9)}  ${early ? span : c.yellow(span)}`,
    );
  }
  if (s.coverage.missing.length) out.push(c.yellow(`  missing: ${s.coverage.missing.join(", ")}`));
  for (const n of s.coverage.notes) out.push(c.yellow(`  ${n}`));
  if (s.files) out.push("", `  ${forTerminal(accountingLine(s.files))}`);
  if (s.skipped.length > 0) {
    out.push("", c.bold(`  Skipped or partly read (${s.skipped.length})`));
    for (const k of s.skipped.slice(0, 20))
      out.push(`  ${forTerminal(k.file)}: ${k.reason} — ${forTerminal(k.detail)}`);
    if (s.skipped.length > 20)
      out.push(c.gray(`  … ${s.skipped.length - 20} more (--json or --csv for all)`));
  }
  return out.join("\n");
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
      `  ${fmtTime(req.time)}  ${forTerminal(describeRequest(req))}`,
      c.gray(`    ${forTerminal(req.title)}${req.source.file ? ` · ${where(req)}` : ""}`),
    );
  if (s.verdict === "clean") return out;
  const plan = remediationPlan(s).slice(0, 3);
  out.push("", c.bold("  Do now") + c.gray(" (the full plan: --html)"));
  plan.forEach((p, i) => {
    out.push(`  ${i + 1}. ${forTerminal(p.title)}`);
    for (const a of p.actions.slice(0, 2)) out.push(c.gray(`     - ${forTerminal(a)}`));
  });
  return out;
}

/** The check's own title when findings of one check carry per-finding titles. */
function checkTitle(fs: Finding[]): string | undefined {
  const titles = new Set(fs.map((f) => f.title));
  return titles.size === 1 ? fs[0].title : undefined;
}

export function renderConsole(result: ScanResult, o: ConsoleOptions): string {
  const { c, verdict } = palette(o.color);
  const blocks = result.servers.map((s) => renderServer(s, o));
  const out = [blocks.join(`\n\n${c.gray("─".repeat(72))}\n\n`)];
  if (result.servers.length > 1) {
    const counts = new Map<VerdictName, number>();
    for (const s of result.servers) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
    const order: VerdictName[] = ["compromised", "attempted", "vulnerable", "unknown", "clean"];
    out.push(
      "",
      c.bold(`${result.servers.length} servers: `) +
        order
          .filter((v) => counts.has(v))
          .map((v) => verdict[v](`${counts.get(v)} ${v}`))
          .join(", "),
    );
  }
  return `${out.join("\n")}\n`;
}

/** The one console line: "1,204 files read, 37 not read: 30 Apache/nginx access logs, 6 unknown JSON, 1 unreadable". */
export function accountingLine(a: FileAccounting): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const plural = (x: number, w: string) => `${n(x)} file${x === 1 ? "" : "s"} ${w}`;
  let line = plural(a.read, "read");
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
