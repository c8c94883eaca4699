// CVE-2021-27065, the post-authentication file write through Set-<x>VirtualDirectory, two ways:
// (a) ECP Server log: a Set-*VirtualDirectory command with markup inside a *Url value;
// (b) HttpProxy/Ecp: the SSRF'd DDI call that resets the virtual directory (…Reset…VirtualDirectory#)
//     answered 200, which Test-ProxyLogon reports as "WebShell possibly downloaded in file system".
import type { CheckInfo } from "../../model/types.js";
import { clip, pickFields } from "../evidence.js";
import { like } from "../like.js";
import type { RowDetection } from "../types.js";
import { REF } from "./refs.js";
import { SSRF_FIELDS } from "./ssrf-26855.js";

const CVE = ["CVE-2021-27065"];

export const checks = {
  setVdir: {
    id: "cve-2021-27065-set-vdir",
    title: "Web shell written through a virtual directory URL (CVE-2021-27065, ECP log)",
    cves: CVE,
    severity: "critical",
    effect: "compromise",
    description:
      "The ECP Server log records a Set-*VirtualDirectory command whose *Url value contains a markup tag pair " +
      "(e.g. ExternalUrl='http://f/<script ...>...</script>'). This is how HAFNIUM planted the OAB web shell: the " +
      "URL is saved into the virtual directory settings, which are then exported to a .aspx file. Condition: " +
      "Test-ProxyLogon's regular expression, evaluated in linear time.",
    references: [REF.cve27065, REF.msBlog, REF.testProxyLogon, REF.cisaAA21062A],
  },
  resetVdir: {
    id: "cve-2021-27065-reset-vdir",
    title: "Virtual directory reset through the SSRF, answered 200 (CVE-2021-27065)",
    cves: CVE,
    severity: "critical",
    effect: "compromise",
    description:
      "HttpProxy/Ecp row with AnchorMailbox like ServerInfo~*/*Reset*VirtualDirectory# and HttpStatus 200: the " +
      "virtual directory settings (with the attacker's URL) were written out to a file. Test-ProxyLogon: " +
      "'WebShell possibly downloaded in file system'.",
    references: [REF.cve27065, REF.cve26855, REF.testProxyLogon],
  },
} satisfies Record<string, CheckInfo>;

const WORD = /[\p{L}\p{Mn}\p{Nd}\p{Pc}]/u;
const CLOSE_TAG = /<\/[\p{L}\p{Mn}\p{Nd}\p{Pc}]+>/gu;

/**
 * True when the line matches Test-ProxyLogon's pattern
 *   Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)
 * with Select-String semantics (case-insensitive, .NET `\w`, `.` = anything but a line feed).
 * Every stage only needs "some later position", so taking the earliest end of each stage is exact and
 * the whole test is linear: no backtracking on attacker-sized lines.
 */
export function matchesSetVdirMarkup(line: string): boolean {
  const l = line.toLowerCase();
  const p1 = l.indexOf("set-");
  if (p1 < 0) return false;
  const p2 = l.indexOf("virtualdirectory", p1 + 5);
  if (p2 < 0) return false;
  const p3 = l.indexOf("url", p2 + 16 + 1);
  if (p3 < 0) return false;
  // `.+<\w+.*>`: at least one character after the lookahead position, then an opening tag.
  let q1 = l.indexOf("<", p3 + 1);
  while (q1 >= 0 && !(q1 + 1 < l.length && WORD.test(l[q1 + 1]))) q1 = l.indexOf("<", q1 + 1);
  if (q1 < 0) return false;
  const q2 = l.indexOf(">", q1 + 2);
  if (q2 < 0) return false;
  CLOSE_TAG.lastIndex = q2 + 1;
  const close = CLOSE_TAG.exec(l);
  if (!close) return false;
  const end = close.index + close[0].length;
  return l.indexOf("virtualdirectory", end + 1) >= 0;
}

/** `S:KEY=value` from ECP EventData (`S:TIME=13;S:SID=…;S:CMD=…;S:URL=…`). */
export function ecpValue(eventData: string, key: string): string | undefined {
  const marker = `S:${key}=`;
  const i = eventData.indexOf(marker);
  if (i < 0) return undefined;
  const start = i + marker.length;
  const next = eventData.indexOf(";S:", start);
  return eventData.slice(start, next < 0 ? undefined : next);
}

export const ecpSetVdir27065: RowDetection = {
  type: "row",
  id: "proxylogon-ecp-set-vdir",
  checks: [checks.setVdir],
  kinds: ["ecp-server"],
  literals: ["VirtualDirectory", "virtualdirectory", "Virtualdirectory", "VIRTUALDIRECTORY"],
  match(row) {
    const text = row.text();
    if (!matchesSetVdirMarkup(text)) return null;
    const data = row.get("EventData") ?? text;
    const evidence: Record<string, string> = {};
    const put = (k: string, v: string | undefined) => {
      if (v) evidence[k] = clip(v);
    };
    put("TimeStamp", row.get("TimeStamp"));
    put("ServerName", row.get("ServerName"));
    put("EventId", row.get("EventId"));
    put("Command", ecpValue(data, "CMD"));
    put("Url", ecpValue(data, "URL"));
    put("RequestId", ecpValue(data, "REQID"));
    put("ActivityId", ecpValue(data, "ACTID"));
    put("Sid", ecpValue(data, "SID"));
    if (!evidence.Command) put("Line", text);
    return { check: checks.setVdir.id, time: row.time(), evidence };
  },
};

export const resetVdir27065: RowDetection = {
  type: "row",
  id: "proxylogon-reset-vdir",
  checks: [checks.resetVdir],
  kinds: ["httpproxy"],
  literals: ["ServerInfo~"],
  match(row, ctx) {
    const protocol = row.get("Protocol") ?? "";
    const inEcp = protocol.toLowerCase() === "ecp" || /(^|\/)httpproxy\/ecp\//i.test(ctx.file);
    if (!inEcp) return null;
    const anchor = row.get("AnchorMailbox") ?? "";
    if (!like(anchor, "ServerInfo~*/*Reset*VirtualDirectory#")) return null;
    if ((row.get("HttpStatus") ?? "").trim() !== "200") return null;
    return { check: checks.resetVdir.id, time: row.time(), evidence: pickFields(row, SSRF_FIELDS) };
  },
};
