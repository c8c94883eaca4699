// One unit of reading work: a file or a byte range of one, recognised by its first bytes, read by its
// reader, every record offered to the detections that asked for it. Runs the same in a worker thread
// or inline, and never throws: problems come back in the result.
import { closeSync, openSync, readSync } from "node:fs";
import type { HuntContext } from "../detections/context.js";
import { failedDetectionDraft } from "../detections/registry.js";
import {
  type Drafts,
  draftsOf,
  type EventMemory,
  type FindingDraft,
  type MatchContext,
  type TaskContext,
} from "../detections/types.js";
import { classifyHead, HEAD_BYTES } from "../evidence/classify.js";
import type { ContentType } from "../evidence/content-type.js";
import { withExportHint } from "../evidence/eventlog.js";
import type { Subject } from "../model/finding.js";
import type { EventRecord, LogKind, LogRow } from "../model/records.js";
import type { Skipped } from "../model/types.js";
import { type LiteralPlan, makeHeader, type Preamble } from "../readers/delimited.js";
import { FIELD_MAPS, httpRequestSubject } from "../readers/fields.js";
import { readerFor } from "../readers/index.js";
import { ENCODED_LITERAL, encodedVariant } from "../readers/prefilter.js";
import type { ReadStats, RowPrefilter, Sniffed } from "../readers/types.js";
import { type LiteralGuard, MAX_LITERALS } from "../readers/wasm/multi.js";
import { checkCap } from "./cap.js";
import { coverLiterals } from "./literal-cover.js";

/** What sniffing found, in a form that crosses thread boundaries. */
export interface FileKind {
  format: string;
  kind: LogKind | "event";
  preamble: Preamble | null;
  headerFields: string[] | null;
}

export interface ReadTask {
  id: number;
  abs: string;
  rel: string;
  size: number;
  /** Null: the task reads the file's first bytes and decides (whole-file tasks). */
  fileKind: FileKind | null;
  start: number;
  end: number;
  /** Header in effect at `start` when it is not the file's first byte. */
  rangeHeaderFields: string[] | null;
  ctx: TaskContext;
  /** Drafts kept per check; more are counted, not kept (memory stays bounded under log floods). */
  maxDraftsPerCheck: number;
}

export interface TaskResult {
  id: number;
  fileKind: FileKind | null;
  /** Set when the file is not a log after all (`other`) or cannot be read as one (`skip`); `type` is what it looked like. */
  notLog: { skip: Skipped; type?: ContentType } | { other: true; type?: ContentType } | null;
  drafts: FindingDraft[];
  omitted: Record<string, number>;
  stats: (Omit<ReadStats, "lastHeader"> & { lastHeaderFields: string[] | null }) | null;
  /** Set when reading stopped early: the file is reported as skipped with this message. */
  error: string | null;
  /** Event files: the channels seen, with their record counts and time spans (for coverage). */
  channels: ChannelSpan[];
  /** What detections handed on to the findings detections (MatchContext.collect), by channel. */
  collected?: Record<string, unknown[]>;
  /** Items over MAX_COLLECTED, counted by channel. */
  collectedDropped?: Record<string, number>;
}

export interface ChannelSpan {
  channel: string;
  records: number;
  oldest: string | null;
  newest: string | null;
}

/** Failed-detection findings kept per task: one bug on every row must not flood the result. */
const MAX_FAILURES = 10;

/** Collected items kept per task and channel (small records: memory stays bounded under floods). */
const MAX_COLLECTED = 100_000;

/** Channels per file are few; a hostile export with thousands is capped, the rest counted under "(other)". */
const MAX_CHANNELS = 64;

function noteChannel(spans: ChannelSpan[], event: EventRecord): void {
  let name = event.channel || "(unknown channel)";
  let span = spans.find((s) => s.channel === name);
  if (!span && spans.length >= MAX_CHANNELS) {
    name = "(other channels)";
    span = spans.find((s) => s.channel === name);
  }
  if (!span) {
    span = { channel: name, records: 0, oldest: null, newest: null };
    spans.push(span);
  }
  span.records++;
  const t = event.time;
  if (t) {
    if (span.oldest === null || t < span.oldest) span.oldest = t;
    if (span.newest === null || t > span.newest) span.newest = t;
  }
}

/** Which literal wakes which row detection, for one kind of log (once per scan: field filters depend on its feeds). */
export function planFor(kind: LogKind, hunt: HuntContext): LiteralPlan {
  return hunt.memo(`literal-plan:${kind}`, () => makePlan(kind, hunt));
}

