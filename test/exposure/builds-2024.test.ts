// The 2024–2026 CVEs, Exchange SE, support status and freshness, checked against Microsoft's
// published tables as exchange-builds-notes.md §4.5 and §3.14 give them (typed in here by hand, not
// read from the shipped CSV, so that the code and the data are both checked). For each CVE on each
// CU line: the build before the fix is vulnerable, the fix and a later build are fixed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assessBuild } from "../../src/exposure/assess.js";
import { exposureDrafts } from "../../src/exposure/findings.js";

const NOW = new Date("2026-12-01T00:00:00Z");

/** Every build Microsoft lists for the serviced lines from 2024 on (§4.5), revision → update, after the CU build. */
const LINES = {
  "2016 CU23": {
    prefix: "15.1.2507",
    base: 6,
    revs: {
      35: "Nov23SU",
      37: "Mar24SU",
      39: "Apr24HU",
      43: "Nov24SU",
      44: "Nov24SUv2",
      55: "Apr25HU",
      57: "May25HU",
      58: "Aug25SU",
      59: "Sep25HU",
      61: "Oct25SU",
      63: "Dec25SU",
      66: "Feb26SU",
      69: "Jun26SU",
      71: "Jul26SU",
      72: "Aug26SU",
    },
  },
  "2019 CU13": {
    prefix: "15.2.1258",
    base: 12,
    revs: { 28: "Nov23SU", 32: "Mar24SU", 34: "Apr24HU", 38: "Nov24SU", 39: "Nov24SUv2" },
  },
  "2019 CU14": {
    prefix: "15.2.1544",
    base: 4,
    revs: {
      9: "Mar24SU",
      11: "Apr24HU",
      13: "Nov24SU",
      14: "Nov24SUv2",
      25: "Apr25HU",
      27: "May25HU",
      33: "Aug25SU",
      34: "Sep25HU",
      36: "Oct25SU",
      37: "Dec25SU",
      39: "Feb26SU",
      41: "Jun26SU",
      43: "Jul26SU",
      44: "Aug26SU",
    },
  },
  "2019 CU15": {
    prefix: "15.2.1748",
    base: 10,
    revs: {
      24: "Apr25HU",
      26: "May25HU",
      36: "Aug25SU",
      37: "Sep25HU",
      39: "Oct25SU",
      42: "Dec25SU",
      43: "Feb26SU",
      46: "Jun26SU",
      48: "Jul26SU",
      49: "Aug26SU",
    },
  },
  "SE RTM": {
    prefix: "15.2.2562",
    base: 17,
    revs: {
      20: "Aug25SU",
      27: "Sep25HU",
      29: "Oct25SU",
      35: "Dec25SU",
      37: "Feb26SU",
      41: "May26HU",
      43: "Jun26SU",
      45: "Jul26SU",
      46: "Aug26SU",
    },
  },
} as const;
type Line = keyof typeof LINES;
const ORDER: Line[] = ["2016 CU23", "2019 CU13", "2019 CU14", "2019 CU15", "SE RTM"];

/** §4.5: first fixed revision per line, "base" (the CU ships it), or "none" (no fix on this line). */
type Cell = number | "base" | "none";
const FIXED: Record<string, [Cell, Cell, Cell, Cell, Cell]> = {
  "CVE-2024-21410": ["none", "none", "base", "base", "base"],
  "CVE-2024-26198": [37, 32, 9, "base", "base"],
  "CVE-2024-49040": [44, 39, 14, "base", "base"],
  "CVE-2025-53786": [55, "none", 25, 24, "base"],
  "CVE-2025-25005": [58, "none", 33, 36, 20],
  "CVE-2025-25006": [58, "none", 33, 36, 20],
  "CVE-2025-25007": [58, "none", 33, 36, 20],
  "CVE-2025-33051": [58, "none", 33, 36, 20],
  "CVE-2025-53782": [61, "none", 36, 39, 29],
  "CVE-2025-59249": [61, "none", 36, 39, 29],
  "CVE-2025-59248": [61, "none", 36, 39, 29],
  "CVE-2025-64666": [63, "none", 37, 42, 35],
  "CVE-2025-64667": [63, "none", 37, 42, 35],
  "CVE-2026-21527": [66, "none", 39, 43, 37],
};
/** §3.12: the fix needs configuration as well as the build. */
const CONFIG = new Set(["CVE-2024-21410", "CVE-2025-53786"]);
/** §3.12: a SettingOverride can switch the fix off (names from the notes column). */
const OVERRIDE: Record<string, RegExp> = {
  "CVE-2024-49040": /AddP2FromRegexMatchHeader/,
  "CVE-2025-25005": /AppIdBasedAudienceValidation/,
  "CVE-2025-25006": /BlockNullBytesInFromHeader/,
  "CVE-2025-25007": /BlockCharactersAfterUnquotedSemicolon/,
  "CVE-2025-33051": /RemoveBackendCookieFromAutoDiscoverV2Response/,
  "CVE-2025-53782": /CatTokenAuthorizationCheck/,
  "CVE-2025-59248": /BlockEmailWithMultipleP2FromHeaders/,
};

