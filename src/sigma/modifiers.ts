// Sigma value modifiers. A detection item `Field|m1|m2: values` becomes one Matcher: the values go
// through the transformations in the order written (pySigma's order: `wide|base64offset|contains`
// encodes, then shifts, then wraps), and the result is compiled once to ValueTests.
import { inNetwork, parseCidr, parseIp } from "./cidr.js";
import { ANY, compilePattern, isLiteral, type Part, parseSigmaString, type ValueTest } from "./pattern.js";
import { type CompileOptions, invalid, type Matcher, type RecordView, unsupported } from "./types.js";

const TRANSFORMS = new Set([
  "contains",
  "startswith",
  "endswith",
  "windash",
  "wide",
  "utf16le",
  "utf16be",
  "utf16",
  "base64",
  "base64offset",
  "expand",
]);
const TYPES = new Set(["re", "cidr", "gt", "gte", "lt", "lte", "exists", "fieldref"]);
const FLAGS = new Set(["all", "cased", "i", "m", "s", "ignorecase", "multiline", "dotall"]);

/** The dash characters Windows command lines accept where `-` or `/` is written (pySigma's windash). */
export const WINDASH = ["-", "/", "\u2013", "\u2014", "\u2015"];

export type Scalar = string | number | boolean | null;

/** One value on its way through the transformations: its alternatives (any may match). */
interface Alt {
  parts: Part[];
  /** Bytes of an encoding (wide/utf16) held as Latin-1 characters; base64 encodes these. */
  encoded: boolean;
  /** Produced by base64: its case is significant. */
  cased: boolean;
}

export function windash(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    if (typeof p !== "string") {
      out.push(p);
      continue;
    }
    // A dash or slash that starts a word (`\B[-/]\b`, as pySigma): every such position takes any dash.
    const re = /\B[-/]\b/g;
    let last = 0;
    for (let m = re.exec(p); m; m = re.exec(p)) {
      if (m.index > last) out.push(p.slice(last, m.index));
      out.push({ oneOf: WINDASH });
      last = m.index + 1;
    }
    if (last < p.length) out.push(p.slice(last));
  }
  return out;
}

function encode(parts: Part[], how: string): Part[] {
  const enc = (s: string): string => {
    if (how === "utf16be") return Buffer.from(s, "utf16le").swap16().toString("latin1");
    return Buffer.from(s, "utf16le").toString("latin1");
  };
  const out = parts.map((p) => (typeof p === "string" ? enc(p) : p));
  return how === "utf16" ? ["\xff\xfe", ...out] : out;
}

function bytesOf(a: Alt, mod: string): Buffer {
  if (!isLiteral(a.parts)) throw invalid(`${mod}: the value has wildcards, which cannot be encoded`);
  const s = a.parts.join("");
  return Buffer.from(s, a.encoded ? "latin1" : "utf8");
}

/** The three base64 forms of a value at byte offsets 0, 1 and 2 of a longer encoded text (pySigma). */
export function base64Offsets(value: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const b64 = Buffer.concat([Buffer.alloc(i, 0x20), value]).toString("base64");
    const start = [0, 2, 3][i];
    const cut = [0, -3, -2][(value.length + i) % 3];
    out.push(b64.slice(start, cut === 0 ? undefined : cut));
  }
  return out;
}

function expand(a: Alt, placeholders: Record<string, string[]>): Alt[] {
  let alts: Part[][] = [[]];
  for (const p of a.parts) {
    if (typeof p !== "string") {
      for (const x of alts) x.push(p);
      continue;
    }
    const pieces = p.split(/(%[A-Za-z0-9_]+%)/);
    for (const piece of pieces) {
      const m = /^%([A-Za-z0-9_]+)%$/.exec(piece);
      if (!m) {
        for (const x of alts) x.push(piece);
        continue;
      }
      const values = placeholders[m[1]];
      if (!values || values.length === 0)
        throw unsupported(`expand: no value configured for placeholder %${m[1]}%`);
      alts = alts.flatMap((x) => values.map((v) => [...x, ...parseSigmaString(v)]));
    }
  }
  return alts.map((parts) => ({ ...a, parts }));
}

function transform(alts: Alt[], mod: string, o: CompileOptions): Alt[] {
  switch (mod) {
    case "contains":
      return alts.map((a) => ({ ...a, parts: [ANY, ...a.parts, ANY] }));
    case "startswith":
      return alts.map((a) => ({ ...a, parts: [...a.parts, ANY] }));
    case "endswith":
      return alts.map((a) => ({ ...a, parts: [ANY, ...a.parts] }));
    case "windash":
      return alts.map((a) => ({ ...a, parts: windash(a.parts) }));
    case "wide":
    case "utf16le":
    case "utf16be":
    case "utf16":
      return alts.map((a) => ({ ...a, parts: encode(a.parts, mod), encoded: true }));
    case "base64":
      return alts.map((a) => ({ parts: [bytesOf(a, mod).toString("base64")], encoded: false, cased: true }));
    case "base64offset":
      return alts.flatMap((a) =>
        base64Offsets(bytesOf(a, mod)).map((s) => ({ parts: [s], encoded: false, cased: true })),
      );
    case "expand":
      return alts.flatMap((a) => expand(a, o.placeholders ?? {}));
    default:
      throw unsupported(`modifier '${mod}'`);
  }
}

