// The declarative prefilters (readers/prefilter.ts) against the byte-level refines the detections carried
// before (kept in old-refines.ts): run through the real scanner, every line an old refine accepted still
// wakes its detection, on the example evidence and on random lines, on the one-pass search and on the
// indexOf path. And no row detection reads bytes any more.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rng, writeExamples } from "../../examples/generate.js";
import { createHuntContext } from "../../src/detections/context.js";
import { ATTACKER_USER_AGENTS } from "../../src/detections/proxylogon/iis-26855.js";
import type { RowDetection } from "../../src/detections/types.js";
import { planFor } from "../../src/hunt/task.js";
import type { LogKind } from "../../src/model/records.js";
import { exchangeCsv } from "../../src/readers/exchange-csv.js";
import { iisW3c } from "../../src/readers/iis-w3c.js";
import { compilePrefilter, nextOccurrence, piecesOf, prefilterPasses } from "../../src/readers/prefilter.js";
import { indexOfPlan, ROOT, scanWholeFile, tempDir } from "../helpers.js";
import {
  entryPathInLine,
  forgedCookieShape,
  type LineRefine,
  scriptTokenInLine,
  userAgentInLine,
} from "./old-refines.js";

/** In the hunt context's order: the plan's consumer indices point into it. */
const rowDetections: RowDetection[] = createHuntContext().ofType("row");

/** The old refine of each detection that had one. */
const OLD: { id: string; kind: LogKind; refine: LineRefine }[] = [
  { id: "iis-proxylogon-request", kind: "iis-w3c", refine: entryPathInLine },
  { id: "iis-proxylogon-user-agent", kind: "iis-w3c", refine: userAgentInLine },
  { id: "iis-request-to-unexpected-script", kind: "iis-w3c", refine: scriptTokenInLine },
  { id: "proxylogon-backend-cookie", kind: "httpproxy", refine: forgedCookieShape },
];

/** Whether the old refine accepted the line: some literal of the detection occurs and its refine says yes. */
function oldAccepts(d: RowDetection, refine: LineRefine, line: string): boolean {
  const buf = Buffer.from(line, "utf8");
  const hay = d.ignoreCase ? Buffer.from(line.toLowerCase(), "utf8") : buf;
  for (const l of d.literals ?? []) {
    const h = hay.indexOf(d.ignoreCase ? l.toLowerCase() : l);
    if (h >= 0 && refine(buf, 0, buf.length, h)) return true;
  }
  return false;
}

/** Scan `lines` under `head` with the real reader; which lines (0-based) woke detection `index`. */
function woken(
  t: { after(fn: () => void): void },
  kind: LogKind,
  head: string,
  lines: string[],
  index: number,
  indexOf: boolean,
): Set<number> {
  const dir = tempDir(t);
  const abs = join(dir, "x.log");
  writeFileSync(abs, head + lines.map((l) => `${l}\r\n`).join(""));
  const headLines = head.split("\n").length - 1;
  const base = planFor(kind, createHuntContext());
  const plan = indexOf ? indexOfPlan(base) : base;
  const out = new Set<number>();
  scanWholeFile(abs, kind, kind === "iis-w3c" ? iisW3c : exchangeCsv, plan, (row, consumers) => {
    if (consumers.includes(index)) out.add(row.line - headLines - 1);
  });
  return out;
}

const IIS_HEAD =
  "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
  "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";
const HP_HEAD =
  "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n" +
  "#Date: 2021-03-03T06:00:00.000Z\r\n#Fields: DateTime,RequestId,UserAgent,BackEndCookie,HttpStatus\r\n";

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** Vary the case of some letters. */
function mixCase(r: () => number, s: string): string {
  return [...s]
    .map((c) => (r() < 0.2 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c))
    .join("");
}

