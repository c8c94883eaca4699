// Server-side state slots in normalised code: Session, Application and Cache (`Session["k"] = v`,
// VB `Session(k) = v`, `Session.Add(k, v)`, `Cache.Insert(k, v, …)`). A slot filled with request data
// carries it to every read of the same slot. Keys are compared as written after constant propagation
// (a key held in a variable assigned one literal reads as that literal); a key computed by a call is
// unknown, and then every read of that store counts.
import { escapeRe } from "./code-scan.js";

export interface SlotStore {
  store: "session" | "application" | "cache";
  /** The key as written (quotes made double, spaces removed), or null when it is computed. */
  key: string | null;
  value: string;
}

const STORE =
  /\b(session|application|cache)\s*(?:\[\s*([^\]\n]{1,60}?)\s*\]\s*=(?![=>])|\(\s*("[^"\n]{1,40}"|[a-z_][\w.]{0,40})\s*\)\s*=(?![=>])|\.\s*(?:add|insert|set)\s*\(\s*([^,\n]{1,60}?)\s*,)\s*([^;\n:]{1,400})/g;
/** A key that is a literal or a (dotted) name: comparable as text. */
const PLAIN_KEY = /^(?:"[^"\n]*"|[a-z_][\w.]*)$/;

function keyOf(raw: string): string | null {
  const k = raw.replaceAll("'", '"').replace(/\s+/g, "");
  return PLAIN_KEY.test(k) ? k : null;
}

/** Every slot store of the code. */
export function slotStores(t: string): SlotStore[] {
  if (!/session|application|cache/.test(t)) return [];
  return [...t.matchAll(STORE)].map((m) => ({
    store: m[1] as SlotStore["store"],
    key: keyOf(m[2] ?? m[3] ?? m[4] ?? ""),
    value: m[5],
  }));
}

/** A regex source matching reads of the given (tainted) slots. */
export function slotReads(stores: SlotStore[]): string {
  const parts = new Set<string>();
  for (const s of stores) {
    const access = String.raw`\b${s.store}\s*(?:\.\s*(?:item|get)\s*)?[[(]\s*`;
    if (s.key === null) parts.add(access);
    else parts.add(`${access}${escapeRe(s.key).replaceAll('"', `["']`)}\\s*[\\])]`);
  }
  return [...parts].join("|");
}
