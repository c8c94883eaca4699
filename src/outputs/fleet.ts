// Fleet views for the terminal and CSV: the server table, a server's history, a diff. Every stored
// string may come from evidence or a scanned host: terminal text goes through forTerminal, CSV cells
// through csvCell (formula-neutralised).

import type { Finding } from "../model/finding.js";
import { count } from "../model/plural.js";
import type { RunDiff } from "../store/diff.js";
import type { Acknowledgement, FleetRow, Note, RunDetail, RunRow, ServerRow } from "../store/types.js";
import { csvRow, forTerminal } from "./safe.js";

export const FLEET_CSV_COLUMNS = [
  "server",
  "verdict",
  "confidence",
  "scannedVerdict",
  "verdictAt",
  "lastScan",
  "build",
  "openCves",
  "updateAction",
  "logsFrom",
  "logsTo",
  "coversWindow",
  "openFindings",
  "acknowledged",
  "status",
  "statusAt",
  "addresses",
  "owner",
  "contact",
  "asn",
  "tags",
  "runs",
] as const;

export function fleetCsv(rows: readonly FleetRow[]): string {
  return (
    csvRow([...FLEET_CSV_COLUMNS]) +
    rows
      .map((r) =>
        csvRow([
          r.name,
          r.verdict,
          r.confidence,
          r.scannedVerdict,
          r.verdictAt,
          r.lastScan,
          r.build,
          r.openCves.join(" "),
          r.updateAction,
          r.logsFrom,
          r.logsTo,
          r.coversWindow === null ? "" : String(r.coversWindow),
          r.openFindings,
          r.acknowledged,
          r.status,
          r.statusAt,
          r.addresses.join(" "),
          r.owner,
          r.contact,
          r.asn,
          r.tags.join(" "),
          r.runs,
        ]),
      )
      .join("")
  );
}

export const FINDING_CSV_COLUMNS = [
  "fingerprint",
  "id",
  "check",
  "effect",
  "severity",
  "time",
  "title",
  "file",
  "line",
  "excerpt",
];

export function findingsCsv(fs: readonly Finding[]): string {
  return (
    csvRow(FINDING_CSV_COLUMNS) +
    fs
      .map((f) =>
        csvRow([
          f.fingerprint,
          f.id,
          f.check,
          f.effect,
          f.severity,
          f.time,
          f.title,
          f.source.file,
          f.source.line,
          f.source.excerpt,
        ]),
      )
      .join("")
  );
}

const day = (t: string | null) => (t ? t.slice(0, 10) : "-");

function logs(r: FleetRow): string {
  if (!r.logsFrom) return "no logs";
  return `${day(r.logsFrom)}..${day(r.logsTo)}${r.coversWindow ? "" : " (late)"}`;
}

