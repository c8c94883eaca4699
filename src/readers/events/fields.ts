// Reading values out of exported JSON (or CSV rows seen as flat objects): dotted paths matched with
// the spelling differences exports really have (case, `_`, `.`, spaces: `EventID`, `EventId`, `event_id`),
// and values turned into the strings, numbers and times an EventRecord holds. Pure functions.

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A key as compared: lower case, letters, digits and `#` only (`Event_ID` = `EventId` = `eventid`). */
export function normKey(k: string): string {
  // A loop, not a regex: this runs for every key of every exported event.
  let out = "";
  for (let i = 0; i < k.length; i++) {
    let c = k.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 35) out += String.fromCharCode(c);
  }
  return out;
}

/**
 * Path lookups over one document, with each object's keys indexed by their normalised spelling once
 * (a document is looked up at a few dozen paths; normalising every key for each would dominate).
 * Make one per document (`makeLookup()`): it holds that document's objects only. Plain functions over
 * a plain record, so that a lookup per document costs two empty maps and no closures.
 */
export interface Lookup {
  objs: Map<Obj, Map<string, string>>;
}

export function makeLookup(): Lookup {
  return { objs: new Map() };
}

/** A dotted path cut into segments once, with every run of segments joined and normalised. */
export interface CompiledPath {
  path: string;
  n: number;
  /** raw[i][j]: segments i..j (exclusive) joined by "."; norm[i][j]: the same normalised. */
  raw: string[][];
  norm: string[][];
}

export function compilePath(path: string): CompiledPath {
  const segs = path.split(".");
  const n = segs.length;
  const raw: string[][] = [];
  const norm: string[][] = [];
  for (let i = 0; i < n; i++) {
    raw.push([]);
    norm.push([]);
    for (let j = i + 1; j <= n; j++) {
      raw[i][j] = segs.slice(i, j).join(".");
      norm[i][j] = normKey(raw[i][j]);
    }
  }
  return { path, n, raw, norm };
}

function keyOf(L: Lookup, obj: Obj, raw: string, norm: string): string | undefined {
  if (Object.hasOwn(obj, raw)) return raw;
  let ix = L.objs.get(obj);
  if (!ix) {
    ix = new Map();
    for (const k of Object.keys(obj)) {
      const nk = normKey(k);
      if (!ix.has(nk)) ix.set(nk, k);
    }
    L.objs.set(obj, ix);
  }
  return ix.get(norm);
}

/** Segments from `i` on, below `obj`: each step takes one segment, or several joined (flat dotted keys). */
function walk(L: Lookup, obj: Obj, c: CompiledPath, i: number): { value: Json; key: string } | undefined {
  for (let j = i + 1; j <= c.n; j++) {
    const k = keyOf(L, obj, c.raw[i][j], c.norm[i][j]);
    if (k === undefined) continue;
    const v = obj[k];
    if (j === c.n) return { value: v, key: k };
    if (isObj(v)) {
      const r = walk(L, v, c, j);
      if (r) return { value: r.value, key: k };
    }
  }
  return undefined;
}

/**
 * A value by dotted path, nested (`{"winlog": {"event_id": 1}}`), flat (`{"winlog.event_id": 1}`) or
 * mixed; segments match by normalised spelling. Returns the value and the top-level key it came from.
 */
export function lookup(
  L: Lookup,
  obj: Obj,
  path: string | CompiledPath,
): { value: Json; top: string } | undefined {
  const c = typeof path === "string" ? compilePath(path) : path;
  const r = walk(L, obj, c, 0);
  return r ? { value: r.value, top: r.key } : undefined;
}

export function field(L: Lookup, obj: Obj, path: string | CompiledPath): Json | undefined {
  return lookup(L, obj, path)?.value;
}

/** The first of several paths that is present (and not null or ""). */
export function firstOf(
  L: Lookup,
  obj: Obj,
  paths: readonly (string | CompiledPath)[],
): { value: Json; top: string } | undefined {
  for (const p of paths) {
    const hit = lookup(L, obj, p);
    if (hit && hit.value !== null && hit.value !== "") return hit;
  }
  return undefined;
}

/** An object by dotted path; flat exports spell its members as `path.member` keys of the top object. */
export function section(L: Lookup, obj: Obj, path: string | CompiledPath): Obj | null {
  const nested = field(L, obj, path);
  if (isObj(nested)) return nested;
  const prefix = typeof path === "string" ? normKey(path) : path.norm[0][path.n];
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
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

export function isoTime(v: unknown): string | null {
  if (isObj(v)) return isoTime(v.SystemTime ?? v["#text"] ?? v.Value);
  // The common case (Windows' own form, ISO with Z): one test, no rewriting.
  if (typeof v === "string" && ISO_Z.test(v)) {
    const dot = v.indexOf(".", 19);
    const ms = Date.parse(dot < 0 ? v : `${v.slice(0, Math.min(dot + 4, v.length - 1))}Z`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
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
  // Log Analytics / Sentinel portal exports: "3/31/2022, 10:51:35.857 AM" (month first, in UTC; some
  // exports write a 24-hour clock with the AM/PM mark too: "14:51:35.857 PM").
  const us = US_TIME.exec(s);
  if (us) {
    let hour = +us[4];
    const mark = us[8]?.toUpperCase();
    if (mark === "PM" && hour < 12) hour += 12;
    else if (mark === "AM" && hour === 12) hour = 0;
    const ms = Date.UTC(
      +us[3],
      +us[1] - 1,
      +us[2],
      hour,
      +us[5],
      +us[6],
      us[7] ? +us[7].slice(1, 4).padEnd(3, "0") : 0,
    );
    return Number.isNaN(ms) || +us[1] > 12 || +us[2] > 31 || hour > 23 ? null : new Date(ms).toISOString();
  }
  // Windows writes 7 fractional digits; Date reads at most 3 reliably. A time without a zone is read as
  // UTC, never in this machine's zone (apply.ts decides, per format, what such a time really is).
  let t = s.replace(/(\.\d{3})\d+/, "$1");
  if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t)) t = `${t.replace(" ", "T")}Z`;
  else if (!hasZone(t)) t = `${t} UTC`;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d\d):(\d\d)(\.\d+)?\s*(AM|PM)?$/i;
const ZONE_AT_END = /(?:[zZ]|[+-]\d\d:?\d\d|\b(?:UTC|GMT)(?:[+-]\d{1,4})?|\([A-Za-z ]+\))\s*$/;

/**
 * Whether a time value says which zone it is in: an ISO `Z` or offset, `UTC`/`GMT`, an epoch number, a
 * PowerShell `/Date(ms)/`, an evtx_dump `SystemTime` object. NXLog's `EventTime`, EvtxECmd's
 * `TimeCreated` and Sentinel's portal exports say nothing: false.
 */
export function hasZone(v: unknown): boolean {
  if (isObj(v)) return hasZone(v.SystemTime ?? v["#text"] ?? v.Value);
  if (typeof v === "number") return Number.isFinite(v);
  if (typeof v !== "string") return false;
  const s = v.trim();
  if (/^\/?Date\(/.test(s.replace(/\\\//g, "/")) || /^\d+(\.\d+)?$/.test(s)) return true;
  return s.length > 10 && ZONE_AT_END.test(s.slice(10));
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
