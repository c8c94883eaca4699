// What the event-export readers share: their stats, bad-row samples, text encodings and limits.
import type { EventRecord } from "../../model/records.js";
import type { BadRow } from "../delimited.js";
import type { ReadHandlers, ReadStats } from "../types.js";

export const CHUNK = 1024 * 1024;
/** A JSON line or XML event longer than this is not an event (bounded memory on hostile input). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;
export const MAX_SAMPLES = 20;

export function newStats(): ReadStats {
  return {
    kind: "event",
    records: 0,
    lines: 0,
    badRows: 0,
    badSamples: [],
    firstTime: null,
    lastTime: null,
    bytes: 0,
    lastHeader: null,
    usedInheritedHeader: false,
    damage: [],
  };
}

export function bad(stats: ReadStats, line: number, reason: string): void {
  stats.badRows++;
  if (stats.badSamples.length < MAX_SAMPLES) stats.badSamples.push({ line, reason } satisfies BadRow);
}

export function emit(stats: ReadStats, h: ReadHandlers, rec: EventRecord, line: number): void {
  stats.records++;
  if (rec.values.length === 0 && !rec.message) stats.bareEvents = (stats.bareEvents ?? 0) + 1;
  // Exports are not always in time order (wevtutil /rd:true, SIEM queries): keep the extremes.
  if (rec.time) {
    if (stats.firstTime === null || rec.time < stats.firstTime) stats.firstTime = rec.time;
    if (stats.lastTime === null || rec.time > stats.lastTime) stats.lastTime = rec.time;
  }
  h.onEvent(rec, line);
}

/**
 * Facts about a read file (not damage), after what is there; and, when not one of its events came
 * with a parameter or a message, that too: a format whose parameters sit where no field map reads them
 * would otherwise give events the detections cannot judge, and nobody would know.
 */
export function addNotes(stats: ReadStats, notes: string[]): void {
  const all = [...notes];
  const n = stats.bareEvents ?? 0;
  if (n > 0 && n === stats.records && !stats.notes?.some((x) => x.startsWith("none of the")))
    all.push(
      `none of the ${n} event${n === 1 ? "" : "s"} came with a parameter or a message: either the events have none, or this export keeps them where no field map reads them`,
    );
  if (all.length) stats.notes = [...(stats.notes ?? []), ...all];
}

export function errorText(e: unknown): string {
  return (e as Error).message.split("\n")[0].slice(0, 200);
}

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";

export function encodingOf(head: Buffer): TextEncoding {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return "utf-16le";
  if (head.length >= 2 && head[0] === 0 && head[1] !== 0) return "utf-16be";
  return "utf-8";
}

const REPLACEMENT = {
  "utf-8": Buffer.from("\ufffd", "utf8"),
  "utf-16le": Buffer.from([0xfd, 0xff]),
  "utf-16be": Buffer.from([0xff, 0xfd]),
};

function occurrences(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let p = hay.indexOf(needle); p >= 0; p = hay.indexOf(needle, p + needle.length)) n++;
  return n;
}

/** U+FFFD characters in `text` that `bytes` did not hold literally: sequences invalid in `enc`. */
export function invalidSequences(bytes: Buffer, text: string, enc: TextEncoding): number {
  if (!text.includes("\ufffd")) return 0;
  let n = 0;
  for (let p = text.indexOf("\ufffd"); p >= 0; p = text.indexOf("\ufffd", p + 1)) n++;
  return Math.max(0, n - occurrences(bytes, REPLACEMENT[enc]));
}

/** A streaming decoder that counts what was not valid in the file's encoding (replaced by U+FFFD). */
export class TextIn {
  readonly enc: TextEncoding;
  invalid = 0;
  private readonly d: InstanceType<typeof TextDecoder>;
  constructor(enc: TextEncoding) {
    this.enc = enc;
    this.d = new TextDecoder(enc);
  }
  decode(bytes?: Buffer): string {
    const t = bytes ? this.d.decode(bytes, { stream: true }) : this.d.decode();
    this.invalid += invalidSequences(bytes ?? Buffer.alloc(0), t, this.enc);
    return t;
  }
}

/** Text that was not valid in its encoding alters the values holding it: the file is partly read. */
export function addInvalidText(stats: ReadStats, invalid: number, enc: TextEncoding): void {
  if (invalid > 0)
    stats.damage.push(
      `${invalid} byte sequence${invalid === 1 ? "" : "s"} not valid ${enc.toUpperCase()} (a file in a legacy code page such as Windows-1252?): read as U+FFFD, the values holding ${invalid === 1 ? "it" : "them"} are altered`,
    );
}
