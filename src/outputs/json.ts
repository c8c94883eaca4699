// The JSON result (schema v2, data/schema/result.schema.json), written as the servers arrive:
// `{"schemaVersion":2,"tool":…,"startedAt":…,"servers":[` … `],"finishedAt":…}`. Small members are
// indented for reading; each finding, timeline entry and other array item is one compact line, so that
// no single string is ever as large as a server, and `grep` finds a finding on one line.
import { SCHEMA_VERSION, type ScanResult, type ServerResult } from "../model/types.js";
import { openSink, type Sink } from "./sink.js";
import type { RunMeta, RunSummary, Writer } from "./writer.js";

/** Objects are opened up to this depth (0: the result), arrays one level further. */
const OBJECT_DEPTH = 3;
const ARRAY_DEPTH = 4;

/** Pieces of the JSON text of `value`, which sits at `depth` (indent is two spaces per level). */
export function* jsonPieces(value: unknown, depth: number): Generator<string> {
  const isArray = Array.isArray(value);
  const open =
    value !== null &&
    typeof value === "object" &&
    (isArray ? depth <= ARRAY_DEPTH : depth <= OBJECT_DEPTH) &&
    (isArray ? (value as unknown[]).length > 0 : Object.keys(value as object).length > 0);
  if (!open) {
    yield JSON.stringify(value) ?? "null";
    return;
  }
  const pad = `\n${"  ".repeat(depth + 1)}`;
  if (isArray) {
    const items = value as unknown[];
    yield "[";
    for (let i = 0; i < items.length; i++) {
      yield i === 0 ? pad : `,${pad}`;
      // undefined in an array is null in JSON, as JSON.stringify writes it.
      yield* jsonPieces(items[i] === undefined ? null : items[i], depth + 1);
    }
    yield `\n${"  ".repeat(depth)}]`;
    return;
  }
  let first = true;
  yield "{";
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === "function") continue;
    yield `${first ? "" : ","}${pad}${JSON.stringify(k)}: `;
    first = false;
    yield* jsonPieces(v, depth + 1);
  }
  yield `\n${"  ".repeat(depth)}}`;
}

/** The whole result as one string (small results, tests); `exhunt scan --json` streams instead. */
export function resultJson(result: ScanResult): string {
  return `${[...jsonPieces(result, 0)].join("")}\n`;
}

export function jsonWriter(target: string): Writer {
  let sink: Sink | undefined;
  let n = 0;
  return {
    name: "json",
    async begin(meta: RunMeta) {
      sink = await openSink(target);
      const head = { schemaVersion: SCHEMA_VERSION, tool: meta.tool, startedAt: meta.startedAt };
      const text = [...jsonPieces(head, 0)].join("");
      // The head without its closing brace; servers and finishedAt follow.
      await sink.write(`${text.slice(0, -2)},\n  "servers": [`);
    },
    async server(s: ServerResult) {
      if (!sink) throw new Error("json writer: server() before begin()");
      await sink.write(n++ === 0 ? "\n    " : ",\n    ");
      for (const piece of jsonPieces(s, 2)) await sink.write(piece);
    },
    async end(summary: RunSummary) {
      if (!sink) throw new Error("json writer: end() before begin()");
      await sink.write(
        `${n > 0 ? "\n  " : ""}],\n  "finishedAt": ${JSON.stringify(summary.finishedAt)}\n}\n`,
      );
      await sink.close();
      return target === "-" ? null : `wrote the JSON result to ${target}`;
    },
    async abort() {
      await sink?.discard();
    },
  };
}
