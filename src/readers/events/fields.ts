// Reading values out of exported JSON (or CSV rows seen as flat objects): dotted paths matched with
// the spelling differences exports really have (case, `_`, `.`, spaces: `EventID`, `EventId`, `event_id`),
// and values turned into the strings, numbers and times an EventRecord holds. Pure functions.

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A key as compared: lower case, letters, digits and `#` only (`Event_ID` = `EventId` = `eventid`). */
export const normKey = (k: string): string => k.toLowerCase().replace(/[^a-z0-9#]/g, "");

/** The key of `obj` that a path segment names: exact first, then by normalised spelling. */
function keyOf(obj: Obj, seg: string): string | undefined {
  if (seg in obj) return seg;
  const n = normKey(seg);
  for (const k of Object.keys(obj)) if (normKey(k) === n) return k;
  return undefined;
}

/**
 * A value by dotted path, nested (`{"winlog": {"event_id": 1}}`) or flat (`{"winlog.event_id": 1}`), or
 * a mix; segments match by normalised spelling. Returns the value and the top-level key it came from.
 */
export function lookup(obj: Obj, path: string): { value: Json; top: string } | undefined {
  const direct = keyOf(obj, path);
  if (direct !== undefined) return { value: obj[direct], top: direct };
  const dot = path.indexOf(".");
  if (dot < 0) return undefined;
  // Try every split: `winlog.event_data.X` may be `winlog` → `event_data.X` or `winlog.event_data` → `X`.
  for (let i = dot; i >= 0; i = path.indexOf(".", i + 1)) {
    const k = keyOf(obj, path.slice(0, i));
    if (k === undefined) continue;
    const head = obj[k];
    if (!isObj(head)) continue;
    const rest = lookup(head, path.slice(i + 1));
    if (rest) return { value: rest.value, top: k };
  }
  return undefined;
}

export function field(obj: Obj, path: string): Json | undefined {
  return lookup(obj, path)?.value;
}

/** The first of several paths that is present (and not null or ""). */
export function firstOf(obj: Obj, paths: readonly string[]): { value: Json; top: string } | undefined {
  for (const p of paths) {
    const hit = lookup(obj, p);
    if (hit && hit.value !== null && hit.value !== "") return hit;
  }
  return undefined;
}

/** An object by dotted path; flat exports spell its members as `path.member` keys of the top object. */
export function section(obj: Obj, path: string): Obj | null {
  const nested = field(obj, path);
  if (isObj(nested)) return nested;
  const prefix = `${normKey(path)}`;
  const flat: Obj = {};
  let any = false;
  for (const [k, v] of Object.entries(obj)) {
    const dot = k.lastIndexOf(".");
    if (dot > 0 && normKey(k.slice(0, dot)) === prefix) {
      flat[k.slice(dot + 1)] = v;
      any = true;
    }
  }
  return any ? flat : null;
}

/** A JSON value as the string an event viewer would show (`#text` / `Value` wrappers unwrapped). */
export function str(v: Json | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(str).join(", ");
  if ("#text" in v) return str(v["#text"]);
  if ("Value" in v && Object.keys(v).length <= 2) return str(v.Value);
  return JSON.stringify(v);
}

export function intOf(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  if (typeof v === "string" && /^\s*0x[0-9a-f]+\s*$/i.test(v)) return Number.parseInt(v, 16);
  if (isObj(v)) return intOf(v["#text"] ?? v.Value);
  return null;
}

/** A time as ISO UTC (milliseconds), or null when absent or not a date. */
export function isoTime(v: unknown): string | null {
  if (isObj(v)) return isoTime(v.SystemTime ?? v["#text"] ?? v.Value);
  if (typeof v === "number" && Number.isFinite(v)) {
    // Epoch seconds (Velociraptor) or milliseconds; anything else is not a time of this era.
    const ms = v < 1e11 ? v * 1000 : v;
    return ms > 0 && ms < 4e12 ? new Date(Math.round(ms)).toISOString() : null;
  }
  if (typeof v !== "string") return null;
  const s = v.trim();
  if (!s) return null;
  // PowerShell 5 ConvertTo-Json: "\/Date(1614755565123)\/".
  const ps = /^\/?Date\((-?\d+)(?:[+-]\d{4})?\)\/?$/.exec(s.replace(/\\\//g, "/"));
  if (ps) return isoTime(Number(ps[1]));
  if (/^\d+(\.\d+)?$/.test(s)) return isoTime(Number(s));
  // Windows writes 7 fractional digits; Date reads at most 3 reliably. A time without a zone is taken
  // as UTC (collectors write UTC; a local time cannot be told from the value alone).
  let t = s.replace(/(\.\d{3})\d+/, "$1");
  if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t)) t = `${t.replace(" ", "T")}Z`;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const LEVEL_NAMES: Record<string, number> = {
  critical: 1,
  error: 2,
  warning: 3,
  warn: 3,
  information: 4,
  info: 4,
  informational: 4,
  verbose: 5,
  "log always": 0,
  logalways: 0,
};

/** Level from a number or a name ("Error", "information"). */
export function levelOf(v: unknown): number | null {
  const n = intOf(v);
  if (n !== null) return n;
  if (typeof v === "string") return LEVEL_NAMES[v.trim().toLowerCase()] ?? null;
  return null;
}