const STEMS = [
  "/owa/auth/Current/themes/resources/logon.css",
  "/owa/auth/current/x",
  "/ecp/default.flt",
  "/ecp/main.css",
  "/ecp/y.js",
  "/ecp/abcd.js",
  "/owa/auth/x.js",
  "/owa/auth/w.js",
  "/ecp/auth/w.js",
  "/ecp/auth/x.js",
  "/owa/auth/logon.aspx",
  "/owa/auth/evil.aspx",
  "/owa/auth/15.1.2176/themes/x.aspx",
  "/ecp/auth/TimeoutLogout.aspx",
  "/ecp/auth/shell.ashx",
  "/ecp/default.aspx",
  "/aspnet_client/system_web/discover.aspx",
  "/aspnet_client/x.asp.bak",
  "/aspnet_client/a.cer",
  "/EWS/Exchange.asmx",
  "/ews/evil.asmx",
  "/oab/x.aspx",
  "/shell.asa",
  "/foo/bar.ASPX",
  "/owa/auth%2fevil.aspx",
  "/owa/auth/%6cogon.aspx",
  "/mapi/emsmdb/",
  "/autodiscover/autodiscover.json",
  "/owa/",
];
const QUERIES = [
  "-",
  "a=/ecp/x.js",
  "u=/owa/auth/current/",
  "x=1.aspx",
  "&Email=autodiscover/autodiscover.json",
  "p=.cer",
];
const UAS = [
  ...ATTACKER_USER_AGENTS,
  "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0",
  "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.5134;+Pro)",
  "POST+/ecp/y.js",
  "x.aspx+/owa/auth/current/",
];

function randomIisLine(r: () => number, i: number): string {
  const method = pick(r, ["GET", "POST", "POST", "post", "HEAD", "PoSt"]);
  const stem = r() < 0.3 ? mixCase(r, pick(r, STEMS)) : pick(r, STEMS);
  return [
    "2021-03-03",
    `06:${String(i % 60).padStart(2, "0")}:00`,
    "10.0.0.5",
    method,
    stem,
    pick(r, QUERIES),
    "443",
    pick(r, ["-", "contoso\\admin"]),
    "203.0.113.7",
    pick(r, UAS),
    pick(r, ["-", "https://mail.contoso.com/ecp/default.aspx", "/owa/auth/x.js"]),
    pick(r, ["200", "241", "302", "404", "500"]),
    "0",
    "0",
    "15",
  ].join(" ");
}

const COOKIES = [
  "Server~exch01.contoso.local~1942063431~2021-03-01T10:00:00",
  "Server~a]@exch01:444/ecp/x.ecp?#~1942062522",
  '"Server~x,y/z"',
  "Server~x~y,Server~z/w",
  "Server~",
  "Database~x~~2021",
  '"Server~a""/b~1"',
  "",
];

function randomHttpProxyLine(r: () => number): string {
  const ua = pick(r, ["Mozilla/5.0", "Server~ua/x", "Server~ua-no-slash", '"a,Server~b/c"']);
  return `2021-03-03T06:00:00.000Z,r,${ua},${pick(r, COOKIES)},${pick(r, ["200", "404"])}`;
}

/** Every data line of the example evidence's logs of a kind, grouped by the `#Fields:` line they follow. */
function exampleLines(dir: string, kind: LogKind): { head: string; lines: string[] }[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (kind === "iis-w3c" ? /u_ex\d+\.log$/i.test(n) : /HttpProxy_.*\.LOG$/.test(n)) files.push(p);
    }
  };
  walk(dir);
  assert.ok(files.length > 0, `the example evidence has ${kind} logs`);
  const groups = new Map<string, string[]>();
  for (const f of files) {
    let head = "";
    for (const l of readFileSync(f, "utf8").split(/\r?\n/)) {
      if (l.startsWith("#Fields:")) head = l;
      else if (l !== "" && !l.startsWith("#")) {
        const g = groups.get(head) ?? [];
        g.push(l);
        groups.set(head, g);
      }
    }
  }
  const pre = kind === "iis-w3c" ? IIS_HEAD.split("#Fields:")[0] : HP_HEAD.split("#Fields:")[0];
  return [...groups].map(([fields, lines]) => ({ head: `${pre}${fields}\r\n`, lines }));
}

