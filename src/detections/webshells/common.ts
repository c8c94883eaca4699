// What the web-shell rules share: the evidence of a swept file, and cheap tests on its lower-case text.
import { clip } from "../evidence.js";
import type { FindingDraft, SweptFile } from "../types.js";
import { SCRIPT_EXT } from "../webfolders.js";

export const REFS = {
  msBlog: "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/",
  msert: "https://github.com/microsoft/CSS-Exchange/blob/main/docs/Security/Defender-MSERT-Guidance.md",
  cisa: "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a",
  volexity:
    "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/",
  sigbase: "https://github.com/Neo23x0/signature-base/blob/master/yara/apt_hafnium.yar",
  certlv: "https://github.com/cert-lv/exchange_webshell_detection",
  proxyshell:
    "https://www.mandiant.com/resources/blog/pst-want-shell-proxyshell-exploiting-microsoft-exchange-servers",
  fireeyeChopper: "https://www.mandiant.com/resources/blog/breaking-down-the-china-chopper-web-shell-part-i",
  godzilla: "https://unit42.paloaltonetworks.com/manageengine-godzilla-nglite-kdcsponge/",
  behinder: "https://github.com/rebeyond/Behinder",
  antsword: "https://github.com/AntSwordProject/antSword",
  sharpyshell: "https://github.com/antonioCoco/SharPyShell",
  antak: "https://github.com/samratashok/nishang/tree/master/Antak-WebShell",
  regeorg: "https://github.com/sensepost/reGeorg",
  webConfig: "https://soroush.me/blog/2014/07/upload-a-web-config-file-for-fun-profit/",
  compareHashes:
    "https://github.com/microsoft/CSS-Exchange/tree/7086a43383df16aa3c6a3a104f224f15011d8cdc/Security/src/Baselines",
};

/** Evidence every sweep finding carries (shared key names: Path, SHA256, Size, Modified, Rule, Match). */
export function sweptEvidence(file: SweptFile, rule: string, match?: string): Record<string, string> {
  const e: Record<string, string> = {
    Path: file.winPath ?? file.path,
    SHA256: file.sha256 ?? "not computed (file over the hashing cap)",
    Size: String(file.size),
    Modified: file.mtime,
    Rule: rule,
  };
  if (match !== undefined) e.Match = clip(match, 300);
  if (file.truncated)
    e.Truncated = `content rules read the first ${file.content.length} of ${file.size} bytes`;
  return e;
}

/** A draft for a swept file: time is its last write time. */
export function sweptDraft(
  check: string,
  file: SweptFile,
  rule: string,
  match?: string,
  extra: Partial<FindingDraft> = {},
): FindingDraft {
  return { check, time: file.mtime, evidence: sweptEvidence(file, rule, match), line: null, ...extra };
}

/**
 * Files the content rules read: the web folders where shells were dropped, and `--files` roots. Not
 * the compiled-page cache (its own rule), and not ClientAccess, Exchange's own large back-end apps
 * (hashed and checked against IOC paths only: their pages were not judged against these rules).
 */
export function inScope(file: SweptFile): boolean {
  return (
    file.extraRoot ||
    (file.folder !== null && file.folder !== "temp-aspnet" && file.folder !== "clientaccess")
  );
}

/** Whether the bytes contain `word` in lower, upper, Capitalised or camelCase (`RunAt`) spelling. */
export function hasWord(buf: Buffer, word: string, camel?: string): boolean {
  const cap = word[0].toUpperCase() + word.slice(1);
  return (
    buf.indexOf(word) >= 0 ||
    buf.indexOf(word.toUpperCase()) >= 0 ||
    buf.indexOf(cap) >= 0 ||
    (camel !== undefined && buf.indexOf(camel) >= 0)
  );
}

const serverSideCache = new WeakMap<SweptFile, boolean>();
/** How far into a file without a page extension the server-code markers are looked for. */
const HEAD = 4096;

/**
 * Code IIS would run on the server. A file needs a page/handler extension to be run (or starts with
 * ASP.NET markup, for a shell given an odd name and mapped or included elsewhere), and must hold an
 * ASP.NET block or directive (`<%`) or a `runat="server"` script (handlers and code files need
 * neither). A `.aspx` that is only HTML, JavaScript served to browsers, images and DLLs are not.
 * Decided on the bytes, so most web files never need a lower-case copy.
 */
/** Which UTF-16 byte order a text is in (BOM, or NULs in every other byte of its head), or null. */
function utf16Order(b: Buffer): "le" | "be" | null {
  if (b[0] === 0xff && b[1] === 0xfe) return "le";
  if (b[0] === 0xfe && b[1] === 0xff) return "be";
  const n = Math.min(b.length, 512) & ~1;
  if (n < 32) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) even++;
    if (b[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd >= pairs * 0.6 && even <= pairs * 0.05) return "le";
  if (even >= pairs * 0.6 && odd <= pairs * 0.05) return "be";
  return null;
}

/**
 * The file's text as one byte per character: UTF-16 pages (which IIS runs like any other) are decoded,
 * everything else is returned as it is. Characters beyond Latin-1 keep only their low byte, which no
 * rule looks for.
 */
export function singleByteText(b: Buffer): Buffer {
  const order = utf16Order(b);
  if (!order) return b;
  const bom = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
  let body = bom ? b.subarray(2) : b;
  if (order === "be") body = Buffer.from(body).swap16();
  return Buffer.from(body.subarray(0, body.length & ~1).toString("utf16le"), "latin1");
}

export function isServerScript(file: SweptFile): boolean {
  let v = serverSideCache.get(file);
  if (v === undefined) {
    const text = singleByteText(file.content);
    const c = hasScriptExt(file) ? text : text.subarray(0, HEAD);
    // Handlers, services and code-behind are code; Razor pages (.cshtml, .vbhtml) are code with markup.
    v =
      c.indexOf("<%") >= 0 ||
      hasWord(c, "runat", "RunAt") ||
      /\.(ashx|asmx|cs|vb|cshtml|vbhtml)$/i.test(file.path);
    serverSideCache.set(file, v);
  }
  return v;
}

export function hasScriptExt(file: SweptFile): boolean {
  return SCRIPT_EXT.test(file.winPath ?? file.path);
}

/** The original (not lower-cased) text around a match, for evidence. */
export function snippet(file: SweptFile, at: number, len: number): string {
  const from = Math.max(0, at - 40);
  const to = Math.min(file.content.length, at + len + 80);
  return file.content.toString("latin1", from, to).replace(/\s+/g, " ").trim();
}

/** Whitespace-tolerant search: `eval (Request` and `eval(Request` are the same to a parser. */
export function squeeze(text: string): string {
  return text.replace(/\s+/g, "");
}
