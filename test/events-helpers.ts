// Helpers for the event tests: events built from parts, and the sigma-regression corpus as objects.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { EventRecord } from "../src/model/records.js";

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
