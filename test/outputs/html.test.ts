// The HTML report: self-contained, CSP-locked, escaped; loaded in real headless Chromium where the
// injected payloads must not run and must show as text.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { Finding, ScanResult } from "../../src/model/types.js";
import { esc, jsonForScript, renderHtml } from "../../src/outputs/html.js";
import { compromisedFindings, finding, result, server, vulnerableExposure } from "./fixtures.js";

const TITLE_JS = "document.title='PWNED'";
const PAYLOADS = {
  script: `<script>${TITLE_JS};document.body.setAttribute('data-pwned','1')</script>`,
  img: `/owa/<img src=x onerror="document.title='PWNED-img';document.body.setAttribute('data-pwned','2')">`,
  closeJson: `EVIL</script><script>document.title='PWNED-json'</script>`,
  svg: `<svg onload="document.body.setAttribute('data-pwned','3')"></svg>`,
  jsUrl: "javascript:document.title='PWNED-href'",
  formula: "=cmd|' /C calc'!A0",
  attr: `" onmouseover="document.title='PWNED-attr'" x="`,
};

function hostile(): ScanResult {
  const bad = compromisedFindings(PAYLOADS.closeJson);
  bad.push(
    finding(
      PAYLOADS.closeJson,
      "cve-2021-26855-ssrf",
      "2021-03-03T08:00:00.000Z",
      {
        ClientIpAddress: "203.0.113.78",
        UrlStem: PAYLOADS.img,
        UserAgent: PAYLOADS.script,
        Method: "POST",
        HttpStatus: "200",
        RequestId: PAYLOADS.attr,
        Match: PAYLOADS.formula,
        Url: PAYLOADS.jsUrl,
      },
      { file: `Logging/HttpProxy/Ecp/${PAYLOADS.svg}.LOG`, line: 3 },
    ),
  );
  bad[bad.length - 1].rule.references.push(PAYLOADS.jsUrl);
  const exp = vulnerableExposure();
  if (exp.recommendation) {
    exp.recommendation.summary = PAYLOADS.script;
    exp.recommendation.steps = [{ name: PAYLOADS.svg, build: PAYLOADS.attr, kb: PAYLOADS.img }];
    exp.recommendation.notes = [PAYLOADS.formula];
  }
  const a = server(PAYLOADS.closeJson, bad, {
    exposure: exp,
    skipped: [{ file: PAYLOADS.svg, reason: "corrupt", detail: PAYLOADS.img }],
  });
  // What decided the verdict and what would change it carry finding titles: attacker-controlled too.
  a.basis = {
    rules: ["proof", PAYLOADS.attr],
    decidedBy: [...(a.basis?.decidedBy ?? []), PAYLOADS.script, PAYLOADS.img],
    wouldChange: [PAYLOADS.svg, PAYLOADS.closeJson],
  };
  const b = server("EXCH02", []);
  return result([a, b]);
}

