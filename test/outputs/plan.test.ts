// The remediation plan and the headline reason, for each verdict.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildCoverage } from "../../src/evidence/coverage.js";
import { assessBuild, toExposure } from "../../src/exposure/assess.js";
import { namedShells, remediationPlan, updateActions } from "../../src/verdict/plan.js";
import {
  attemptedFindings,
  compromisedFindings,
  finding,
  SHELL,
  SHELL_SHA,
  server,
  sources,
  vulnerableExposure,
} from "./fixtures.js";

const ids = (s: ReturnType<typeof server>) => remediationPlan(s).map((p) => p.id);

describe("remediation plan", () => {
  it("compromised with an LSASS dump: contain, preserve, report, remove named shells, krbtgt, update, mitigate, rescan", () => {
    const s = server("EXCH01", compromisedFindings());
    assert.equal(s.verdict, "compromised");
    assert.deepEqual(ids(s), [
      "contain",
      "preserve",
      "report",
      "remove-webshells",
      "credentials",
      "update",
      "mitigate",
      "rescan",
    ]);
    const plan = remediationPlan(s);
    const remove = plan.find((p) => p.id === "remove-webshells");
    assert.ok(remove);
    // The OAB UNC write and the sweep's local path are one file; the hash comes from the sweep.
    assert.equal(remove.actions.filter((a) => a.startsWith("Delete ")).length, 1);
    assert.ok(remove.actions[0].includes(SHELL) && remove.actions[0].includes(SHELL_SHA), remove.actions[0]);
    const cred = plan.find((p) => p.id === "credentials");
    assert.match(cred?.actions.join(" ") ?? "", /krbtgt password twice/);
    assert.ok(cred?.findingIds.length === 1);
    for (const p of plan) {
      assert.ok(p.title && p.why && p.actions.length > 0, p.id);
      assert.ok(
        p.references.every((r) => r.startsWith("https://")),
        p.id,
      );
    }
    assert.ok(plan[0].references.some((r) => r.includes("ed-21-02")));
    assert.match(plan.find((p) => p.id === "update")?.actions.join(" ") ?? "", /exhunt build/);
  });

  it("compromised without a dump: credentials are reset but krbtgt is not asked for", () => {
    const s = server("EXCH01", compromisedFindings("EXCH01", false));
    const cred = remediationPlan(s).find((p) => p.id === "credentials");
    assert.ok(cred);
    assert.doesNotMatch(cred.actions.join(" "), /krbtgt/);
  });

  it("compromised with no file path named: hunt for shells instead of a delete list", () => {
    const fs = compromisedFindings().filter(
      (f) => f.check !== "cve-2021-26858-oab-write" && f.check !== "webshell-file-created",
    );
    const plan = remediationPlan(server("EXCH01", fs));
    assert.ok(plan.some((p) => p.id === "hunt-webshells"));
    assert.ok(!plan.some((p) => p.id === "remove-webshells"));
    assert.deepEqual(namedShells(fs), []);
  });

  it("attempted: no containment or shell removal, but evidence is kept and the server patched", () => {
    const s = server("EXCH03", attemptedFindings());
    assert.equal(s.verdict, "attempted");
    assert.deepEqual(ids(s), ["preserve", "update", "mitigate", "rescan"]);
    assert.match(
      s.reasons[0],
      /^Attacked, no sign of success in the evidence read: 1 exploitation attempt from 192\.0\.2\.9/,
    );
  });

  it("vulnerable with a known build: the exact KB and target build", () => {
    const s = server("EXCH04", [], { exposure: vulnerableExposure(), verdict: "vulnerable" });
    const plan = remediationPlan(s);
    assert.deepEqual(
      plan.map((p) => p.id),
      ["update", "mitigate", "rescan"],
    );
    assert.equal(plan[0].title, "Install the update for this build");
    assert.ok(
      plan[0].actions.includes(
        "Install Exchange Server 2016 CU23 Aug26SU (KB5121576), which brings the server to build 15.1.2507.72.",
      ),
      plan[0].actions.join("\n"),
    );
    assert.ok(plan[0].actions.some((a) => a.includes("15.1.2176.2")));
  });

  it("an older CU is named before the security update", () => {
    const acts = updateActions(server("X", [], { exposure: vulnerableExposure() })).actions;
    assert.match(
      acts[1],
      /^First install Exchange Server 2016 CU23 \(2022H1\) \(KB5011155\), build 15\.1\.2507\.6/,
    );
    assert.equal(acts.filter((a) => a.includes("end of support")).length, 1);
  });

  it("a patched build: no update step, the end-of-support notice kept", () => {
    const exp = vulnerableExposure();
    exp.recommendation = toExposure(
      // 2019 CU15 Aug26SU (2016 CU23 Nov23SU before the 2024–2026 data; it now has open CVEs).
      assessBuild("15.2.1748.49", new Date("2026-01-01T00:00:00Z")),
      "x",
      null,
    ).recommendation;
    const a = updateActions(server("X", [], { exposure: exp }));
    assert.equal(a.known, true);
    assert.match(a.actions[0], /fixed on this build/);
    assert.ok(!a.actions.some((x) => x.startsWith("Install ")));
    assert.ok(a.actions.some((x) => x.includes("end of support")));
  });

  it("unknown build: open CVEs listed and `exhunt build` suggested", () => {
    const exp = vulnerableExposure();
    exp.recommendation = null;
    const a = updateActions(server("X", [], { exposure: exp }));
    assert.equal(a.known, false);
    assert.ok(a.actions.some((x) => x.includes("CVE-2021-26855 (fixed in 15.1.2176.9)")));
    const none = updateActions(server("Y", []));
    assert.ok(none.actions.some((x) => x.includes("exhunt build")));
  });

  it("clean with full coverage: only update, mitigations and rescan", () => {
    const s = server("EXCH02", []);
    assert.equal(s.verdict, "clean");
    assert.deepEqual(ids(s), ["update", "mitigate", "rescan"]);
    assert.equal(
      s.reasons[0],
      "No sign of exploitation in 15 log files from 5 sources, 2020-12-01 to 2021-03-07.",
    );
  });

  it("clean but the logs start late: collect older logs, and the headline says it is not cleared", () => {
    const s = server("EXCH05", [], { coverage: buildCoverage(sources("2021-02-20T00:00:00.000Z")) });
    assert.equal(s.verdict, "clean");
    assert.ok(ids(s).includes("collect"));
    assert.match(
      s.reasons[0],
      /start after exploitation began \(2021-01-03\), so this does not clear the server/,
    );
  });

  it("unknown: collect the evidence first", () => {
    const s = server("EXCH06", [], { coverage: buildCoverage([]) });
    assert.equal(s.verdict, "unknown");
    assert.deepEqual(ids(s), ["update", "mitigate", "collect", "rescan"]);
    assert.equal(s.reasons[0], "No log this tool reads was found in the evidence.");
  });

  it("the compromised headline names the shell write, the start of activity and the addresses", () => {
    const s = server("EXCH01", compromisedFindings());
    assert.match(
      s.reasons[0],
      /^Web shell written through a virtual directory URL .* on 2021-03-03, and 3 more kinds of compromise evidence; attack activity since 2021-03-02 21:14 UTC from 2 addresses\. Contain/,
    );
  });

  it("a listed LSASS dump alone does not call for containment (false-positive trap)", () => {
    const dump = finding("EXCH07", "lsass-dump", "2021-03-03T07:02:11.000Z", {
      Path: "C:\\Windows\\Temp\\lsass.dmp",
    });
    const s = server("EXCH07", [dump]);
    assert.equal(s.verdict, "clean");
    assert.ok(!ids(s).includes("contain") && !ids(s).includes("credentials"));
  });
});
