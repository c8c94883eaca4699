// Strings hidden as byte arrays in .NET code: `Encoding.Default.GetString(new byte[] { 0x4c, 111, ... })`
// (C#, also `System.Text.Encoding.*`, `new UTF8Encoding()`, `Encoding.GetEncoding(n)`) and VB's
// `Encoding.ASCII.GetString(New Byte() {&H4C, 111, ...})`, also `GetString(k)` of a name given such an
// array once. The call becomes the string literal it produces, so that rules see "load" where the
// source only had numbers, as with char-code arrays. Only text is decoded: a byte array that does not
// read as printable ASCII (a BOM, image bytes, a key) stays as it is.

const BYTE = String.raw`(?:0x[0-9a-f]{1,2}|&h[0-9a-f]{1,2}|\d{1,3})`;
/** The encoding object: which decoder, from the name after `Encoding.` or the class constructed. */
const ENCODER = String.raw`(?:(?:system\s*\.\s*)?(?:text\s*\.\s*)?encoding\s*\.\s*(default|utf8|ascii|unicode|latin1|getencoding\s*\(\s*[^()\n]{1,30}\))|new\s+(?:system\s*\.\s*text\s*\.\s*)?(utf8|ascii|unicode)encoding\s*\(\s*\))`;
/** `new byte[] {…}`, `new byte[3] {…}`, `new System.Byte[] {…}`, VB `New Byte() {…}`. */
const BYTE_ARRAY = String.raw`new\s+(?:system\s*\.\s*)?byte\s*(?:\[\s*\d*\s*\]|\(\s*\d*\s*\))\s*\{\s*(${BYTE}(?:\s*,\s*${BYTE})*)\s*,?\s*\}`;
const GET_STRING = new RegExp(String.raw`${ENCODER}\s*\.\s*getstring\s*\(\s*${BYTE_ARRAY}\s*\)`, "gi");
/** A name given a byte-array literal: `byte[] k = new byte[] {…}`, `var k = …`, VB `Dim k As Byte() = New Byte() {…}`. */
const NAMED_ARRAY = new RegExp(
  String.raw`(?<![\w.])([a-z_]\w{0,40})(?:\s+as\s+(?:system\s*\.\s*)?byte\s*\(\s*\))?\s*=\s*${BYTE_ARRAY}`,
  "gi",
);
/**
 * A typed name given a bare initialiser, without `new`: C# `byte[] k = {…}`, VB `Dim k As Byte() = {…}`
 * and `Dim k() As Byte = {…}`.
 */
const BARE_NAMED_ARRAY = new RegExp(
  String.raw`(?:\bbyte\s*\[\s*\]\s*|\bdim\s+)([a-z_]\w{0,40})(?:\s*\(\s*\))?(?:\s+as\s+(?:system\s*\.\s*)?byte(?:\s*\(\s*\))?)?\s*=\s*\{\s*(${BYTE}(?:\s*,\s*${BYTE})*)\s*,?\s*\}`,
  "gi",
);
/** `GetString(k)` of a plain name. */
const GET_STRING_OF = new RegExp(
  String.raw`${ENCODER}\s*\.\s*getstring\s*\(\s*([a-z_]\w{0,40})(\s*\.\s*reverse\s*\(\s*\)(?:\s*\.\s*toarray\s*\(\s*\))?)?\s*\)`,
  "gi",
);
/** An element written as a conversion: `Convert.ToByte("4c", 16)`, `Convert.ToByte(76)`, `(byte)76`, VB `CByte(76)`. */
const CONVERTED_BYTE = new RegExp(
  String.raw`convert\s*\.\s*tobyte\s*\(\s*"(?:0x)?([0-9a-f]{1,2})"\s*,\s*16\s*\)|convert\s*\.\s*tobyte\s*\(\s*"?(${BYTE})"?\s*\)|\(\s*byte\s*\)\s*(${BYTE})\b|\bcbyte\s*\(\s*(${BYTE})\s*\)`,
  "gi",
);

function byteOf(s: string): number {
  const l = s.toLowerCase();
  return l.startsWith("0x") || l.startsWith("&h") ? Number.parseInt(l.slice(2), 16) : Number(l);
}

/** The text the bytes decode to with that encoding, or null when they are not printable ASCII text. */
function textOf(bytes: number[], encoding: string): string | null {
  if (bytes.some((b) => b > 255)) return null;
  let codes = bytes;
  if (encoding === "unicode") {
    // UTF-16LE: every second byte is the high byte, zero for ASCII.
    if (bytes.length % 2 !== 0) return null;
    codes = [];
    for (let i = 0; i < bytes.length; i += 2) codes.push(bytes[i] | (bytes[i + 1] << 8));
  }
  if (codes.length === 0 || codes.some((c) => c < 0x20 || c > 0x7e)) return null;
  // A quote or backslash would end or escape the literal it becomes: left out, as with char codes.
  const text = String.fromCharCode(...codes.filter((c) => c !== 0x22 && c !== 0x5c));
  return text || null;
}

/**
 * Every `GetString` of a byte-array literal replaced by the literal it decodes to; the line ends the
 * array spanned follow the literal, so the line count stays.
 */