describe("HTML report (static checks)", () => {
  const html = renderHtml(hostile());

  it("is one file: no external URL is loaded, the CSP allows only the hashed inline scripts", () => {
    assert.doesNotMatch(html, /<(link|iframe|object|embed|img|svg)\b/i);
    const markup = html.replace(/<script>[\s\S]*?<\/script>/g, "<script></script>");
    assert.doesNotMatch(
      markup,
      /<[a-z][^>]*\s(src|action|srcset|poster|data)\s*=/i,
      "nothing to fetch (links to references are plain navigation)",
    );
    assert.doesNotMatch(markup, /<[a-z][^>]*\ssrc\s*=/i, "no src attribute at all");
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, "CSP meta tag");
    const policy = csp.replaceAll("&#39;", "'");
    assert.match(policy, /default-src 'none'/);
    assert.doesNotMatch(policy, /script-src[^;]*unsafe-inline/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 2, "uPlot and the page script");
    for (const s of scripts) {
      const h = createHash("sha256").update(s, "utf8").digest("base64");
      assert.ok(policy.includes(`'sha256-${h}'`), "every inline script is allowed by its hash");
    }
    // uPlot and the page script, and one chart data block per server.
    assert.equal((html.match(/<script\b/gi) ?? []).length, 4);
    assert.equal((html.match(/<script type="application\/json" id="chart-\d+">/g) ?? []).length, 2);
    assert.equal((html.match(/<\/script/gi) ?? []).length, 4);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  });

  it("escapes every payload and never builds a link from evidence", () => {
    for (const p of Object.values(PAYLOADS)) if (/[<>"]/.test(p)) assert.ok(!html.includes(p), p);
    assert.ok(html.includes(esc(PAYLOADS.script)));
    assert.ok(html.includes(esc(PAYLOADS.formula)));
    assert.doesNotMatch(html, /href="javascript:/i);
    assert.ok(!/href="[^"#h]/.test(html), "links are anchors or https only");
  });

  it("puts data in a JSON block that cannot close its script element", () => {
    const j = jsonForScript({ a: "</script><script>x</script>", b: "\u2028&" });
    assert.ok(!j.includes("<") && !j.includes(">") && !j.includes("&") && !j.includes("\u2028"));
    assert.deepEqual(JSON.parse(j), { a: "</script><script>x</script>", b: "\u2028&" });
    assert.equal(
      esc(`<a href="x" onclick='y'>&\u0000`),
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;\ufffd",
    );
  });

  it("shows what a newcomer needs: verdict, first malicious request, shell path, update", () => {
    const one = renderHtml(
      result([server("EXCH01", compromisedFindings(), { exposure: vulnerableExposure() })]),
    );
    assert.match(one, /<div class="verdict">Compromised<\/div>/);
    assert.match(
      one,
      /First malicious request<\/h4><p class="mono">2021-03-02 21:14:03 UTC · GET \/owa\/auth\/x\.js from 198\.51\.100\.23 → 500/,
    );
    assert.ok(one.includes("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\discover.aspx"));
    assert.ok(
      one.includes(
        "Install Exchange Server 2016 CU23 Aug26SU (KB5121576), which brings the server to build 15.1.2507.72.",
      ),
    );
    assert.ok(!one.includes('id="fleet"'), "no fleet table for one server");
    assert.ok(renderHtml(hostile()).includes('id="fleet"'));
  });
});

function findChromium(): string | null {
  for (const c of ["chromium", "chromium-browser", "google-chrome"]) {
    const r = spawnSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

function dumpDom(browser: string, file: string, profile: string): string {
  const r = spawnSync(
    browser,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--window-size=390,844",
      "--virtual-time-budget=3000",
      "--dump-dom",
      pathToFileURL(file).href,
    ],
    { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, `chromium failed: ${r.error?.message ?? ""} ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

describe("HTML report in headless Chromium", () => {
  const browser = findChromium();
  it("renders the verdicts and the chart, and no injected payload runs", (t) => {
    if (!browser) {
      t.skip("chromium not installed: browser test skipped (CI installs it)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "exhunt-html-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "report.html");
    writeFileSync(file, renderHtml(hostile()));
    const dom = dumpDom(browser, file, join(dir, "profile"));
    // The page's own hashed script ran (so the CSP hashes are right) and uPlot drew its canvas.
    assert.match(dom, /<body[^>]*data-exhunt-ready="1"/);
    assert.match(dom, /<canvas/);
    assert.match(dom, /<title>exhunt: 2 servers<\/title>/);
    assert.doesNotMatch(dom, /data-pwned=/);
    assert.doesNotMatch(dom, /<title>[^<]*PWNED/);
    assert.doesNotMatch(dom, /<(img|svg)\b/i, "no element was created from evidence");
    assert.doesNotMatch(dom, /href="javascript:/i);
    // The payloads are there, as text.
    assert.ok(dom.includes("&lt;script&gt;document.title='PWNED'"), "script payload shown as text");
    assert.ok(dom.includes("&lt;img src=x onerror="), "img payload shown as text");
    assert.ok(dom.includes("EVIL&lt;/script&gt;&lt;script&gt;"), "server name shown as text");
    assert.ok(dom.includes(PAYLOADS.formula), "formula shown as text");
    // Verdict banners of both servers.
    assert.match(dom, /<div class="verdict">Compromised<\/div>/);
    assert.match(dom, /<div class="verdict">No sign of exploitation<\/div>/);
  });

  it("the same check fails on a page that lets a payload run (the test can fail)", (t) => {
    if (!browser) {
      t.skip("chromium not installed: browser test skipped (CI installs it)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "exhunt-html-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "bad.html");
    writeFileSync(file, `<!doctype html><title>ok</title><body>${PAYLOADS.script}</body>`);
    const dom = dumpDom(browser, file, join(dir, "profile"));
    assert.match(dom, /data-pwned="1"/);
    assert.match(dom, /<title>PWNED<\/title>/);
  });
});

describe("chart data", () => {
  it("hourly over days, daily over weeks, bounded over absurd spans", async () => {
    const { chartSeries } = await import("../../src/outputs/html.js");
    const f = (t: string) => finding("S", "cve-2021-26855-ssrf", t, { ClientIpAddress: "192.0.2.1" });
    const hourly = chartSeries(server("S", [f("2021-03-03T06:10:00.000Z"), f("2021-03-03T09:59:00.000Z")]));
    assert.equal(hourly.step, 3600);
    assert.deepEqual(hourly.compromise, [0, 1, 0, 0, 1, 0]);
    const daily = chartSeries(server("S", [f("2021-01-03T00:00:00.000Z"), f("2021-03-03T00:00:00.000Z")]));
    assert.equal(daily.step, 86400);
    const absurd = chartSeries(server("S", [f("1601-01-01T00:00:00.000Z"), f("2021-03-03T00:00:00.000Z")]));
    assert.ok(absurd.t.length <= 2003, String(absurd.t.length));
    assert.equal(
      absurd.compromise.reduce((a, b) => a + b, 0),
      2,
    );
    assert.equal(chartSeries(server("S", [])).t.length, 0);
  });
});

describe("what the report counts, sorts and charts", () => {
  const cov = finding(
    "S",
    "log-coverage",
    "2021-02-20T00:00:00.000Z",
    { Source: "IIS W3SVC1" },
    { severity: "info" },
  );
  const build = finding("S", "exposure-cve-2021-26855", "2021-03-07T23:00:00.000Z", { Build: "15.1.2176.2" });
  const s = server("S", [...compromisedFindings("S"), cov, build], { exposure: vulnerableExposure() });
  const exposureCount = s.findings.filter((f) => f.effect === "exposure").length;
  const html = renderHtml(result([s, server("T", [])]));

  it("sorts the findings that decide the verdict first, each group critical to info, whatever their times", () => {
    const table = /<table id="t0-2"[\s\S]*?<\/table>/.exec(html)?.[0] ?? "";
    const rows = [...table.matchAll(/<tr id="f0-\d+" data-sev="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
      sev: m[1],
      listed: m[2].includes("listed only"),
    }));
    assert.ok(rows.length > 5);
    assert.equal(rows[0].sev, "critical");
    assert.equal(rows.at(-1)?.sev, "info");
    const firstListed = rows.findIndex((r) => r.listed);
    assert.ok(firstListed > 0, "the fixture has findings of both kinds");
    assert.ok(
      rows.slice(firstListed).every((r) => r.listed),
      "no deciding finding below a listed one",
    );
    const rank = ["critical", "high", "medium", "low", "info"];
    for (const group of [rows.slice(0, firstListed), rows.slice(firstListed)]) {
      const sevs = group.map((r) => r.sev);
      assert.deepEqual(
        [...sevs].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)),
        sevs,
      );
    }
  });

  it("counts in the fleet table only what weighs: compromise, attempt, exposure", async () => {
    const { summarizeServer } = await import("../../src/outputs/writer.js");
    const weighed = s.findings.filter((f) => ["compromise", "attempt", "exposure"].includes(f.effect)).length;
    assert.ok(weighed < s.findings.length, "the fixture has findings that do not weigh");
    assert.equal(summarizeServer(s).findings, weighed);
    assert.match(html, new RegExp(`<td data-v="${weighed}" data-label="Findings">${weighed}</td>`));
  });

  it("charts and lists activity only: no build result, no coverage note", async () => {
    const { chartSeries } = await import("../../src/outputs/html.js");
    assert.ok(exposureCount > 0, "the fixture has exposure findings");
    const c = chartSeries(s);
    const charted = [...c.compromise, ...c.attempt, ...c.other].reduce((a, b) => a + b, 0);
    const activity = s.findings.filter(
      (f) => f.time && ["compromise", "attempt", "context"].includes(f.effect),
    );
    assert.equal(charted, activity.length);
    // A stored timeline that still has a build result (an older file) shows no row for it.
    const exp = s.findings.find((f) => f.effect === "exposure") as Finding;
    const old = { ...s, timeline: { ...s.timeline, entries: [...s.timeline.entries] } };
    old.timeline.entries.push({
      ...old.timeline.entries[0],
      findingIds: [exp.id],
      summary: "BUILD-ROW",
      check: exp.check,
    });
    assert.ok(!renderHtml(result([old])).includes("BUILD-ROW"));
  });

  it("'Because of' names each check's title once, linked to its row, never a check id", () => {
    const plan = /<ol class="plan">[\s\S]*?<\/ol>/.exec(html)?.[0] ?? "";
    const links = [...plan.matchAll(/<a href="#(f0-\d+|t0-2)">([^<]+)<\/a>/g)];
    assert.ok(links.length > 3);
    const titles = links.map((m) => m[2]);
    assert.equal(new Set(titles).size, titles.length, "each title once in the whole plan");
    for (const m of links) assert.ok(html.includes(`id="${m[1]}"`), m[1]);
    assert.doesNotMatch(plan, /Because of:[^<]*cve-2021-26855-ssrf/);
  });
});
