// Build → per-CVE status, checked against the tables of exchange-builds-notes.md §4 (typed in here by
// hand, not read from the shipped CSV, so that the code and the data are both checked).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assessBuild } from "../../src/exposure/assess.js";
import { buildTable } from "../../src/exposure/table.js";
import { parseVersion, VersionError } from "../../src/exposure/version.js";

const NOW = new Date("2026-12-01T00:00:00Z");
const PL = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"];
const PS_APR = ["CVE-2021-34473", "CVE-2021-34523"];
const PS_MAY = ["CVE-2021-31207"];
const PNS = ["CVE-2022-41040", "CVE-2022-41082"];

function status(build: string, cve: string): string {
  return assessBuild(build, NOW).cves[cve].status;
}

function bump(build: string, delta: number): string {
  const p = build.split(".").map(Number);
  p[3] += delta;
  return p.join(".");
}

/** A fixed-in build: one revision below is vulnerable, it and one above are fixed. */
function assertEdge(fixedIn: string, cves: string[]): void {
  for (const cve of cves) {
    assert.equal(status(bump(fixedIn, -1), cve), "vulnerable", `${bump(fixedIn, -1)} ${cve}`);
    assert.equal(status(fixedIn, cve), "fixed", `${fixedIn} ${cve}`);
    assert.equal(status(bump(fixedIn, 1), cve), "fixed", `${bump(fixedIn, 1)} ${cve}`);
    assert.equal(assessBuild(fixedIn, NOW).cves[cve].fixedIn, fixedIn);
  }
}

describe("build parsing", () => {
  it("reads short, long, CU-only and AdminDisplayVersion forms", () => {
    assert.deepEqual(parseVersion("15.1.2176.2").build, { major: 15, minor: 1, build: 2176, revision: 2 });
    assert.deepEqual(parseVersion(" 15.01.2176.002 ").build, {
      major: 15,
      minor: 1,
      build: 2176,
      revision: 2,
    });
    assert.deepEqual(parseVersion("15.1.2176").build, { major: 15, minor: 1, build: 2176, revision: null });
    const adv = parseVersion("Version 15.1 (Build 2176.2)");
    assert.equal(adv.build.build, 2176);
    assert.match(
      adv.warning ?? "",
      /AdminDisplayVersion does not change when a security update is installed/,
    );
  });

  it("rejects garbage with a clear VersionError", () => {
    for (const bad of [
      "",
      "garbage",
      "15",
      "15.1",
      "15.1.x.2",
      "16.0.1.1",
      "15.1.2176.2.1",
      "15.1.2176.99999999",
      "1e3.1.1.1",
    ])
      assert.throws(() => assessBuild(bad, NOW), VersionError, bad);
    assert.throws(() => assessBuild("15.3.100.1", NOW), /not Exchange 2013/);
    assert.throws(() => assessBuild("15.1.2000.1", NOW), /no Exchange 2016 CU has build 2000/);
    assert.throws(() => assessBuild("14.2.390.3", NOW), /before SP3/);
  });
});