const b = (line: Line, rev: number) => `${LINES[line].prefix}.${rev}`;
const revsOf = (line: Line) => [LINES[line].base, ...Object.keys(LINES[line].revs).map(Number)];
const state = (build: string, cve: string) => assessBuild(build, NOW).cves[cve];
const good = (cve: string) => (CONFIG.has(cve) ? "config-check" : "fixed");

describe("2024–2026 CVEs: before the fix, the fix, a later build, on every CU line (notes §4.5)", () => {
  for (const [cve, cells] of Object.entries(FIXED)) {
    it(cve, () => {
      ORDER.forEach((line, i) => {
        const cell = cells[i];
        const revs = revsOf(line);
        const newest = revs[revs.length - 1];
        if (cell === "none") {
          for (const r of [LINES[line].base, newest]) {
            const s = state(b(line, r), cve);
            assert.equal(s.status, "vulnerable", `${b(line, r)} ${cve}`);
            assert.equal(s.fixedIn, null);
            assert.match(s.note ?? "", /no (build )?fix on this CU line/, `${line} ${cve} says so`);
          }
          return;
        }
        if (cell === "base") {
          for (const r of [LINES[line].base, newest])
            assert.equal(state(b(line, r), cve).status, good(cve), `${b(line, r)} ${cve}`);
          assert.equal(state(LINES[line].prefix, cve).status, good(cve), "CU only: the CU ships it");
          return;
        }
        const before = revs.filter((r) => r < cell).pop() ?? LINES[line].base;
        const after = revs.find((r) => r > cell) ?? newest;
        const vul = state(b(line, before), cve);
        assert.equal(vul.status, "vulnerable", `${b(line, before)} ${cve}`);
        assert.equal(vul.fixedIn, b(line, cell));
        assert.equal(vul.fixedBy, (LINES[line].revs as Record<number, string>)[cell]);
        assert.match(vul.kb ?? "", /^KB\d{7}$/);
        assert.equal(state(b(line, cell - 1), cve).status, "vulnerable", `${b(line, cell - 1)} ${cve}`);
        assert.equal(state(b(line, cell), cve).status, good(cve), `${b(line, cell)} ${cve}`);
        assert.equal(state(b(line, after), cve).status, good(cve), `${b(line, after)} ${cve}`);
        assert.equal(state(b(line, newest), cve).status, good(cve), `${b(line, newest)} ${cve}`);
        assert.equal(state(LINES[line].prefix, cve).status, "unknown", "CU only: the update level decides");
      });
    });
  }

  it("configuration-dependent fixes say what to check, live and offline; overrides are named", () => {
    const ep = state("15.2.1748.49", "CVE-2024-21410");
    assert.equal(ep.check?.kind, "required");
    assert.match(ep.check?.live ?? "", /ExtendedProtectionTokenChecking/);
    assert.match(ep.check?.offline ?? "", /applicationHost\.config/);
    const hy = state("15.2.2562.46", "CVE-2025-53786");
    assert.equal(hy.status, "config-check");
    assert.match(hy.check?.live ?? "", /ExchangeOnpremAsThirdPartyAppId/);
    for (const [cve, name] of Object.entries(OVERRIDE)) {
      const s = state("15.2.2562.46", cve);
      assert.equal(s.status, "fixed", cve);
      assert.equal(s.check?.kind, "override", cve);
      assert.match(s.check?.what ?? "", name, cve);
    }
    // 2016 CU23 has no build fix for CVE-2024-21410: vulnerable, with Extended Protection as the way out.
    const e16 = state("15.1.2507.72", "CVE-2024-21410");
    assert.equal(e16.status, "vulnerable");
    assert.equal(e16.check?.kind, "required");
  });

  it("Nov24SU v1 does not count for CVE-2024-49040; v2 does (notes §3.11)", () => {
    assert.equal(state("15.1.2507.43", "CVE-2024-49040").status, "vulnerable");
    assert.equal(state("15.1.2507.44", "CVE-2024-49040").status, "fixed");
  });

  it("lines with no 2024–2026 update are vulnerable to every new CVE and name the CU to move to", () => {
    for (const build of ["15.2.1118.40", "15.2.986.42", "15.1.2375.37", "15.0.1497.48"]) {
      const a = assessBuild(build, NOW);
      for (const cve of Object.keys(FIXED)) {
        assert.equal(a.cves[cve].status, "vulnerable", `${build} ${cve}`);
        assert.match(
          a.cves[cve].note ?? "",
          /CU1[45]|CU23|Exchange SE/,
          `${build} ${cve}: ${a.cves[cve].note}`,
        );
      }
    }
    assert.match(
      state("15.1.2375.37", "CVE-2025-25005").note ?? "",
      /upgrade to Exchange 2016 CU23 or move to Exchange SE/,
    );
  });
});

