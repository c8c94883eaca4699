// The fast path (literal plan, one-pass search or indexOf, prefilters, gates) must hand every IIS row a
// detection would find something in to that detection: on a varied generated IIS log (attack shapes and
// their look-alikes, percent-encoded, double-encoded, %uXXXX, mixed case, `@` in stem and query, attacker
// user agents, IOC addresses), the findings of the fast path equal those of the full path, where every
// row that holds a detection's literal (plain or encoded) is split and handed to it, with no prefilter
// and no gate (Sigma's bundled web rules and the IOC feed, which have no literals, see every row).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { ATTACKER_USER_AGENTS } from "../../src/detections/proxylogon/iis-26855.js";
import { draftsOf, type MatchContext, type RowDetection } from "../../src/detections/types.js";
import { planFor } from "../../src/hunt/task.js";
import type { LogRow } from "../../src/model/records.js";
import type { LiteralPlan } from "../../src/readers/delimited.js";
import { iisW3c } from "../../src/readers/iis-w3c.js";
import { canonicalUri } from "../../src/readers/uri.js";
import { indexOfPlan, scanWholeFile, tempDir } from "../helpers.js";
import { type IisReq, iisLog } from "../iis-helpers.js";

const STEMS = [
  "/owa/auth/logon.aspx",
  "/owa/auth/Current/themes/resources/logon.css",
  "/owa/auth/x.js",
  "/owa/auth/evil.aspx",
  "/ecp/y.js",
  "/ecp/abcd.js",
  "/ecp/default.flt",
  "/ecp/main.css",
  "/ecp/default.aspx",
  "/ecp/auth/TimeoutLogout.aspx",
  "/ecp/auth/shell.aspx",
  "/EWS/Exchange.asmx",
  "/ews/other.asmx",
  "/oab/x.aspx",
  "/aspnet_client/system_web/discover.aspx",
  "/aspnet_client/a.cer",
  "/shell.ashx",
  "/autodiscover/autodiscover.json",
  "/autodiscover/autodiscover.xml",
  "/autodiscover/autodiscover.json/v1.0/alice@contoso.com",
  "/owa/mastermailbox@outlook.com/powershell",
  "/owa/alice@contoso.com/powershell/x",
  "/owa/powershell",
  "/powershell",
  "/mapi/nspi/",
  "/owa/service.svc",
  "/owa/calendar/a.ics",
  "/Microsoft-Server-ActiveSync/default.eas",
  "/ecp/DDI/DDIService.svc/SetObject",
  "/ecp/RulesEditor/InboxRules.svc/NewObject",
];

const QUERIES = [
  "",
  "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
  "@evil.corp/powershell/?X-Rps-CAT=abc&Email=autodiscover/autodiscover.json%3F@evil.corp",
  "Email=autodiscover/autodiscover.json?@evil.corp/ews/exchange.asmx",
  "@evil.corp/owa/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
  "@evil.corp/autodiscover.xml",
  "Email=alice%40contoso.com&Protocol=ActiveSync&RedirectCount=1",
  "Protocol=EWS&RedirectCount=1",
  "serializationLevel=Full;clientApplication=ActiveMonitor",
  "url=https://mail/owa/&reason=0",
  "cmd=whoami",
  "c=cmd+/c+whoami",
  "__VIEWSTATE=abc",
  "schema=ResetOABVirtualDirectory",
  "a=/powershell",
];

/** Whole attack shapes (stem and query together), so that every check is reached often. */
const SHAPES: [string, string][] = [
  [
    "/autodiscover/autodiscover.json",
    "@evil.corp/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
  ],
  [
    "/autodiscover/autodiscover.json",
    "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
  ],
  ["/autodiscover/autodiscover.json", "a=1&@evil.corp/powershell"],
  ["/autodiscover/autodiscover.json/@evil.corp/ews/", "-"],
  ["/owa/x@evil.corp/powershell", ""],
];

const UAS = [
  "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+Chrome/88.0",
  "Microsoft+WinRM+Client",
  "ClientInfo",
  "Outlook-iOS-Android/1.0",
  ...ATTACKER_USER_AGENTS,
];

const USERS = ["", "", "alice@contoso.com", "CONTOSO\\bob"];
const IPS = ["10.0.0.9", "203.0.113.77", "104.140.114.110", "5.254.43.18"];
const STATUSES = [200, 200, 241, 302, 401, 404, 500];

/** A small deterministic generator (the test must be repeatable). */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const hex = (c: number) => c.toString(16).padStart(2, "0");

/** One character written as an attacker might: %XX (either case of hex), %25XX, %u00XX. */
function encodeChar(ch: string, r: () => number): string {
  const h = hex(ch.charCodeAt(0));
  const k = Math.floor(r() * 4);
  return k === 0 ? `%${h}` : k === 1 ? `%${h.toUpperCase()}` : k === 2 ? `%25${h}` : `%u00${h}`;
}

