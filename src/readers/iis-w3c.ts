// IIS W3C extended logs (`inetpub\logs\LogFiles\W3SVC<n>\u_ex*.log`): `#Software`, `#Version`, `#Date`,
// `#Fields:` directives, then space-separated rows. IIS appends a new directive block at every restart
// and whenever the logged fields change, so a file may hold several `#Fields:` headers: the delimited
// scanner switches columns at each one. Values never contain spaces (IIS writes `+`), `-` is empty.

import {
  type Dialect,
  type Header,
  makeHeader,
  type Preamble,
  readStatsOf,
  scanFileDelimited,
} from "./delimited.js";
import { readPreamble } from "./exchange-log.js";
import type { Reader, Sniffed } from "./types.js";

const SPACE = 32;
const TAB = 9;
const DASH = 45;

/** IIS's default field set (IIS 7 and later, W3C "default" selection). */
export const IIS_DEFAULT_FIELDS = [
  "date",
  "time",
  "s-ip",
  "cs-method",
  "cs-uri-stem",
  "cs-uri-query",
  "s-port",
  "cs-username",
  "c-ip",
  "cs(User-Agent)",
  "cs(Referer)",
  "sc-status",
  "sc-substatus",
  "sc-win32-status",
  "time-taken",
];

/** Every standard W3C field, in IIS's order. */
export const IIS_ALL_FIELDS = [
  "date",
  "time",
  "s-sitename",
  "s-computername",
  "s-ip",
  "cs-method",
  "cs-uri-stem",
  "cs-uri-query",
  "s-port",
  "cs-username",
  "c-ip",
  "cs-version",
  "cs(User-Agent)",
  "cs(Cookie)",
  "cs(Referer)",
  "cs-host",
  "sc-status",
  "sc-substatus",
  "sc-win32-status",
  "sc-bytes",
  "cs-bytes",
  "time-taken",
];

/**
 * The layout of a row without a header of its own, by its number of values: IIS's default set, the
 * IIS 7.5 set without Referer, all standard fields, and each of those with one custom field appended
 * (X-Forwarded-For is the usual one, added by administrators behind a load balancer).
 */
const LAYOUTS = new Map<number, Header>();
for (const base of [
  IIS_DEFAULT_FIELDS,
  IIS_ALL_FIELDS,
  IIS_DEFAULT_FIELDS.filter((f) => f !== "cs(Referer)"),
]) {
  if (!LAYOUTS.has(base.length)) LAYOUTS.set(base.length, makeHeader(base));
  if (!LAYOUTS.has(base.length + 1)) LAYOUTS.set(base.length + 1, makeHeader([...base, "x-forwarded-for"]));
}

export function layoutFor(count: number): Header | null {
  return LAYOUTS.get(count) ?? null;
}

