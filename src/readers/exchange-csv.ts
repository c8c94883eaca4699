// Exchange's own CSV logs (HttpProxy, ECP, OABGeneratorLog, ...): `#Software`, `#Version`,
// `#Log-type`, `#Date`, `#Fields` preamble, then comma-separated rows with CSV quoting ("" escapes).
import type { LogKind } from "../model/records.js";
import type { Dialect, Preamble } from "./delimited.js";

const COMMA = 44;
const QUOTE = 34;

/** Map a `#Log-type:` value to the kind of rows it holds. */
export function exchangeKind(logType: string | null): LogKind | null {
  if (!logType) return null;
  const t = logType.toLowerCase();
  if (t.startsWith("httpproxy")) return "httpproxy";
  if (t === "ecp server log") return "ecp-server";
  if (t.startsWith("ecp activity")) return "ecp-activity";
  if (t.replace(/\s+/g, "").includes("oabgenerator")) return "oab-generator";
  // CmdletInfra (Remote PowerShell, the ProxyShell path): "Rps Cmdlet Logs", "Rps Http Logs".
  if (t.startsWith("rps cmdlet")) return "rps-cmdlet";
  if (t.startsWith("rps http")) return "rps-http";
  return "exchange-other";
}

const TIME_FIELDS = ["DateTime", "TimeStamp", "date-time", "Timestamp", "Date"];

/** ISO 8601 UTC from an Exchange timestamp (`2021-03-03T06:59:18.042Z`), or null. */
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function isoTime(value: string | undefined): string | null {
  if (!value) return null;
  // Exchange's own form is already canonical ISO: keep it when its fields are in range.
  if (value.length === 24 && CANONICAL.test(value)) {
    const mo = +value.slice(5, 7);
    const d = +value.slice(8, 10);
    if (
      mo >= 1 &&
      mo <= 12 &&
      d >= 1 &&
      d <= 31 &&
      +value.slice(11, 13) < 24 &&
      +value.slice(14, 16) < 60 &&
      +value.slice(17, 19) < 61
    ) {
      return value;
    }
  }
  const v = value.trim();
  if (v.length < 10 || v.charCodeAt(0) < 48 || v.charCodeAt(0) > 57) return null;
  // Exchange writes UTC with a Z; a value without zone is UTC too (never local time).
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(v.slice(10)) ? v : `${v}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * The end (the comma, or `end`) of the field starting at `p`. A quoted field runs to a quote not followed
 * by another quote (unterminated: the rest of the line); anything between that quote and the next comma
 * belongs to the field too. Searched with indexOf: fewer calls than bytes cost less than a byte loop.
 */
function fieldEnd(buf: Buffer, p: number, end: number): number {
  let q = p;
  if (p < end && buf[p] === QUOTE) {
    for (q = p + 1; ; ) {
      q = buf.indexOf(QUOTE, q);
      if (q < 0 || q >= end) return end;
      if (q + 1 < end && buf[q + 1] === QUOTE) {
        q += 2;
        continue;
      }
      q++;
      break;
    }
  }
  const c = buf.indexOf(COMMA, q);
  return c < 0 || c > end ? end : c;
}

export const exchangeCsv: Dialect = {
  parseFields(text) {
    return text.split(",").map((f) => f.trim());
  },
  split(buf, start, end, bounds) {
    bounds.length = 0;
    for (let p = start; ; ) {
      const c = fieldEnd(buf, p, end);
      bounds.push(p, c);
      if (c >= end) break;
      p = c + 1;
    }
    return bounds.length / 2;
  },
  fieldAt(buf, start, end, col, out) {
    for (let p = start, i = 0; ; i++) {
      const c = fieldEnd(buf, p, end);
      if (i === col) {
        out[0] = p;
        out[1] = c;
        return true;
      }
      if (c >= end) return false;
      p = c + 1;
    }
  },
  decode(buf, start, end) {
    if (end > start && buf[start] === QUOTE) {
      let e = end;
      if (e - 1 > start && buf[e - 1] === QUOTE) e--;
      const s = buf.toString("utf8", start + 1, e);
      return s.includes('""') ? s.replaceAll('""', '"') : s;
    }
    return buf.toString("utf8", start, end);
  },
  rowTime(get) {
    for (const f of TIME_FIELDS) {
      const v = get(f);
      if (v !== undefined) return isoTime(v);
    }
    return null;
  },
  kindFor(pre: Preamble) {
    return exchangeKind(pre.logType);
  },
};
