// The file sweep end to end through the library API and the CLI: web folders recognised from the
// layout, --files roots, --ioc feeds, caps, workers and inline, YARA. Fixtures are inert.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { compileYara, yaraEngine } from "../../src/detections/yara.js";
import { CONTENT_CAP, HASH_CAP } from "../../src/hunt/sweep.js";
import { scan } from "../../src/index.js";
import type { Finding, ServerResult } from "../../src/model/types.js";
import { runCli, tempDir } from "../helpers.js";
import { iisLog } from "../iis-helpers.js";
import { inertPage } from "../sweep-helpers.js";

const FE = "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy";
const CHOPPER = inertPage('eval(Request.Item["x"],"unsafe");');
const MTIME = new Date("2021-03-03T06:50:13Z");

function put(root: string, rel: string, data: string | Buffer, mtime = MTIME): string {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
  utimesSync(abs, mtime, mtime);
  return abs;
}

function server(root: string): void {
  put(root, "C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx", CHOPPER);
  put(
    root,
    `${FE}/owa/auth/logon.aspx`,
    '<%@ Page language="c#" %><html><% if (Request.QueryString["a"]=="1") { %>x<% } %></html>',
  );
  put(root, `${FE}/owa/auth/Current/themes/resources/logon.css`, "body{margin:0}");
  put(
    root,
    `${FE}/owa/auth/15.1.2176/scripts/premium/flogon.js`,
    'var a=function(e){return eval("("+e+")")};',
  );
  put(root, "C/inetpub/wwwroot/iisstart.htm", "<html>IIS</html>");
  put(root, "C/ProgramData/notes.txt", "nothing");
}

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const by = (s: ServerResult, check: string): Finding[] => s.findings.filter((f) => f.check === check);

for (const workers of [0, 2]) {
  test(`sweep finds web shells in web folders, with the shared evidence keys (workers ${workers})`, async (t) => {
    const root = join(tempDir(t), "EXCH01");
    server(root);
    // sweepInlineBytes 0: the worker path even for a tiny tree.
    const r = await scan([root], { workers, sweepInlineBytes: 0 });
    const s = r.servers[0];
    const chop = by(s, "webshell-chopper");
    assert.equal(chop.length, 1);
    const f = chop[0];
    assert.equal(f.source.file, "C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx");
    assert.equal(f.source.line, 2, "content findings name the line they matched");
    assert.equal(f.time, MTIME.toISOString());
    assert.equal(f.evidence.Path, "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\shell.aspx");
    assert.equal(f.evidence.SHA256, sha(CHOPPER));
    assert.equal(f.evidence.Size, String(Buffer.byteLength(CHOPPER)));
    assert.equal(f.evidence.Modified, MTIME.toISOString());
    assert.ok(f.evidence.Rule && f.evidence.Match);
    assert.deepEqual(f.cves, ["CVE-2021-26858", "CVE-2021-27065"]);
    assert.equal(by(s, "script-in-aspnet-client").length, 1);
    assert.equal(s.verdict, "compromised");
    // Traps in the same tree: Exchange's logon page, a theme, minified JS, the IIS start page.
    // (A fixture logon.aspx is not Exchange's file by hash: an info note, never a shell finding.)
    const files = new Set(
      s.findings.filter((x) => x.check !== "shipped-file-hash-unknown").map((x) => x.source.file),
    );
    assert.ok(
      s.findings.filter((x) => x.source.file?.endsWith("logon.aspx")).every((x) => x.effect === "info"),
    );
    for (const clean of ["logon.aspx", "logon.css", "flogon.js", "iisstart.htm"])
      assert.ok(![...files].some((p) => p?.endsWith(clean)), clean);
    // Every file but ProgramData/notes.txt (a .txt outside web folders is read as a possible log).
    assert.equal(s.stats.sweptFiles, 5);
    assert.ok((s.stats.sweptBytes ?? 0) > 0);
  });
}

