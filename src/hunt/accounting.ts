// Nothing silently dropped: every file of a server's evidence ends in exactly one of read (by which
// reader, how many records), not read (why: the skip reason, or what the file looked like), or
// excluded (not opened by design of the layout). Built from what the engine already knows; no I/O.
import type { ContentType } from "../evidence/content-type.js";
import type { FileEntry } from "../model/records.js";
import type { FileAccount, FileAccounting, Skipped, SkipReason } from "../model/types.js";

/** One log-candidate file after reading: its reader and records, or why no reader took it. */
export interface CandidateOutcome {
  path: string;
  reader: string | null;
  records: number;
  notes: readonly string[];
  /** Carved .evtx records that were copies of live ones (not in `records`). */
  recoveredDuplicates?: number;
  /** When no reader took it: what it looked like (classify). */
  type?: ContentType;
}

const REASON_TEXT: Record<SkipReason, string> = {
  unreadable: "unreadable",
  empty: "empty",
  corrupt: "corrupt",
  "unknown-format": "unknown format",
  truncated: "truncated",
  partial: "partly read",
  "too-large": "too large",
  refused: "refused",
  "not-found": "not found",
  loop: "link loop",
};

export function accountFiles(
  files: FileEntry[],
  candidates: CandidateOutcome[],
  /** Whether the file sweep read this file. */
  swept: (f: FileEntry) => boolean,
  skipped: Skipped[],
): FileAccounting {
  const out: FileAccounting = { read: 0, notRead: 0, excluded: 0, byReader: {}, byReason: {}, files: [] };
  const byPath = new Map(candidates.map((c) => [c.path, c]));
  // The first reason a file was skipped for; partial reads are still reads.
  const skipOf = new Map<string, Skipped>();
  for (const s of skipped) if (s.reason !== "partial" && !skipOf.has(s.file)) skipOf.set(s.file, s);
  const add = (a: FileAccount) => {
    out.files.push(a);
    if (a.outcome === "read") {
      out.read++;
      const r = a.reader ?? "?";
      out.byReader[r] = (out.byReader[r] ?? 0) + 1;
    } else {
      if (a.outcome === "not-read") out.notRead++;
      else out.excluded++;
      const r = a.reason ?? "?";
      out.byReason[r] = (out.byReason[r] ?? 0) + 1;
    }
  };
  const seen = new Set<string>();
  for (const f of files) {
    seen.add(f.path);
    const c = byPath.get(f.path);
    if (c?.reader) {
      add({
        file: f.path,
        outcome: "read",
        reader: c.reader,
        records: c.records,
        ...(c.recoveredDuplicates ? { recoveredDuplicates: c.recoveredDuplicates } : {}),
        ...(c.notes.length ? { detail: c.notes.join("; ") } : {}),
      });
      continue;
    }
    if (!skipOf.has(f.path) && swept(f)) {
      add({ file: f.path, outcome: "read", reader: "file-sweep" });
      continue;
    }
    const s = skipOf.get(f.path);
    if (s) {
      const reason = s.reason === "unknown-format" && c?.type ? c.type.type : REASON_TEXT[s.reason];
      add({ file: f.path, outcome: "not-read", reason, detail: s.detail });
      continue;
    }
    if (c?.type) {
      add({
        file: f.path,
        outcome: "not-read",
        reason: c.type.type,
        ...(c.type.detail ? { detail: c.type.detail } : {}),
      });
      continue;
    }
    // Neither a log candidate nor swept: a file the layout offers to path checks only.
    add({
      file: f.path,
      outcome: "excluded",
      reason: "path checks only",
      detail: "outside the folders read as logs or swept for web shells (e.g. ProgramData on a live server)",
    });
  }
  // What could not even be listed as a file (broken links, unreadable folders, loops, missing roots).
  for (const s of skipped) {
    if (seen.has(s.file) || s.reason === "partial") continue;
    seen.add(s.file);
    add({ file: s.file, outcome: "not-read", reason: REASON_TEXT[s.reason], detail: s.detail });
  }
  return out;
}
