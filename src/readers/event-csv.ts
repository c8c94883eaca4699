// The CSV event-export reader: EvtxECmd CSV (and its tab-separated Timeline Explorer copies), Sentinel /
// Log Analytics SecurityEvent and Event exports, and flat CSV with an EventID column (Splunk and SIEM
// exports). A row is a flat object keyed by the header; the field maps of events/maps.ts do the rest,
// as for JSON. Recognised by the header line, never by the extension. RFC 4180 quoting, with quoted
// cells spanning lines (messages do).
import { closeSync, openSync, readSync } from "node:fs";
import { splitCsvLine } from "./csv-line.js";
import { mapFor, readDocument } from "./events/apply.js";
import { ClockNotes } from "./events/clock.js";
import {
  addInvalidText,
  addNotes,
  bad,
  CHUNK,
  emit,
  encodingOf,
  MAX_EVENT_BYTES,
  newStats,
  TextIn,
} from "./events/common.js";
import type { EventFieldMap } from "./events/maps.js";
import type { Reader, ReadHandlers, ReadStats, Sniffed } from "./types.js";

type Delimiter = "," | "\t";

const TYPE_LINE = /^#TYPE [^\r\n]*\r?\n/;

/** Split one header line (no quoted line breaks in headers). */
function splitHeader(line: string, d: Delimiter): string[] {
  return splitCsvLine(line, d).map((c) => c.trim());
}

function headerOf(head: Buffer): { fields: string[]; delimiter: Delimiter } | null {
  const enc = encodingOf(head);
  if (enc === "utf-8" && head.includes(0)) return null;
  let text = new TextDecoder(enc).decode(head);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // PowerShell 5's Export-Csv writes the object type first: `#TYPE System.Diagnostics.Eventing…`.
  if (TYPE_LINE.test(text)) text = text.slice(text.indexOf("\n") + 1);
  const nl = text.indexOf("\n");
  if (nl < 0) return null;
  const line = text.slice(0, nl).replace(/\r$/, "");
  if (line.startsWith("#") || line.startsWith("{") || line.startsWith("<")) return null;
  const tabs = line.split("\t").length;
  const commas = line.split(",").length;
  const delimiter: Delimiter = tabs > commas ? "\t" : ",";
  const fields = splitHeader(line, delimiter);
  if (fields.length < 3 || fields.some((f) => f.length > 64)) return null;
  return { fields, delimiter };
}

/** The map a header selects: a row of its column names must be recognised. */
function mapOfHeader(fields: string[]): EventFieldMap | null {
  const probe: Record<string, string> = {};
  for (const f of fields) probe[f] = "x";
  return mapFor(probe);
}

function sniffCsv(head: Buffer): Sniffed | null {
  const h = headerOf(head);
  if (!h || !mapOfHeader(h.fields)) return null;
  return {
    format: "event-csv",
    kind: "event",
    preamble: null,
    header: null,
  };
}

/** Rows of a delimited text stream; quoted cells may span lines. Calls `row` with the cells and start line. */
function csvRows(
  d: Delimiter,
  onRow: (cells: string[], line: number) => void,
  onBad: (line: number) => void,
) {
  let cells: string[] = [];
  let cur = "";
  let q = false;
  let afterQuote = false;
  let line = 1;
  let rowLine = 1;
  let size = 0;
  let overlong = false;
  const endRow = () => {
    cells.push(cur);
    if (overlong) onBad(rowLine);
    else if (cells.length > 1 || cells[0] !== "") onRow(cells, rowLine);
    cells = [];
    cur = "";
    size = 0;
    overlong = false;
  };
  return (text: string, final: boolean) => {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cur += '"';
            i++;
          } else if (i + 1 === text.length && !final) {
            // A quote at the end of a chunk: decided by the next chunk's first character.
            q = false;
            afterQuote = true;
          } else q = false;
        } else {
          if (c === "\n") line++;
          if (!overlong) cur += c;
        }
      } else if (afterQuote && c === '"') {
        cur += '"';
        q = true;
        afterQuote = false;
      } else if (c === '"' && cur === "") {
        q = true;
        afterQuote = false;
      } else if (c === d) {
        cells.push(cur);
        cur = "";
        afterQuote = false;
      } else if (c === "\n") {
        if (cur.endsWith("\r")) cur = cur.slice(0, -1);
        endRow();
        line++;
        rowLine = line;
        afterQuote = false;
      } else {
        afterQuote = false;
        if (!overlong) cur += c;
      }
      if (++size > MAX_EVENT_BYTES && !overlong) {
        overlong = true;
        cur = "";
        cells = [];
      }
    }
    if (final && (cur !== "" || cells.length > 0)) endRow();
  };
}

function readCsv(abs: string, size: number, h: ReadHandlers): ReadStats {
  const stats = newStats();
  const clock = new ClockNotes();
  let header: string[] | null = null;
  let hint: EventFieldMap | null = null;
  let delimiter: Delimiter = ",";
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    let push: ((t: string, final: boolean) => void) | null = null;
    let decoder: TextIn | null = null;
    let open = false;
    while (pos < size || !open) {
      const n = pos < size ? readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos) : 0;
      if (!push) {
        const hd = headerOf(buf.subarray(0, n));
        delimiter = hd?.delimiter ?? ",";
        decoder = new TextIn(encodingOf(buf.subarray(0, n)));
        push = csvRows(
          delimiter,
          (cells, line) => {
            if (!header && line === 1 && cells.length === 1 && cells[0].startsWith("#TYPE ")) return;
            if (!header) {
              header = cells.map((c, i) => (i === 0 ? c.replace(/^\ufeff/, "") : c).trim());
              hint = mapOfHeader(header);
              return;
            }
            const row: Record<string, string> = {};
            header.forEach((k, i) => {
              if (cells[i] !== undefined) row[k] = cells[i];
            });
            const { rec, time } = readDocument(row, hint);
            // A row of the wrong width is reported once; what it still holds is read when it is an event.
            const width =
              cells.length === header.length
                ? ""
                : `${cells.length} cells where the header has ${header.length}`;
            if (typeof rec === "string") bad(stats, line, width || rec);
            else {
              if (width) bad(stats, line, width);
              clock.add(time);
              emit(stats, h, rec, line);
            }
          },
          (line) => bad(stats, line, `row longer than ${MAX_EVENT_BYTES} bytes`),
        );
      }
      open = true;
      if (n <= 0) break;
      pos += n;
      stats.bytes += n;
      push(decoder!.decode(buf.subarray(0, n)), false);
    }
    push?.(decoder?.decode() ?? "", true);
    if (pos < size) stats.damage.push(`the file ended after ${pos} of ${size} bytes`);
    if (decoder) addInvalidText(stats, decoder.invalid, decoder.enc);
  } finally {
    closeSync(fd);
  }
  addNotes(stats, clock.notes());
  return stats;
}

export const eventCsvReader: Reader = {
  format: "event-csv",
  splittable: false,
  sniff: sniffCsv,
  read: (abs, size, _sniffed, _range, h) => readCsv(abs, size, h),
};
