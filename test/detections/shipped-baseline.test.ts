// Exchange's own front-end files by hash: the shipped baselines, stock files never judged as shells,
// hash mismatches as context, and modified shipped files once the server's build is known.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { modifiedShipped } from "../../src/detections/correlation/modified-shipped.js";
import { checkInfo } from "../../src/detections/registry.js";
import {
  baselineKey,
  expectedHashes,
  isStockFile,
  parseBaseline,
  shippedBaseline,
  stockBuilds,
} from "../../src/detections/shipped-baseline.js";
import { draftsOf, type FindingsInput, type SweptFile } from "../../src/detections/types.js";
import { isShippedScript, SHIPPED } from "../../src/detections/webfolders.js";
import { webshellContent } from "../../src/detections/webshells/content.js";
import { shippedFile } from "../../src/detections/webshells/shipped-file.js";
import { unexpectedScript } from "../../src/detections/webshells/unexpected-script.js";
import { type FindingDraft, toFinding } from "../../src/model/finding.js";
import { ctx } from "../helpers.js";
import { inertPage, OWA_AUTH, swept } from "../sweep-helpers.js";

const FE = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\";
// Upstream rows (CSS-Exchange baseline_15.2.792.10.csv / baseline_15.0.1497.12.csv).
const LOGON_2019 = "49194ca2dc5ff65a4e4438b3b68d11d63ed72e12cf72b76949733f4b5196a9b2";
const SVM_2013 = "f72cac44d9e69108b6d32608a4be399d051aeba6a322e8e81e2f57b89946dcd4";
const GLOBAL_ASAX = "98fc3aa73175d6d55c4ee6ae8daa0acc721d792b14df26b0cd39bbb13cb23d95";

/** A swept file that claims a given hash (the stock page's bytes are not in the repository). */
function withHash(f: SweptFile, sha256: string): SweptFile {
  return { ...f, sha256 };
}

function contentChecks(d: typeof shippedFile, f: SweptFile): FindingDraft[] {
  const c = ctx(f.path);
  return d.select(f, c) ? draftsOf(d.match(f, c)) : [];
}

// A page whose only code is inside a server comment: the content rules key on the text, IIS never runs it.
const SHELLISH = inertPage('eval(Request.Item["z"],"unsafe");');

// The builds in the field in March 2021 (CU and security-update builds of 2013 CU23, 2016 CU18-CU20,
// 2019 CU7-CU8), each from its own CSS-Exchange list.
const MARCH_2021 = [
  "15.0.1497.8",
  "15.0.1497.12",
  "15.1.2106.4",
  "15.1.2106.13",
  "15.1.2176.2",
  "15.1.2242.4",
  "15.2.721.6",
  "15.2.721.8",
  "15.2.792.10",
];

test("shipped baselines: the March 2021 builds of 2013, 2016 and 2019, valid hashes, stock names in sync", () => {
  const b = shippedBaseline();
  assert.deepEqual([...b.builds], MARCH_2021);
  for (const files of b.byBuild.values()) for (const h of files.values()) assert.match(h, /^[0-9a-f]{64}$/);
  // Every page a baseline lists directly in owa\auth / ecp\auth is a stock name for the folder checks.
  for (const files of b.byBuild.values())
    for (const key of files.keys()) {
      const m = /^frontend\\httpproxy\\(owa|ecp)\\auth\\([^\\]+)$/.exec(key);
      if (m) assert.ok(SHIPPED[`${m[1]}-auth` as "owa-auth"].has(m[2]), key);
    }
  assert.deepEqual(
    stockBuilds(b, "frontend\\httpproxy\\owa\\global.asax", GLOBAL_ASAX.toUpperCase()),
    MARCH_2021,
  );
});

test("baseline paths: build folder under owa\\auth is 'version', other paths kept, non-front-end null", () => {
  assert.equal(
    baselineKey(`${OWA_AUTH}15.2.792.10\\scripts\\premium\\flogon.js`),
    "frontend\\httpproxy\\owa\\auth\\version\\scripts\\premium\\flogon.js",
  );
  assert.equal(
    baselineKey(`${FE}ecp\\auth\\TimeoutLogout.aspx`),
    "frontend\\httpproxy\\ecp\\auth\\timeoutlogout.aspx",
  );
  assert.equal(baselineKey("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"), null);
  assert.throws(() => parseBaseline('{"format":2}'));
  assert.throws(() => parseBaseline('{"format":1,"hashes":["zz"],"builds":{"1.2.3.4":{"a":0}}}'));
});