test("a clean tree stays clean: the sweep adds no finding", async (t) => {
  const root = join(tempDir(t), "EXCH02");
  put(root, `${FE}/owa/auth/logon.aspx`, "<%@ Page %><html></html>");
  put(root, "C/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/.keep", "");
  const r = await scan([root], { workers: 0 });
  // The fixture's logon.aspx is not Exchange's own (its hash is in no baseline) and the build is
  // unknown: that is a note (info), never more.
  const notes = r.servers[0].findings.filter((f) => f.check === "shipped-file-hash-unknown");
  assert.deepEqual(
    notes.map((f) => [f.effect, f.severity]),
    [["info", "info"]],
  );
  assert.deepEqual(
    r.servers[0].findings.filter(
      (f) => f.check !== "log-coverage" && f.check !== "shipped-file-hash-unknown",
    ),
    [],
  );
});

test("--files sweeps any folder (content rules on every file) and --ioc adds user hashes", async (t) => {
  const dir = tempDir(t);
  const root = join(dir, "EXCH01");
  put(root, "C/ProgramData/x.txt", "x");
  const extra = join(dir, "site");
  const payload = "inert sample for a user hash feed";
  put(extra, "app/upload/a.aspx", CHOPPER);
  put(extra, "app/bin/tool.dat", payload);
  const feed = put(dir, "feed.csv", `Indicator,Type\n${sha(payload)},sha256\nnot-an-ioc,x\n`);
  const r = await scan([root], { workers: 0, files: [extra], iocFiles: [feed] });
  const s = r.servers[0];
  const chop = by(s, "webshell-chopper");
  assert.equal(chop.length, 1);
  assert.equal(chop[0].source.file, `${extra.replaceAll("\\", "/")}/app/upload/a.aspx`);
  const hash = by(s, "ioc-file-hash");
  assert.equal(hash.length, 1);
  assert.equal(hash[0].evidence.Feed, `user:${feed}`);
  // The unrecognised feed line is reported, not silently dropped.
  assert.ok(s.skipped.some((k) => k.file === feed && /1 line/.test(k.detail)));
  // The user feed does not outlive the scan.
  const again = await scan([root], { workers: 0, files: [extra] });
  assert.equal(by(again.servers[0], "ioc-file-hash").length, 0);
});

test("caps: a web-folder file over the hashing cap is reported and its head still read", async (t) => {
  const root = join(tempDir(t), "EXCH01");
  const big = Buffer.alloc(HASH_CAP + 1024, 0x20);
  Buffer.from(CHOPPER).copy(big, 0);
  put(root, "C/inetpub/wwwroot/aspnet_client/big.aspx", big);
  const r = await scan([root], { workers: 0 });
  const s = r.servers[0];
  const f = by(s, "webshell-chopper")[0];
  assert.match(f.evidence.SHA256, /not computed/);
  assert.equal(f.evidence.Truncated, `content rules read the first ${CONTENT_CAP} of ${big.length} bytes`);
  assert.ok(s.skipped.some((k) => k.reason === "too-large" && k.file.endsWith("big.aspx")));
});

test("bad input: unreadable --ioc or --yara file is a usage error; a missing --files root is reported", async (t) => {
  const dir = tempDir(t);
  const root = join(dir, "EXCH01");
  put(root, "C/ProgramData/x.txt", "x");
  await assert.rejects(scan([root], { workers: 0, iocFiles: [join(dir, "nope.txt")] }), /--ioc: cannot read/);
  const empty = put(dir, "empty.txt", "# nothing\n");
  await assert.rejects(scan([root], { workers: 0, iocFiles: [empty] }), /no hash, IP, path or domain/);
  await assert.rejects(scan([root], { workers: 0, yara: [join(dir, "none.yar")] }), /no such file/);
  const r = await scan([root], { workers: 0, files: [join(dir, "missing")] });
  assert.ok(r.servers[0].skipped.some((k) => k.reason === "not-found"));
  const cli = runCli(["scan", root, "--no-progress", "--ioc", join(dir, "nope.txt")]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /--ioc/);
});

const RULE = `rule Inert_Chopper_Marker {
  meta:
    author = "exhunt tests"
  strings:
    $a = "eval(Request.Item[" nocase
    $b = "unsafe"
  condition:
    $a and $b
}`;

