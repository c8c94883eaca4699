// Which files are logs, and of which kind: decided by a file's first bytes (its header), with the
// folder only settling what a generic header leaves open. Pure: used by discovery and by read tasks.
import { basename } from "node:path";
import type { FileEntry } from "../model/records.js";
import type { Skipped } from "../model/types.js";
import { sniff } from "../readers/index.js";
import type { Sniffed } from "../readers/types.js";
import { type ContentType, contentType } from "./content-type.js";

/** Bytes enough for any preamble we recognise. */
export const HEAD_BYTES = 16 * 1024;

/** Extensions worth opening to see whether they are logs we read. */
// `.clixml`: Export-Clixml files are often named so; `.tsv`: Timeline Explorer copies of EvtxECmd CSV;
// `.yml`/`.yaml`: Chainsaw's search output.
const LOG_EXT = /\.(log|txt|csv|tsv|evtx|json|jsonl|ndjson|xml|clixml|yml|yaml)$/i;
/** Folders whose files are logs whatever their extension. */
const LOG_DIR = /(^|\/)(logging|logfiles|winevt)\//i;
/** Files that must be logs: unreadable ones are reported, not ignored. */
const MUST_BE_LOG = /\.(log|evtx)$/i;

/** Whether a file should be opened as a possible log. */
export function isLogCandidate(rel: string): boolean {
  return LOG_EXT.test(rel) || LOG_DIR.test(rel);
}

function describeUnknown(head: Buffer): string {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe)
    return "UTF-16 text: not a log format exhunt reads";
  if (head.includes(0)) return "binary content where a text log was expected";
  return "no #Software/#Log-type/#Fields header of a known log format";
}

/** Exchange log folder that names the kind when a file has no usable header. */
function folderHint(rel: string): Sniffed | null {
  if (/(^|\/)oabgeneratorlog\//i.test(rel)) {
    return { format: "exchange-log", kind: "oab-generator", preamble: null, header: null };
  }
  return null;
}

/** Read by a reader; skipped evidence (listed, may raise the exit code); or another file, with what it looked like. */
export type Classified =
  | { sniffed: Sniffed }
  | { skip: Skipped; type?: ContentType }
  | { other: true; type: ContentType };

/** Classify a candidate file from its first bytes. */
export function classifyHead(entry: Pick<FileEntry, "path" | "size">, head: Buffer): Classified {
  if (entry.size === 0) {
    return {
      skip: {
        file: entry.path,
        reason: "empty",
        detail: "0 bytes: nothing to read (a log emptied or never written)",
      },
    };
  }
  const sniffed = sniff(head, basename(entry.path));
  const hint = folderHint(entry.path);
  if (sniffed) {
    if (sniffed.kind === "exchange-other" && hint) return { sniffed: { ...sniffed, kind: hint.kind } };
    return { sniffed };
  }
  if (hint && !head.includes(0)) return { sniffed: hint };
  const type = contentType(head);
  if (MUST_BE_LOG.test(entry.path) || /(^|\/)logging\//i.test(entry.path)) {
    const detail = `${describeUnknown(head)} (looks like: ${type.type}${type.detail ? `; ${type.detail}` : ""})`;
    return { skip: { file: entry.path, reason: "unknown-format", detail }, type };
  }
  // An export whose fields no field map knows is evidence we could not read: say so, with its keys.
  if (type.eventLike)
    return {
      skip: {
        file: entry.path,
        reason: "unknown-format",
        detail: `looks like an event export, but no field map knows its fields (${type.detail})`,
      },
      type,
    };
  return { other: true, type };
}
