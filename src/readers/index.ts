// The one table of readers. Sniffing asks each in order; the first that recognises the head wins.
import { eventClixmlReader } from "./event-clixml.js";
import { eventCsvReader } from "./event-csv.js";
import { eventJsonReader, eventXmlReader } from "./event-export.js";
import { eventYamlReader } from "./event-yaml.js";
import { evtxReader } from "./evtx/index.js";
import { exchangeLogReader } from "./exchange-log.js";
import { iisW3cReader } from "./iis-w3c.js";
import type { Reader, Sniffed } from "./types.js";

export const readers: Reader[] = [
  exchangeLogReader,
  iisW3cReader,
  evtxReader,
  eventJsonReader,
  eventClixmlReader,
  eventXmlReader,
  eventYamlReader,
  eventCsvReader,
];

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
