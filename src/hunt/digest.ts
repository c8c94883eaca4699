// What a file's read comes to, made as soon as its tasks are answered: the few facts the server's
// result needs (coverage, accounting, exposure headers, damage) and its drafts, so that the task
// results themselves (stats, file kinds, preambles) are freed while the scan goes on. Folding the
// digests into the server's result happens later, in plan order (engine.ts), so that which drafts a
// check's cap keeps and which spelling names a source do not depend on which thread finished first.
import type { ContentType } from "../evidence/content-type.js";
import type { FindingDraft } from "../model/finding.js";
import type { LogKind } from "../model/records.js";
import type { Skipped } from "../model/types.js";
import { readerFor } from "../readers/index.js";
import type { CandidateOutcome } from "./accounting.js";
import type { ChannelSpan, TaskResult } from "./task.js";

export interface FileOutcome {
  kind: LogKind | "event";
  oldest: string | null;
  newest: string | null;
  records: number;
  badRows: number;
  /** Event files: the channels in it (an export may hold several), each its own coverage source. */
  channels: readonly ChannelSpan[];
  /** What the file's rows name as their source (HttpProxy protocol, IIS site), or null. */
  hint: string | null;
}

/**
 * One object per file, kept to the end of the scan (200,000 files: 200,000 of them): what the file
 * accounting needs (CandidateOutcome), and for a log what coverage needs (FileOutcome).
 */
