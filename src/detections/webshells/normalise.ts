// Undo the obfuscations web shells use to hide their keywords from string scanners, before any rule
// looks at the code: HTML entities, \x/\u escapes, char-code arrays (String.fromCharCode, Chr/ChrW,
// (char)n, new char[]{...}), string concatenation ("ev"+"al", "ev" & "al"), reversed strings
// (StrReverse, .reverse().join, reversed literals of sink words), byte arrays decoded with
// Encoding.*.GetString (byte-strings.ts) and Base64/hex literals. The result
// keeps the file's lines, so every rule can name the line it matched; text decoded out of a literal is
// kept as an extra layer that points back at the literal's line.

import { decodeByteStrings } from "./byte-strings.js";
import { decodeScriptBlocks } from "./script-encoder.js";

/** Lower-case normalised code. `lines[i]` is line i+1 of the file. */
export interface Normalised {
  lines: string[];
  /** Text decoded out of Base64/hex/reversed literals, each pointing at the line of its literal. */
  layers: Layer[];
  /** `lines` joined by "\n", then each layer's text on its own line: what whole-file rules search. */
  text: string;
  /** 1-based line of the original file for an offset in `text`. */
  lineAt(offset: number): number;
  /** Longest Base64 or hex literal seen (characters), for the "long encoded blob" cue. */
  longestBlob: number;
  /** A literal decoded to a Windows executable (MZ header). */
  embeddedPe: number | null;
}

export interface Layer {
  line: number;
  how: "base64" | "hex" | "reversed" | "script-encoder" | "spelled";
  text: string;
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: " " };

/** `&#101;`, `&#x65;`, `&lt;`: what a browser or XML parser would read. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos|nbsp);?/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k[0] !== "#") return NAMED[k] ?? m;
    const n = k[1] === "x" ? Number.parseInt(k.slice(2), 16) : Number.parseInt(k.slice(1), 10);
    return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
  });
}

/** `\x65`, `\u0065`, `\u{65}` (JScript, C#) and `%u0065` (JScript's unescape): the character. */
export function decodeEscapes(s: string): string {
  if (!s.includes("\\") && !s.includes("%u")) return s;
  return s.replace(/\\x([0-9a-f]{2})|\\u\{([0-9a-f]{1,6})\}|[\\%]u([0-9a-f]{4})/gi, (m, x, b, u) => {
    const n = Number.parseInt(x ?? b ?? u, 16);
    // A quote or backslash decoded inside a literal would end it: keep those escaped.
    if (n === 0x22 || n === 0x27 || n === 0x5c || n > 0x10ffff) return m;
    return String.fromCodePoint(n);
  });
}

/** A number literal: decimal, C/JScript hex (0x65), VBScript hex (&H65) and octal (&O145, &0145). */
const NUM = String.raw`(?:0x[0-9a-f]{1,6}|&h[0-9a-f]{1,6}|&o?[0-7]{1,8}|\d{1,7})`;
function num(s: string): number {
  const l = s.toLowerCase();
  if (l.startsWith("0x") || l.startsWith("&h")) return Number.parseInt(l.slice(2), 16);
  if (l.startsWith("&")) return Number.parseInt(l.replace(/^&o?/, ""), 8);
  return Number(l);
}
const charOf = (n: number) =>
  n > 0 && n < 0x110000 && n !== 0x22 && n !== 0x5c ? String.fromCodePoint(n) : "";
