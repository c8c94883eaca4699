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
/** `GetString(k)` of a plain name. */
const GET_STRING_OF = new RegExp(String.raw`${ENCODER}\s*\.\s*getstring\s*\(\s*([a-z_]\w{0,40})\s*\)`, "gi");

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
  if (!/getstring/i.test(s)) return s;
  const direct = s.replace(GET_STRING, (m: string, name?: string, cls?: string, list?: string) => {
    const text = textOf(bytesOf(list), encodingOf(name, cls));
    return text === null ? m : `"${text}"${"\n".repeat(m.split("\n").length - 1)}`;
  });
  return viaNames(direct);
}

const bytesOf = (list?: string) => (list ?? "").split(",").map((b) => byteOf(b.trim()));
const encodingOf = (name?: string, cls?: string) => (name ?? cls ?? "").toLowerCase();

/**
 * `GetString(k)` where `k` is given one byte-array literal and is never written again (no second
 * assignment, no element write such as `k[0] = …`): the literal that array decodes to.
 */
function viaNames(s: string): string {
  if (!/new\s+(?:system\s*\.\s*)?byte\b/i.test(s)) return s;
  const arrays = new Map<string, string>();
  for (const m of s.matchAll(NAMED_ARRAY)) {
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
  return s.replace(GET_STRING_OF, (m: string, name?: string, cls?: string, v?: string) => {
    const key = (v ?? "").toLowerCase();
    const list = arrays.get(key);
    if (list === undefined || writes.get(key) !== 1) return m;
    const text = textOf(bytesOf(list), encodingOf(name, cls));
    return text === null ? m : `"${text}"`;
  });
}