test("Exchange 2013's SvmFeedback.aspx in owa\\auth is a stock page, not an unexpected script", () => {
  const f = withHash(swept(`${OWA_AUTH}SvmFeedback.aspx`, "<%@ Page %>\n<html></html>"), SVM_2013);
  assert.equal(isShippedScript("owa-auth", "svmfeedback.aspx"), true);
  assert.deepEqual(contentChecks(unexpectedScript, f), []);
  assert.deepEqual(contentChecks(shippedFile, f), []);
  // Trap: an unknown page next to it still is one.
  const other = swept(`${OWA_AUTH}SvmFeedbackx.aspx`, "<%@ Page %>\n<html></html>");
  assert.deepEqual(
    contentChecks(unexpectedScript, other).map((d) => d.check),
    ["unexpected-exchange-script"],
  );
});

test("a stock file (path and hash in a baseline) is never judged by the web-shell content rules", () => {
  const stock = withHash(swept(`${OWA_AUTH}logon.aspx`, SHELLISH), LOGON_2019);
  assert.equal(isStockFile(stock.winPath, stock.sha256), true);
  assert.equal(webshellContent.select(stock, ctx(stock.path)), false);
  // Trap: the same content with its real hash is judged (and found).
  const changed = swept(`${OWA_AUTH}logon.aspx`, SHELLISH);
  assert.equal(webshellContent.select(changed, ctx(changed.path)), true);
  assert.ok(draftsOf(webshellContent.match(changed, ctx(changed.path))).length > 0);
  // Same hash at another path is no stock file.
  assert.equal(isStockFile(`${OWA_AUTH}x.aspx`, LOGON_2019), false);
});

function input(drafts: FindingDraft[], build: string | null): FindingsInput {
  return {
    server: "EXCH01",
    findings: drafts.map((d) => toFinding(d, "EXCH01", checkInfo(d.check))),
    omitted: {},
    coverage: {} as FindingsInput["coverage"],
    exposure: build
      ? ({ assessment: { build }, buildSource: "test", asOf: null } as unknown as FindingsInput["exposure"])
      : null,
  };
}

test("changed logon.aspx: context without the build; modified shipped file with it (compromise when shell-like)", () => {
  const shell = swept(`${OWA_AUTH}logon.aspx`, SHELLISH);
  const [ctxFinding] = contentChecks(shippedFile, shell);
  assert.equal(ctxFinding.check, "shipped-file-hash-unknown");
  assert.match(ctxFinding.evidence.LooksLikeShell, /^yes/);
  assert.match(ctxFinding.evidence.ExpectedSHA256, new RegExp(LOGON_2019));

  assert.deepEqual(draftsOf(modifiedShipped.run(input([ctxFinding], null))), []);
  // 2016 CU18 March 2021 SU and CU19 are held: the same page is a modified shipped file there too.
  assert.equal(
    draftsOf(modifiedShipped.run(input([ctxFinding], "15.1.2106.13")))[0]?.check,
    "modified-shipped-file",
  );
  assert.equal(
    draftsOf(modifiedShipped.run(input([ctxFinding], "15.1.2176.2")))[0]?.check,
    "modified-shipped-file",
  );
  const [m] = draftsOf(modifiedShipped.run(input([ctxFinding], "15.02.0792.010")));
  assert.equal(m.check, "modified-shipped-file");
  assert.equal(m.effect, "compromise");
  assert.equal(m.evidence.ExpectedSHA256, LOGON_2019);

  // An edited page without shell content: high, for review, not compromise-grade.
  const edited = swept(`${OWA_AUTH}logon.aspx`, "<%@ Page %>\n<html><body>Sign in (edited)</body></html>");
  const [e] = contentChecks(shippedFile, edited);
  assert.equal(e.evidence.LooksLikeShell, "no");
  const [me] = draftsOf(modifiedShipped.run(input([e], "15.2.792.10")));
  assert.equal(me.effect, "context");
  assert.equal(me.severity, "high");
  assert.match(me.evidence.Reason, /matches no web-shell rule/);
});

