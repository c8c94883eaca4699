// Reading the shared evidence keys of a finding, whatever detection wrote it. Several detections name
// the same fact differently (the Exchange CSV logs keep their own column names), so every reader of
// findings goes through these helpers instead of a detection's internals.
import { isIP } from "node:net";
import { webUrlOf } from "../evidence/layout.js";
import type { Finding } from "../model/finding.js";

function first(f: Finding, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = f.evidence[k];
    if (v !== undefined && v !== "") return v;
  }
  return null;
}

/** The client address without a port, when it is a valid IP address. */
export function clientIp(f: Finding): string | null {
  const raw = first(f, ["ClientIp", "ClientIpAddress", "c-ip", "ClientIP"]);
  if (!raw) return null;
  const v = raw.trim();
  if (isIP(v)) return v;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(v);
  if (v4port && isIP(v4port[1])) return v4port[1];
  const v6port = /^\[([0-9a-fA-F:.]+)\](?::\d+)?$/.exec(v);
  if (v6port && isIP(v6port[1])) return v6port[1];
  return null;
}

export const requestId = (f: Finding): string | null => first(f, ["RequestId", "ClientRequestId"]);
export const uriStem = (f: Finding): string | null => first(f, ["UriStem", "UrlStem", "cs-uri-stem"]);
export const uriQuery = (f: Finding): string | null => first(f, ["UriQuery", "UrlQuery", "cs-uri-query"]);
export const httpMethod = (f: Finding): string | null => first(f, ["Method", "cs-method"]);
export const httpStatus = (f: Finding): string | null => first(f, ["Status", "HttpStatus", "sc-status"]);
export const userAgent = (f: Finding): string | null => first(f, ["UserAgent", "cs(User-Agent)"]);
export const sha256 = (f: Finding): string | null => {
  const v = first(f, ["SHA256", "Sha256", "sha256"]);
  return v && /^[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : null;
};

/** The ECP canary of a request (it ties the HttpProxy row to the ECP Server row), or its ActivityID. */
export function correlationIds(f: Finding): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(f.evidence)) {
    if (/^(ActivityI[dD]|ActivityId)$/.test(k) && v) out.add(`activity:${v.toLowerCase()}`);
    const m = /msExchEcpCanary=([A-Za-z0-9_\-.]{8,})/.exec(v);
    if (m) out.add(`canary:${m[1]}`);
  }
  return [...out];
}

/** A Windows path as a UNC admin-share write names it (`\\127.0.0.1\c$\inetpub\...`) → `C:\inetpub\...`. */
export function localPath(p: string): string {
  const unc = /^\\\\[^\\]+\\([A-Za-z])\$\\(.*)$/.exec(p);
  return unc ? `${unc[1].toUpperCase()}:\\${unc[2]}` : p;
}

const SCRIPT_PATH =
  /(?:[A-Za-z]:|\\\\[^\\\s'"]+\\[A-Za-z]\$)\\[^'"<>|\r\n*?]*?\.(?:aspx|ashx|asmx|asp|php|jsp)\b/gi;

/** Windows paths of files on the server that a finding names (the file sweep, the OAB write, a cmdlet). */
export function serverPaths(f: Finding): string[] {
  const out = new Set<string>();
  for (const k of ["Path", "FilePath", "DownloadPath"]) {
    const v = f.evidence[k];
    if (v && /^(?:[A-Za-z]:\\|\\\\)/.test(v)) out.add(localPath(v));
  }
  for (const k of ["Command", "Url", "UrlQuery", "UriQuery", "Parameters"]) {
    const v = f.evidence[k];
    if (!v) continue;
    for (const m of v.matchAll(SCRIPT_PATH)) out.add(localPath(m[0]));
  }
  return [...out];
}

/** Where IIS serves a server file from, as a URL path (lower case), when that is known. */
export function webPathOf(winPath: string): string | null {
  return webUrlOf(localPath(winPath))?.toLowerCase() ?? null;
}

/** Correlation keys for one finding: the same key in two findings means "the same actor or file". */
export function correlationKeys(f: Finding): string[] {
  const keys = new Set<string>();
  const ip = clientIp(f);
  if (ip) keys.add(`ip:${ip}`);
  const rid = requestId(f);
  if (rid) keys.add(`request:${rid.toLowerCase()}`);
  for (const c of correlationIds(f)) keys.add(c);
  for (const p of serverPaths(f)) keys.add(`file:${webPathOf(p) ?? p.toLowerCase()}`);
  const stem = uriStem(f);
  if (stem && /\.(aspx|ashx|asmx|asp|php|jsp)$/i.test(stem)) keys.add(`file:${stem.toLowerCase()}`);
  return [...keys];
}

/** Findings that say something happened (not coverage gaps, not exposure, not listed-only context). */
export function isActivity(f: Finding): boolean {
  const e = f.effect;
  return e === "compromise" || e === "attempt";
}

/** True for a finding about a request (it has a URL path, a client address or a request id). */
export function isRequest(f: Finding): boolean {
  return uriStem(f) !== null || (clientIp(f) !== null && requestId(f) !== null);
}

/** The earliest dated malicious request of a server: the one a responder starts the story from. */
export function firstMaliciousRequest(findings: readonly Finding[]): Finding | null {
  let best: Finding | null = null;
  for (const f of findings) {
    if (!isActivity(f) || !isRequest(f) || !f.time) continue;
    if (!best || (best.time as string) > f.time) best = f;
  }
  return best;
}

/** One line for a request: `POST /ecp/y.js from 203.0.113.77 → 200`. */
export function describeRequest(f: Finding): string {
  const parts: string[] = [];
  const m = httpMethod(f);
  const stem = uriStem(f);
  if (m || stem) parts.push([m, stem].filter(Boolean).join(" "));
  const ip = clientIp(f) ?? first(f, ["ClientIp", "ClientIpAddress"]);
  if (ip) parts.push(`from ${ip}`);
  const st = httpStatus(f);
  if (st) parts.push(`→ ${st}`);
  return parts.join(" ");
}
