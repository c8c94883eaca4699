// What the IIS detections share: the evidence of one HTTP request, status classes, and URL decoding
// that cannot throw. Everything is read through canonical http-request fields (readers/fields.ts).
import type { HttpField, LogRow } from "../../model/records.js";
import { canonicalUri } from "../../readers/uri.js";
import { clip } from "../evidence.js";

/** Canonical field → evidence key (the shared contract: ClientIp, Method, UriStem, ...). */
const EVIDENCE_FIELDS: [HttpField, string][] = [
  ["clientIp", "ClientIp"],
  ["method", "Method"],
  ["uri", "UriStem"],
  ["query", "UriQuery"],
  ["status", "Status"],
  ["userAgent", "UserAgent"],
  ["user", "User"],
  ["serverIp", "ServerIp"],
  ["timeTaken", "TimeTaken"],
  ["forwardedFor", "XForwardedFor"],
  ["site", "Site"],
];

/** The user agent as sent: IIS writes a space as `+` (other formats write it as is). */
export function userAgentOf(row: LogRow): string {
  const ua = row.field("userAgent") ?? "";
  return row.kind === "iis-w3c" ? ua.replaceAll("+", " ") : ua;
}

/** Evidence of one request; attacker-controlled values are clipped, `+` in the user agent becomes a space (raw kept). */
export function requestEvidence(row: LogRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of EVIDENCE_FIELDS) {
    const v = row.field(field);
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
  const s = row.field("status");
  if (!s || !/^\d{3}$/.test(s)) return null;
  return Number(s);
}

export function is2xx(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

/**
 * A URL value as the server finally acted on it: percent-decoded (double-encoded and `%uXXXX` forms too)
 * and lower-cased, through the one helper the reader's prefilter uses (readers/uri.ts).
 */
export function decodedLower(value: string): string {
  return canonicalUri(value);
}

/** Stem and query of a request, percent-decoded and lower-cased, joined with `?`. */
export function requestTarget(row: LogRow): string {
  const stem = row.field("uri") ?? "";
  const query = row.field("query") ?? "";
  return query ? `${decodedLower(stem)}?${decodedLower(query)}` : decodedLower(stem);
}