function scalarText(v: Scalar): string {
  return typeof v === "string" ? v : String(v);
}

/** A regular expression as Sigma writes it (PCRE-like) in JavaScript; flags from `i`/`m`/`s`. */
export function sigmaRegExp(src: string, flags: Set<string>): RegExp {
  let s = src;
  let f = "";
  const inline = /^\(\?([imsx]+)\)/.exec(s);
  if (inline) {
    if (inline[1].includes("x")) throw unsupported("re: inline flag (?x)");
    f += inline[1];
    s = s.slice(inline[0].length);
  }
  if (flags.has("i") || flags.has("ignorecase")) f += "i";
  if (flags.has("m") || flags.has("multiline")) f += "m";
  if (flags.has("s") || flags.has("dotall")) f += "s";
  s = s
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "^")
    .replace(/\\[zZ]/g, "$");
  try {
    return new RegExp(s, [...new Set(f)].join(""));
  } catch (e) {
    throw unsupported(`re: /${src}/ is not a JavaScript regular expression (${(e as Error).message})`);
  }
}

function numberOf(v: Scalar, mod: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw invalid(`${mod}: ${JSON.stringify(v)} is not a number`);
  return n;
}

/** Tests on the value of `field` (or, for keywords, on each text value). */
function valueTests(values: Scalar[], mods: string[], o: CompileOptions, field?: string): ValueTest[] {
  const norm = field !== undefined ? o.normalise?.[field] : undefined;
  const type = mods.find((m) => TYPES.has(m));
  const cased = mods.includes("cased");
  if (type === "re") {
    const flags = new Set(mods);
    return values.map((v) => {
      const re = sigmaRegExp(scalarText(v), flags);
      return { cased: true, test: (x: string) => re.test(x) };
    });
  }
  if (type === "cidr") {
    return values.map((v) => {
      const net = parseCidr(scalarText(v));
      if (!net) throw invalid(`cidr: ${JSON.stringify(v)} is not a network`);
      return {
        cased: true,
        test: (x: string) => {
          const ip = parseIp(x);
          return ip !== null && inNetwork(ip, net);
        },
      };
    });
  }
  if (type === "gt" || type === "gte" || type === "lt" || type === "lte") {
    return values.map((v) => {
      const n = numberOf(v, type);
      const cmp =
        type === "gt"
          ? (x: number) => x > n
          : type === "gte"
            ? (x: number) => x >= n
            : type === "lt"
              ? (x: number) => x < n
              : (x: number) => x <= n;
      return {
        cased: true,
        test: (x: string) => {
          const k = x.trim() === "" ? Number.NaN : Number(x);
          return Number.isFinite(k) && cmp(k);
        },
      };
    });
  }
  const order = mods.filter((m) => TRANSFORMS.has(m));
  return values.map((v) => {
    if (v === null) return { cased: true, test: (x: string) => x === "" };
    let alts: Alt[] = [
      {
        parts: typeof v === "string" ? parseSigmaString(norm ? norm(v) : v) : [scalarText(v)],
        encoded: false,
        cased: false,
      },
    ];
    for (const m of order) alts = transform(alts, m, o);
    const tests = alts.map((a) => compilePattern(a.parts, cased || a.cased));
    if (tests.length === 1) return tests[0];
    // Alternatives of one value (base64offset shifts, windash, expand) need their own case: test both.
    return {
      cased: true,
      test: (x: string) => {
        let lower: string | undefined;
        for (const t of tests) {
          if (t.cased) {
            if (t.test(x)) return true;
            continue;
          }
          if (lower === undefined) lower = x.toLowerCase();
          if (t.test(lower)) return true;
        }
        return false;
      },
    };
  });
}

function checkModifiers(mods: string[]): void {
  for (const m of mods)
    if (!TRANSFORMS.has(m) && !TYPES.has(m) && !FLAGS.has(m)) throw unsupported(`modifier '${m}'`);
  const types = mods.filter((m) => TYPES.has(m));
  if (types.length > 1) throw invalid(`modifiers ${types.join(" and ")} cannot be combined`);
  if (["i", "m", "s"].some((f) => mods.includes(f)) && !mods.includes("re"))
    throw invalid("regular-expression flags i/m/s need the re modifier");
}

const listOf = (v: unknown): Scalar[] => (Array.isArray(v) ? (v as Scalar[]) : [v as Scalar]);

function checkScalars(values: Scalar[]): void {
  for (const v of values)
    if (v !== null && typeof v === "object")
      throw invalid(`a value is a ${Array.isArray(v) ? "list" : "map"}, not a scalar`);
}