const FROM_CHAR_CODE = new RegExp(
  String.raw`string[ \t]*\.[ \t]*fromcharcode[ \t]*\([ \t]*(${NUM}(?:[ \t]*,[ \t]*${NUM})*)[ \t]*\)`,
  "gi",
);
const CHR = new RegExp(
  String.raw`\b(?:chrw?|chrb|convert[ \t]*\.[ \t]*tochar|char)[ \t]*\([ \t]*(${NUM})[ \t]*\)`,
  "gi",
);
const CAST = new RegExp(String.raw`\([ \t]*char[ \t]*\)[ \t]*\(?[ \t]*(${NUM})[ \t]*\)?`, "gi");
const CHAR_ARRAY =
  /new[ \t]+(?:string[ \t]*\([ \t]*new[ \t]+)?char[ \t]*\[[ \t]*\d*[ \t]*\][ \t]*\{((?:[ \t]*'(?:[^'\\]|\\.)'[ \t]*,?)+)\}[ \t]*\)?/gi;
/** Adjacent string literals joined by + (C#, JScript, VBScript) or & (VBScript). */
const CONCAT = /"([^"\n]*)"[ \t]*[+&][ \t]*"([^"\n]*)"/g;
const CONCAT_SINGLE = /'([^'\n]*)'[ \t]*\+[ \t]*'([^'\n]*)'/g;
const STR_REVERSE = /strreverse[ \t]*\([ \t]*"((?:[^"\n]|"")*)"[ \t]*\)/gi;
const JS_REVERSE =
  /(["'])([^"'\n]*)\1[ \t]*\.[ \t]*split[ \t]*\([ \t]*(["'])\3[ \t]*\)[ \t]*\.[ \t]*reverse[ \t]*\([ \t]*\)[ \t]*\.[ \t]*join[ \t]*\([ \t]*(["'])\4[ \t]*\)/gi;
const CS_REVERSE =
  /"([^"\n]*)"[ \t]*\.[ \t]*reverse[ \t]*\([ \t]*\)(?:[ \t]*\.[ \t]*toarray[ \t]*\([ \t]*\))?/gi;
const INLINE_COMMENT = /\/\*[^\n]*?\*\//g;

/** Apply a global replacement until nothing changes ("a"+"b"+"c" needs two passes), at most 32 times. */
function untilStable(s: string, re: RegExp, quote: string): string {
  let cur = s;
  for (let i = 0; i < 32; i++) {
    let n = 0;
    cur = cur.replace(re, (_all: string, a: string, b: string) => {
      n++;
      return `${quote}${a}${b}${quote}`;
    });
    if (n === 0) break;
  }
  return cur;
}

/** Code-level folding on one line: char codes and byte arrays to literals, literals joined, reversals undone. */
export function foldLine(line: string): string {
  let s = line;
  if (s.includes("/*")) s = s.replace(INLINE_COMMENT, "");
  s = decodeByteStrings(s);
  const l = s.toLowerCase();
  if (l.includes("fromcharcode"))
    s = s.replace(
      FROM_CHAR_CODE,
      (_m, list: string) =>
        `"${list
          .split(",")
          .map((n) => charOf(num(n.trim())))
          .join("")}"`,
    );
  if (l.includes("chr") || l.includes("char"))
    s = s
      .replace(CHR, (_m, n: string) => `"${charOf(num(n))}"`)
      .replace(CAST, (_m, n: string) => `"${charOf(num(n))}"`)
      .replace(CHAR_ARRAY, (_m, list: string) => {
        const chars = [...list.matchAll(/'((?:[^'\\]|\\.))'/g)].map((c) => c[1]);
        return `"${chars.join("")}"`;
      });
  if (l.includes("reverse")) {
    const rev = (t: string) => [...t].reverse().join("");
    s = s
      .replace(STR_REVERSE, (_m, t: string) => `"${rev(t)}"`)
      .replace(JS_REVERSE, (_m, _q, t: string) => `"${rev(t)}"`)
      .replace(CS_REVERSE, (_m, t: string) => `"${rev(t)}"`);
  }
  if (s.includes('"')) s = untilStable(s, CONCAT, '"');
  if (s.includes("'")) s = untilStable(s, CONCAT_SINGLE, "'");
  return s;
}

/** `Array(101, 118, 97, 108, ...)`: eight or more printable character codes (VBScript, JScript). */
const CODE_ARRAY = /\barray\s*\(\s*((?:\d{2,3}\s*,\s*){7,}\d{2,3})\s*\)/g;
/** `Array("e", "v", "a", "l", ...)`: four or more literals of one or two characters. */
const PIECE_ARRAY = /\barray\s*\(\s*((?:"(?:[^"\n]|""){1,2}"\s*,\s*){3,}"(?:[^"\n]|""){1,2}")\s*\)/g;
/** A literal that spells words one character at a time: `"e|v|a|l"`, `"e!v!a!l$request"`. */
const SPELLED_LITERAL = /"([^"\s]{7,200})"/g;

