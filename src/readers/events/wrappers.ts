// Exported documents to events, wrappers included: tool output that wraps the events it matched
// (Chainsaw's hunt detections; EVENT_WRAPPERS in maps.ts) gives up each wrapped event, which the map that
// knows it reads as if it stood alone. One reader per file: it keeps the file's format as a hint and,
// because such tools write an event again for every rule that matched it, reads a repeated wrapped
// event once and counts the repeats.
import { createHash } from "node:crypto";
import type { EventRecord } from "../../model/records.js";
import { mapFor, readDocument } from "./apply.js";
import type { TimeInfo } from "./clock.js";
import {
  type CompiledPath,
  compilePath,
  field,
  isObj,
  type Json,
  lookup,
  makeLookup,
  str,
} from "./fields.js";
import { EVENT_WRAPPERS, type EventFieldMap, type EventWrapper } from "./maps.js";

/** Every path of the wrappers cut into segments once (the wrappers are constant data). */
const PATHS: ReadonlyMap<string, CompiledPath> = new Map(
  EVENT_WRAPPERS.flatMap((w) => [...w.when, w.items, w.event ?? "", w.source ?? "", w.kinds?.field ?? ""])
    .filter((p) => p !== "")
    .map((p) => [p, compilePath(p)]),
);
const P = (p: string): CompiledPath => PATHS.get(p) ?? compilePath(p);

function wraps(w: EventWrapper, obj: unknown): boolean {
  if (!isObj(obj)) return false;
  const L = makeLookup();
  return w.when.every((p) => lookup(L, obj, P(p)) !== undefined);
}

/** The wrapper that applies to a document no map knows, or null. */
export function wrapperFor(obj: unknown): EventWrapper | null {
  return EVENT_WRAPPERS.find((w) => wraps(w, obj)) ?? null;
}

interface Item {
  event: Json | undefined;
  source: string;
  /** The artefact kind of an item that holds no event (the wrapper's `kinds`), else null. */
  other: string | null;
}

/** The wrapped items of a document: each event, the file it came from, or what else it holds. */
function wrapped(w: EventWrapper, obj: unknown): Item[] {
  if (!isObj(obj)) return [];
  const at = field(makeLookup(), obj, P(w.items));
  const items = Array.isArray(at) ? at : at === undefined ? [] : [at];
  return items.map((item) => {
    if (!w.event) return { event: item, source: "", other: null };
    if (!isObj(item)) return { event: undefined, source: "", other: null };
    const L = makeLookup();
    const kind = w.kinds ? str(field(L, item, P(w.kinds.field))).toLowerCase() : "";
    const other = w.kinds?.others.includes(kind) ? kind : null;
    return {
      event: field(L, item, P(w.event)),
      source: w.source ? str(field(L, item, P(w.source))) : "",
      other,
    };
  });
}

/** Whether a document is an event some map knows, or wraps at least one. */
export function knownDocument(obj: unknown): boolean {
  if (mapFor(obj) !== null) return true;
  const w = wrapperFor(obj);
  // A hunt whose first hit is on another artefact (an MFT entry) is still that tool's output.
  return w !== null && wrapped(w, obj).some((x) => x.other !== null || mapFor(x.event) !== null);
}

export interface DocumentEvent {
  /** The event, or why the document (or a wrapped item) is not one. */
  rec: EventRecord | string;
  time: TimeInfo;
}

/** The documents of one file, in order, to events. */
export class DocumentReader {
  private hint: EventFieldMap | null = null;
  private wrapper: EventWrapper | null = null;
  private readonly seen = new Set<string>();
  private repeats = 0;
  /** Items of other artefact kinds, per kind. */
  private readonly others = new Map<string, number>();

  /** The events of one document: one for an event, one per wrapped event (repeats left out). */
  read(obj: unknown): DocumentEvent[] {
    if (!(this.wrapper && wraps(this.wrapper, obj))) {
      const one = readDocument(obj, this.hint);
      if (one.map) {
        this.hint = one.map;
        return [one];
      }
      const w = wrapperFor(obj);
      if (!w) return [one];
      this.wrapper = w;
    }
    const w = this.wrapper;
    const out: DocumentEvent[] = [];
    for (const { event, source, other } of wrapped(w, obj)) {
      if (other !== null) {
        this.others.set(other, (this.others.get(other) ?? 0) + 1);
        continue;
      }
      if (event === undefined) {
        out.push({ rec: `${w.title}: an item without its event`, time: { basis: "none" } });
        continue;
      }
      // 96 bits of the hash: ~50 bytes per wrapped event held, no collision in any real file.
      const key = createHash("sha1")
        .update(source)
        .update("\0")
        .update(JSON.stringify(event))
        .digest("base64")
        .slice(0, 16);
      if (this.seen.has(key)) {
        this.repeats++;
        continue;
      }
      this.seen.add(key);
      const r = readDocument(event, this.hint);
      if (r.map) this.hint = r.map;
      out.push({ rec: typeof r.rec === "string" ? `${w.title}: ${r.rec}` : r.rec, time: r.time });
    }
    return out;
  }

  /** What the file's notes say about its wrapped events. */
  notes(): string[] {
    const w = this.wrapper;
    if (!w) return [];
    const out: string[] = [];
    if (this.repeats > 0) {
      const n = this.repeats;
      out.push(
        `${n} repeated event${n === 1 ? "" : "s"} in the ${w.title} output (the tool writes an event once per rule that matched it): read once`,
      );
    }
    if (this.others.size > 0) {
      const parts = [...this.others].sort().map(([k, n]) => `${n} ${k}`);
      out.push(`${w.title}: hits on other artefacts, not events, not read (${parts.join(", ")})`);
    }
    return out;
  }
}