describe("declarative prefilters accept every line the old refines accepted", () => {
  for (const indexOf of [false, true]) {
    const path = indexOf ? "indexOf path" : "one-pass search";
    for (const o of OLD) {
      const index = rowDetections.findIndex((d) => d.id === o.id);
      const d = rowDetections[index];
      it(`${o.id}: random lines (${path})`, (t) => {
        assert.ok(d, o.id);
        const r = rng(0x5eed + index);
        const lines = Array.from({ length: 3000 }, (_, i) =>
          o.kind === "iis-w3c" ? randomIisLine(r, i) : randomHttpProxyLine(r),
        );
        const got = woken(t, o.kind, o.kind === "iis-w3c" ? IIS_HEAD : HP_HEAD, lines, index, indexOf);
        let old = 0;
        lines.forEach((l, i) => {
          if (!oldAccepts(d, o.refine, l)) return;
          old++;
          assert.ok(got.has(i), `${o.id} no longer sees a line the old refine accepted: ${l}`);
        });
        assert.ok(old > 0, "the random lines include lines the old refine accepted");
        // The prefilter is not vacuous: lines with the literal but nothing of the attack are still left out.
        const withLiteral = lines.filter((l) =>
          (d.literals ?? []).some((x) =>
            d.ignoreCase ? l.toLowerCase().includes(x.toLowerCase()) : l.includes(x),
          ),
        ).length;
        assert.ok(got.size < withLiteral, `${got.size} woken of ${withLiteral} lines with a literal`);
      });
    }
  }
  it("the example evidence (one-pass search and indexOf path)", (t) => {
    const dir = tempDir(t);
    writeExamples(dir, 1);
    let accepted = 0;
    for (const kind of ["iis-w3c", "httpproxy"] as const) {
      for (const { head, lines } of exampleLines(dir, kind)) {
        for (const o of OLD.filter((x) => x.kind === kind)) {
          const index = rowDetections.findIndex((d) => d.id === o.id);
          const old = lines.flatMap((l, i) => (oldAccepts(rowDetections[index], o.refine, l) ? [i] : []));
          accepted += old.length;
          for (const indexOf of [false, true]) {
            const got = woken(t, kind, head, lines, index, indexOf);
            for (const i of old)
              assert.ok(got.has(i), `${o.id} (${indexOf ? "indexOf" : "one pass"}): ${lines[i]}`);
          }
        }
      }
    }
    assert.ok(accepted > 0, "the example evidence has lines the old refines accepted");
  });
});

describe("prefilter parts", () => {
  it("finds folded literals in any case, and guarded ones only where the guard holds", () => {
    const line = Buffer.from("a /ECP/x /eCp/y");
    const lit = Buffer.from("/ecp/");
    assert.equal(nextOccurrence(line, lit, true, undefined, 0), 2);
    assert.equal(nextOccurrence(line, lit, true, undefined, 3), 9);
    assert.equal(nextOccurrence(line, lit, false, undefined, 0), -1);
    const guard = { need: 0x2f, stops: [0x7e] };
    const c = Buffer.from("Server~a~b Server~c/d");
    assert.equal(nextOccurrence(c, Buffer.from("Server~"), false, guard, 0), 11);
  });
  it("checks allOf groups and the token of the literal, on bytes", () => {
    const pf = compilePrefilter({
      allOf: [[" POST "]],
      token: { endsWith: [".aspx"], accept: (x) => x.startsWith("/a") },
    });
    const stops = [32, 9];
    const test = (s: string, lit: string) => {
      const b = Buffer.from(s);
      const l = Buffer.from(lit);
      return prefilterPasses(
        pf,
        b,
        0,
        b.length,
        nextOccurrence(b, l, true, undefined, 0),
        l,
        true,
        undefined,
        stops,
      );
    };
    assert.equal(test("x POST /a/b.aspx y", ".as"), true);
    assert.equal(test("x GET /a/b.aspx y", ".as"), false, "allOf: no POST");
    assert.equal(test("x POST /b/b.aspx y", ".as"), false, "accept says no");
    assert.equal(test("x POST /a/b.aspx.bak y", ".as"), false, "not at the token's end");
    assert.equal(test("x POST /b/c.aspx /a/B.ASPX", ".as"), true, "a later token");
  });
  it("skips an allOf literal whose piece the row's literal hits say is absent, and only then", () => {
    const pf = compilePrefilter({ allOf: [["python-requests/2.25.1", "antSword/v2.1", "curl/7.1"]] });
    const plan = [
      { bytes: Buffer.from("/ecp/"), fold: true },
      { bytes: Buffer.from("python-requests/2."), fold: true },
      { bytes: Buffer.from("requests"), fold: true }, // a shorter piece: the longest is kept
      { bytes: Buffer.from("AntSword"), fold: false }, // not the same bytes: not a piece
      { bytes: Buffer.from("curl/"), fold: true, guard: { need: 0x2f, stops: [] } }, // guarded: not used
    ];
    pf.allOfPieces = piecesOf(pf, plan);
    assert.deepEqual(pf.allOfPieces, [[1, -1, -1]]);
    const passes = (s: string, rowHit: number[]) => {
      const b = Buffer.from(s);
      const l = Buffer.from("/ecp/");
      return prefilterPasses(pf, b, 0, b.length, b.indexOf(l), l, true, undefined, [32], undefined, rowHit);
    };
    const row = "GET /ecp/ python-requests/2.25.1";
    assert.equal(passes(row, [4, 10, 17, -1, -1]), true, "the piece is there: the literal is searched");
    assert.equal(passes(row, [4, -1, 17, -1, -1]), false, "hits that say no piece: not searched");
    assert.equal(
      passes("GET /ecp/ antSword/v2.1", [4, -1, -1, -1, -1]),
      true,
      "no piece: searched as before",
    );
    assert.equal(passes(row, [4, -1, -1, -1, -1].slice(0, 0)), true, "no hits given: searched");
    // Without the row's hits (the indexOf path of other callers) every literal is searched.
    const b = Buffer.from(row);
    assert.equal(prefilterPasses(pf, b, 0, b.length, 4, Buffer.from("/ecp/"), true, undefined, [32]), true);
  });
});