export interface FileDigest extends CandidateOutcome, FileOutcome {
  /** False: not a log (a skip, if it could not be read as one, is `skip`); the FileOutcome fields are empty. */
  isLog: boolean;
  /** Line numbers already counted from the start of the file; not yet capped per check. */
  drafts: readonly FindingDraft[];
  omitted: Record<string, number> | null;
  /** Why the file was not read, or read only in part. */
  skip: Skipped | null;
  collected: Record<string, unknown[]> | null;
  collectedDropped: Record<string, number> | null;
  /** The Exchange version a log header names. */
  headerVersion: string | null;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Strings kept in a digest are made the digest's own. A string a reader cut out of a file's text may
 * be a slice that keeps the whole text alive, or a chain of concatenated pieces (a time stamp built from
 * its fields took about 130 bytes more than its flat copy); 200,000 files' worth is held to the end.
 * Strings shorter than 13 characters are always flat copies in V8.
 */
function own(s: string): string;
function own(s: string | null): string | null;
function own(s: string | null): string | null {
  return s === null || s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * What many files repeat (channels, site names, formats, why a file is not a log and what it looked
 * like), kept once per scan: from a worker, each file's copy is a string of its own.
 */
export interface Interner {
  text(s: string): string;
  type(t: ContentType): ContentType;
}

export function interner(): Interner {
  const texts = new Map<string, string>();
  const types = new Map<string, ContentType>();
  const text = (s: string) => {
    const known = texts.get(s);
    if (known !== undefined) return known;
    const mine = own(s);
    texts.set(mine, mine);
    return mine;
  };
  return {
    text,
    type(t) {
      const key = JSON.stringify([t.type, t.detail ?? null, t.eventLike ?? null]);
      const known = types.get(key);
      if (known) return known;
      const mine: ContentType = { ...t, type: text(t.type) };
      if (t.detail !== undefined) mine.detail = text(t.detail);
      types.set(key, mine);
      return mine;
    },
  };
}

/** Digest a file (`rel`) whose tasks are all answered, from their results in file order. */
export function digestFile(rel: string, results: readonly TaskResult[], intern: Interner): FileDigest {
  const shared = intern.text;
  const first = results[0];
  const format = first?.fileKind?.format ?? null;
  const notLog = first?.notLog ?? null;
  const digest: FileDigest = {
    path: rel,
    reader: notLog || format === null ? null : (readerFor(format)?.format ?? shared(format)),
    records: 0,
    notes: NONE,
    recoveredDuplicates: undefined,
    type: notLog?.type ? intern.type(notLog.type) : undefined,
    isLog: !notLog,
    kind: shared(first?.fileKind?.kind ?? "exchange-other") as FileOutcome["kind"],
    oldest: null,
    newest: null,
    badRows: 0,
    channels: NONE,
    hint: null,
    drafts: NONE,
    omitted: null,
    skip: null,
    collected: null,
    collectedDropped: null,
    headerVersion: null,
  };
  if (notLog) {
    const skip = "skip" in notLog ? notLog.skip : null;
    if (skip) digest.skip = { file: rel, reason: skip.reason, detail: shared(skip.detail) };
    return digest;
  }
  const pre = first?.fileKind?.preamble;
  if (pre?.version && /exchange/i.test(pre.software ?? "")) digest.headerVersion = own(pre.version);
  let lineOffset = 0;
  const samples: string[] = [];
  const damage: string[] = [];
  const drafts: FindingDraft[] = [];
  const notes: string[] = [];
  const channels = new Map<string, ChannelSpan>();
  let error: string | null = null;
  for (const r of results) {
    for (const [c, items] of Object.entries(r.collected ?? {})) {
      digest.collected ??= {};
      const list = digest.collected[c] ?? [];
      digest.collected[c] = list;
      for (const x of items) list.push(x);
    }
    for (const [c, n] of Object.entries(r.collectedDropped ?? {})) {
      digest.collectedDropped ??= {};
      digest.collectedDropped[c] = (digest.collectedDropped[c] ?? 0) + n;
    }
    for (const d of r.drafts)
      drafts.push(d.line != null && d.file === rel ? { ...d, line: d.line + lineOffset } : d);
    for (const [c, n] of Object.entries(r.omitted)) {
      digest.omitted ??= {};
      digest.omitted[c] = (digest.omitted[c] ?? 0) + n;
    }
    if (r.error) error = r.error;
    // The same channel from several byte ranges of one file is one span.
    for (const c of r.channels ?? []) {
      const m = channels.get(c.channel);
      if (!m) {
        channels.set(c.channel, {
          channel: shared(c.channel),
          records: c.records,
          oldest: own(c.oldest),
          newest: own(c.newest),
        });
        continue;
      }
      m.records += c.records;
      if (c.oldest && (m.oldest === null || c.oldest < m.oldest)) m.oldest = own(c.oldest);
      if (c.newest && (m.newest === null || c.newest > m.newest)) m.newest = own(c.newest);
    }
    const s = r.stats;
    if (!s) continue;
    digest.kind = shared(s.kind) as FileOutcome["kind"];
    digest.hint ??= s.sourceHint ? shared(s.sourceHint) : null;
    digest.records += s.records;
    digest.badRows += s.badRows;
    if (s.recoveredDuplicates)
      digest.recoveredDuplicates = (digest.recoveredDuplicates ?? 0) + s.recoveredDuplicates;
    for (const n of s.notes ?? []) notes.push(n);
    for (const b of s.badSamples)
      if (samples.length < 5) samples.push(`line ${b.line + lineOffset}: ${b.reason}`);
    for (const d of s.damage) damage.push(d);
    if (s.firstTime && (digest.oldest === null || s.firstTime < digest.oldest))
      digest.oldest = own(s.firstTime);
    if (s.lastTime && (digest.newest === null || s.lastTime > digest.newest)) digest.newest = own(s.lastTime);
    lineOffset += s.lines;
  }
  if (drafts.length) digest.drafts = drafts;
  if (channels.size) digest.channels = [...channels.values()];
  if (notes.length) digest.notes = sumCounts(notes);
  if (error) digest.skip = { file: rel, reason: "corrupt", detail: `reading stopped: ${error}` };
  else if (digest.badRows > 0 || damage.length > 0) {
    const parts = results.length > 1 ? sumCounts(damage) : damage;
    if (digest.badRows > 0)
      parts.push(
        `${digest.badRows} row${digest.badRows === 1 ? "" : "s"} not read as expected (${samples.join("; ")})`,
      );
    digest.skip = { file: rel, reason: "partial", detail: parts.join("; ") };
  }
  return digest;
}

/**
 * Damage of a file read in several ranges: each range reports its own counts ("3 records not decoded");
 * lines that differ only in the count are summed into one, at the place of the first; a sentence
 * repeated word for word is kept once.
 */
export function sumCounts(lines: string[]): string[] {
  const COUNT = /^(\d+) (\w+?)(s?)( .*)$/;
  const out: (string | { n: number; word: string; rest: string })[] = [];
  const byKey = new Map<string, { n: number; word: string; rest: string }>();
  for (const l of lines) {
    const m = COUNT.exec(l);
    if (!m) {
      if (!out.includes(l)) out.push(l); // the same sentence from several ranges once
      continue;
    }
    const key = `${m[2]}${m[4]}`;
    const e = byKey.get(key);
    if (e) e.n += Number(m[1]);
    else {
      const entry = { n: Number(m[1]), word: m[2], rest: m[4] };
      byKey.set(key, entry);
      out.push(entry);
    }
  }
  return out.map((x) => (typeof x === "string" ? x : `${x.n} ${x.word}${x.n === 1 ? "" : "s"}${x.rest}`));
}

const UNKNOWN_CHANNEL = "(unknown channel)";

/** The coverage spans of a file: one for a log, one per channel for an event file (bytes shared out by records). */
export function spansOf(
  o: FileOutcome,
  size: number,
): { channel?: string; oldest: string | null; newest: string | null; bytes: number; records: number }[] {
  if (o.kind !== "event") return [{ oldest: o.oldest, newest: o.newest, bytes: size, records: o.records }];
  const by = new Map<string, ChannelSpan>();
  for (const c of o.channels) by.set(c.channel, { ...c });
  if (by.size === 0) return [{ channel: "(no events)", oldest: null, newest: null, bytes: size, records: 0 }];
  // Records without a channel (a half-written record of a cut-off file) belong to the file's channel:
  // one file is one source, not two.
  const unknown = by.get(UNKNOWN_CHANNEL);
  if (unknown && by.size > 1) {
    by.delete(UNKNOWN_CHANNEL);
    const main = [...by.values()].sort((a, b) => b.records - a.records)[0];
    main.records += unknown.records;
    if (unknown.oldest && (main.oldest === null || unknown.oldest < main.oldest))
      main.oldest = unknown.oldest;
    if (unknown.newest && (main.newest === null || unknown.newest > main.newest))
      main.newest = unknown.newest;
  }
  const total = o.records || 1;
  return [...by.values()].map((c) => ({
    channel: c.channel,
    oldest: c.oldest,
    newest: c.newest,
    bytes: Math.round((size * c.records) / total),
    records: c.records,
  }));
}
