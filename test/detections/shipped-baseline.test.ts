// Exchange's own front-end files by hash: the shipped baselines, stock files never judged as shells,
// hash mismatches as context, and modified shipped files once the server's build is known.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { modifiedShipped } from "../../src/detections/correlation/modified-shipped.js";
import { checkInfo } from "../../src/detections/registry.js";
import {
  baselineKey,
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

test("shipped baselines: the March 2021 builds of 2013, 2016 and 2019, valid hashes, stock names in sync", () => {
  const b = shippedBaseline();
  for (const build of ["15.0.1497.12", "15.1.2176.2", "15.2.792.10"])
    assert.ok(b.builds.includes(build), build);
  for (const files of b.byBuild.values()) for (const h of files.values()) assert.match(h, /^[0-9a-f]{64}$/);
  // Every page a baseline lists directly in owa\auth / ecp\auth is a stock name for the folder checks.
  for (const files of b.byBuild.values())
    for (const key of files.keys()) {
      const m = /^frontend\\httpproxy\\(owa|ecp)\\auth\\([^\\]+)$/.exec(key);
      if (m) assert.ok(SHIPPED[`${m[1]}-auth` as "owa-auth"].has(m[2]), key);
    }
  assert.deepEqual(stockBuilds(b, "frontend\\httpproxy\\owa\\global.asax", GLOBAL_ASAX.toUpperCase()), [
    "15.0.1497.12",
    "15.1.2176.2",
    "15.2.792.10",
  ]);
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
  // A build the baselines do not hold (2016 CU18 March 2021 SU): a mismatch may be that build's own file.
  assert.deepEqual(draftsOf(modifiedShipped.run(input([ctxFinding], "15.1.2106.13"))), []);
  // 2016 CU19 is held: the same page is a modified shipped file there too.
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
