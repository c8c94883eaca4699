// Events of one file, whatever it holds: an exported event log (JSON lines, wevtutil XML, ECS, …)
// recognised by its content through the reader table, read into the same EventRecords as an .evtx.
// For `exhunt events` on exports; the scan reaches the same readers through the engine.
import { closeSync, openSync, readSync } from "node:fs";
import type { EventRecord } from "../model/records.js";
import { readerFor, sniff } from "./index.js";

/** Bytes sniffed, as the evidence classifier reads them. */
const HEAD = 16 * 1024;

export interface ExportRead {
  /** The reader that recognised the file, or null when none did (or it holds no events). */
  format: string | null;
  records: number;
  damage: string[];
  badRows: number;
  /** Facts about the file that are not damage (clock assumed, repeats counted, events with no data). */
  notes: string[];
}

function head(abs: string, size: number): Buffer {
  const fd = openSync(abs, "r");
  try {
    const buf = Buffer.alloc(Math.min(size, HEAD));
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Read an exported event file; `format` is null when no event reader recognises it. */
export function readExportedEvents(abs: string, size: number, onEvent: (e: EventRecord) => void): ExportRead {
  const sniffed = size > 0 ? sniff(head(abs, size), abs) : null;
  const reader = sniffed?.kind === "event" ? readerFor(sniffed.format) : undefined;
  if (!sniffed || !reader) return { format: null, records: 0, damage: [], badRows: 0, notes: [] };
  const stats = reader.read(
    abs,
    size,
    sniffed,
    { start: 0, end: size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [] }),
      onRow: () => {},
      onEvent: (e) => onEvent(e),
    },
  );
  return {
    format: sniffed.format,
    records: stats.records,
    damage: stats.damage,
    badRows: stats.badRows,
    notes: stats.notes ?? [],
  };
}