test("traps: web.config, a stock hash, and a page a build does not ship give no modified-file finding", () => {
  const cfg = swept(`${FE}owa\\web.config`, "<configuration/>");
  assert.deepEqual(contentChecks(shippedFile, cfg), []);
  const stock = withHash(swept(`${FE}owa\\global.asax`, "x"), GLOBAL_ASAX);
  assert.deepEqual(contentChecks(shippedFile, stock), []);
  // SvmFeedback.aspx exists only in the 2013 baseline: on a 2019 CU8 server a changed copy stays context.
  const svm = swept(`${OWA_AUTH}SvmFeedback.aspx`, "<%@ Page %>\n<html>x</html>");
  const [c] = contentChecks(shippedFile, svm);
  assert.equal(c.check, "shipped-file-hash-unknown");
  assert.deepEqual(draftsOf(modifiedShipped.run(input([c], "15.2.792.10"))), []);
  assert.equal(draftsOf(modifiedShipped.run(input([c], "15.0.1497.12"))).length, 1);
  // Sanity: the fixture's own hash really is not the stock one.
  assert.notEqual(createHash("sha256").update(svm.content).digest("hex"), SVM_2013);
});

test("ClientAccess (Exchange's back-end apps): a middling score gives no finding; elsewhere it is context", () => {
  const page =
    '<%@ Page Language="C#" %>\n<html><body><form runat="server"><asp:TextBox id="n" runat="server"/></form>' +
    "<h1>Upload</h1><p>Files are kept for review.</p></body></html>\n" +
    '<script runat="server">void Save(){ string p = Request["p"]; Type t = Type.GetType(Request["t"]); }</script>';
  const app = swept("C:\\inetpub\\wwwroot\\app\\u.aspx", page);
  assert.deepEqual(
    draftsOf(webshellContent.match(app, ctx(app.path))).map((d) => d.check),
    ["webshell-suspicious-code"],
  );
  const ca = swept("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\ecp\\u.aspx", page);
  assert.deepEqual(draftsOf(webshellContent.match(ca, ctx(ca.path))), []);
  // Trap: a strong shell in ClientAccess is still found.
  const shell = swept(
    "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\ecp\\s.aspx",
    SHELLISH,
  );
  assert.ok(draftsOf(webshellContent.match(shell, ctx(shell.path))).length > 0);
});

const CA = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\";
// Upstream rows: ClientAccess\ecp\About.aspx in baseline_15.2.792.10.csv and baseline_15.0.1497.12.csv.
const ABOUT_2019 = "442892c71f3c3a4a55ed572649a98742bbafa85fde887201c97782edbf21a495";
const ABOUT_2013 = "f556087315f3ddadfb529778c74ccf9c6d166a554bcdb471938ee2dc052736bb";