function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i])))
      .join("  ")
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join("\n")}\n`;
}

export function renderFleetTable(rows: readonly FleetRow[]): string {
  if (rows.length === 0) return "no servers match\n";
  const out = table(
    ["SERVER", "VERDICT", "SINCE", "BUILD", "OPEN CVES", "LOGS", "LAST SCAN", "OPEN", "ACKED", "STATUS"],
    rows.map((r) => [
      forTerminal(r.name),
      r.verdict + (r.verdict !== r.scannedVerdict ? ` (scanned ${r.scannedVerdict})` : ""),
      day(r.verdictAt),
      forTerminal(r.build ?? "?"),
      r.openCves.length ? String(r.openCves.length) : r.build ? "0" : "?",
      logs(r),
      day(r.lastScan),
      String(r.openFindings),
      String(r.acknowledged),
      r.status ?? "-",
    ]),
  );
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.verdict, (by.get(r.verdict) ?? 0) + 1);
  const summary = [...by.entries()].map(([v, n]) => `${n} ${v}`).join(", ");
  return `${out}${count(rows.length, "server")}: ${summary}\n`;
}

export interface ServerView {
  row: ServerRow;
  runs: RunRow[];
  latest: RunDetail | null;
  acks: Acknowledgement[];
  notes: Note[];
}

export function renderServer(v: ServerView): string {
  const r = v.row;
  const lines: string[] = [];
  lines.push(
    `${forTerminal(r.name)}: ${r.verdict} (${r.confidence} confidence)${r.status ? `, status ${r.status}` : ""}`,
  );
  if (r.addresses.length) lines.push(`  addresses: ${forTerminal(r.addresses.join(", "))}`);
  if (r.owner || r.contact)
    lines.push(`  owner: ${forTerminal(r.owner ?? "-")}  contact: ${forTerminal(r.contact ?? "-")}`);
  lines.push(
    `  build: ${forTerminal(r.build ?? "unknown")}${r.openCves.length ? `, open: ${r.openCves.join(" ")}` : ""}`,
  );
  lines.push(`  logs: ${logs(r)}`);
  lines.push("", "History:");
  for (const run of v.runs)
    lines.push(
      `  #${run.id}  ${run.at.slice(0, 19)}Z  ${run.kind.padEnd(12)} ${run.verdict.padEnd(11)} ${run.findings} findings`,
    );
  if (v.latest) {
    lines.push("", `Latest run #${v.latest.id} (${v.latest.kind}):`);
    for (const reason of v.latest.reasons) lines.push(`  - ${forTerminal(reason)}`);
    if (v.latest.timeline.entries.length) {
      lines.push("", "Timeline:");
      for (const e of v.latest.timeline.entries.slice(0, 20))
        lines.push(`  ${e.time ? e.time.slice(0, 19) : "(no time)".padEnd(19)}  ${forTerminal(e.summary)}`);
      if (v.latest.timeline.entries.length > 20)
        lines.push(`  ... ${v.latest.timeline.entries.length - 20} more`);
    }
    if (v.latest.plan.length) {
      lines.push("", "Plan:");
      v.latest.plan.forEach((p, i) => {
        lines.push(`  ${i + 1}. ${forTerminal(p.title)}`);
      });
    }
    const acked = new Set(v.acks.map((a) => a.fingerprint));
    const rules = new Set(v.acks.map((a) => a.rule));
    if (v.latest.findingList.length) {
      lines.push("", "Findings (fingerprint, for `fleet ack`):");
      for (const f of v.latest.findingList.slice(0, 50))
        lines.push(
          `  ${f.fingerprint}  ${f.severity.padEnd(8)} ${forTerminal(f.title)}${acked.has(f.fingerprint) || rules.has(f.check) ? "  [acknowledged]" : ""}`,
        );
      if (v.latest.findingList.length > 50)
        lines.push(`  ... ${v.latest.findingList.length - 50} more (--json for all)`);
    }
  }
  if (v.acks.length) {
    lines.push("", "Acknowledged:");
    for (const a of v.acks)
      lines.push(
        `  ${a.fingerprint ?? `rule ${a.rule}`}  by ${forTerminal(a.by)} ${day(a.at)}: ${forTerminal(a.reason)}`,
      );
  }
  if (v.notes.length) {
    lines.push("", "Status notes:");
    for (const n of v.notes)
      lines.push(`  ${day(n.at)} ${n.status} by ${forTerminal(n.by)}: ${forTerminal(n.text)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function renderDiff(d: RunDiff): string {
  const lines: string[] = [];
  if (!d.from) {
    lines.push(`${forTerminal(d.server)}: only one ${d.to.kind} run (#${d.to.id}); nothing to compare`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `${forTerminal(d.server)}: run #${d.from.id} (${d.from.at.slice(0, 10)}) -> #${d.to.id} (${d.to.at.slice(0, 10)})` +
      (d.verdictChanged
        ? `, verdict ${d.from.verdict} -> ${d.to.verdict}`
        : `, verdict still ${d.to.verdict}`),
  );
  const list = (label: string, fs: Finding[]) => {
    lines.push(`${label}: ${fs.length}`);
    for (const f of fs.slice(0, 50))
      lines.push(`  ${f.fingerprint}  ${f.severity.padEnd(8)} ${forTerminal(f.title)}`);
  };
  list("new", d.added);
  list("gone", d.removed);
  lines.push(`changed: ${d.changed.length}`);
  for (const c of d.changed)
    lines.push(
      `  ${c.fingerprint}  ${c.check}: ${c.before.effect}/${c.before.severity} -> ${c.after.effect}/${c.after.severity}`,
    );
  lines.push(`unchanged: ${d.unchanged}`);
  return `${lines.join("\n")}\n`;
}
