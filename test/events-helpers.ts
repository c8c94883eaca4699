// Helpers for the event tests: events built from parts, one export file read through its reader, and
// the sigma-regression corpus as objects.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { EventRecord } from "../src/model/records.js";
import { sniff } from "../src/readers/index.js";
import type { Reader, ReadStats } from "../src/readers/types.js";

/** An event with sensible defaults; `data` also fills `values` (in order) unless `values` is given. */
export function event(p: Partial<EventRecord> & { provider: string; eventId: number }): EventRecord {
  const data = p.data ?? {};
  return {
    channel: "",
    computer: "EXCH01.contoso.local",
    recordId: 1,
    time: "2021-03-03T07:00:00.000Z",
    level: 4,
    values: p.values ?? Object.values(data),
    ...p,
    data,
  };
}

/**
 * One export file read whole through `reader`, after checking the sniffer picks that reader's format:
 * its events, each event's line, and the read's stats. Log rows would be a mistake here.
 */
export function readEventFile(
  path: string,
  reader: Reader,
): { events: EventRecord[]; lines: (number | null)[]; stats: ReadStats } {
  const s = sniff(readFileSync(path).subarray(0, 16 * 1024), path);
  assert.equal(s?.format, reader.format, path);
  const events: EventRecord[] = [];
  const lines: (number | null)[] = [];
  const size = statSync(path).size;
  const stats = reader.read(
    path,
    size,
    s!,
    { start: 0, end: size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [] }),
      onRow: () => assert.fail("row"),
      onEvent: (e, l) => {
        events.push(e);
        lines.push(l);
      },
    },
  );
  return { events, lines, stats };
}

/** Every JSON object of the sigma-regression corpus (a file holds pretty objects concatenated). */
export function sigmaObjects(root: string): unknown[] {
  const out: unknown[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".json")) out.push(...concatenatedJson(readFileSync(p, "utf8")));
    }
  };
  walk(root);
  return out;
}

/** JSON objects written one after another with no separator. */
function concatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}
