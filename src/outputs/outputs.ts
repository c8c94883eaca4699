// The file outputs shared by `exhunt scan` and `exhunt report`: HTML, JSON lines, ECS NDJSON.
import { writeFile } from "node:fs/promises";
import type { ScanResult } from "../model/types.js";
import { ecsBulk } from "./ecs.js";
import { renderHtml } from "./html.js";
import { findingsJsonl } from "./jsonl.js";

export interface FileOutputs {
  html?: string;
  jsonl?: string;
  ecs?: string;
}

/** Only one output can go to stdout; throws (a usage error) when several ask for it. */
export function assertOneStdout(o: FileOutputs & { json?: string }): void {
  const dash = Object.entries(o).filter(
    ([k, v]) => ["json", "jsonl", "ecs", "html"].includes(k) && v === "-",
  );
  if (dash.length > 1)
    throw new Error(`only one output can go to stdout (-): ${dash.map(([k]) => `--${k}`).join(", ")}`);
}

async function put(target: string, text: string): Promise<void> {
  if (target === "-") {
    await new Promise<void>((ok, fail) => process.stdout.write(text, (e) => (e ? fail(e) : ok())));
  } else await writeFile(target, text);
}

/** Writes each requested output; returns a line per file written (for stderr). */
export async function writeFileOutputs(result: ScanResult, o: FileOutputs): Promise<string[]> {
  const done: string[] = [];
  if (o.html) {
    await put(o.html, renderHtml(result));
    done.push(`wrote the HTML report to ${o.html}`);
  }
  if (o.jsonl) {
    await put(o.jsonl, findingsJsonl(result));
    done.push(`wrote findings as JSON lines to ${o.jsonl}`);
  }
  if (o.ecs) {
    await put(o.ecs, ecsBulk(result));
    done.push(`wrote ECS NDJSON (bulk format) to ${o.ecs}`);
  }
  return done;
}
