// Reader for Exchange CSV logs: recognised by their preamble, never by their folder alone.

import { type Header, headerFromText, type Preamble, readStatsOf, scanFileDelimited } from "./delimited.js";
import { exchangeCsv, exchangeKind } from "./exchange-csv.js";
import type { Reader, Sniffed } from "./types.js";

/** Parse the `#` preamble at the head of a log; null when the head has no `#Fields:` or `#Log-type:`. */
export function readPreamble(
  head: Buffer,
  parseFields: (t: string) => string[],
): { pre: Preamble; header: Header | null } | null {
  let text = head.toString("utf8", 0, Math.min(head.length, 64 * 1024));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.startsWith("#")) return null;
  const pre: Preamble = { software: null, version: null, logType: null, date: null };
  let header: Header | null = null;
  for (const raw of text.split("\n").slice(0, 40)) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.startsWith("#")) break;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(1, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "software") pre.software = value;
    else if (key === "version") pre.version = value;
    else if (key === "log-type") pre.logType = value;
    else if (key === "date") pre.date = value;
    else if (key === "fields") header = headerFromText(line, { parseFields });
  }
  if (!header && !pre.logType) return null;
  return { pre, header };
}

export const exchangeLogReader: Reader = {
  format: "exchange-log",
  splittable: true,
  sniff(head): Sniffed | null {
    if (head.includes(0)) return null;
    const p = readPreamble(head, exchangeCsv.parseFields);
    if (!p) return null;
    const sw = (p.pre.software ?? "").toLowerCase();
    const isExchange =
      sw.includes("exchange") || (p.pre.logType !== null && !sw.includes("internet information"));
    if (!isExchange) return null;
    // A header written with commas; a W3C header (space separated) is not ours.
    if (p.header && p.header.fields.length < 2) return null;
    return {
      format: "exchange-log",
      kind: exchangeKind(p.pre.logType) ?? "exchange-other",
      preamble: p.pre,
      header: p.header,
    };
  },
  read(abs, size, sniffed, range, h) {
    const kind = sniffed.kind === "event" ? "exchange-other" : sniffed.kind;
    const stats = scanFileDelimited(
      abs,
      {
        start: range.start,
        end: range.end,
        header: range.start > 0 ? range.header : null,
        kind,
        preamble: sniffed.preamble ?? { software: null, version: null, logType: null, date: null },
      },
      exchangeCsv,
      h.planFor(kind),
      (row, consumers) => h.onRow(row, consumers),
      size,
      range.bytes,
    );
    const damage: string[] = [];
    if (stats.truncatedLastLine) damage.push("the last line is cut off");
    return readStatsOf(stats, stats.kind, damage);
  },
};
