// The dashboard in real headless Chromium (Debian's, driven by playwright-core; no browser is
// downloaded): without and with the token, filtering the table, opening a server, acknowledging a
// finding and seeing the verdict change, and hostile evidence that stays text. Plus the request
// rules a browser does not exercise: CSRF token, Origin, Host.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { type Dashboard, startDashboard } from "../../src/dashboard/server.js";
import { type FleetStore, openStore, recordServer, runMeta } from "../../src/fleet.js";
import { IN_CI } from "../helpers.js";
import { compromisedFindings, finding, server } from "../outputs/fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const NO_BROWSER: string | false =
  existsSync(CHROMIUM) || IN_CI
    ? false
    : "chromium not installed: dashboard browser test skipped (CI installs it)";
const HOSTILE_NAME = `EVIL<img src=x onerror="document.body.dataset.pwned=1">`;
const SCRIPT = `<script>document.title='PWNED';document.body.dataset.pwned='1'</script>`;

async function fleet(path: string): Promise<FleetStore> {
  const s = await openStore(path);
  await recordServer(s, runMeta("scan", {}), server("EXCH01", compromisedFindings()));
  // One exploitation attempt, with a script and an attribute-breaking payload in its evidence.
  const attempt = finding(HOSTILE_NAME, "cve-2021-26855-ssrf-failed", "2021-03-04T02:11:09.004Z", {
    ClientIpAddress: "192.0.2.9",
    UrlStem: `/ecp/y.js"><svg onload="document.body.dataset.pwned=1">`,
    UserAgent: SCRIPT,
  });
  await recordServer(s, runMeta("scan", {}), server(HOSTILE_NAME, [attempt]));
  await recordServer(s, runMeta("scan", {}), server("EXCH02", []));
  return s;
}

describe("dashboard request rules", () => {
  let dir = "";
  let store: FleetStore;
  let d: Dashboard;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-dash-"));
    store = await fleet(join(dir, "fleet.db"));
    d = await startDashboard({ store, user: "tester" });
  });
  after(async () => {
    await d.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("binds loopback; needs the token; refuses a foreign Host, a missing CSRF token and a foreign Origin", async () => {
    assert.match(d.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${d.origin}/`)).status, 401);
    assert.equal((await fetch(`${d.origin}/?token=wrong`, { redirect: "manual" })).status, 401);
    const first = await fetch(d.url, { redirect: "manual" });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), "/", "the token leaves the address bar");
    const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0];
    assert.match(first.headers.get("set-cookie") ?? "", /HttpOnly; SameSite=Strict/);
    const home = await fetch(`${d.origin}/`, { headers: { cookie } });
    assert.equal(home.status, 200);
    assert.match(home.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const page = await (await fetch(`${d.origin}/server?name=EXCH01`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    assert.ok(csrf);
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${d.origin}/status`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    assert.equal((await post("server=EXCH01&status=notified")).status, 403, "no CSRF token");
    assert.equal(
      (await post(`server=EXCH01&status=notified&csrf=${csrf}`, { origin: "http://evil.example" })).status,
      403,
    );
    const ok = await post(`server=EXCH01&status=notified&note=called&csrf=${encodeURIComponent(csrf)}`, {
      origin: d.origin,
    });
    assert.equal(ok.status, 303);
    assert.equal((await store.server("EXCH01"))?.status, "notified");
    // fetch() will not send a foreign Host header; node:http will, as a rebinding browser would.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const u = new URL(d.origin);
      request(
        { host: u.hostname, port: u.port, path: "/", headers: { cookie, host: "attacker.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on("error", reject)
        .end();
    });
    assert.equal(rebinding, 421);
  });
});

describe("dashboard in headless Chromium", { skip: NO_BROWSER }, () => {
  let dir = "";
  let store: FleetStore;
  let d: Dashboard;
  let ctx: BrowserContext;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-dash-"));
    store = await fleet(join(dir, "fleet.db"));
    d = await startDashboard({ store, user: "tester" });
    ctx = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  after(async () => {
    await ctx?.close();
    await d.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("without the token, nothing; with it: filter, open a server, acknowledge, verdict changes, no payload runs", async () => {
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
    const denied = await page.goto(`${d.origin}/`);
    assert.equal(denied?.status(), 401);
    assert.equal(await page.locator("#fleet").count(), 0);

    await page.goto(d.url);
    assert.equal(new URL(page.url()).search, "", "token traded for a cookie");
    assert.equal(await page.locator("#fleet tbody tr").count(), 3);

    await page.fill('input[name="q"]', "exch0");
    await page.click('#filter button[type="submit"]');
    await page.waitForURL(/q=exch0/);
    const names = await page
      .locator("#fleet tbody tr")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-server")));
    assert.deepEqual(names.sort(), ["EXCH01", "EXCH02"]);

    await page.fill('input[name="q"]', "EVIL");
    await page.click('#filter button[type="submit"]');
    await page.waitForURL(/q=EVIL/);
    assert.equal(await page.locator("#fleet tbody tr").count(), 1);
    await page.click("#fleet tbody tr a");
    await page.waitForURL(/\/server\?name=/);
    assert.equal(await page.textContent("#server-name"), HOSTILE_NAME, "the name shown as text");
    assert.equal(await page.getAttribute("#verdict .v", "data-verdict"), "attempted");

    await page.fill("form.ack input[name=reason]", "our own scanner <b>x</b>");
    await page.click("form.ack button");
    await page.waitForLoadState("load");
    if ((await page.locator("#verdict").count()) === 0)
      assert.fail(`after acknowledging: ${await page.content()}`);
    assert.equal(await page.getAttribute("#verdict .v", "data-verdict"), "clean");
    assert.ok(
      (await page.textContent("body"))?.includes("our own scanner <b>x</b>"),
      "the reason shown as text",
    );
    assert.equal((await store.acknowledgements(HOSTILE_NAME))[0].by, "tester");

    // Nothing from the evidence ran or became an element.
    assert.notEqual(await page.title(), "PWNED");
    assert.equal(await page.evaluate("document.body.dataset.pwned ?? null"), null);
    assert.equal(await page.locator("main img, main svg[onload], main script").count(), 0);
    assert.deepEqual(dialogs, []);
    assert.ok(
      (await page.textContent("#findings"))?.includes(SCRIPT),
      "the script payload is visible as text",
    );
  });

  it("the same checks fail on a page that lets the payload run (the test can fail)", async () => {
    const page = await ctx.newPage();
    await page.setContent(`<title>ok</title><body>${SCRIPT}</body>`);
    assert.equal(await page.title(), "PWNED");
    assert.equal(await page.evaluate("document.body.dataset.pwned ?? null"), "1");
  });
});