/** A value mangled: some letters in the other case, some characters percent-encoded. */
function mangle(v: string, r: () => number): string {
  const mode = r();
  if (mode < 0.4) return v;
  let out = "";
  for (const ch of v) {
    const x = r();
    if (/[a-z.@/]/i.test(ch) && x < 0.12) out += encodeChar(ch, r);
    else if (/[a-z]/i.test(ch) && x < 0.3)
      out += ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
    else out += ch;
  }
  return out;
}

function requests(n: number): IisReq[] {
  const r = rng(20);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: IisReq[] = [];
  for (let i = 0; i < n; i++) {
    const [stem, query] = r() < 0.15 ? pick(SHAPES) : [pick(STEMS), pick(QUERIES)];
    out.push({
      method: pick(["GET", "POST", "POST", "post"]),
      stem: mangle(stem, r),
      query: mangle(query, r),
      user: pick(USERS),
      ua: pick(UAS),
      cookie: r() < 0.05 ? "X-BEResource=localhost/owa/auth/x.js~1942062522" : "",
      status: pick(STATUSES),
      ip: pick(IPS),
    });
  }
  return out;
}

type Path = "one-pass" | "indexOf" | "every row";

/**
 * The full path's only gate, what a detection's literals promise and nothing more: the row contains one
 * of them (in either case for `ignoreCase`), or, for `prefilter.encoded`, its decoded form does; a
 * detection without literals (Sigma, the IOC feed: column filters) sees every row.
 */
function hasLiteral(d: RowDetection, line: string): boolean {
  if (d.literals === null || d.field) return true;
  const lower = line.toLowerCase();
  if (d.literals.some((l) => (d.ignoreCase ? lower.includes(l.toLowerCase()) : line.includes(l))))
    return true;
  const decoded = canonicalUri(line);
  return d.prefilter?.encoded === true && d.literals.some((l) => decoded.includes(l.toLowerCase()));
}

/** What the IIS detections make of the log: one line per draft (check, line, evidence) and collected item. */
function findings(abs: string, path: Path): string[] {
  const hunt = createHuntContext();
  const rows = hunt.ofType("row");
  const out: string[] = [];
  const ctx: MatchContext = {
    server: "TEST",
    file: "u_ex.log",
    installPath: null,
    hunt,
    collect: (channel, item) => out.push(`collect ${channel} ${JSON.stringify(item)}`),
  };
  const iis = rows.flatMap((d, i) => (d.kinds.includes("iis-w3c") ? [i] : []));
  const plan: LiteralPlan =
    path === "every row"
      ? { literals: [], fields: [], everyRow: iis }
      : path === "indexOf"
        ? indexOfPlan(planFor("iis-w3c", hunt))
        : planFor("iis-w3c", hunt);
  scanWholeFile(abs, "iis-w3c", iisW3c, plan, (row: LogRow, consumers: number[]) => {
    const text = row.text();
    for (const i of [...consumers].sort((a, b) => a - b)) {
      if (path === "every row" && !hasLiteral(rows[i], text)) continue;
      for (const d of draftsOf(rows[i].match(row, ctx)))
        out.push(`${row.line} ${d.check} ${JSON.stringify(d.evidence)}`);
    }
  });
  return out.sort();
}

describe("IIS fast path against every detection on every row", () => {
  const reqs = requests(3000);
  for (const path of ["one-pass", "indexOf"] as const)
    it(`finds exactly what the full path finds (${path})`, (t) => {
      const abs = join(tempDir(t), "u_ex210303.log");
      const text = iisLog(reqs);
      writeFileSync(abs, text);
      const full = findings(abs, "every row");
      const fast = findings(abs, path);
      // The log must exercise the checks, encoded forms included, or the comparison proves little.
      const checks = new Set(full.map((l) => l.split(" ")[1]));
      for (const c of [
        "iis-proxylogon-request",
        "iis-proxylogon-user-agent",
        "iis-proxyshell",
        "iis-proxynotshell",
        "iis-owassrf",
        "iis-request-to-unexpected-script",
        "ioc-client-ip",
      ])
        assert.ok(
          [...checks].some((x) => x.startsWith(c)),
          `the generated log yields ${c} (got ${[...checks].join(", ")})`,
        );
      assert.ok(
        [...checks].some((x) => x.startsWith("sigma")),
        "and Sigma matches",
      );
      assert.ok(
        full.some((l) => /%(25|u00)/i.test(l)),
        "some findings come from encoded rows",
      );
      assert.deepEqual(fast, full);
    });
});
