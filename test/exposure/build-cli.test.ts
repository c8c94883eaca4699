// `exhunt build` on the builds of the 2024–2026 issue, `--json FILE|-`, and `--data` (a newer table in
// the shipped format, read from disk).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DATA_DIR } from "../../src/exposure/table.js";
import { runCli, tempDir } from "../helpers.js";

interface CveJson {
  status: string;
  fixedIn: string | null;
  fixedBy?: string | null;
  kb?: string | null;
}

function builds(args: string[]) {
  const r = runCli(["build", ...args, "--json", "-"]);
  return { ...r, json: JSON.parse(r.stdout).builds as Record<string, unknown>[] };
}

describe("exhunt build: builds of 2024–2026", () => {
  it("15.2.1748.43 (2019 CU15 Feb26SU): every tracked CVE fixed; Jun26SU–Aug26SU exist, ESU only", () => {
    const r = runCli(["build", "15.2.1748.43"]);
    assert.equal(r.status, 1, "out of support and behind newer updates: findings");
    assert.doesNotMatch(r.stdout, / vulnerable /);
    assert.match(r.stdout, /Jun26SU, Jul26SU, Aug26SU: ESU customers only/);
    assert.match(r.stdout, /Support: esu-only/);
    const [b] = builds(["15.2.1748.43"]).json;
    const cves = b.cves as Record<string, CveJson>;
    assert.equal(Object.keys(cves).length, 23);
    for (const [c, s] of Object.entries(cves)) assert.ok(["fixed", "config-check"].includes(s.status), c);
  });

  it("15.2.1544.4 (2019 CU14): every later CVE with the update that fixes it", () => {
    const r = runCli(["build", "15.2.1544.4"]);
    assert.equal(r.status, 1);
    const want: [string, string, string][] = [
      ["CVE-2024-26198", "15.2.1544.9", "Mar24SU, KB5036401"],
      ["CVE-2024-49040", "15.2.1544.14", "Nov24SUv2, KB5049233"],
      ["CVE-2025-53786", "15.2.1544.25", "Apr25HU, KB5050673"],
      ["CVE-2025-25005", "15.2.1544.33", "Aug25SU, KB5063222"],
      ["CVE-2025-53782", "15.2.1544.36", "Oct25SU, KB5066368"],
      ["CVE-2025-64666", "15.2.1544.37", "Dec25SU, KB5071874"],
      ["CVE-2026-21527", "15.2.1544.39", "Feb26SU, KB5074994"],
    ];
    for (const [cve, build, by] of want)
      assert.match(
        r.stdout,
        new RegExp(`${cve} +vulnerable +fixed in ${build.replace(/\./g, "\\.")} \\(${by}\\)`),
        cve,
      );
    assert.match(r.stdout, /CVE-2024-21410 +config-check/);
    const cves = builds(["15.2.1544.4"]).json[0].cves as Record<string, CveJson>;
    const open = Object.entries(cves).filter(([, s]) => s.status === "vulnerable");
    assert.equal(open.length, 13);
    for (const [c, s] of open) assert.ok(s.fixedIn && s.fixedBy && /^KB\d{7}$/.test(s.kb ?? ""), c);
  });

  it("15.2.2562.46 (Exchange SE Aug26SU) is current: exit 0", () => {
    const r = runCli(["build", "15.2.2562.46"]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /What to do: Current: every tracked CVE \(23\) is fixed/);
    const [b] = builds(["15.2.2562.46"]).json;
    assert.equal((b.recommendation as { action: string }).action, "none");
  });
});

