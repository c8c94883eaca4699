// The correlated timeline: every finding of the result in time order, tied together when they share a
// client IP, a RequestId, an ECP canary or ActivityID, or a file path (the OAB write, the ECP cmdlet,
// the file sweep and the IIS hits on that file). Linked findings form an incident group with its first
// and last time, addresses and paths.
//
// "Raw records around them" is what the result holds: each finding carries its record's fields as
// evidence plus file and line, so an entry is that record. The timeline does not re-read the evidence;
// use file:line to open the neighbouring rows.
import type { Finding } from "../model/finding.js";
import type { IncidentGroup, ScanResult, Timeline, TimelineEntry } from "../model/types.js";
import {
  clientIp,
  correlationKeys,
  describeRequest,
  isActivity,
  isRequest,
  serverPaths,
  uriStem,
} from "./facts.js";

export type { IncidentGroup, Timeline, TimelineEntry } from "../model/types.js";

/** The kind of record a finding was made from, from its file path or evidence. */
export function sourceOfFinding(f: Finding): string {
  const file = f.source.file ?? "";
  const lower = file.toLowerCase();
  const parts = file.split("/");
  const hp = parts.findIndex((p) => p.toLowerCase() === "httpproxy");
  if (hp >= 0 && hp + 2 < parts.length) return `HttpProxy/${parts[hp + 1]}`;
  if (/\/ecp\/server\//.test(lower) || /^ecpserver/i.test(parts[parts.length - 1] ?? "")) return "ECP Server";
  if (lower.includes("oabgeneratorlog")) return "OABGeneratorLog";
  if (/\/w3svc\d+\//.test(lower) || /^u_ex\d+/.test(parts[parts.length - 1]?.toLowerCase() ?? ""))
    return "IIS";
  if (f.evidence.EventID || f.evidence.Provider || lower.endsWith(".evtx")) return "Event log";
  if (f.evidence.Path || f.evidence.SHA256) return "File";
  if (f.effect === "coverage") return "Coverage";
  return f.source.file ? "Log" : "Scan";
}

function clipped(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** One line per entry: the title plus the most telling evidence. */
export function summarize(f: Finding): string {
  const bits: string[] = [f.title];
  if (isRequest(f)) bits.push(describeRequest(f));
  else {
    const paths = serverPaths(f);
    if (paths.length) bits.push(paths.join(", "));
    else if (f.evidence.Command) bits.push(clipped(f.evidence.Command, 160));
    else if (f.evidence.EventID) bits.push(`event ${f.evidence.EventID} ${f.evidence.Provider ?? ""}`.trim());
  }
  if (!isRequest(f) && uriStem(f) && !bits.join(" ").includes(uriStem(f) as string))
    bits.push(uriStem(f) as string);
  return bits.join(" — ");
}

class UnionFind {
  private parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]];
      i = this.parent[i];
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function byTime(a: { time: string | null }, b: { time: string | null }): number {
  if (a.time === b.time) return 0;
  if (a.time === null) return 1;
  if (b.time === null) return -1;
  return a.time < b.time ? -1 : 1;
}

/** Effects that are events on the server's timeline: not coverage gaps, not build results, not notes. */
function onTimeline(f: Finding): boolean {
  return f.effect === "compromise" || f.effect === "attempt" || f.effect === "context";
}

/** Timeline of one server: its activity findings in time order, linked into incident groups. */
export function serverTimeline(s: { name: string; findings: readonly Finding[] }): Timeline {
  const fs = s.findings.filter(onTimeline).sort(byTime);
  const uf = new UnionFind(fs.length);
  const keysOf = fs.map((f) => correlationKeys(f));
  const owner = new Map<string, number>();
  keysOf.forEach((keys, i) => {
    // A client IP only links findings that are themselves activity: a scanner's IP on one row should
    // not pull an unrelated listed file into an incident; files link through their paths.
    for (const k of keys) {
      if (k.startsWith("ip:") && !isActivity(fs[i])) continue;
      const o = owner.get(k);
      if (o === undefined) owner.set(k, i);
      else uf.union(o, i);
    }
  });
  const members = new Map<number, number[]>();
  fs.forEach((_, i) => {
    const r = uf.find(i);
    const m = members.get(r);
    if (m) m.push(i);
    else members.set(r, [i]);
  });
  const groups: IncidentGroup[] = [];
  const groupOf = new Map<number, string>();
  for (const [root, idx] of [...members.entries()].sort((a, b) => a[0] - b[0])) {
    if (idx.length < 2) continue;
    const key = `${s.name}#${groups.length + 1}`;
    const times = idx
      .map((i) => fs[i].time)
      .filter((t): t is string => !!t)
      .sort();
    const ips = new Set<string>();
    const paths = new Set<string>();
    const links = new Set<string>();
    const count = new Map<string, number>();
    for (const i of idx) for (const k of keysOf[i]) count.set(k, (count.get(k) ?? 0) + 1);
    for (const i of idx) {
      const ip = clientIp(fs[i]);
      if (ip) ips.add(ip);
      for (const p of serverPaths(fs[i])) paths.add(p);
      const stem = uriStem(fs[i]);
      if (stem && /\.(aspx|ashx|asmx)$/i.test(stem) && keysOf[i].includes(`file:${stem.toLowerCase()}`))
        paths.add(stem);
    }
    for (const [k, n] of count) if (n > 1) links.add(k);
    groups.push({
      key,
      server: s.name,
      first: times[0] ?? null,
      last: times[times.length - 1] ?? null,
      ips: [...ips].sort(),
      paths: [...paths].sort(),
      links: [...links].sort(),
      findingIds: idx.map((i) => fs[i].id),
      checks: [...new Set(idx.map((i) => fs[i].check))],
    });
    groupOf.set(root, key);
  }
  const entries: TimelineEntry[] = fs.map((f, i) => ({
    time: f.time,
    server: s.name,
    source: sourceOfFinding(f),
    summary: summarize(f),
    findingIds: [f.id],
    groupKey: groupOf.get(uf.find(i)) ?? null,
    severity: f.severity,
    check: f.check,
    file: f.source.file,
    line: f.source.line,
  }));
  groups.sort((a, b) => byTime({ time: a.first }, { time: b.first }));
  return { entries, groups };
}

/** Timeline over every server of a result, merged in time order (from the timelines stored at scan time). */
export function timeline(result: ScanResult): Timeline {
  const all = result.servers.map((s) => s.timeline);
  return {
    entries: all.flatMap((t) => t.entries).sort(byTime),
    groups: all.flatMap((t) => t.groups).sort((a, b) => byTime({ time: a.first }, { time: b.first })),
  };
}