describe("Exchange SE", () => {
  it("RTM is fixed for the nine 2021–2022 CVEs and the ones its base ships; later SUs decide the rest", () => {
    const rtm = assessBuild("15.2.2562.17", NOW);
    assert.equal(rtm.product, "Exchange SE");
    assert.equal(rtm.cu, "RTM");
    assert.equal(rtm.update, "none (CU build)");
    for (const cve of ["CVE-2021-26855", "CVE-2021-34473", "CVE-2022-41082", "CVE-2024-26198"])
      assert.equal(rtm.cves[cve].status, "fixed", cve);
    assert.equal(rtm.cves["CVE-2025-25005"].status, "vulnerable");
    assert.equal(rtm.recommendation.support?.status, "supported");
  });

  it("May26HU is named; the newer SUs are listed and the table maps no CVE to them", () => {
    const a = assessBuild("15.2.2562.41", NOW);
    assert.equal(a.update, "May26HU");
    assert.ok(!Object.values(a.cves).some((s) => s.status === "vulnerable"));
    assert.deepEqual(
      a.recommendation.newerUpdates?.map((s) => s.build),
      ["15.2.2562.43", "15.2.2562.45", "15.2.2562.46"],
    );
    assert.ok(
      a.recommendation.newerUpdates?.every((s) => !s.esuOnly),
      "SE updates are public",
    );
    assert.equal(a.recommendation.action, "install-su");
    assert.match(a.recommendation.notes.join("\n"), /names no CVE for Jun26SU, Jul26SU, Aug26SU/);
    assert.match(
      a.recommendation.notes.join("\n"),
      /Jun26SU: CVE-2026-42897 \(listed by CISA as exploited\)/,
    );
    assert.deepEqual(
      exposureDrafts(a, "x", null).map((d) => d.check),
      ["exposure-newer-updates"],
    );
  });

  it("Aug26SU is current: nothing open, nothing newer, no findings", () => {
    const a = assessBuild("15.2.2562.46", NOW);
    assert.equal(a.recommendation.action, "none");
    assert.deepEqual(a.recommendation.newerUpdates, []);
    assert.match(a.recommendation.summary, /^Current: every tracked CVE \(23\) is fixed/);
    assert.deepEqual(exposureDrafts(a, "x", null), []);
  });
});