test("ClientAccess roots: stock pages by hash, changed ones by hash, unknown pages by name", () => {
  assert.equal(baselineKey(`${CA}ecp\\About.aspx`), "clientaccess\\ecp\\about.aspx");
  assert.equal(
    baselineKey("D:\\Exchange\\V15\\ClientAccess\\Autodiscover\\Global.asax"),
    "clientaccess\\autodiscover\\global.asax",
  );
  // The stock page of either version is Exchange's, and no content rule judges it.
  for (const h of [ABOUT_2019, ABOUT_2013]) {
    const f = withHash(swept(`${CA}ecp\\About.aspx`, SHELLISH), h);
    assert.equal(isStockFile(f.winPath, f.sha256), true);
    assert.equal(webshellContent.select(f, ctx(f.path)), false);
    assert.deepEqual(contentChecks(shippedFile, f), []);
    assert.deepEqual(contentChecks(unexpectedScript, f), []);
  }
  // The same page with other bytes: a hash no build has, then a modified shipped file on 2019 CU8.
  const changed = swept(`${CA}ecp\\About.aspx`, "<%@ Page %>\n<html><body>About (edited)</body></html>");
  const [c] = contentChecks(shippedFile, changed);
  assert.equal(c.check, "shipped-file-hash-unknown");
  assert.equal(c.evidence.BaselinePath, "clientaccess\\ecp\\about.aspx");
  const [m] = draftsOf(modifiedShipped.run(input([c], "15.2.792.10")));
  assert.equal(m.check, "modified-shipped-file");
  assert.equal(m.evidence.ExpectedSHA256, ABOUT_2019);
  assert.equal(m.effect, "context");
  // A page Exchange does not ship directly in ecp or Autodiscover is unexpected, whatever it contains.
  for (const p of [`${CA}ecp\\health.aspx`, `${CA}Autodiscover\\x.ashx`]) {
    const f = swept(p, "<%@ Page %>\n<html></html>");
    assert.equal(isShippedScript("clientaccess", p.slice(CA.length).toLowerCase()), false, p);
    assert.deepEqual(
      contentChecks(unexpectedScript, f).map((d) => d.check),
      ["unexpected-exchange-script"],
      p,
    );
  }
  // Traps: the stock names are not unexpected; subfolders and the owa root (no list held) are not
  // judged by name; web.config is never judged by hash.
  assert.equal(isShippedScript("clientaccess", "ecp\\hybridlogouthelper.aspx"), true);
  assert.equal(isShippedScript("clientaccess", "autodiscover\\autodiscover.svc"), true);
  assert.equal(isShippedScript("clientaccess", "ecp\\dlppolicy\\x.aspx"), null);
  assert.equal(isShippedScript("clientaccess", "owa\\x.aspx"), null);
  assert.deepEqual(contentChecks(unexpectedScript, swept(`${CA}ecp\\Reporting\\x.aspx`, "<%@ Page %>")), []);
  assert.deepEqual(contentChecks(shippedFile, swept(`${CA}ecp\\web.config`, "<configuration/>")), []);
});

test("unknown build: judged only by the files all held builds of its version agree on, inside their span", () => {
  const b = shippedBaseline();
  // Held: the build's own list.
  const own = expectedHashes(b, "15.02.0792.010");
  assert.equal(own?.basis, "build");
  assert.equal(own?.files, b.byBuild.get("15.2.792.10"));
  // 2016 CU18 with the February 2021 update (15.1.2106.6) is not held but lies inside 15.1.2106.4-15.1.2242.4.
  const mid = expectedHashes(b, "15.1.2106.6");
  assert.equal(mid?.basis, "major");
  assert.deepEqual(mid?.from, ["15.1.2106.4", "15.1.2106.13", "15.1.2176.2", "15.1.2242.4"]);
  assert.equal(mid?.files.get("frontend\\httpproxy\\owa\\auth\\logon.aspx"), LOGON_2019);
  // Files whose hash differs between the held 2016 builds are not expected (rest and ecp web.config).
  assert.equal(mid?.files.has("frontend\\httpproxy\\rest\\web.config"), false);
  assert.equal(mid?.files.has("clientaccess\\ecp\\web.config"), false);
  const agreed: ReadonlyMap<string, string> = mid?.files ?? new Map();
  const heldBuilds: readonly string[] = mid?.from ?? [];
  for (const [key, hash] of agreed)
    for (const h of heldBuilds) assert.equal(b.byBuild.get(h)?.get(key), hash, `${h} ${key}`);
  // Outside the span of the held builds, another version, or no build: nothing is expected.
  for (const build of ["15.1.1979.3", "15.1.2308.8", "15.2.858.5", "15.3.1.1", "14.3.513.0", null, "garbage"])
    assert.equal(expectedHashes(b, build), null, String(build));

  // Through the detection: a changed logon.aspx on the not-held build is a modified shipped file, with
  // the basis stated and low confidence when its content matches no shell rule.
  const edited = swept(`${OWA_AUTH}logon.aspx`, "<%@ Page %>\n<html><body>Sign in (edited)</body></html>");
  const [e] = contentChecks(shippedFile, edited);
  const [m] = draftsOf(modifiedShipped.run(input([e], "15.1.2106.6")));
  assert.equal(m.check, "modified-shipped-file");
  assert.equal(m.confidence, "low");
  assert.equal(m.effect, "context");
  assert.match(m.evidence.Basis, /15\.1\.2106\.6 is not held.*15\.1\.2106\.4 to 15\.1\.2242\.4/);
  assert.deepEqual(draftsOf(modifiedShipped.run(input([e], "15.1.2308.8"))), []);

  // The rule on two builds that disagree on a page: that page is not judged, the agreed one is.
  const H = (c: string) => c.repeat(64);
  const two = parseBaseline(
    JSON.stringify({
      format: 1,
      hashes: [H("a"), H("b"), H("c")],
      builds: {
        "15.1.10.1": { "x\\same.aspx": 0, "x\\page.aspx": 1 },
        "15.1.30.1": { "x\\same.aspx": 0, "x\\page.aspx": 2 },
      },
    }),
  );
  const ex = expectedHashes(two, "15.1.20.1");
  assert.deepEqual([...(ex?.files ?? [])], [["x\\same.aspx", H("a")]]);
});