describe("no row detection reads bytes", () => {
  it("row detections declare only data and field-level functions", () => {
    const allowed = new Set([
      "type",
      "id",
      "checks",
      "kinds",
      "literals",
      "ignoreCase",
      "field",
      "prefilter",
      "literalGuard",
      "match",
    ]);
    for (const d of rowDetections) for (const k of Object.keys(d)) assert.ok(allowed.has(k), `${d.id}: ${k}`);
  });
  it("no file that defines a row detection, or that it imports from detections/, touches Buffers or byte offsets", () => {
    const dir = join(ROOT, "src/detections");
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith(".ts")) files.push(p);
      }
    };
    walk(dir);
    const rowFiles = files.filter((f) => /type:\s*"row"/.test(readFileSync(f, "utf8")));
    assert.ok(rowFiles.length >= 8, `${rowFiles.length} files define row detections`);
    // Their helpers inside detections/ (iis/request.ts, like.ts, evidence.ts, ...), one level deep.
    const seen = new Set(rowFiles);
    for (const f of rowFiles) {
      for (const m of readFileSync(f, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)\.js"/g)) {
        const p = join(f, "..", `${m[1]}.ts`);
        if (p.startsWith(dir) && files.includes(p)) seen.add(p);
      }
    }
    const BYTES =
      /\bBuffer\b|\bUint8Array\b|\.subarray\(|\bbyteOffset\b|\breadUInt|\brefine\b|\bLineRefine\b/;
    // types.ts also declares the sweep's content detections (file bytes, by design): there, only the
    // row contract counts (in code, not in its doc comments).
    const types = join(dir, "types.ts");
    seen.delete(types);
    const contract = /export interface RowDetection \{[\s\S]*?\n\}\n/.exec(readFileSync(types, "utf8"));
    assert.ok(contract, "RowDetection found in types.ts");
    for (const l of contract[0].split("\n"))
      if (!/^\s*(\/\/|\/\*|\*)/.test(l)) assert.doesNotMatch(l, BYTES, "the RowDetection contract");
    for (const f of seen) {
      const text = readFileSync(f, "utf8");
      const bad = text.split("\n").findIndex((l) => BYTES.test(l) && !l.trimStart().startsWith("//"));
      assert.equal(bad, -1, `${f.slice(ROOT.length + 1)}:${bad + 1} reads bytes`);
    }
  });
});