describe("ProxyLogon (notes §4.1): every CU family with a March 2021 SU", () => {
  const mar21: Record<string, string> = {
    "2019 RTM": "15.2.221.18",
    "2019 CU1": "15.2.330.11",
    "2019 CU2": "15.2.397.11",
    "2019 CU3": "15.2.464.15",
    "2019 CU4": "15.2.529.13",
    "2019 CU5": "15.2.595.8",
    "2019 CU6": "15.2.659.12",
    "2019 CU7": "15.2.721.13",
    "2019 CU8": "15.2.792.10",
    "2016 CU8": "15.1.1415.10",
    "2016 CU9": "15.1.1466.16",
    "2016 CU10": "15.1.1531.12",
    "2016 CU11": "15.1.1591.18",
    "2016 CU12": "15.1.1713.10",
    "2016 CU13": "15.1.1779.8",
    "2016 CU14": "15.1.1847.12",
    "2016 CU15": "15.1.1913.12",
    "2016 CU16": "15.1.1979.8",
    "2016 CU17": "15.1.2044.13",
    "2016 CU18": "15.1.2106.13",
    "2016 CU19": "15.1.2176.9",
    "2013 CU21": "15.0.1395.12",
    "2013 CU22": "15.0.1473.6",
    "2013 CU23": "15.0.1497.12",
  };
  for (const [cu, fixedIn] of Object.entries(mar21)) {
    it(`${cu}: fixed from ${fixedIn}`, () => {
      assertEdge(fixedIn, PL);
      assert.match(assessBuild(fixedIn, NOW).update, /^Mar21SU$/);
    });
  }

  it("CUs that ship the fix are fixed at every revision, even below the CU build (OWA's 15.2.858.2)", () => {
    for (const b of ["15.2.858.5", "15.2.858.2", "15.2.1258.12", "15.1.2242.4", "15.1.2507.6"])
      for (const cve of PL) assert.equal(status(b, cve), "fixed", `${b} ${cve}`);
    assert.match(assessBuild("15.2.858.2", NOW).update, /below the CU build/);
  });

  it("CUs with no March 2021 SU stay vulnerable at any revision", () => {
    for (const b of [
      "15.1.1261.35",
      "15.1.1261.99",
      "15.1.225.42",
      "15.0.1367.3",
      "15.0.516.32",
      "15.0.913.22",
    ]) {
      for (const cve of PL) {
        const s = assessBuild(b, NOW).cves[cve];
        assert.equal(s.status, "vulnerable", `${b} ${cve}`);
        assert.equal(s.fixedIn, null);
      }
    }
  });

  it("2013 SP1 (CU4): fixed from 15.0.847.64 (conservative reading of notes §3.3)", () => {
    assertEdge("15.0.847.64", PL);
    assert.equal(assessBuild("15.0.847.64", NOW).cu, "CU4 (SP1)");
  });

  it("2016 CU8/CU9: the CSS-Exchange builds (.8/.13) stay vulnerable, with a note", () => {
    for (const b of ["15.1.1415.8", "15.1.1466.13"]) {
      const s = assessBuild(b, NOW).cves["CVE-2021-26855"];
      assert.equal(s.status, "vulnerable");
      assert.match(s.note ?? "", /Probably patched: verify locally/);
    }
    assert.equal(assessBuild("15.1.1415.7", NOW).cves["CVE-2021-26855"].note, undefined);
  });

  it("special March 2021 SUs fix ProxyLogon only, and the recommendation says interim", () => {
    const a = assessBuild("15.1.2044.13", NOW);
    for (const cve of PL) assert.equal(a.cves[cve].status, "fixed");
    for (const cve of [...PS_APR, ...PS_MAY, ...PNS]) assert.equal(a.cves[cve].status, "vulnerable");
    assert.equal(a.recommendation.interimOnly, true);
    assert.equal(a.recommendation.cuUpgradeNeeded, true);
    assert.equal(a.recommendation.action, "upgrade-cu");
    // The serviced CUs' March SUs are not interim.
    assert.equal(assessBuild("15.1.2176.9", NOW).recommendation.interimOnly, false);
  });
});

describe("ProxyShell (notes §4.2)", () => {
  it("April 2021 SU fixes 34473/34523, May 2021 SU fixes 31207, per serviced CU", () => {
    for (const b of ["15.2.792.13", "15.2.858.10", "15.1.2176.12", "15.1.2242.8", "15.0.1497.15"])
      assertEdge(b, PS_APR);
    for (const b of ["15.2.792.15", "15.2.858.12", "15.1.2176.14", "15.1.2242.10", "15.0.1497.18"])
      assertEdge(b, PS_MAY);
  });

  it("fixed in the CU from 2016 CU21 / 2019 CU10; no fix for older CUs, March SUs included", () => {
    for (const b of ["15.1.2308.8", "15.2.922.7", "15.1.2375.7"])
      for (const cve of [...PS_APR, ...PS_MAY]) assert.equal(status(b, cve), "fixed", `${b} ${cve}`);
    for (const b of ["15.2.721.13", "15.1.2106.13", "15.0.1473.6"])
      for (const cve of [...PS_APR, ...PS_MAY])
        assert.equal(assessBuild(b, NOW).cves[cve].fixedIn, null, `${b} ${cve}`);
  });
});

