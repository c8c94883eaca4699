// What the IIS detections share: the evidence of one W3C request, status classes, URL decoding that
// cannot throw, and byte-level refines that look at the token a literal was found in.
import type { LogRow } from "../../model/records.js";
import { clip } from "../evidence.js";

/** W3C column → evidence key (the shared contract: ClientIp, Method, UriStem, ...). */
const EVIDENCE_FIELDS: [string, string][] = [
  ["c-ip", "ClientIp"],
  ["cs-method", "Method"],
  ["cs-uri-stem", "UriStem"],
  ["cs-uri-query", "UriQuery"],
  ["sc-status", "Status"],
  ["cs(User-Agent)", "UserAgent"],
  ["cs-username", "User"],
  ["s-ip", "ServerIp"],
  ["time-taken", "TimeTaken"],
  ["x-forwarded-for", "XForwardedFor"],
  ["s-sitename", "Site"],
];

/** Evidence of one request; attacker-controlled values are clipped, `+` in the user agent becomes a space (raw kept). */
export function requestEvidence(row: LogRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of EVIDENCE_FIELDS) {
    const v = row.get(field);
    if (v === undefined || v === "") continue;
    out[key] = clip(key === "UserAgent" ? v.replaceAll("+", " ") : v);
    // IIS writes a space as `+` but leaves a real `+` as is: the raw value settles which it was.
    if (key === "UserAgent" && v.includes("+")) out.UserAgentRaw = clip(v);
  }
  if (row.headerCount > 0 && row.fieldCount !== row.headerCount) {
    out.RowWarning = `row has ${row.fieldCount} fields, header ${row.headerCount}: values may be shifted`;
  }
  return out;
}

/** The status as a number, or null when absent or not a number. */
export function statusOf(row: LogRow): number | null {
  const s = row.get("sc-status");
  if (!s || !/^\d{3}$/.test(s)) return null;
  return Number(s);
}

export function is2xx(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

const HEX = /%([0-9a-fA-F]{2})/g;

/** Percent-decoding byte by byte into Latin-1 (never throws on bad sequences); then lower-cased. */
export function decodedLower(value: string): string {
  const v = value.includes("%")
    ? value.replace(HEX, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
    : value;
  return v.toLowerCase();
}

/** Stem and query of a request, percent-decoded and lower-cased, joined with `?`. */
export function requestTarget(row: LogRow): string {
  const stem = row.get("cs-uri-stem") ?? "";
  const query = row.get("cs-uri-query") ?? "";
  return query ? `${decodedLower(stem)}?${decodedLower(query)}` : decodedLower(stem);
}

const SPACE = 32;
const TAB = 9;

/** Start and end of the space-separated token around byte `at`. */
export function tokenAround(buf: Buffer, start: number, end: number, at: number): [number, number] {
  let s = at;
  while (s > start && buf[s - 1] !== SPACE && buf[s - 1] !== TAB) s--;
  let e = at;
  while (e < end && buf[e] !== SPACE && buf[e] !== TAB) e++;
  return [s, e];
}