test("baseline data: every upstream list parses, regenerates the shipped file exactly, with its source commit", () => {
  const dir = new URL("../../data/baselines/", import.meta.url);
  const up = new URL("upstream/", dir);
  const csvs = readdirSync(up)
    .filter((f) => /^baseline_[\d.]+\.csv$/.test(f))
    .sort();
  assert.equal(csvs.length, MARCH_2021.length);
  const sources = new Map(
    readFileSync(new URL("sources.csv", up), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l): [string, string] => {
        const [build, commit] = l.split(",");
        return [build, commit];
      }),
  );
  for (const f of csvs) {
    const build = /^baseline_(.+)\.csv$/.exec(f)![1];
    assert.match(sources.get(build) ?? "", /^[0-9a-f]{40}$/, `commit of ${build}`);
    const lines = readFileSync(new URL(f, up), "utf8").trim().split("\n");
    for (const line of lines) {
      const m = /^([0-9A-F]{64}),([\d.]+),(\\(?:FrontEnd\\HttpProxy|ClientAccess)\\.+)$/.exec(line);
      assert.ok(m, `${f}: ${line}`);
      assert.equal(m[2], build, `${f}: ${line}`);
    }
    // Each list holds the logon page and the ecp back-end root.
    assert.ok(
      lines.some((l) => l.endsWith("\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx")),
      f,
    );
    assert.ok(
      lines.some((l) => l.endsWith("\\ClientAccess\\ecp\\default.aspx")),
      f,
    );
  }
  const out = join(mkdtempSync(join(tmpdir(), "exhunt-baselines-")), "exchange-web.json");
  const r = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL("../../scripts/compact-baselines.mjs", import.meta.url)),
      out,
      "--sources",
      fileURLToPath(new URL("sources.csv", up)),
      ...csvs.map((f) => fileURLToPath(new URL(f, up))),
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  console.log(r.stdout.trim()); // counts per build
  for (const build of MARCH_2021)
    assert.match(r.stdout, new RegExp(`^${build.replaceAll(".", "\\.")}: \\d+ files`, "m"));
  assert.equal(readFileSync(out, "utf8"), readFileSync(new URL("exchange-web.json", dir), "utf8"));
  const shipped = JSON.parse(readFileSync(new URL("exchange-web.json", dir), "utf8")) as {
    sources: Record<string, { commit: string }>;
  };
  for (const build of MARCH_2021) assert.equal(shipped.sources[build].commit, sources.get(build));
  const b = shippedBaseline();
  const counts = Object.fromEntries([...b.byBuild].map(([k, v]) => [k, v.size]));
  assert.deepEqual(counts, {
    "15.0.1497.8": 79,
    "15.0.1497.12": 79,
    "15.1.2106.4": 58,
    "15.1.2106.13": 58,
    "15.1.2176.2": 58,
    "15.1.2242.4": 58,
    "15.2.721.6": 58,
    "15.2.721.8": 58,
    "15.2.792.10": 58,
  });
});
