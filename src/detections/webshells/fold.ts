// Code-level folding on one line of server code: char codes (String.fromCharCode, Chr/ChrW, (char)n,
// new char[]{...}) and byte arrays (byte-strings.ts) to literals, adjacent literals joined ("ev"+"al",
// "ev" & "al"), reversals undone (StrReverse, .split("").reverse().join(""), .Reverse()); and constant
// propagation of names assigned one literal, which feeds folding again. Used by normalise.ts.
import { decodeByteStrings } from "./byte-strings.js";
import { literalGate, presentIn } from "./literal-gate.js";

/** A number literal: decimal, C/JScript hex (0x65), VBScript hex (&H65) and octal (&O145, &0145). */
export const NUM = String.raw`(?:0x[0-9a-f]{1,6}|&h[0-9a-f]{1,6}|&o?[0-7]{1,8}|\d{1,7})`;
export function num(s: string): number {
  const l = s.toLowerCase();
  if (l.startsWith("0x") || l.startsWith("&h")) return Number.parseInt(l.slice(2), 16);
  if (l.startsWith("&")) return Number.parseInt(l.replace(/^&o?/, ""), 8);
  return Number(l);
}
export const charOf = (n: number) =>
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

/** The words that decide which folding steps apply, in either case; decodeByteStrings needs one of the first three. */
const FOLD_GATE = literalGate(["getstring", "char", "chr", "fromcharcode", "reverse", "/*"], { fold: true });

/** Code-level folding on one line: char codes and byte arrays to literals, literals joined, reversals undone. */
export function foldLine(line: string): string {
  let s = line;
  let words = presentIn(FOLD_GATE, s);
  if (words.has("/*")) s = s.replace(INLINE_COMMENT, "");
  if (words.has("getstring") || words.has("char") || words.has("chr")) s = decodeByteStrings(s);
  // A comment dropped or a byte string decoded can spell a word that was not there.
  if (s !== line) words = presentIn(FOLD_GATE, s);
  if (words.has("fromcharcode"))
    s = s.replace(
      FROM_CHAR_CODE,
      (_m, list: string) =>
        `"${list
          .split(",")
          .map((n) => charOf(num(n.trim())))
          .join("")}"`,
    );
  if (words.has("chr") || words.has("char"))
    s = s
      .replace(CHR, (_m, n: string) => `"${charOf(num(n))}"`)
      .replace(CAST, (_m, n: string) => `"${charOf(num(n))}"`)
      .replace(CHAR_ARRAY, (_m, list: string) => {
        const chars = [...list.matchAll(/'((?:[^'\\]|\\.))'/g)].map((c) => c[1]);
        return `"${chars.join("")}"`;
      });
  if (words.has("reverse")) {
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

/**
 * Constant propagation for strings: a name assigned a literal exactly once (`var q = "u";`,
 * `string k = "..."`, `Dim a : a = "..."`) is replaced by the literal where it is read, so
 * `var a = q + "ns" + w` folds to "unsafe". Names assigned more than once are left alone.
 */
export function propagateConstants(lines: string[]): string[] {
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
    `(?<![.\\w"'])(?<!\\b(?:dim|var|const|let|string)\\s+)(${names.map((n) => n.replace(/[$]/g, "\\$&")).join("|")})\\b(?!\\s*(?:=(?!=)|\\())`,
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