test("--yara: rules compiled once, run on swept files; compile errors are usage errors", async (t) => {
  if (!yaraEngine()) {
    t.skip("yara-x engine (@litko/yara-x) not installed on this platform");
    return;
  }
  const dir = tempDir(t);
  const root = join(dir, "EXCH01");
  server(root);
  const rules = put(dir, "rules/inert.yar", RULE);
  for (const workers of [0, 2]) {
    const r = await scan([root], { workers, yara: [join(dir, "rules")], sweepInlineBytes: 0 });
    const y = by(r.servers[0], "yara-match");
    assert.equal(y.length, 1, `workers ${workers}`);
    assert.equal(y[0].evidence.Rule, "Inert_Chopper_Marker");
    assert.match(y[0].evidence.RuleMeta, /author=exhunt tests/);
    assert.equal(y[0].source.file, "C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx");
  }
  const bad = put(dir, "bad.yar", "rule x { condition: $a }");
  await assert.rejects(scan([root], { workers: 0, yara: [bad] }), /rules do not compile/);
  const cli = runCli(["scan", root, "--no-progress", "--json", "-", "--yara", rules]);
  assert.equal(cli.status, 1);
  assert.ok(JSON.parse(cli.stdout).servers[0].findings.some((f: Finding) => f.check === "yara-match"));
});

