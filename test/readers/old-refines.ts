// The byte-level `refine` functions the IIS and HttpProxy detections carried before the reader took
// their prefilters over as data, kept verbatim as the oracle of the equivalence tests: every line one of
// these accepted must still reach the detection.
import { ATTACKER_USER_AGENTS, isProxyLogonStem } from "../../src/detections/proxylogon/iis-26855.js";
import { isUnexpectedScript } from "../../src/detections/webshells/iis-unexpected-script.js";

export type LineRefine = (buf: Buffer, start: number, end: number, hit: number) => boolean;

const SPACE = 32;
const TAB = 9;

function tokenAround(buf: Buffer, start: number, end: number, at: number): [number, number] {
  let s = at;
  while (s > start && buf[s - 1] !== SPACE && buf[s - 1] !== TAB) s--;
  let e = at;
  while (e < end && buf[e] !== SPACE && buf[e] !== TAB) e++;
  return [s, e];
}

const NEEDLES = ["/auth/current/", "/ecp/", "/auth/x.js", "/auth/w.js"].map((n) => Buffer.from(n));
const POST = Buffer.from(" POST ");

export const entryPathInLine: LineRefine = (buf, start, end) => {
  if (buf.subarray(start, end).indexOf(POST) < 0) return false;
  const line = Buffer.from(buf.toString("latin1", start, end).toLowerCase(), "latin1");
  for (const n of NEEDLES) {
    for (let h = line.indexOf(n); h >= 0; h = line.indexOf(n, h + 1)) {
      const [s, e] = tokenAround(line, 0, line.length, h);
      if (isProxyLogonStem(line.toString("latin1", s, e).toLowerCase())) return true;
    }
  }
  return false;
};

const UA_BYTES = ATTACKER_USER_AGENTS.map((u) => Buffer.from(u));
export const userAgentInLine: LineRefine = (buf, start, end) => {
  const line = buf.subarray(start, end);
  return line.indexOf(POST) >= 0 && UA_BYTES.some((u) => line.indexOf(u) >= 0);
};

const EXTENSIONS = ["aspx", "ashx", "asmx", "asp", "asa", "cer"].map((e) => Buffer.from(e));
const DOT = 0x2e;

function extensionAt(buf: Buffer, p: number, end: number, ext: Buffer): boolean {
  const e = p + ext.length;
  if (e > end) return false;
  for (let i = 0; i < ext.length; i++) if ((buf[p + i] | 0x20) !== ext[i]) return false;
  return e === end || buf[e] === 0x20 || buf[e] === 0x09;
}

export const scriptTokenInLine: LineRefine = (buf, start, end, hit) => {
  const line = buf.subarray(start, end);
  for (let p = line.indexOf(DOT, hit - start); p >= 0; p = line.indexOf(DOT, p + 1)) {
    if (!EXTENSIONS.some((ext) => extensionAt(line, p + 1, line.length, ext))) continue;
    const [s, e] = tokenAround(line, 0, line.length, p);
    if (isUnexpectedScript(line.toString("latin1", s, e).toLowerCase())) return true;
  }
  return false;
};

const SLASH = 0x2f;
const SERVER = Buffer.from("Server~", "latin1");
const TILDE = 0x7e;
const COMMA = 0x2c;
const QUOTE = 0x22;

export const forgedCookieShape: LineRefine = (buf, _start, end, hit) => {
  const line = buf.subarray(0, end);
  for (let h = hit; h >= 0 && h < end; h = line.indexOf(SERVER, h + 7)) {
    for (let p = h + 7; p < end; p++) {
      const c = buf[p];
      if (c === SLASH) return true;
      if (c === TILDE || c === COMMA || c === QUOTE) break;
    }
  }
  return false;
};