/**
 * Text spelled out so that no word of it appears in the source: character-code arrays, arrays of
 * single characters, and literals with a separator between every character (removed at run time by
 * Split/Join or Replace). Returns what they spell, with where each is.
 */
function spelledOut(low: string): { at: number; text: string }[] {
  const out: { at: number; text: string }[] = [];
  for (const m of low.matchAll(CODE_ARRAY)) {
    const codes = m[1].split(",").map((n) => Number(n.trim()));
    if (codes.every((c) => c >= 32 && c <= 126))
      out.push({ at: m.index, text: String.fromCharCode(...codes).toLowerCase() });
  }
  for (const m of low.matchAll(PIECE_ARRAY)) {
    const pieces = [...m[1].matchAll(/"((?:[^"\n]|""){1,2})"/g)].map((p) => p[1].replaceAll('""', '"'));
    out.push({ at: m.index, text: pieces.join("") });
  }
  for (const m of low.matchAll(SPELLED_LITERAL)) {
    const lit = m[1];
    // The separator: the one non-word character that stands between single letters at least 3 times.
    const sep = /\w([^\w])\w\1\w\1\w/.exec(lit)?.[1];
    if (!sep) continue;
    const text = lit
      .split(sep)
      .join("")
      .replace(/[^\w(){}[\]"'.]+/g, " ")
      .trim();
    if (text !== lit) out.push({ at: m.index, text });
  }
  return out;
}

/** Words whose reversal inside a literal means the code reverses it back at run time. */
const REVERSED_WORDS = ["lave", "efasnu", "tseuqer", "etucexe", "daol", "exe.dmc", "llehs.tpircsw", "tratss"];

const B64 = /["']([A-Za-z0-9+/]{16,}={0,2})["']/g;
const HEX = /["']((?:[0-9a-fA-F]{2}){16,})["']/g;
const DATA_URI = /data:[\w/+.-]{1,60};base64,$/i;

function printableShare(b: Buffer): number {
  let p = 0;
  for (const c of b) if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) p++;
  return b.length ? p / b.length : 0;
}

/** Decoded text of an encoded literal when it reads as text (or an executable), else null. */
function decodeBlob(bytes: Buffer): { text: string; pe: boolean } | null {
  if (bytes.length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a) return { text: "", pe: true };
  // UTF-16LE text (PowerShell -EncodedCommand, .NET Unicode.GetString): every other byte zero.
  if (bytes.length >= 8 && bytes[1] === 0 && bytes[3] === 0) {
    const t = bytes.toString("utf16le");
    if (printableShare(Buffer.from(t, "latin1")) > 0.9) return { text: t, pe: false };
  }
  return printableShare(bytes) > 0.9 ? { text: bytes.toString("latin1"), pe: false } : null;
}

/**
 * Typographic quotes as ASCII: UTF-8 “ ” ‘ ’ and their GBK forms, seen through Latin-1 (one byte one
 * char), as copies pasted from web pages carry them; also the GBK forms after a page was re-saved as
 * UTF-8 from Latin-1 (A1 B1 became C2 A1 C2 B1; lower-cased, C2 reads as E2).
 */
function asciiQuotes(s: string): string {
  if (!/[\u00e2\u00a1]/.test(s)) return s;
  return s
    .replace(/[\u00c2\u00e2]\u00a1[\u00c2\u00e2][\u00b0\u00b1]/g, '"')
    .replace(/[\u00c2\u00e2]\u00a1[\u00c2\u00e2][\u00ae\u00af]/g, "'")
    .replace(/\u00e2\u0080[\u009c\u009d]|\u00a1[\u00b0\u00b1]/g, '"')
    .replace(/\u00e2\u0080[\u0098\u0099]|\u00a1[\u00ae\u00af]/g, "'");
}

/** Short block comments (also over line ends) removed, keeping the line count: `ev/*x*\/al` splits no token. */
function dropShortComments(s: string): string {
  if (!s.includes("/*")) return s;
  // Not across quotes: `"/*/"` in a string literal opens no comment (escaped quotes do not count). But
  // a "comment" of only punctuation inside a literal goes too: it is there to become one when the
  // literal is evaluated (`eval("Request[/*-*/0]")`), and dropping it changes no real text.
  return s.replace(/\/\*[^"']{0,200}?\*\//g, (c, at: number) => {
    const lineStart = s.lastIndexOf("\n", at) + 1;
    const quotes = s.slice(lineStart, at).replaceAll('\\"', "").split('"').length - 1;
    const filler = /^\/\*[\s\-*/=#~]*\*\/$/.test(c);
    return quotes % 2 === 1 && !filler ? c : "\n".repeat(c.split("\n").length - 1);
  });
}

const CONT_END = /"[ \t]*\+[ \t]*$/;
const CONT_START = /^[ \t]*\+[ \t]*"/;
const CONCAT_ANY = /"[ \t]*\+|\+[ \t]*"/;

function oddQuotes(line: string): boolean {
  return (line.replaceAll('\\"', "").split('"').length - 1) % 2 === 1;
}

/**
 * A concatenation of literals split over lines (`"ev" +` / `"al(..."`, or a literal broken by a
 * comment's line end) joined onto its first line, the lines it took left empty so that the line count
 * stays; at most five lines are joined.
 */
function joinContinuations(s: string): string {
  if (!s.includes("+")) return s;
  const lines = s.split("\n");
  let changed = false;
  for (let i = 0; i < lines.length - 1; i++) {
    let taken = 0;
    while (i + 1 + taken < lines.length && taken < 4) {
      const cur = lines[i];
      const next = lines[i + 1 + taken];
      const open = CONCAT_ANY.test(cur) && oddQuotes(cur);
      if (!(CONT_END.test(cur) || CONT_START.test(next) || open)) break;
      lines[i] = cur.replace(/\r$/, "") + next;
      lines[i + 1 + taken] = "";
      taken++;
      changed = true;
    }
    i += taken;
  }
  return changed ? lines.join("\n") : s;
}

/**
 * Constant propagation for strings: a name assigned a literal exactly once (`var q = "u";`,
 * `string k = "..."`, `Dim a : a = "..."`) is replaced by the literal where it is read, so
 * `var a = q + "ns" + w` folds to "unsafe". Names assigned more than once are left alone.
 */
function propagateConstants(lines: string[]): string[] {
  const assign =
    /(?:^|[\s;{(])(?:(?:var|dim|const|string|let)\s+)?([a-z_]\w{0,30})\s*=\s*("[^"\n]{0,64}"|'[^'\n]{0,64}')[ \t]*(?:[;:,']|\/\/|$)/gi;
  const any = /(?:^|[\s;{(,])([a-z_]\w{0,30})\s*(?:\+|-|\*|\/|&)?=(?!=)/gi;
  const lit = new Map<string, string>();
  const count = new Map<string, number>();
  for (const l of lines) {
    for (const m of l.matchAll(any)) count.set(m[1].toLowerCase(), (count.get(m[1].toLowerCase()) ?? 0) + 1);
    for (const m of l.matchAll(assign)) lit.set(m[1].toLowerCase(), m[2]);
  }
  const names = [...lit.keys()].filter((n) => count.get(n) === 1 && n.length > 0);
  if (names.length === 0 || names.length > 200) return lines;
  let changed = false;
  const use = new RegExp(
    `(?<![.\\w"'])(${names.map((n) => n.replace(/[$]/g, "\\$&")).join("|")})\\b(?!\\s*(?:=(?!=)|\\())`,
    "gi",
  );
  const out = lines.map((l) => {
    if (!use.test(l)) return l;
    use.lastIndex = 0;
    const replaced = l.replace(use, (m, n: string) => {
      const v = lit.get(n.toLowerCase());
      return v ? `"${v.slice(1, -1)}"` : m;
    });
    if (replaced !== l) changed = true;
    return foldLine(replaced);
  });
  return changed ? out : lines;
}

/** 1-based line of each offset of `s`, by binary search over the line starts. */
function lineIndex(s: string): (offset: number) => number {
  const starts = [0];
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Normalise a file's text (Latin-1, one byte one char). `depth` bounds nested decoding. Every step
 * works on the whole text with patterns that never cross a line end, so line numbers survive.
 */
export function normalise(source: string, depth = 2): Normalised {
  let whole = joinContinuations(dropShortComments(asciiQuotes(source)));
  if (whole.includes("&")) whole = decodeEntities(whole);
  if (whole.includes("\\") || whole.includes("%u")) whole = decodeEscapes(whole);
  whole = foldLine(whole);
  let raw = whole.split("\n");
  // Each round folds the literals the previous one produced (q + "ns" + w, then a = "unsafe"). Only
  // code that evaluates strings needs it.
  if (/eval|execute/i.test(whole)) {
    for (let round = 0; round < 3; round++) {
      const next = propagateConstants(raw);
      if (next === raw) break;
      raw = next;
      whole = raw.join("\n");
    }
  }
  const lines = whole.toLowerCase().split("\n");
  const layers: Layer[] = [];
  let longestBlob = 0;
  let embeddedPe: number | null = null;
  const lineOf = lineIndex(whole);
  for (const re of [B64, HEX]) {
    for (const m of whole.matchAll(re)) {
      const lit = m[1];
      const at = m.index ?? 0;
      if (re === B64 && DATA_URI.test(whole.slice(Math.max(0, at - 80), at + 1))) continue;
      longestBlob = Math.max(longestBlob, lit.length);
      const bytes = Buffer.from(lit, re === B64 ? "base64" : "hex");
      const d = decodeBlob(bytes);
      if (!d) continue;
      const line = lineOf(at);
      if (d.pe) embeddedPe ??= line;
      else if (depth > 0) {
        const inner = normalise(d.text, depth - 1);
        layers.push({ line, how: re === B64 ? "base64" : "hex", text: inner.lines.join(" ") });
        for (const l of inner.layers) layers.push({ ...l, line });
        if (inner.embeddedPe !== null) embeddedPe ??= line;
      }
    }
  }
  // Script-Encoded blocks (#@~^…^#~@): their plain text, normalised, one layer per line at the block's line.
  if (depth > 0)
    for (const block of decodeScriptBlocks(source)) {
      const line = lineOf(block.at);
      const inner = normalise(block.text, depth - 1);
      for (const l of inner.lines) if (l.trim()) layers.push({ line, how: "script-encoder", text: l });
      for (const l of inner.layers) layers.push({ ...l, line });
      if (inner.embeddedPe !== null) embeddedPe ??= line;
    }
  const low = lines.join("\n");
  if (low.includes("array") || low.includes("|") || low.includes("!"))
    for (const sp of spelledOut(low)) layers.push({ line: lineOf(sp.at), how: "spelled", text: sp.text });
  if (REVERSED_WORDS.some((w) => low.includes(w))) {
    for (const m of low.matchAll(/"([^"\n]{4,200})"/g)) {
      if (REVERSED_WORDS.some((w) => m[1].includes(w)))
        layers.push({ line: lineOf(m.index ?? 0), how: "reversed", text: [...m[1]].reverse().join("") });
    }
  }
  const parts = [...lines, ...layers.map((l) => l.text.toLowerCase())];
  const text = parts.join("\n");
  // Start offset of every part, for offset -> line.
  const starts: number[] = new Array(parts.length);
  for (let i = 0, o = 0; i < parts.length; i++) {
    starts[i] = o;
    o += parts[i].length + 1;
  }
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo < lines.length ? lo + 1 : layers[lo - lines.length].line;
  };
  return { lines, layers, text, lineAt, longestBlob, embeddedPe };
}
