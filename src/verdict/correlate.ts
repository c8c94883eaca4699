// Shell ↔ request linking, once all findings of a server exist: every file finding whose `Path` lies
// in a web folder is mapped to the URL IIS serves it under, and joined to the requests for that URL
// that the IIS check kept (iis-request-to-unexpected-script). The result says who used the file, when
// and how often; the file finding and the requests stay as they are.
import { decodedLower } from "../detections/iis/request.js";
import type { FindingDraft } from "../detections/types.js";
import { checks as scriptChecks } from "../detections/webshells/iis-unexpected-script.js";
import { linkChecks } from "../detections/webshells/linked-requests.js";
import type { Finding } from "../model/types.js";

/** Exchange back-end folders below `ClientAccess\` whose URL differs from the folder name. */
const BACKEND_VDIR: Record<string, string> = { "exchweb\\ews": "ews" };

/**
 * The URL path of a file in a web folder, from its Windows path: `…\inetpub\wwwroot\aspnet_client\x.aspx`
 * → `/aspnet_client/x.aspx`; `…\FrontEnd\HttpProxy\owa\auth\x.aspx` → `/owa/auth/x.aspx`;
 * `…\ClientAccess\OAB\x.aspx` → `/OAB/x.aspx`. Null for any other place.
 */
export function webUrlOf(winPath: string): string | null {
  const p = winPath.replaceAll("/", "\\");
  const lower = p.toLowerCase();
  const url = (rest: string) =>
    `/${rest
      .split("\\")
      .filter((x) => x.length > 0)
      .join("/")}`;
  let i = lower.indexOf("\\inetpub\\wwwroot\\");
  if (i >= 0 || lower.startsWith("inetpub\\wwwroot\\")) {
    const from = i >= 0 ? i + "\\inetpub\\wwwroot\\".length : "inetpub\\wwwroot\\".length;
    return url(p.slice(from));
  }
  i = lower.indexOf("\\frontend\\httpproxy\\");
  if (i >= 0) return url(p.slice(i + "\\frontend\\httpproxy\\".length));
  i = lower.indexOf("\\clientaccess\\");
  if (i >= 0) {
    const rest = p.slice(i + "\\clientaccess\\".length);
    for (const [folder, vdir] of Object.entries(BACKEND_VDIR)) {
      if (rest.toLowerCase().startsWith(`${folder}\\`))
        return url(`${vdir}\\${rest.slice(folder.length + 1)}`);
    }
    return url(rest);
  }
  return null;
}

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
export function linkShellRequests(findings: Finding[], omitted: Record<string, number> = {}): FindingDraft[] {
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
    if (!path || f.line !== null || f.check === scriptChecks.request.id) continue;
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
      file: anchor?.file ?? null,
      line: anchor?.line ?? null,
      evidence,
    });
  }
  return out;
}