/** `+` stands for a space in W3C values (User-Agent, Cookie, Referer). */
export function w3cText(value: string): string {
  return value.includes("+") ? value.replaceAll("+", " ") : value;
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** ISO UTC from W3C `date` (YYYY-MM-DD) and `time` (hh:mm:ss[.fff]); IIS writes both in UTC. */
export function w3cTime(date: string | undefined, time: string | undefined): string | null {
  if (!date || !time || date.length !== 10 || time.length < 8) return null;
  if (
    date.charCodeAt(4) !== 45 ||
    date.charCodeAt(7) !== 45 ||
    time.charCodeAt(2) !== 58 ||
    time.charCodeAt(5) !== 58
  )
    return null;
  const y = digits(date, 0, 4);
  const mo = digits(date, 5, 7);
  const d = digits(date, 8, 10);
  const h = digits(time, 0, 2);
  const mi = digits(time, 3, 5);
  const s = digits(time, 6, 8);
  if (
    y < 1970 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    s < 0 ||
    s > 60
  )
    return null;
  let ms = "000";
  if (time.length > 8) {
    if (time.charCodeAt(8) !== 46) return null;
    const frac = time.slice(9, 12).padEnd(3, "0");
    if (digits(frac, 0, 3) < 0) return null;
    ms = frac;
  }
  return `${date}T${time.slice(0, 8)}.${ms}Z`;
}

export const iisW3c: Dialect = {
  parseFields(text) {
    return text
      .trim()
      .split(/\s+/)
      .filter((f) => f.length > 0);
  },
  split(buf, start, end, bounds) {
    bounds.length = 0;
    let p = start;
    for (;;) {
      let c = p;
      while (c < end && buf[c] !== SPACE && buf[c] !== TAB) c++;
      bounds.push(p, c);
      if (c >= end) break;
      p = c + 1;
    }
    return bounds.length / 2;
  },
  decode(buf, start, end) {
    if (end - start === 1 && buf[start] === DASH) return "";
    return buf.toString("utf8", start, end);
  },
  rowTime(get) {
    return w3cTime(get("date"), get("time"));
  },
  kindFor(pre: Preamble) {
    return pre.software?.toLowerCase().includes("internet information services") ? "iis-w3c" : null;
  },
  fallbackHeader(count) {
    return layoutFor(count);
  },
  // Values never contain spaces (IIS writes `+`): a token between spaces is one field.
  tokenStops: [SPACE, TAB],
};

const DATA_LINE = /^\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(\.\d+)?[ \t]/;
const METHOD = /^[A-Z][A-Z-]{1,19}$/;

/** A header for a file without `#Fields:` when its first line has a known layout's shape. */
function headerlessLayout(head: Buffer): Header | null {
  let text = head.toString("utf8", 0, Math.min(head.length, 16 * 1024));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.split("\n", 1)[0].replace(/\r$/, "");
  if (!DATA_LINE.test(first)) return null;
  const values = first.split(/[ \t]/);
  const h = layoutFor(values.length);
  if (!h) return null;
  const method = values[h.index.get("cs-method") ?? -1];
  const stem = values[h.index.get("cs-uri-stem") ?? -1];
  return method && METHOD.test(method) && stem?.startsWith("/") ? h : null;
}

/** A preamble with `#Software: Microsoft Internet Information Services` but no `#Fields:` line. */
function softwareOnly(head: Buffer): { pre: Preamble; header: null } | null {
  const text = head.toString("latin1", 0, Math.min(head.length, 4096));
  const m =
    /^(?:\uFEFF|\xEF\xBB\xBF)?#Software:[ \t]*(Microsoft Internet Information Services[^\r\n]*)/i.exec(text);
  if (!m) return null;
  const date = /^#Date:[ \t]*([^\r\n]*)/im.exec(text);
  return {
    pre: { software: m[1].trim(), version: null, logType: null, date: date ? date[1].trim() : null },
    header: null,
  };
}

export const iisW3cReader: Reader = {
  format: "iis-w3c",
  splittable: true,
  sniff(head): Sniffed | null {
    // NULs later in the file are damage to report (IIS leaves zero-filled tails after a crash), not a reason
    // to refuse the file; NULs in the first line mean it is not text.
    const nl = head.indexOf(10);
    if (head.subarray(0, nl < 0 ? head.length : nl).includes(0)) return null;
    const p = readPreamble(head, iisW3c.parseFields) ?? softwareOnly(head);
    if (p) {
      if (p.pre.logType) return null; // an Exchange log
      const sw = (p.pre.software ?? "").toLowerCase();
      const fields = p.header?.fields ?? [];
      const w3cFields =
        fields.includes("date") &&
        fields.includes("time") &&
        (fields.includes("s-ip") || fields.includes("cs-uri-stem"));
      if (!sw.includes("internet information services") && !w3cFields) return null;
      return { format: "iis-w3c", kind: "iis-w3c", preamble: p.pre, header: p.header };
    }
    const h = headerlessLayout(head);
    if (!h) return null;
    return {
      format: "iis-w3c",
      kind: "iis-w3c",
      preamble: { software: null, version: null, logType: null, date: null },
      header: h,
    };
  },
  read(abs, size, sniffed, range, h) {
    const stats = scanFileDelimited(
      abs,
      {
        start: range.start,
        end: range.end,
        // A file without `#Fields:` uses the layout its first line showed; a `#Fields:` line replaces it.
        header: range.start > 0 ? range.header : sniffed.header,
        kind: "iis-w3c",
        preamble: sniffed.preamble ?? { software: null, version: null, logType: null, date: null },
      },
      iisW3c,
      h.planFor("iis-w3c"),
      (row, consumers) => h.onRow(row, consumers),
      size,
      range.bytes,
    );
    const damage: string[] = [];
    if (stats.truncatedLastLine) damage.push("the last line is cut off");
    if (range.start === 0 && !stats.sawHeader && !sniffed.header && stats.dataRows > 0)
      damage.push(
        "no #Fields: header: columns were taken from IIS's standard layouts by the number of values",
      );
    return readStatsOf(stats, "iis-w3c", damage);
  },
};