/** `field|mods: value(s)` → Matcher. */
export function fieldMatcher(field: string, mods: string[], raw: unknown, o: CompileOptions): Matcher {
  checkModifiers(mods);
  const values = listOf(raw);
  checkScalars(values);
  const all = mods.includes("all");
  if (mods.includes("exists")) {
    if (values.length !== 1 || typeof values[0] !== "boolean")
      throw invalid("exists: the value must be true or false");
    const want = values[0];
    return (r) => (r.get(field) !== undefined) === want;
  }
  if (mods.includes("fieldref")) return fieldRefMatcher(field, mods, values, all);
  if (values.length === 0) return () => false;
  const hasNull = values.includes(null);
  const tests = valueTests(
    values.filter((v) => v !== null),
    mods,
    o,
    field,
  );
  const one = (r: RecordView, t: ValueTest): boolean => {
    const v = t.cased ? r.get(field) : r.lower(field);
    return v !== undefined && t.test(v);
  };
  const isNull = (r: RecordView): boolean => {
    const v = r.get(field);
    return v === undefined || v === "";
  };
  if (all) {
    return (r) => (!hasNull || isNull(r)) && tests.every((t) => one(r, t));
  }
  if (tests.length === 1 && !hasNull) {
    const t = tests[0];
    return t.cased
      ? (r) => {
          const v = r.get(field);
          return v !== undefined && t.test(v);
        }
      : (r) => {
          const v = r.lower(field);
          return v !== undefined && t.test(v);
        };
  }
  const some = anyOf(tests);
  return (r) => {
    if (hasNull && isNull(r)) return true;
    return some(r.lower(field), r.get(field));
  };
}

/** The last `\`-separated segment (what an `endswith: '\name.exe'` suffix pins down). */
function afterBackslash(v: string): string {
  return v.slice(v.lastIndexOf("\\") + 1);
}

/**
 * Any of many tests on one value, the value fetched once: equalities become one Set lookup, and
 * `endswith '\x.exe'` suffixes one Map lookup by the value's last segment; the rest are tried in turn.
 */
function anyOf(tests: ValueTest[]): (lower: string | undefined, raw: string | undefined) => boolean {
  const eq = new Set<string>();
  const bySegment = new Map<string, string[]>();
  const rest: ValueTest[] = [];
  for (const t of tests) {
    if (!t.cased && t.equals !== undefined) eq.add(t.equals);
    else if (!t.cased && t.suffix !== undefined && t.suffix.includes("\\")) {
      const seg = afterBackslash(t.suffix);
      const list = bySegment.get(seg) ?? [];
      list.push(t.suffix);
      bySegment.set(seg, list);
    } else rest.push(t);
  }
  return (lower, raw) => {
    if (lower === undefined || raw === undefined) return false;
    if (eq.size && eq.has(lower)) return true;
    if (bySegment.size) {
      const sufs = bySegment.get(afterBackslash(lower));
      if (sufs) for (const s of sufs) if (lower.endsWith(s)) return true;
    }
    for (const t of rest) if (t.test(t.cased ? raw : lower)) return true;
    return false;
  };
}

function fieldRefMatcher(field: string, mods: string[], values: Scalar[], all: boolean): Matcher {
  const cased = mods.includes("cased");
  const pos = mods.includes("contains")
    ? "contains"
    : mods.includes("startswith")
      ? "startswith"
      : mods.includes("endswith")
        ? "endswith"
        : "equals";
  const others = mods.filter((m) => TRANSFORMS.has(m) && m !== pos);
  if (others.length) throw unsupported(`fieldref with ${others.join(", ")}`);
  const refs = values.map((v) => {
    if (typeof v !== "string" || v === "") throw invalid("fieldref: the value must be a field name");
    return v;
  });
  const test = (r: RecordView, ref: string): boolean => {
    const a = cased ? r.get(field) : r.lower(field);
    const b = cased ? r.get(ref) : r.lower(ref);
    if (a === undefined || b === undefined) return false;
    if (pos === "contains") return a.includes(b);
    if (pos === "startswith") return a.startsWith(b);
    if (pos === "endswith") return a.endsWith(b);
    return a === b;
  };
  return all ? (r) => refs.every((x) => test(r, x)) : (r) => refs.some((x) => test(r, x));
}

/** Unnamed values (keyword lists): each is searched in the record's free text (contains, like Hayabusa). */
export function keywordMatcher(mods: string[], raw: unknown, o: CompileOptions): Matcher {
  checkModifiers(mods);
  if (mods.some((m) => TYPES.has(m) && m !== "re" && m !== "cidr"))
    throw unsupported(`keyword search with modifier ${mods.join("|")}`);
  const values = listOf(raw);
  checkScalars(values);
  if (values.some((v) => v === null)) throw invalid("a keyword is null");
  const positional = mods.some((m) => m === "contains" || m === "startswith" || m === "endswith");
  const wrapped = mods.includes("re") || mods.includes("cidr") || positional ? mods : ["contains", ...mods];
  const tests = valueTests(values, wrapped, o);
  const hit = (r: RecordView, t: ValueTest): boolean => {
    const texts = t.cased ? r.text() : r.textLower();
    for (const x of texts) if (t.test(x)) return true;
    return false;
  };
  return mods.includes("all") ? (r) => tests.every((t) => hit(r, t)) : (r) => tests.some((t) => hit(r, t));
}