describe("ProxyNotShell (notes §4.3)", () => {
  it("November 2022 SU fixes both; October 2022 SUs do not", () => {
    for (const b of ["15.2.986.36", "15.2.1118.20", "15.1.2375.37", "15.1.2507.16", "15.0.1497.44"])
      assertEdge(b, PNS);
    for (const oct of ["15.2.986.30", "15.2.1118.15", "15.1.2375.32", "15.1.2507.13", "15.0.1497.42"])
      for (const cve of PNS) assert.equal(status(oct, cve), "vulnerable", `${oct} ${cve}`);
  });

  it("2019 CU13 ships the fix; 2019 CU10 and 2016 CU21 have none", () => {
    for (const cve of PNS) {
      assert.equal(status("15.2.1258.12", cve), "fixed");
      assert.equal(assessBuild("15.2.922.27", NOW).cves[cve].fixedIn, null);
      assert.equal(assessBuild("15.1.2308.27", NOW).cves[cve].fixedIn, null);
    }
  });
});

describe("CU-only input and the update level", () => {
  it("CU only: fixed where the CU ships the fix, unknown where an SU decides, vulnerable with no fix", () => {
    const a = assessBuild("15.1.2176", NOW);
    assert.equal(a.update, "unknown (CU only)");
    for (const cve of [...PL, ...PS_APR, ...PS_MAY]) assert.equal(a.cves[cve].status, "unknown", cve);
    assert.equal(a.cves["CVE-2021-26855"].fixedIn, "15.1.2176.9");
    for (const cve of PNS) assert.equal(a.cves[cve].status, "vulnerable");
    for (const cve of [...PL, ...PS_APR, ...PS_MAY, ...PNS]) assert.equal(status("15.2.1258", cve), "fixed");
    assert.equal(status("15.1.1261", "CVE-2021-26855"), "vulnerable");
  });

  it("AdminDisplayVersion is treated as CU only, with its warning", () => {
    const a = assessBuild("Version 15.2 (Build 1118.7)", NOW);
    assert.equal(a.cu, "CU12");
    assert.equal(a.cves["CVE-2022-41040"].status, "unknown");
    assert.equal(a.warnings.length, 1);
    // CU12 got none of the 2024–2026 fixes: those are open whatever its update level.
    assert.equal(a.cves["CVE-2025-53782"].status, "vulnerable");
    assert.equal(a.recommendation.action, "upgrade-cu");
    assert.equal(assessBuild("Version 15.2 (Build 1748.10)", NOW).recommendation.action, "verify");
  });

  it("names the update level, also for revisions the table does not know", () => {
    assert.equal(assessBuild("15.1.2176.2", NOW).update, "none (CU build)");
    assert.equal(assessBuild("15.1.2176.12", NOW).update, "Apr21SU");
    assert.match(assessBuild("15.1.2176.13", NOW).update, /^Apr21SU \+ \(revision 13 not in the table\)$/);
    assert.match(assessBuild("15.1.2507.40", NOW).update, /^Apr24HU \+ \(revision 40 not in the table\)$/);
    assert.match(assessBuild("15.1.2507.80", NOW).update, /^newer than the known builds \(table of 2026-08/);
  });
});

describe("recommendation", () => {
  it("serviced CU: its newest SU, no CU upgrade", () => {
    // 2019 CU12 (the line of this test before the 2024–2026 data) is no longer serviced: CU15 is.
    const r = assessBuild("15.2.1748.39", NOW).recommendation;
    assert.equal(r.action, "install-su");
    assert.equal(r.cuUpgradeNeeded, false);
    assert.deepEqual(r.target, {
      name: "Exchange Server 2019 CU15 Aug26SU",
      build: "15.2.1748.49",
      kb: "KB5121574",
      date: "2026-08-11",
      esuOnly: true,
    });
    const r13 = assessBuild("15.0.1497.42", NOW).recommendation;
    assert.deepEqual(r13.target, {
      name: "Exchange Server 2013 CU23 Mar23SU",
      build: "15.0.1497.48",
      kb: "KB5024296",
      date: "2023-03-14",
    });
  });

  it("old CU: the newest CU first, then its newest SU, with KBs", () => {
    const r = assessBuild("15.1.2176.2", NOW).recommendation;
    assert.equal(r.action, "upgrade-cu");
    assert.equal(r.cuUpgradeNeeded, true);
    assert.deepEqual(
      r.steps.map((s) => [s.build, s.kb]),
      [
        ["15.1.2507.6", "KB5011155"],
        ["15.1.2507.72", "KB5121576"],
      ],
    );
    assert.match(r.summary, /all 23 tracked CVEs are open/);
  });

  it("fully patched: nothing to do; end of support reported against the date", () => {
    // 15.1.2507.35 (Nov23SU), this test's build before the 2024–2026 data, is no longer patched.
    const r = assessBuild("15.2.2562.46", NOW).recommendation;
    assert.equal(r.action, "none");
    assert.deepEqual(r.steps, []);
    assert.equal(r.endOfSupport, null, "Exchange SE: no end-of-support date");
    assert.equal(assessBuild("15.2.1748.49", NOW).recommendation.endOfSupport?.passed, true);
    assert.equal(
      assessBuild("15.2.1748.49", new Date("2024-01-01")).recommendation.endOfSupport?.passed,
      false,
    );
  });

  it("every recommended target is a row of the table with a KB", () => {
    const { rows } = buildTable();
    for (const b of [
      "15.1.2176.2",
      "15.0.1395.4",
      "15.2.721.2",
      "15.2.986.5",
      "15.1.2375.7",
      "15.0.847.32",
    ]) {
      for (const s of assessBuild(b, NOW).recommendation.steps) {
        assert.ok(
          rows.some((r) => r.short === s.build && r.name === s.name),
          `${b}: ${s.build}`,
        );
        assert.match(s.kb ?? "", /^KB\d{7}$/, `${b}: ${s.name}`);
      }
    }
  });
});

describe("Exchange 2010 and builds beyond the table", () => {
  it("2010 SP3: CVE-2021-26857 only, fixed by Update Rollup 32", () => {
    const old = assessBuild("14.3.509.0", NOW);
    assert.equal(old.cves["CVE-2021-26857"].status, "vulnerable");
    assert.equal(old.cves["CVE-2021-26855"].status, "not-affected");
    assert.equal(old.cves["CVE-2021-34473"].status, "unknown");
    assert.equal(old.recommendation.action, "unsupported");
    assert.equal(old.recommendation.target?.kb, "KB5000978");
    assert.equal(assessBuild("14.3.513.0", NOW).cves["CVE-2021-26857"].status, "fixed");
    assert.equal(assessBuild("14.03.0513.000", NOW).update, "Update Rollup 32");
  });

  it("a CU newer than the table: the fixes its predecessor's base ships are fixed, the rest unknown", () => {
    // 15.2.2562.17 (this test's build before the 2024–2026 data) is now Exchange SE RTM, in the table.
    const a = assessBuild("15.2.2600.1", NOW);
    assert.equal(a.product, "Exchange SE");
    for (const cve of [...PL, ...PS_APR, ...PS_MAY, ...PNS, "CVE-2024-26198"])
      assert.equal(a.cves[cve].status, "fixed", cve);
    assert.equal(a.cves["CVE-2025-25005"].status, "unknown");
    assert.ok(!Object.values(a.cves).some((s) => s.status === "vulnerable"));
    assert.match(
      a.warnings.join(),
      /newer than the newest Exchange SE CU in the table \(RTM, 15\.2\.2562\.17; table of 2026-08\)/,
    );
    assert.equal(a.update, "newer than the known builds (table of 2026-08)");
    assert.equal(a.recommendation.action, "verify");
  });

  it("the table's shape matches the notes (239 builds, 232 fix rows, 23 CVEs, one CU per build number)", () => {
    const t = buildTable();
    assert.equal(t.rows.length, 239);
    assert.equal(t.fixes.length, 232);
    assert.equal(t.newestDate, "2026-08-11");
    for (const r of t.rows.filter((r) => r.kind === "su" || r.kind === "hu"))
      assert.ok(r.kb, `${r.name} has a KB`);
  });
});