describe("exhunt build --json and --data", () => {
  it("--json FILE writes the file and prints the console form; a build right after --json is a build", (t) => {
    const dir = tempDir(t);
    const out = join(dir, "b.json");
    const r = runCli(["build", "15.2.2562.46", "--json", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Exchange SE RTM/);
    assert.equal(JSON.parse(readFileSync(out, "utf8")).builds[0].build, "15.2.2562.46");
    const old = runCli(["build", "--json", "15.2.2562.46"]);
    assert.equal(JSON.parse(old.stdout).builds[0].build, "15.2.2562.46");
  });

  it("--data: a newer table in the same format moves the freshness and maps a new CVE", (t) => {
    const dir = tempDir(t);
    const shipped = readFileSync(join(DATA_DIR, "exchange-builds.csv"), "utf8").trimEnd();
    writeFileSync(
      join(dir, "exchange-builds.csv"),
      `${shipped}\nExchange SE,Exchange Server SE RTM Sep26SU,15.2.2562.50,15.02.2562.050,2026-09-08,su,RTM,CVE-2026-99999\n`,
    );
    const old = builds(["15.2.2562.50"]).json[0];
    assert.match(old.update as string, /newer than the known builds \(table of 2026-08/);
    const r = runCli(["build", "15.2.2562.46", "15.2.2562.50", "--data", dir, "--json", "-"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /newest build 2026-09-08/);
    const [at46, at50] = JSON.parse(r.stdout).builds;
    assert.equal(at46.cves["CVE-2026-99999"].status, "vulnerable");
    assert.equal(at46.cves["CVE-2026-99999"].fixedIn, "15.2.2562.50");
    assert.equal(at46.recommendation.target.build, "15.2.2562.50");
    assert.equal(at50.update, "Sep26SU");
    assert.equal(at50.recommendation.action, "none");
    assert.equal(at50.recommendation.tableDate, "2026-09-08");
    // The file itself works as well as its folder.
    const f = runCli(["build", "15.2.2562.50", "--data", join(dir, "exchange-builds.csv"), "--json", "-"]);
    assert.equal(JSON.parse(f.stdout).builds[0].update, "Sep26SU");
  });

  it("--data refuses a missing or malformed table with exit 2 and the file and line", (t) => {
    const dir = tempDir(t);
    assert.equal(runCli(["build", "15.2.2562.46", "--data", join(dir, "nope")]).status, 2);
    const shipped = readFileSync(join(DATA_DIR, "exchange-builds.csv"), "utf8").trimEnd();
    writeFileSync(join(dir, "exchange-builds.csv"), `${shipped}\nExchange SE,broken row,15.2.2562.51\n`);
    const r = runCli(["build", "15.2.2562.46", "--data", dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /exchange-builds\.csv:241: 3 cells, expected 8/);
    writeFileSync(
      join(dir, "exchange-builds.csv"),
      `${shipped}\nExchange SE,Exchange Server SE RTM X,15.2.2562.52,15.02.2562.052,2026-13,xx,RTM,\n`,
    );
    assert.match(
      runCli(["build", "15.2.2562.46", "--data", dir]).stderr,
      /exchange-builds\.csv:241: unknown kind xx/,
    );
    writeFileSync(
      join(dir, "exchange-builds.csv"),
      `${shipped}\nExchange SE,Exchange Server SE RTM X,15.2.x.52,15.02.2562.052,2026-09-01,su,RTM,\n`,
    );
    const bad = runCli(["build", "15.2.2562.46", "--data", dir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /exchange-builds\.csv:241: not an Exchange build number/);
    writeFileSync(join(dir, "exchange-builds.csv"), `${shipped}\n\nExchange SE,"unterminated,15.2.2562.53\n`);
    assert.match(
      runCli(["build", "15.2.2562.46", "--data", dir]).stderr,
      /exchange-builds\.csv:242: unterminated quote/,
      "line numbers count blank lines",
    );
    writeFileSync(join(dir, "exchange-builds.csv"), "");
    assert.match(runCli(["build", "15.2.2562.46", "--data", dir]).stderr, /exchange-builds\.csv: empty/);
    // A fix table beside it is read too, and checked the same way.
    writeFileSync(join(dir, "exchange-builds.csv"), `${shipped}\n`);
    const fixes = readFileSync(join(DATA_DIR, "exchange-cve-fixed-builds.csv"), "utf8").trimEnd();
    writeFileSync(
      join(dir, "exchange-cve-fixed-builds.csv"),
      `${fixes}\nExchange SE,RTM,CVE-2026-1,nope,,x,,no,\n`,
    );
    assert.match(
      runCli(["build", "15.2.2562.46", "--data", dir]).stderr,
      /exchange-cve-fixed-builds\.csv:234: not an Exchange build number/,
    );
  });
});
