// Encoded forms of the URLs IIS detections look for (percent-encoded, double-encoded, %uXXXX, mixed case)
// reach the same detections: through the one decoding helper (readers/uri.ts), the `encoded` prefilter
// (a shared `%` literal whose rows are tested decoded) on both the one-pass search and the indexOf path,
// and the detections' own decoded tests. Benign rows with escapes wake nobody.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createHuntContext, EMPTY_SETUP } from "../../src/detections/context.js";
import { planFor } from "../../src/hunt/task.js";
import { iisW3c } from "../../src/readers/iis-w3c.js";
import {
  compilePrefilter,
  ENCODED_LITERAL,
  encodedVariant,
  prefilterPasses,
} from "../../src/readers/prefilter.js";
import { canonicalUri } from "../../src/readers/uri.js";
import { indexOfPlan, scanWholeFile, tempDir } from "../helpers.js";
import { checksOf, type IisReq, iisLog, scanIis } from "../iis-helpers.js";

describe("canonicalUri", () => {
  it("decodes once, twice, thrice, %uXXXX, and lower-cases", () => {
    assert.equal(canonicalUri("/AutoDiscover/autodiscover.j%73on"), "/autodiscover/autodiscover.json");
    assert.equal(canonicalUri("/autodiscover/autodiscover.j%2573on"), "/autodiscover/autodiscover.json");
    assert.equal(canonicalUri("%252540"), "@");
    assert.equal(canonicalUri("/autodiscover/autodiscover.j%u0073on"), "/autodiscover/autodiscover.json");
    assert.equal(canonicalUri("%4"), "%4");
    assert.equal(canonicalUri("100%zz%"), "100%zz%");
    // Bounded: a fourth layer stays encoded (no loop on attacker-sized nesting).
    assert.equal(canonicalUri("%25252540"), "%40");
  });

  it("agrees with a regex reference decoder on random escapes, broken ones included", () => {
    // The decoder is a hand loop for speed; this reference is the plain definition it must equal.
    const esc = /%(?:([0-9a-fA-F]{2})|[uU]([0-9a-fA-F]{4}))/g;
    const round = (v: string) =>
      v.replace(esc, (_, h: string | undefined, w: string | undefined) =>
        String.fromCharCode(Number.parseInt(h ?? w ?? "0", 16)),
      );
    const reference = (value: string) => {
      let v = value;
      for (let i = 0; i < 3 && v.includes("%"); i++) {
        const next = round(v);
        if (next === v) break;
        v = next;
      }
      return v.toLowerCase();
    };
    const parts = [
      "%",
      "%2",
      "%25",
      "%41",
      "%u",
      "%U00",
      "%u0073",
      "%zz",
      "a",
      "F",
      "7",
      "u",
      "/",
      "@",
      "%%",
      "%g1",
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let n = 0; n < 5000; n++) {
      let v = "";
      for (let k = next() % 9; k >= 0; k--) v += parts[next() % parts.length];
      assert.equal(canonicalUri(v), reference(v), JSON.stringify(v));
    }
  });
});

describe("encoded forms reach the IIS detections (scan)", () => {
  it("ProxyLogon entry paths, OWASSRF, unexpected scripts, ProxyShell: encoded, double-encoded, mixed case", (t) => {
    const d = scanIis(t, [
      { method: "POST", stem: "/ecp/y.j%73", status: 200 },
      { method: "POST", stem: "/ecp/y.j%2573", status: 500 },
      { method: "POST", stem: "/ECP/Y.JS", status: 200 },
      { method: "POST", stem: "/owa/x%40evil.com/powers%68ell", status: 200 },
      { stem: "/aspnet_client/shell.a%73px", status: 200 },
      { stem: "/aspnet_client/shell.a%u0073px", status: 404 },
      {
        stem: "/autodiscover/autodiscover.j%73on",
        query: "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz",
        status: 200,
      },
      {
        stem: "/AutoDiscover/AutoDiscover.JS%4Fn",
        query: "%40evil.corp%2fmapi%2fnspi%2f",
        status: 401,
      },
    ]);
    assert.deepEqual(checksOf(d), [
      "iis-owassrf",
      "iis-proxylogon-request",
      "iis-proxylogon-request",
      "iis-proxylogon-request-failed",
      "iis-proxyshell",
      "iis-proxyshell-failed",
      "iis-request-to-unexpected-script",
      "iis-request-to-unexpected-script",
    ]);
  });

  it("traps: benign escapes (Outlook's Email=alice%40..., encoded spaces) find nothing", (t) => {
    const d = scanIis(t, [
      { stem: "/autodiscover/autodiscover.json", query: "Email=alice%40contoso.com&Protocol=ActiveSync" },
      { method: "POST", stem: "/owa/service.svc", query: "action=GetItem&folder=%2FInbox%2F" },
      { stem: "/owa/auth/15.1.2176/themes/resources/segoeui%20light.ttf" },
      { method: "POST", stem: "/ecp/y%2Ejson", status: 200 },
      { stem: "/ecp/default.aspx", query: "p=%2561%2573%2570%2578" },
    ]);
    assert.deepEqual(checksOf(d), []);
  });
});