/** The plan entry of ENCODED_LITERAL (its own key: no detection's plain literal shares its prefilters). */
const ENCODED_KEY = "\u0001encoded";

function makePlan(kind: LogKind, hunt: HuntContext): LiteralPlan {
  const rowDetections = hunt.ofType("row");
  // One entry per literal and guard: detections sharing a literal share its search.
  const byLiteral = new Map<
    string,
    {
      literal: string;
      fold: boolean;
      guard?: LiteralGuard;
      consumers: number[];
      prefilter: (RowPrefilter | undefined)[];
    }
  >();
  const everyRow: number[] = [];
  rowDetections.forEach((d, i) => {
    if (!d.kinds.includes(kind)) return;
    if (d.literals === null) {
      everyRow.push(i);
      return;
    }
    const g = d.literalGuard;
    const guard = g
      ? { need: g.need.charCodeAt(0), stops: [...g.stops].map((c) => c.charCodeAt(0)) }
      : undefined;
    const fold = d.ignoreCase === true;
    for (const l0 of d.literals) {
      const l = fold ? l0.toLowerCase() : l0;
      const key = `${l}\u0000${fold ? "i" : ""}${g ? `\u0000${g.need}\u0000${g.stops}` : ""}`;
      const e = byLiteral.get(key) ?? { literal: l, fold, guard, consumers: [], prefilter: [] };
      e.consumers.push(i);
      e.prefilter.push(d.prefilter);
      byLiteral.set(key, e);
    }
    // Encoded forms of the literals: one shared `%` entry, each consumer with its decoded prefilter.
    if (d.prefilter?.encoded && d.literals.length > 0) {
      const e = byLiteral.get(ENCODED_KEY) ?? {
        literal: ENCODED_LITERAL,
        fold: false,
        consumers: [],
        prefilter: [],
      };
      e.consumers.push(i);
      e.prefilter.push(encodedVariant(d.literals, d.prefilter));
      byLiteral.set(ENCODED_KEY, e);
    }
  });
  const plan: LiteralPlan = {
    literals: [...byLiteral.values()].map(({ literal, fold, guard, consumers, prefilter }) => ({
      bytes: Buffer.from(literal, "utf8"),
      fold,
      guard,
      consumers,
      prefilter,
    })),
    fields: [],
    everyRow,
  };
  const fields = rowDetections.flatMap((d, i) => {
    const f = d.kinds.includes(kind) && d.field ? d.field(kind, hunt) : null;
    return f ? [{ f, i }] : [];
  });
  // Gate literals share the one-pass search with the detections' own: pieces of them when they do not
  // all fit (literal-cover.ts: a looser gate, never a missed row); no gates when even that fails, and
  // then a gated column is read on every row (e.g. thousands of --ioc addresses).
  const wanted = fields.flatMap(({ f }) => (f.literals ?? []).map((l) => l.toLowerCase()));
  // A detection's own literal of either case and without a guard already records every occurrence
  // (prefilters act on consumers, not on the hit): a gate literal equal to one reads that hit instead
  // of searching the same bytes twice, and takes no room in the search.
  const at = new Map<string, number>();
  plan.literals.forEach((x, k) => {
    const l = x.bytes.toString("utf8");
    if (x.fold && !x.guard && wanted.includes(l) && !at.has(l)) at.set(l, k);
  });
  const fresh = [...new Set(wanted.filter((l) => !at.has(l)))];
  const budget = MAX_LITERALS - plan.literals.length;
  // The detections' own literals of either case and without a guard may also stand for a gate literal
  // that contains them (their hits are recorded anyway): a cover may name them at no cost.
  const free = new Map<string, number>();
  plan.literals.forEach((x, k) => {
    const l = x.bytes.toString("utf8");
    if (x.fold && !x.guard && !free.has(l)) free.set(l, k);
  });
  const cover =
    fresh.length <= Math.max(budget, 0)
      ? fresh
      : budget <= 0
        ? null
        : coverLiterals(fresh, budget, [...free.keys()]);
  if (cover === null) at.clear();
  for (const l of cover ?? []) {
    if (at.has(l)) continue;
    const k = free.get(l);
    if (k !== undefined) {
      at.set(l, k);
      continue;
    }
    at.set(l, plan.literals.length);
    plan.literals.push({ bytes: Buffer.from(l, "utf8"), fold: true, consumers: [] });
  }
  for (const { f, i } of fields) {
    // Every cover literal that is a piece of one of the field's literals opens its gate.
    const own = f.literals?.map((l) => l.toLowerCase());
    const gate =
      own && cover ? [...at].filter(([c]) => own.some((l) => l.includes(c))).map(([, k]) => k) : undefined;
    // Every column the kind's field map names for it: a prefilter may look at more, never fewer.
    for (const name of FIELD_MAPS[kind]?.[f.field] ?? [])
      plan.fields.push({ name, accept: f.accept, consumers: [i], gate, line: f.line });
  }
  return plan;
}

