// Recovered copies of live records. A carved record whose id, channel, time and content equal a record
// the file still counts (an old copy left in another chunk's slack, a chunk duplicated past the
// header's count) is the same event: it is emitted once, as the live record, and counted as a
// recovered duplicate. Same id with other content (a log cleared and refilled reuses ids) is a
// different event and stays recovered.
//
// Cheap by design: the live id span of every counted chunk comes from its 128-byte header; only a
// carved record whose id falls in another live chunk's span waits for the end of the range, when that
// chunk is read again and the record compared by content. Most carved records never wait.

/** The record ids a counted chunk holds, from its header (first and last record id). */
export interface LiveSpan {
  slot: number;
  first: number;
  last: number;
}

/** What the dedupe needs of a decoded record: its comparable content (id, channel, time, data…). */
export type ContentKey<R> = (r: R) => string;

interface Waiting<R> {
  r: R;
  id: number;
  key: string;
  slots: number[];
}

export interface RecoveredDedupe<R> {
  /** A carved record from slot `slot`: emitted now, held back until `finish`, or dropped as a copy. */
  offer(r: R, id: number, slot: number): void;
  /**
   * Compare the held-back records with the live records of the chunks that may hold them; `liveKeys`
   * decodes one chunk slot and gives the keys of its live records among `ids`. Returns the copies dropped.
   */
  finish(liveKeys: (slot: number, ids: Set<number>) => Set<string>): number;
}

export function recoveredDedupe<R>(
  /** Called once, at the first carved record: files without any pay nothing. */
  liveSpans: () => LiveSpan[],
  key: ContentKey<R>,
  emit: (r: R, id: number) => void,
): RecoveredDedupe<R> {
  // Carved copies of each other (the same old record in two slack areas) are one record too.
  const seen = new Set<string>();
  const waiting: Waiting<R>[] = [];
  let dropped = 0;
  let spans: LiveSpan[] | null = null;
  return {
    offer(r, id, slot) {
      // Keys are short (record id and time, about 40 characters): kept as they are, no digest.
      const k = key(r);
      if (seen.has(k)) {
        dropped++;
        return;
      }
      seen.add(k);
      spans ??= liveSpans();
      const slots = spans.filter((s) => s.slot !== slot && s.first <= id && id <= s.last).map((s) => s.slot);
      if (slots.length === 0) emit(r, id);
      else waiting.push({ r, id, key: k, slots });
    },
    finish(liveKeys) {
      const bySlot = new Map<number, Set<number>>();
      for (const w of waiting)
        for (const s of w.slots) {
          const ids = bySlot.get(s) ?? new Set<number>();
          ids.add(w.id);
          bySlot.set(s, ids);
        }
      const live = new Set<string>();
      for (const [slot, ids] of bySlot) for (const k of liveKeys(slot, ids)) live.add(k);
      for (const w of waiting) {
        if (live.has(w.key)) dropped++;
        else emit(w.r, w.id);
      }
      waiting.length = 0;
      return dropped;
    },
  };
}
