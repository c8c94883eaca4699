// The dashboard's /queue page in real headless Chromium against a real PostgreSQL (started for this
// file): job counts per state, overall progress, a running job's progress, the last errors with a
// hostile package name shown as text only, and the meta refresh that reloads the page under the
// no-script CSP. On a SQLite store the page says the queue needs PostgreSQL.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { writeClean } from "../../examples/generate.js";
import { startDashboard } from "../../src/dashboard/server.js";
import { openStore } from "../../src/fleet.js";
import { markJob, openQueue } from "../../src/store/queue.js";
import { addScanJobs, runWorker } from "../../src/worker.js";
import { IN_CI } from "../helpers.js";
import { NO_PG, type PgServer, startPg } from "../store/pg-server.js";

const CHROMIUM = "/usr/bin/chromium";
const NO_BROWSER: string | false =
  existsSync(CHROMIUM) || IN_CI
    ? false
    : "chromium not installed: dashboard queue test skipped (CI installs it)";
// A folder name can carry markup (no slash): the job's label, and its error, quote it.
const HOSTILE = `EVIL<img src=x onerror="document.body.dataset.pwned=1"><svg onload="document.title='PWNED'">`;
const DAY = { from: new Date("2021-03-02T00:00:00Z"), to: new Date("2021-03-03T00:00:00Z"), rowsPerHour: 1 };

async function browser(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

describe("dashboard /queue in headless Chromium", { skip: NO_BROWSER || NO_PG }, () => {
  let dir = "";
  let pg: PgServer;
  let ctx: BrowserContext;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-dash-queue-"));
    pg = await startPg();
    ctx = await browser(dir);
  });
  after(async () => {
    await ctx?.close();
    pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("on a SQLite store: the queue needs PostgreSQL", async () => {
    const store = await openStore(join(dir, "fleet.db"));
    const d = await startDashboard({ store, user: "tester" });
    try {
      const page = await ctx.newPage();
      await page.goto(d.url);
      await page.click("#nav-queue");
      await page.waitForURL(/\/queue$/);
      assert.match((await page.textContent("#no-queue")) ?? "", /needs a PostgreSQL store/);
      await page.close();
    } finally {
      await d.close();
      await store.close();
    }
  });

  it("on PostgreSQL: counts, progress, the last errors as text, and a refresh that shows the change", async () => {
    const pkgs = join(dir, "packages");
    mkdirSync(pkgs);
    for (const n of ["Q01", "Q02", HOSTILE]) writeClean(join(pkgs, n), DAY);
    const policy = { retries: 0, retryDelay: 1, timeout: 300 };
    await addScanJobs(pg.url, [pkgs], { each: true, policy });
    rmSync(join(pkgs, HOSTILE), { recursive: true }); // gone from the shared storage: that job fails
    const run = await runWorker({ url: pg.url, pollSeconds: 1, idleExitSeconds: 1 });
    assert.deepEqual(run, { completed: 2, failed: 1, returned: 0 });
    // One more job, taken by a worker that reports its progress (the rows the worker writes, written
    // here so that the job stays running while the page is looked at).
    writeClean(join(pkgs, "Q03"), DAY);
    const [running] = await addScanJobs(pg.url, [join(pkgs, "Q03")], { policy });
    const q = await openQueue(pg.url);
    const store = await openStore(pg.url);
    const d = await startDashboard({ store, user: "tester", queueUrl: pg.url });
    try {
      await markJob(q.pool, running, { state: "running", attempt: 1, worker: "host-b:4242" });
      await markJob(q.pool, running, { state: "progress", done: 40, total: 160, unit: "files" });

      const page = await ctx.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (dlg) => {
        dialogs.push(dlg.message());
        void dlg.dismiss();
      });
      await page.goto(d.url.replace("/?", "/queue?"));
      assert.equal(new URL(page.url()).pathname, "/queue");
      const count = async (state: string) =>
        Number(await page.textContent(`#counts tr[data-state="${state}"] td`));
      assert.equal(await count("done"), 2);
      assert.equal(await count("dead"), 1);
      assert.equal(await count("running"), 1);
      assert.equal(await count("queued"), 0);
      assert.equal(await page.textContent("#overall-text"), "3 of 4 jobs finished (75%)");
      assert.equal(await page.getAttribute("#overall", "value"), "3");
      const row = page.locator(`#running tr[data-job="${running}"]`);
      assert.match((await row.locator(".progress").textContent()) ?? "", /40\/160 files/);
      assert.equal(await row.locator("progress").getAttribute("value"), "40");
      assert.match((await row.textContent()) ?? "", /host-b:4242/);
      // The dead job: its label and its error carry the hostile name, as text.
      const dead = page.locator('#failed tr[data-state="dead"]');
      assert.equal(await dead.count(), 1);
      assert.equal(await dead.locator(".label").textContent(), join(pkgs, HOSTILE));
      assert.match(
        (await dead.locator(".error").textContent()) ?? "",
        /no such file or folder: .*EVIL<img src=x/,
      );
      assert.equal(await page.locator("main img, main svg[onload], main script").count(), 0);
      assert.notEqual(await page.title(), "PWNED");
      assert.equal(await page.evaluate("document.body.dataset.pwned ?? null"), null);
      assert.deepEqual(dialogs, []);
      assert.equal(await page.getAttribute('meta[http-equiv="refresh"]', "content"), "10");

      // The job finishes; the page reloads by itself (a meta refresh, no script) and shows it.
      await markJob(q.pool, running, { state: "done", servers: 1 });
      await page.waitForEvent("load", { timeout: 30_000 });
      assert.equal(await count("done"), 3);
      assert.equal(await count("running"), 0);
      assert.equal(await page.textContent("#overall-text"), "4 of 4 jobs finished (100%)");
      assert.match((await page.textContent("#running")) ?? "", /No job running/);
      await page.close();
    } finally {
      await d.close();
      await store.close();
      await q.close();
    }
  });
});
