// JSON lines: one finding per line, exactly the Finding schema of the JSON result (docs/output.md),
// written as each server arrives.
import type { ScanResult, ServerResult } from "../model/types.js";
import { openSink, type Sink } from "./sink.js";
import type { Writer } from "./writer.js";

export function* findingLines(s: ServerResult): Generator<string> {
  for (const f of s.findings) yield `${JSON.stringify(f)}\n`;
}

/** Every finding of a whole result (small results, tests). */
export function findingsJsonl(result: ScanResult): string {
  let out = "";
  for (const s of result.servers) for (const line of findingLines(s)) out += line;
  return out;
}

export function jsonlWriter(target: string): Writer {
  let sink: Sink | undefined;
  let lines = 0;
  return {
    name: "jsonl",
    async begin() {
      sink = await openSink(target);
    },
    async server(s) {
      if (!sink) throw new Error("jsonl writer: server() before begin()");
      for (const line of findingLines(s)) await sink.write(line);
      lines += s.findings.length;
    },
    async end() {
      await sink?.close();
      return target === "-" ? null : `wrote ${lines} findings as JSON lines to ${target}`;
    },
    async abort() {
      await sink?.discard();
    },
  };
}