/** Which detections (by id) each request wakes through the real reader and the IIS plan. */
function woken(t: { after(fn: () => void): void }, reqs: IisReq[], indexOf: boolean): string[][] {
  const dir = tempDir(t);
  const abs = join(dir, "u_ex.log");
  writeFileSync(abs, iisLog(reqs));
  // exhunt's own checks: Sigma's web rules read every row's URL field.
  const hunt = createHuntContext({ ...EMPTY_SETUP, sigma: { bundled: false, user: [], minLevel: null } });
  const rows = hunt.ofType("row");
  const base = planFor("iis-w3c", hunt);
  const plan = indexOf ? indexOfPlan(base) : base;
  const out: string[][] = reqs.map(() => []);
  scanWholeFile(abs, "iis-w3c", iisW3c, plan, (row, consumers) => {
    out[row.line - 5] = consumers.map((c) => rows[c].id).sort();
  });
  return out;
}

describe("the encoded prefilter", () => {
  const reqs: IisReq[] = [
    { method: "POST", stem: "/ecp/y.j%73" },
    { stem: "/autodiscover/autodiscover.j%73on", query: "@x/mapi/" },
    { stem: "/autodiscover/autodiscover.json", query: "Email=alice%40contoso.com" },
    { stem: "/owa/", query: "a=%41%42%43" },
    { stem: "/x", ua: "curl%2F7.1" },
    { stem: "/autodiscover/autodiscover.json", query: "@x/mapi/" },
  ];
  for (const indexOf of [false, true])
    it(`wakes the detections whose literal an escape hides, and only those (${indexOf ? "indexOf" : "one-pass"} path)`, (t) => {
      const w = woken(t, reqs, indexOf);
      assert.ok(w[0].includes("iis-proxylogon-request"), w[0].join());
      assert.ok(w[1].includes("iis-autodiscover-ssrf"), w[1].join());
      assert.ok(!w[1].includes("iis-proxylogon-request"));
      // Outlook's own request: the line has no back end after the `@` (the SSRF's shape, tested decoded),
      // so neither the plain literal nor the escape wakes anything.
      assert.deepEqual(w[2], []);
      assert.deepEqual(w[3], []);
      assert.deepEqual(w[4], []);
      // The plain literal with the SSRF's shape wakes it alone.
      assert.deepEqual(w[5], ["iis-autodiscover-ssrf"]);
    });

  it("the `%` entry is one literal shared by every opted-in detection", () => {
    const plan = planFor("iis-w3c", createHuntContext());
    const enc = plan.literals.filter((l) => l.bytes.toString() === ENCODED_LITERAL);
    assert.equal(enc.length, 1);
    assert.ok(enc[0].consumers.length >= 4);
  });

  it("decoded token tests see the decoded token; allOf stays literal", () => {
    const pf = compilePrefilter(
      encodedVariant(["/ecp/"], { allOf: [[" POST "]], token: { accept: (x) => x === "/ecp/y.js" } }),
    );
    const lit = Buffer.from("%");
    const pass = (line: string) => {
      const b = Buffer.from(line, "latin1");
      return prefilterPasses(pf, b, 0, b.length, b.indexOf(lit), lit, false, undefined, [32, 9]);
    };
    assert.equal(pass("a POST /ecp/y.j%73 - 200"), true);
    assert.equal(pass("a POST %2fecp%2fy.js - 200"), true);
    assert.equal(pass("a GET /ecp/y.j%73 - 200"), false);
    assert.equal(pass("a POST /ecp/z.j%73 - 200"), false);
    assert.equal(pass("a POST /owa/y.j%73 - 200"), false);
  });
});
