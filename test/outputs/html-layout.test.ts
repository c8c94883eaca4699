/// <reference lib="dom" />
// The HTML report's layout in real headless Chromium (Debian's, driven by playwright-core; no browser is
// downloaded) at 1400 px and 420 px, on a report with long paths, many findings and every effect: no
// horizontal scroll, no element outside its parent's box, cards as tall as their content, a readable
// Evidence column, CVE ids whole, ISO axis labels, legend values, and "Because of" links that land.
// EXHUNT_SCREENSHOTS=DIR keeps a screenshot per width there (to look at).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { writeCompromised } from "../../examples/generate.js";
import { scan } from "../../src/index.js";
import type { Finding, ScanResult } from "../../src/model/types.js";
import { renderHtml } from "../../src/outputs/html.js";
import { IN_CI } from "../helpers.js";
import { server } from "./fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const NO_BROWSER: string | false =
  existsSync(CHROMIUM) || IN_CI
    ? false
    : "chromium not installed: report layout test skipped (CI installs it)";

const LONG_DIR = `C:\\inetpub\\wwwroot\\aspnet_client\\${"system_web_".repeat(12)}\\${"a".repeat(90)}`;

/** A real scan of the example's compromised server, made harder: long paths, 600 more SSRF rows. */
async function hardReport(dir: string): Promise<ScanResult> {
  const ev = join(dir, "EXCH01");
  writeCompromised(ev, {
    rowsPerHour: 2,
    from: new Date("2021-03-02T00:00:00Z"),
    to: new Date("2021-03-05T00:00:00Z"),
  });
  const r = await scan([ev], { workers: 0 });
  const s = r.servers[0];
  const ssrf = s.findings.find((f) => f.check === "cve-2021-26855-ssrf") as Finding;
  const shell = s.findings.find((f) => f.effect === "compromise" && f.evidence.Path) as Finding;
  shell.evidence.Path = `${LONG_DIR}\\discover.aspx`;
  shell.source.file = `${LONG_DIR.replaceAll("\\", "/")}/discover.aspx`;
  for (let i = 0; i < 600; i++)
    s.findings.push({
      ...ssrf,
      id: `extra${i}`,
      time: new Date(Date.parse("2021-03-03T07:00:00Z") + i * 60_000).toISOString(),
      evidence: { ...ssrf.evidence, UrlStem: `/ecp/${"x".repeat(i % 7 === 0 ? 300 : 5)}.js` },
    });
  r.servers.push(server("EXCH02-with-a-rather-long-server-name.fabrikam.example", []));
  return r;
}

interface Measure {
  scrollWidth: number;
  viewport: number;
  outside: string[];
}

/** Every visible element whose box leaves its parent's box (scroll containers included). */
function measure(page: Page): Promise<Measure> {
  return page.evaluate(() => {
    const outside: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const parent = el.parentElement;
      if (!parent || el.closest("[hidden]") || el.tagName === "OPTION" || el.tagName === "SCRIPT") continue;
      const st = getComputedStyle(el);
      // uPlot's cursor and selection boxes are positioned off the plot while not in use.
      if (st.position === "absolute" && el.closest(".u-wrap")) continue;
      const r = el.getBoundingClientRect();
      const p = parent.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < p.left - 1 || r.right > p.right + 1)
        outside.push(
          `${el.tagName}.${el.className} in ${parent.tagName}.${parent.className}: ${Math.round(r.left)}..${Math.round(r.right)} vs ${Math.round(p.left)}..${Math.round(p.right)} "${(el.textContent ?? "").slice(0, 40)}"`,
        );
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
      outside,
    };
  });
}

describe("HTML report layout in headless Chromium", { skip: NO_BROWSER }, () => {
  let browser: Browser;
  let file = "";
  let report: ScanResult;
  let dir = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-layout-"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds the hard report", async () => {
    report = await hardReport(dir);
    const effects = new Set(report.servers[0].findings.map((f) => f.effect));
    for (const e of ["compromise", "attempt", "exposure", "context", "coverage"])
      assert.ok(effects.has(e as never), e);
    file = join(dir, "report.html");
    writeFileSync(file, renderHtml(report));
  });

  for (const width of [1400, 420]) {
    it(`at ${width} px: no horizontal scroll, nothing outside its box`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      try {
        await page.goto(pathToFileURL(file).href);
        await page.waitForSelector("body[data-exhunt-ready]");
        const shots = process.env.EXHUNT_SCREENSHOTS;
        if (shots) await page.screenshot({ path: join(shots, `report-${width}.png`), fullPage: false });
        const m = await measure(page);
        assert.ok(m.scrollWidth <= m.viewport, `document ${m.scrollWidth} px in a ${m.viewport} px viewport`);
        assert.deepEqual(m.outside.slice(0, 10), [], `${m.outside.length} elements outside their box`);
        // Cards as tall as their content: a short card is not stretched to the tallest of its row.
        const slack = await page.$$eval("#srv-0 .fact", (cards) =>
          cards.map((c) => {
            const last = c.lastElementChild as Element;
            return c.getBoundingClientRect().bottom - last.getBoundingClientRect().bottom;
          }),
        );
        assert.ok(slack.length >= 4 && slack.every((x) => x < 30), `space under card content: ${slack}`);
        // CVE ids are never broken: each is one line box.
        const broken = await page.$$eval("#fleet-table .cves .nowrap", (xs) =>
          xs.filter((x) => x.getClientRects().length !== 1).map((x) => x.textContent),
        );
        assert.deepEqual(broken, []);
        // ISO timestamps in the evidence stay on one line (the Evidence column is wide enough).
        const wrapped = await page.$$eval("#srv-0 td.ev .mono", (xs) =>
          xs
            .filter((x) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(x.textContent ?? ""))
            .filter((x) => x.getClientRects().length > 1)
            .map((x) => x.textContent),
        );
        assert.deepEqual(wrapped, []);
        // The chart: ISO dates on the axis, numbers (never "--") in the legend.
        const labels = (await page.getAttribute("#srv-0 .chart", "data-x-labels")) ?? "";
        assert.ok(
          labels.split("|").some((l) => /^2021-03-0\d$/.test(l)),
          labels,
        );
        assert.doesNotMatch(labels, /am|pm|\//i);
        const legend = await page.$$eval("#srv-0 .u-legend .u-value", (xs) => xs.map((x) => x.textContent));
        assert.equal(legend.length, 4);
        assert.ok(!legend.includes("--"), String(legend));
        // "Because of" links land on a row of the findings table.
        const targets = await page.$$eval("#srv-0 .because a", (as) =>
          as.map((a) => {
            const id = (a.getAttribute("href") ?? "").slice(1);
            return !!document.getElementById(id)?.closest("table");
          }),
        );
        assert.ok(targets.length > 5 && targets.every(Boolean));
      } finally {
        await page.close();
      }
    });
  }
});