describe("support status (notes §3.14, §4.4)", () => {
  it("2019 CU15 Feb26SU: every CVE fixed, ESU only, Jun26SU–Aug26SU named, SE as the way out", () => {
    const a = assessBuild("15.2.1748.43", NOW);
    assert.ok(Object.values(a.cves).every((s) => s.status === "fixed" || s.status === "config-check"));
    const r = a.recommendation;
    assert.equal(r.support?.status, "esu-only");
    assert.deepEqual(
      r.newerUpdates?.map((s) => [s.name.split(" ").pop(), s.esuOnly]),
      [
        ["Jun26SU", true],
        ["Jul26SU", true],
        ["Aug26SU", true],
      ],
    );
    assert.match(
      r.summary,
      /newer security updates exist: install Exchange Server 2019 CU15 Aug26SU \(KB5121574, 15\.2\.1748\.49\)/,
    );
    assert.deepEqual(
      r.support?.upgradePath.map((s) => s.build),
      ["15.2.2562.17", "15.2.2562.46"],
    );
    assert.deepEqual(
      exposureDrafts(a, "x", null)
        .map((d) => d.check)
        .sort(),
      ["exposure-newer-updates", "exposure-unsupported"],
    );
  });

  it("an unsupported CU line (2019 CU13): no more updates, via CU15 to SE", () => {
    const a = assessBuild("15.2.1258.39", NOW);
    const s = a.recommendation.support;
    assert.equal(s?.status, "unsupported");
    assert.equal(s?.lineServiced, false);
    assert.deepEqual(
      s?.upgradePath.map((u) => u.build),
      ["15.2.1748.10", "15.2.2562.17", "15.2.2562.46"],
    );
    assert.equal(a.recommendation.action, "upgrade-cu");
    assert.ok(exposureDrafts(a, "x", null).some((d) => d.check === "exposure-unsupported"));
    // A serviced line whose newest update is ESU-only says so next to the update.
    assert.match(
      assessBuild("15.2.1544.4", NOW).recommendation.summary,
      /^Install Exchange Server 2019 CU14 Aug26SU \(KB5121575, 15\.2\.1544\.44\) \(ESU customers only; without ESU: move to Exchange SE\): 13 of the 23/,
    );
    assert.doesNotMatch(assessBuild("15.2.2562.20", NOW).recommendation.summary, /ESU/);
  });

  it("before 2016/2019's end of support: a serviced line is supported, an ended one is not", () => {
    const then = new Date("2025-03-01T00:00:00Z");
    assert.equal(assessBuild("15.2.1544.14", then).recommendation.support?.status, "supported");
    const cu12 = assessBuild("15.2.1118.40", then).recommendation.support;
    assert.equal(cu12?.status, "unsupported");
    assert.match(cu12?.notice ?? "", /2019 CU12 no longer receives security updates \(last: Nov23SU/);
    assert.equal(assessBuild("15.0.1497.48", then).recommendation.support?.status, "unsupported");
  });

  it("2016 CU23 Aug26SU: only CVE-2024-21410 open, which no 2016 update fixes: move to SE", () => {
    const a = assessBuild("15.1.2507.72", NOW);
    assert.deepEqual(
      Object.entries(a.cves)
        .filter(([, s]) => s.status === "vulnerable")
        .map(([c]) => c),
      ["CVE-2024-21410"],
    );
    assert.equal(a.recommendation.action, "unsupported");
    assert.match(a.recommendation.summary, /move to Exchange SE/);
    assert.match(a.recommendation.notes.join("\n"), /Extended Protection/);
  });
});

describe("builds newer than the table (notes §7)", () => {
  it("same line, higher revision: newer than the known builds, never vulnerable, never silently fixed", () => {
    for (const build of ["15.2.2562.50", "15.2.1748.52", "15.1.2507.80"]) {
      const a = assessBuild(build, NOW);
      assert.match(a.update, /^newer than the known builds \(table of 2026-08/);
      assert.ok(!Object.values(a.cves).some((s) => s.status === "vulnerable" && s.fixedIn), build);
      assert.match(a.warnings.join(), /newer than the known builds \(table of 2026-08\)/);
      assert.equal(a.recommendation.newerThanTable, true);
      assert.equal(a.recommendation.action, a.product === "Exchange 2016" ? "unsupported" : "verify");
    }
  });

  it("a revision above the last update of an ended line is flagged, the verdict kept", () => {
    const a = assessBuild("15.2.1258.45", NOW);
    assert.match(a.warnings.join(), /no longer gets updates: verify the build/);
    assert.equal(a.cves["CVE-2025-25005"].status, "vulnerable");
    assert.equal(a.recommendation.newerThanTable, false);
  });

  it("an unknown 2016 CU above CU23 and a 2019 build between CU15 and SE", () => {
    const a = assessBuild("15.1.2600.1", NOW);
    assert.equal(a.product, "Exchange 2016");
    assert.ok(!Object.values(a.cves).some((s) => s.status === "vulnerable"));
    assert.equal(assessBuild("15.2.2000.1", NOW).product, "Exchange 2019");
  });
});

describe("table and code agree", () => {
  it("the shipped table tracks exactly the CVEs the code has checks and titles for", async () => {
    const { buildTable } = await import("../../src/exposure/table.js");
    const { CVES } = await import("../../src/exposure/cves.js");
    const { exposureChecks, exposureCheckId } = await import("../../src/exposure/checks.js");
    const t = buildTable();
    assert.deepEqual(t.cves, [...CVES]);
    const ids = new Set(exposureChecks.map((c) => c.id));
    for (const cve of t.cves) {
      assert.ok(ids.has(exposureCheckId(cve)), cve);
      assert.doesNotMatch(
        exposureChecks.find((c) => c.id === exposureCheckId(cve))?.title ?? "",
        /undefined/,
      );
    }
    // Every update row (SU and the new HU kind) hangs off a CU row of its line.
    assert.equal(t.rows.filter((r) => r.kind === "hu").length, 14);
    for (const line of t.lines.values()) for (const u of line.updates) assert.equal(u.cu, line.cu);
  });
});
