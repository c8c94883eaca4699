// Microsoft Script Encoder (screnc, `<%@ Language="VBScript.Encode" %>`, `#@~^…^#~@`): a fixed
// substitution with three alternatives per character, chosen by the position in a 64-step pattern.
// The substitution table and pattern are format facts, as published with Didier Stevens' public-domain
// decode-vbe.py (https://DidierStevens.com; reference there: Microsoft TechNet "Encode and Decode a VB
// Script"). Used by the normaliser so that an encoded page is analysed like its plain text.

/** Encoded byte -> plain character, three alternatives each, for byte 9 then bytes 32..127 (hex). */
const TABLE =
  "576E7B2E2D324775307A522156602942715B6A5E382F4933265C3D496258417D3A3429353236655B2039767C5C727A56437F73" +
  "386B6639634E703345452B6B6868627151594F667809765E62317D44644A23546D7543714A4C417E3A604A4C415E7E53404C40" +
  "7745424A2C27612A485D74722227754B37316F44374E794D3B59524C2F22506F5467266A2A72477D6A6474392D547B202B3F7F" +
  "2D382E2C774C30675D6E537E6B476C66346F357879255D742130436423264D5A76525B25636C243F482B7B5528787023296941" +
  "282E34734C0959212A3324447F4E3F6D507755093B5356557C73693A35615F6163654B50465867583B5131574969224F6C6D46" +
  "5A4D6848257C2728365C46703D4A6E24327A79412F373D5F605F4B514F5A20422C366557";
/** Which alternative (0-2) the n-th character (mod 64) takes. */
const PATTERN = "0120121221210212021200122102122100212120200120210212001220012021";

/** One frozen lookup: DECODE[alt][byte] (undefined for bytes that pass through unchanged). */
function decodeTable(): string[][] {
  const out: string[][] = [[], [], []];
  const bytes = [9, ...Array.from({ length: 96 }, (_, i) => 32 + i)];
  bytes.forEach((b, i) => {
    for (let alt = 0; alt < 3; alt++) {
      const at = (i * 3 + alt) * 2;
      out[alt][b] = String.fromCharCode(Number.parseInt(TABLE.slice(at, at + 2), 16));
    }
  });
  return out;
}
const DECODE: readonly (readonly string[])[] = decodeTable();

/** An encoded block: `#@~^` + 6-char length + `==`, the body, a 6-char checksum + `==^#~@`. */
const BLOCK = /#@~\^[A-Za-z0-9+/]{6}==([\s\S]{1,2000000}?)[A-Za-z0-9+/]{6}==\^#~@/g;
const ESCAPES: Record<string, string> = { "&": "\n", "#": "\r", "*": ">", "!": "<", $: "@" };

/** Decodes the body of one block (between the length header and the checksum). */
export function decodeScriptBody(body: string): string {
  let out = "";
  let n = -1;
  for (let i = 0; i < body.length; i++) {
    let c = body[i];
    if (c === "@" && i + 1 < body.length && ESCAPES[body[i + 1]] !== undefined) c = ESCAPES[body[++i]];
    const code = c.charCodeAt(0);
    if (code < 128) n++;
    if ((code === 9 || (code > 31 && code < 128)) && code !== 60 && code !== 62 && code !== 64)
      c = DECODE[PATTERN.charCodeAt(n % 64) - 48][code] ?? c;
    out += c;
  }
  return out;
}

/** Every encoded block of a text with where it starts, decoded. */
export function decodeScriptBlocks(text: string): { at: number; text: string }[] {
  if (!text.includes("#@~^")) return [];
  return [...text.matchAll(BLOCK)].map((m) => ({ at: m.index ?? 0, text: decodeScriptBody(m[1]) }));
}
