// The one table of readers. Sniffing asks each in order; the first that recognises the head wins.
import { eventJsonReader, eventXmlReader } from "./event-export.js";
import { evtxReader } from "./evtx/index.js";
import { exchangeLogReader } from "./exchange-log.js";
import type { Reader, Sniffed } from "./types.js";

export const readers: Reader[] = [exchangeLogReader, evtxReader, eventJsonReader, eventXmlReader];

export function readerFor(format: string): Reader | undefined {
  return readers.find((r) => r.format === format);
}

export function sniff(head: Buffer, name: string): Sniffed | null {
  for (const r of readers) {
    const s = r.sniff(head, name);
    if (s) return s;
  }
  return null;
}
