// Undo the obfuscations web shells use to hide their keywords from string scanners, before any rule
// looks at the code: HTML entities, \x/\u escapes, char-code arrays (String.fromCharCode, Chr/ChrW,
// (char)n, new char[]{...}), string concatenation ("ev"+"al", "ev" & "al"), reversed strings
// (StrReverse, .reverse().join, reversed literals of sink words), byte arrays decoded with
// Encoding.*.GetString (byte-strings.ts) and Base64/hex literals. The result
// keeps the file's lines, so every rule can name the line it matched; text decoded out of a literal is
// kept as an extra layer that points back at the literal's line.

import { foldLine, propagateConstants } from "./fold.js";
import { literalGate, presentIn } from "./literal-gate.js";
import { decodeScriptBlocks } from "./script-encoder.js";
import { asciiQuotes, dropShortComments, joinContinuations } from "./source-clean.js";
import { spelledOut } from "./spelled.js";

export { foldLine } from "./fold.js";

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

/** Words whose reversal inside a literal means the code reverses it back at run time. */
const REVERSED_WORDS = ["lave", "efasnu", "tseuqer", "etucexe", "daol", "exe.dmc", "llehs.tpircsw", "tratss"];
/** The reversed words, and what code spelled out character by character needs (spelled.ts). */
const LAYER_GATE = literalGate([...REVERSED_WORDS, "array", "|", "!"], { frequent: ["|", "!"] });

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

/** Where constant propagation can matter (see normalise). */
const PROPAGATE_WHERE =
  /eval|execute|reverse|\b(?:session|application|cache)\s*[[(]\s*[a-z_]|\b(?:load|invoke|createinstance|getmethod|gettype)\s*\(\s*[a-z_]/i;

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
  // code where a name can stand for a word a rule needs: code that evaluates strings, a Session/
  // Application/Cache slot with a computed key, a load/invoke/reflection call with a named argument.
  if (PROPAGATE_WHERE.test(whole)) {
    for (let round = 0; round < 3; round++) {
      const next = propagateConstants(raw);
      if (next === raw) break;
      raw = next;
      whole = raw.join("\n");
    }
  }
  const low = whole.toLowerCase();
  const lines = low.split("\n");
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
  const words = presentIn(LAYER_GATE, low);
  if (words.has("array") || words.has("|") || words.has("!"))
    for (const sp of spelledOut(low)) layers.push({ line: lineOf(sp.at), how: "spelled", text: sp.text });
  if (REVERSED_WORDS.some((w) => words.has(w))) {
    for (const m of low.matchAll(/"([^"\n]{4,200})"/g)) {
      if (REVERSED_WORDS.some((w) => m[1].includes(w)))
        layers.push({ line: lineOf(m.index ?? 0), how: "reversed", text: [...m[1]].reverse().join("") });
    }
  }
  // The lines (`low` is them joined), then each layer on its own line.
  const layerTexts = layers.map((l) => l.text.toLowerCase());
  const text = layerTexts.length ? `${low}\n${layerTexts.join("\n")}` : low;
  // Start offset of every part, for offset -> line.
  const starts: number[] = new Array(lines.length + layerTexts.length);
  for (let i = 0, o = 0; i < starts.length; i++) {
    starts[i] = o;
    o += (i < lines.length ? lines[i] : layerTexts[i - lines.length]).length + 1;
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