export function decodeByteStrings(s: string): string {
  if (!/getstring|\(\s*char\s*\)|chrw?\s*\(|tochar\s*\(/i.test(s)) return s;
  const plain = /tobyte|cbyte|\(\s*byte\s*\)/i.test(s) ? plainElements(s) : s;
  const direct = plain.replace(GET_STRING, (m: string, name?: string, cls?: string, list?: string) => {
    const text = textOf(bytesOf(list), encodingOf(name, cls));
    return text === null ? m : `"${text}"${"\n".repeat(m.split("\n").length - 1)}`;
  });
  return viaNames(direct);
}

/** Inside brace lists, each converted element (`Convert.ToByte("4c", 16)`, `(byte)76`) as the number it is. */
function plainElements(s: string): string {
  return s.replace(/\{[^{}]{1,8000}\}/g, (list) =>
    list.replace(CONVERTED_BYTE, (_m, hex?: string, a?: string, b?: string, c?: string) =>
      hex !== undefined ? `0x${hex}` : (a ?? b ?? c ?? ""),
    ),
  );
}

const bytesOf = (list?: string) => (list ?? "").split(",").map((b) => byteOf(b.trim()));
const encodingOf = (name?: string, cls?: string) => (name ?? cls ?? "").toLowerCase();

/**
 * `GetString(k)` where `k` is given one byte-array literal and is never written again (no second
 * assignment, no element write such as `k[0] = …`): the literal that array decodes to.
 */
function viaNames(s: string): string {
  if (!/byte/i.test(s)) return s;
  const arrays = new Map<string, string>();
  for (const re of [NAMED_ARRAY, BARE_NAMED_ARRAY])
    for (const m of s.matchAll(re)) {
      const name = m[1].toLowerCase();
      if (!/^(?:var|dim|new|return)$/.test(name)) arrays.set(name, m[2]);
    }
  if (arrays.size === 0) return s;
  const writes = new Map<string, number>();
  for (const m of s.matchAll(
    /(?<![\w.])([a-z_]\w{0,40})\s*(?:\([^()\n]{0,40}\)|\[[^\]\n]{0,40}\])?\s*(?:as\s+[\w.]+(?:\s*\(\s*\))?\s*)?[-+*/^|&]?=(?![=>])/gi,
  )) {
    const name = m[1].toLowerCase();
    writes.set(name, (writes.get(name) ?? 0) + 1);
  }
  // `Array.Reverse(k)` reverses the array in place: an odd number of them leaves it reversed.
  const reversals = new Map<string, number>();
  for (const m of s.matchAll(/\barray\s*\.\s*reverse\s*\(\s*([a-z_]\w{0,40})\s*\)/gi)) {
    const name = m[1].toLowerCase();
    reversals.set(name, (reversals.get(name) ?? 0) + 1);
  }
  const decoded = s.replace(
    GET_STRING_OF,
    (m: string, name?: string, cls?: string, v?: string, rev?: string) => {
      const key = (v ?? "").toLowerCase();
      const list = arrays.get(key);
      if (list === undefined || writes.get(key) !== 1) return m;
      const bytes = bytesOf(list);
      if (((reversals.get(key) ?? 0) + (rev ? 1 : 0)) % 2 === 1) bytes.reverse();
      const text = textOf(bytes, encodingOf(name, cls));
      return text === null ? m : `"${text}"`;
    },
  );
  return loopStrings(decoded, arrays, writes);
}

/**
 * A string built from a named array one element at a time (`foreach (byte c in k) s += (char)c;`,
 * `s += (char)k[i]`, VB `s = s & ChrW(k(i))`, `For Each c In k : s &= Chr(c)`): where `s` is read after
 * the loop, the text the array spells (as with GetString). Only when `s` is written nowhere else but
 * an empty initialiser, and the array is given one literal and never written again.
 */
function loopStrings(s: string, arrays: Map<string, string>, writes: Map<string, number>): string {
  if (!/\(\s*char\s*\)|chrw?\s*\(|tochar\s*\(/i.test(s)) return s;
  const names = [...arrays.keys()].filter((a) => writes.get(a) === 1).map((a) => a.replace(/\$/g, "\\$"));
  if (names.length === 0) return s;
  const arr = `(${names.join("|")})`;
  const conv = String.raw`(?:\(\s*char\s*\)\s*\(?|(?:chrw?|convert\s*\.\s*tochar)\s*\()`;
  const builders = [
    new RegExp(
      String.raw`for\s*each\s*\(?\s*(?:\w+\s+)?([a-z_]\w*)\s+(?:as\s+\w+\s+)?in\s+${arr}\s*\)?\s*[{:\n]?\s*([a-z_]\w*)\s*(?:\+=|&=|=\s*\3\s*[&+])\s*${conv}\s*\1\b`,
      "gi",
    ),
    new RegExp(
      String.raw`(?<![\w.])([a-z_]\w*)\s*(?:\+=|&=|=\s*\1\s*[&+])\s*${conv}\s*${arr}\s*[[(]\s*\w+\s*[\])]`,
      "gi",
    ),
  ];
  let out = s;
  for (const [i, re] of builders.entries()) {
    for (const m of s.matchAll(re)) {
      const [array, built] = i === 0 ? [m[2], m[3]] : [m[2], m[1]];
      const b = built.toLowerCase();
      const list = arrays.get(array.toLowerCase());
      // The append and at most one empty initialiser.
      const empty = new RegExp(
        String.raw`(?<![\w.])${b}(?:\s+as\s+string)?\s*=\s*(?:""|string\s*\.\s*empty)`,
        "i",
      ).test(s);
      if (list === undefined || (writes.get(b) ?? 0) > (empty ? 2 : 1)) continue;
      const text = textOf(bytesOf(list), "ascii");
      if (text === null) continue;
      const end = m.index + m[0].length;
      const tail = out
        .slice(end)
        .replace(new RegExp(String.raw`(?<![\w."'])${b}\b(?!\s*(?:[-+&]?=(?![=>])|\())`, "gi"), `"${text}"`);
      out = out.slice(0, end) + tail;
    }
  }
  return out;
}