test("--yara: a small page never times out (the binding's timeout is in ms; yara-x ticks once a second)", (t) => {
  if (!yaraEngine()) {
    t.skip("yara-x engine (@litko/yara-x) not installed on this platform");
    return;
  }
  const file = "data/rules/signature-base/gen_webshells.yar";
  const rules = compileYara([
    { file, text: readFileSync(new URL(`../../${file}`, import.meta.url), "utf8") },
  ]);
  const page = Buffer.from(
    `<%@ Page Language="C#" %>\n<html><body>${"<p>hello</p>\n".repeat(200)}</body></html>`,
  );
  // Small scans across more than two of yara-x's one-second ticks: with a timeout read as 30 ms, the
  // scan running when a tick lands fails, about one a second; with 30 s none does.
  let scans = 0;
  const failures: string[] = [];
  const end = performance.now() + 2300;
  while (performance.now() < end) {
    scans++;
    try {
      rules.scan(page);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  assert.ok(scans > 100, `${scans} scans`);
  assert.deepEqual(failures, [], `${failures.length} of ${scans} scans failed`);
});

test("sweep tasks run in worker threads (not the inline fallback) and carry the setup", async (t) => {
  const dir = tempDir(t);
  const abs = put(dir, "C/inetpub/wwwroot/aspnet_client/w.aspx", CHOPPER);
  const feed = put(dir, "feed.txt", `${sha(CHOPPER)}\n`);
  const { WorkerPool } = await import("../../src/hunt/pool.js");
  const { prepareHunt } = await import("../../src/hunt/setup.js");
  const { createHuntContext } = await import("../../src/detections/context.js");
  // The pool's main lane has no user feed: the hash finding below can only come from the worker.
  const pool = new WorkerPool(1, { ...createHuntContext(), setup: prepareHunt({ iocFiles: [feed] }) }, false);
  try {
    const pending = pool.runSweep([
      {
        id: 0,
        abs,
        rel: "C/inetpub/wwwroot/aspnet_client/w.aspx",
        winPath: "C:\\inetpub\\wwwroot\\aspnet_client\\w.aspx",
        size: Buffer.byteLength(CHOPPER),
        mtime: MTIME.toISOString(),
        folder: "aspnet_client",
        extraRoot: false,
        ctx: { server: "S", file: "w.aspx", installPath: null },
        maxDraftsPerCheck: 10,
      },
    ]);
    const [r] = await pending;
    assert.equal(pool.broken, null);
    // The shipped community rules match the shell too where yara-x is installed; not what this is about.
    const checks = r.drafts
      .map((d) => d.check)
      .filter((c) => c !== "yara-signature-base")
      .sort();
    // The user hash reached the worker through workerData.
    assert.deepEqual(checks, ["ioc-file-hash", "script-in-aspnet-client", "webshell-chopper"]);
  } finally {
    await pool.close();
  }
});

test("example EXCH01: the planted OAB shell, its compiled page and the example feed's hash are found", async (t) => {
  const { writeCompromised, exampleIocFeed } = await import("../../examples/generate.js");
  const dir = tempDir(t);
  const root = join(dir, "EXCH01");
  writeCompromised(root, {
    rowsPerHour: 4,
    from: new Date("2021-03-02T00:00:00Z"),
    to: new Date("2021-03-04T00:00:00Z"),
  });
  const feed = put(dir, "iocs.txt", exampleIocFeed());
  const s = (await scan([root], { workers: 0, iocFiles: [feed] })).servers[0];
  const shell = "C/inetpub/wwwroot/aspnet_client/system_web/discover.aspx";
  for (const c of ["webshell-oab-settings", "ioc-file-hash", "script-in-aspnet-client"])
    assert.equal(by(s, c)[0]?.source.file, shell, c);
  assert.equal(
    by(s, "compiled-unexpected-page")[0].evidence.VirtualPath,
    "/aspnet_client/system_web/discover.aspx",
  );
  assert.ok(by(s, "ioc-client-ip").length > 0, "the feed's IP is found in the HttpProxy logs");
});

test("--yara without the yara-x engine: a plain skipped entry, built-in rules still run", async (t) => {
  const { prepareHunt } = await import("../../src/hunt/setup.js");
  const dir = tempDir(t);
  const rules = put(dir, "r.yar", RULE);
  const setup = prepareHunt({ yara: [rules] }, () => false);
  assert.deepEqual(setup.yara, []);
  assert.equal(setup.warnings.length, 1);
  assert.equal(setup.warnings[0].reason, "refused");
  assert.match(setup.warnings[0].detail, /^YARA is unavailable: .*; built-in rules ran$/);
});

for (const workers of [0, 2]) {
  test(`--max-findings is per check and server, the first in evidence order kept (workers ${workers})`, async (t) => {
    const root = join(tempDir(t), "EXCH01");
    // 12 pages in aspnet_client: one finding each, 12 files with one finding each used to list 12.
    const pages = Array.from(
      { length: 12 },
      (_, i) => `C/inetpub/wwwroot/aspnet_client/p${String(i).padStart(2, "0")}.aspx`,
    );
    for (const p of pages) put(root, p, "<html>hello</html>");
    // Three IIS logs of four refused ProxyLogon SSRF requests each: the per-file cap let 12 through.
    const logs = ["u_ex210302.log", "u_ex210303.log", "u_ex210304.log"];
    for (const [d, name] of logs.entries()) {
      const reqs = Array.from({ length: 4 }, (_, i) => ({
        method: "POST",
        stem: "/ecp/y.js",
        status: 500,
        time: `2021-03-0${2 + d}T06:1${i}:00Z`,
      }));
      put(root, `C/inetpub/logs/LogFiles/W3SVC1/${name}`, iisLog(reqs));
    }
    const r = await scan([root], { workers, sweepInlineBytes: 0, maxFindingsPerCheck: 5 });
    const s = r.servers[0];
    const scripts = by(s, "script-in-aspnet-client");
    assert.deepEqual(
      scripts.map((f) => f.source.file).sort(),
      pages.slice(0, 5),
      "the first five files in path order, whatever thread finished first",
    );
    assert.equal(s.omittedFindings["script-in-aspnet-client"], 7);
    const ssrf = by(s, "iis-proxylogon-request-failed");
    assert.equal(ssrf.length, 5);
    assert.equal(s.omittedFindings["iis-proxylogon-request-failed"], 7);
    assert.deepEqual(ssrf.map((f) => f.source.file?.split("/").pop()).sort(), [
      "u_ex210302.log",
      "u_ex210302.log",
      "u_ex210302.log",
      "u_ex210302.log",
      "u_ex210303.log",
    ]);
    // Nothing is lost: every page is still accounted for as swept.
    for (const p of pages) assert.equal(s.files?.files.find((a) => a.file === p)?.reader, "file-sweep");
  });
}
