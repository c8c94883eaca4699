// Per-host table (console and CSV) and the JSON form of `exhunt probe`.
import type { HostResult } from "../exposure/probe/probe.js";
import { csvRow, forTerminal } from "./safe.js";

/** The documented `exhunt probe --json` entry (docs/exposure.md); names are stable. */
export function hostJson(h: HostResult): Record<string, unknown> {
  return {
    target: h.target,
    reachable: h.reachable,
    exchange: h.exchange,
    build: h.build,
    buildSource: h.buildSource,
    certificate: h.certificate,
    cves: h.cves,
    checks: h.checks,
    findings: h.findings,
  };
}

function openCves(h: HostResult): string[] {
  return Object.entries(h.cves)
    .filter(([, s]) => s.status === "vulnerable")
    .map(([c]) => c);
}

export const CSV_COLUMNS = [
  "target",
  "reachable",
  "exchange",
  "build",
  "buildSource",
  "certificateSubject",
  "CVE-2021-26855",
  "ProxyShell",
  "ProxyNotShell-mitigation",
  "openCves",
  "findings",
  "notes",
];

export function hostCsvRow(h: HostResult): string {
  return csvRow([
    h.target,
    String(h.reachable),
    String(h.exchange),
    h.build,
    h.buildSource,
    h.certificate?.subject ?? "",
    h.checks["CVE-2021-26855"],
    h.checks.ProxyShell,
    h.checks["ProxyNotShell-mitigation"],
    openCves(h).join(" "),
    h.findings.map((f) => f.check).join(" "),
    h.notes.join("; "),
  ]);
}

export function hostTableHeader(): string {
  return `${"TARGET".padEnd(28)} ${"EXCH".padEnd(4)} ${"BUILD".padEnd(14)} ${"26855".padEnd(14)} ${"PROXYSHELL".padEnd(14)} ${"PNS-MITIG".padEnd(13)} OPEN CVEs / CERT`;
}

/** One line per host; every evidence-derived string escaped for the terminal. */
export function hostTableLine(h: HostResult): string {
  if (!h.reachable)
    return `${forTerminal(h.target).padEnd(28)} ${"-".padEnd(4)} unreachable    ${forTerminal(h.notes.join("; "))}`;
  const open = openCves(h);
  const cert = h.certificate?.subject ? `cert CN=${forTerminal(h.certificate.subject)}` : "";
  return [
    forTerminal(h.target).padEnd(28),
    (h.exchange ? "yes" : "no").padEnd(4),
    forTerminal(h.build ?? "?").padEnd(14),
    h.checks["CVE-2021-26855"].padEnd(14),
    h.checks.ProxyShell.padEnd(14),
    h.checks["ProxyNotShell-mitigation"].padEnd(13),
    `${open.length ? `${open.length} open` : Object.keys(h.cves).length ? "none open" : "-"}${cert ? `  ${cert}` : ""}`,
  ].join(" ");
}