/** The subject of a finding made from a log row: an HTTP request, or a line of another log. */
function rowSubject(row: LogRow): Subject {
  return row.family === "http-request" ? httpRequestSubject(row) : { kind: "log-line", logKind: row.kind };
}

function eventSubject(e: EventRecord): Subject {
  return {
    kind: "event",
    channel: e.channel,
    provider: e.provider,
    eventId: e.eventId,
    recordId: e.recordId,
    computer: e.computer,
  };
}

export function toFileKind(s: Sniffed): FileKind {
  return { format: s.format, kind: s.kind, preamble: s.preamble, headerFields: s.header?.fields ?? null };
}

/** Read the first bytes of a file (for sniffing). */
export function readHead(abs: string, size: number): Buffer {
  const fd = openSync(abs, "r");
  try {
    // From Node's shared pool for small heads (one allocation per file less for the GC to track); only
    // the bytes read are handed on, so the pool's other contents are never seen.
    const buf = Buffer.allocUnsafe(Math.min(size, HEAD_BYTES));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Sniff a file: its kind, or why it is not a log we read. */
export function sniffFile(
  abs: string,
  rel: string,
  size: number,
): { fileKind: FileKind; sniffed: Sniffed; head: Buffer } | { notLog: NonNullable<TaskResult["notLog"]> } {
  let head: Buffer;
  try {
    head = size === 0 ? Buffer.alloc(0) : readHead(abs, size);
  } catch (e) {
    return {
      notLog: {
        skip: { file: rel, reason: "unreadable", detail: withExportHint(rel, (e as Error).message) },
      },
    };
  }
  const c = classifyHead({ path: rel, size }, head);
  if ("sniffed" in c) return { fileKind: toFileKind(c.sniffed), sniffed: c.sniffed, head };
  return { notLog: c };
}

/** Detection i's memory of this task, made when it is first asked for. */
function memoryOf(memories: (EventMemory | undefined)[], i: number): EventMemory {
  let m = memories[i];
  if (!m) {
    m = new Map();
    memories[i] = m;
  }
  return m;
}

/** Whether a task reads its file from the first byte to the last (not one byte range of it). */
function isWhole(t: ReadTask): boolean {
  return t.start === 0 && t.end === t.size;
}

/** A task's result before anything is read (and what a crashed reader's task answers, with `error`). */
export function blankResult(id: number, fileKind: FileKind | null, error: string | null = null): TaskResult {
  return { id, fileKind, notLog: null, drafts: [], omitted: {}, stats: null, error, channels: [] };
}

export function runTask(task: ReadTask, hunt: HuntContext): TaskResult {
  const result = blankResult(task.id, task.fileKind);
  let sniffed: Sniffed | null = null;
  // A file no larger than the sniffed head was read whole: it is scanned from those bytes.
  let bytes: Buffer | undefined;
  if (!result.fileKind) {
    const s = sniffFile(task.abs, task.rel, task.size);
    if ("notLog" in s) {
      result.notLog = s.notLog;
      return result;
    }
    result.fileKind = s.fileKind;
    sniffed = s.sniffed;
    if (isWhole(task) && s.head.length === task.size) bytes = s.head;
  }
  const fk = result.fileKind;
  const underCap = checkCap(task.maxDraftsPerCheck, result.omitted);
  const ctx: MatchContext = {
    ...task.ctx,
    hunt,
    collect(channel, item) {
      const got = result.collected ?? {};
      result.collected = got;
      const list = got[channel] ?? [];
      got[channel] = list;
      if (list.length < MAX_COLLECTED) list.push(item);
      else {
        const dropped = result.collectedDropped ?? {};
        result.collectedDropped = dropped;
        dropped[channel] = (dropped[channel] ?? 0) + 1;
      }
    },
  };
  let failures = 0;
  const keep = (
    drafts: Drafts,
    line: number | null,
    about: () => Pick<FindingDraft, "subject" | "record" | "excerpt">,
  ) => {
    for (const d of draftsOf(drafts)) {
      if (!underCap(d.check)) continue;
      result.drafts.push({
        ...about(),
        ...d,
        file: d.file === undefined ? task.rel : d.file,
        line: d.line === undefined ? line : d.line,
      });
    }
  };
  const guard = (
    id: string,
    f: () => Drafts,
    line: number | null,
    about: () => Pick<FindingDraft, "subject" | "record" | "excerpt">,
  ) => {
    try {
      keep(f(), line, about);
    } catch (e) {
      // A bug in a detection, never the evidence's fault: a visible finding, and the scan goes on.
      if (failures++ < MAX_FAILURES) result.drafts.push(failedDetectionDraft(id, e, task.rel, line));
    }
  };
  const rowDetections = hunt.ofType("row");
  const eventDetections = hunt.ofType("event");
  // A detection's memory is made when it first sees a record of this task: most see none of a small
  // file's, and thousands of small files made tens of empty maps each.
  const eventMemory: (EventMemory | undefined)[] = [];
  const rowMemory: (EventMemory | undefined)[] = [];
  const reader = readerFor(fk.format);
  if (!reader) {
    result.error = `no reader for format ${fk.format}`;
    return result;
  }
  try {
    const stats = reader.read(
      task.abs,
      task.size,
      sniffed ?? {
        format: fk.format,
        kind: fk.kind,
        preamble: fk.preamble,
        header: fk.headerFields ? makeHeader(fk.headerFields) : null,
      },
      {
        start: task.start,
        end: task.end,
        header: task.rangeHeaderFields ? makeHeader(task.rangeHeaderFields) : null,
        bytes,
        memo: hunt.fileMemo,
      },
      {
        planFor: (kind) => planFor(kind, hunt),
        onRow(row, consumers) {
          const about = () => ({ subject: rowSubject(row), excerpt: row.text() });
          for (const i of consumers) {
            const d = rowDetections[i];
            guard(d.id, () => d.match(row, ctx, memoryOf(rowMemory, i)), row.line, about);
          }
        },
        onEvent(event, line) {
          noteChannel(result.channels, event);
          const provider = event.provider.toLowerCase();
          const about = () => ({ subject: eventSubject(event), record: event.recordId });
          eventDetections.forEach((d, i) => {
            if (d.providers && !d.providers.some((p) => p.toLowerCase() === provider)) return;
            guard(d.id, () => d.match(event, ctx, memoryOf(eventMemory, i)), line, about);
          });
        },
      },
    );
    // Only the ranges of a split file need the columns back (plan.ts reconcileHeaders); a whole file's
    // result stays small, as thousands of them cross from a worker.
    const whole = isWhole(task);
    result.stats = taskStats(stats, whole);
    if (whole && fk.headerFields) result.fileKind = { ...fk, headerFields: null };
  } catch (e) {
    result.error = (e as Error).message;
  }
  return result;
}

/**
 * A reader's stats as a task returns them, written out field by field: a rest-and-spread copy of the
 * readers' differently shaped objects gave each result its own hidden class (measured in a heap snapshot).
 */
function taskStats(s: ReadStats, whole: boolean): NonNullable<TaskResult["stats"]> {
  return {
    kind: s.kind,
    records: s.records,
    lines: s.lines,
    badRows: s.badRows,
    badSamples: s.badSamples,
    firstTime: s.firstTime,
    lastTime: s.lastTime,
    bytes: s.bytes,
    lastHeaderFields: s.lastHeader && !whole ? s.lastHeader.fields : null,
    usedInheritedHeader: s.usedInheritedHeader,
    damage: s.damage,
    notes: s.notes,
    recoveredDuplicates: s.recoveredDuplicates,
    bareEvents: s.bareEvents,
    sourceHint: s.sourceHint,
  };
}

export function runBatch(batch: ReadTask[], hunt: HuntContext): TaskResult[] {
  return batch.map((t) => runTask(t, hunt));
}

/**
 * runBatch for results kept in the thread that read them. A string a reader cut from a file's text (a
 * preamble's software, a collected URL, an excerpt) is a slice that keeps the whole text alive in V8.
 * Drafts and collected items are kept to the end of the scan: they are copied (a worker's results are
 * copies already, having crossed to this thread). A whole file's result is digested as soon as it is
 * back (hunt/digest.ts copies the few strings it keeps); only a byte range's result waits, for the
 * reconciliation of headers, and its file kind is copied too.
 */
export function runBatchHere(batch: ReadTask[], hunt: HuntContext): TaskResult[] {
  return batch.map((t) => {
    const r = runTask(t, hunt);
    if (r.fileKind?.preamble && !isWhole(t)) r.fileKind = structuredClone(r.fileKind);
    if (r.collected) r.collected = structuredClone(r.collected);
    if (r.drafts.length) r.drafts = structuredClone(r.drafts);
    return r;
  });
}
