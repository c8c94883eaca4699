// Web shell used: a file another check flagged in a web folder, tied to the IIS requests for its URL
// (who used it, when, from where, how often). A findings detection: it runs once per server, over the
// findings of the file sweep and of the IIS unexpected-script check.
import { webUrlOf } from "../../evidence/layout.js";
import type { Finding, FindingDraft } from "../../model/finding.js";
import type { CheckInfo } from "../../model/types.js";
import { decodedLower } from "../iis/request.js";
import { REF } from "../proxylogon/refs.js";
import type { FindingsDetection } from "../types.js";
import { checks as scriptChecks } from "../webshells/iis-unexpected-script.js";

export const linkChecks = {
  used: {
    id: "webshell-used",
    title: "Flagged web file was requested and answered (IIS)",
    cves: [],
    severity: "critical",
    effect: "compromise",
    description:
      "A file that another check flagged in a web folder (aspnet_client, owa\\auth, ecp\\auth, OAB, EWS, wwwroot) " +
      "was requested over HTTP and IIS answered at least one request with 2xx: the page ran. The evidence says " +
      "who used it (client IPs), when (first and last request) and how often; the finding points at the first " +
      "successful request and names the file finding it is linked to.",
    references: [REF.msBlog, REF.cisaAA21062A],
  },
  requested: {
    id: "webshell-requested",
    title: "Flagged web file was requested, never successfully (IIS)",
    cves: [],
    severity: "high",
    effect: "attempt",
    description:
      "Requests for the URL of a file another check flagged in a web folder, none answered 2xx (e.g. 404 before " +
      "the file was written, or after it was removed): someone looked for it.",
    references: [REF.msBlog, REF.cisaAA21062A],
  },
} satisfies Record<string, CheckInfo>;

interface Requests {
  count: number;
  success: number;
  first: Finding | null;
  firstSuccess: Finding | null;
  last: Finding | null;
  ips: Map<string, number>;
  statuses: Map<string, number>;
  methods: Map<string, number>;
}

const MAX_LISTED = 20;

function tally(m: Map<string, number>): string {
  const all = [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = all.slice(0, MAX_LISTED).map(([k, n]) => `${k} (${n})`);
  if (all.length > MAX_LISTED) shown.push(`… ${all.length - MAX_LISTED} more`);
  return shown.join(", ");
}

function earlier(a: Finding | null, b: Finding): boolean {
  return a === null || (b.time ?? "~") < (a.time ?? "~");
}

/**
 * New findings linking flagged web files to their requests. `omitted` is the engine's count of findings
 * over the per-check limit: when requests were dropped there, the counts say they are a lower bound.
 */
export function linkShellRequests(
  findings: readonly Finding[],
  omitted: Readonly<Record<string, number>> = {},
): FindingDraft[] {
  const byUrl = new Map<string, Requests>();
  for (const f of findings) {
    if (f.check !== scriptChecks.request.id || !f.evidence.UriStem) continue;
    const key = decodedLower(f.evidence.UriStem);
    let r = byUrl.get(key);
    if (!r) {
      r = {
        count: 0,
        success: 0,
        first: null,
        firstSuccess: null,
        last: null,
        ips: new Map(),
        statuses: new Map(),
        methods: new Map(),
      };
      byUrl.set(key, r);
    }
    r.count++;
    const status = f.evidence.Status ?? "?";
    if (/^2\d\d$/.test(status)) {
      r.success++;
      if (earlier(r.firstSuccess, f)) r.firstSuccess = f;
    }
    if (earlier(r.first, f)) r.first = f;
    if (r.last === null || (f.time ?? "") > (r.last.time ?? "")) r.last = f;
    const ip = f.evidence.ClientIp ?? "?";
    r.ips.set(ip, (r.ips.get(ip) ?? 0) + 1);
    r.statuses.set(status, (r.statuses.get(status) ?? 0) + 1);
    const m = f.evidence.Method ?? "?";
    r.methods.set(m, (r.methods.get(m) ?? 0) + 1);
  }
  if (byUrl.size === 0) return [];
  const dropped = omitted[scriptChecks.request.id] ?? 0;
  const out: FindingDraft[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const path = f.evidence.Path;
    if (!path || f.source.line !== null || f.check === scriptChecks.request.id) continue;
    const url = webUrlOf(path);
    if (!url) continue;
    const r = byUrl.get(url.toLowerCase());
    if (!r || seen.has(`${f.id}\u0000${url}`)) continue;
    seen.add(`${f.id}\u0000${url}`);
    const anchor = r.firstSuccess ?? r.first;
    const evidence: Record<string, string> = {
      Path: path,
      UriStem: url,
      LinkedFinding: f.id,
      LinkedCheck: f.check,
      RequestCount: String(r.count),
      SuccessCount: String(r.success),
      FirstRequest: r.first?.time ?? "",
      LastRequest: r.last?.time ?? "",
      RequestsFrom: tally(r.ips),
      Statuses: tally(r.statuses),
      Methods: tally(r.methods),
    };
    if (r.firstSuccess?.time) evidence.FirstSuccess = r.firstSuccess.time;
    if (f.evidence.SHA256) evidence.SHA256 = f.evidence.SHA256;
    if (dropped > 0)
      evidence.Note = `${dropped} requests to unexpected scripts were over the per-check limit: counts are a lower bound`;
    out.push({
      check: r.success > 0 ? linkChecks.used.id : linkChecks.requested.id,
      time: anchor?.time ?? null,
      file: anchor?.source.file ?? null,
      line: anchor?.source.line ?? null,
      subject: { kind: "correlation", findingIds: [f.id, ...(anchor ? [anchor.id] : [])], key: url },
      evidence,
    });
  }
  return out;
}

export const webshellUsed: FindingsDetection = {
  type: "findings",
  id: "webshell-used",
  checks: [linkChecks.used, linkChecks.requested],
  run: (input) => linkShellRequests(input.findings, input.omitted),
};
