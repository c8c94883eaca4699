// The fleet commands end to end through the CLI, on real store files: scan --store, list, show, ack
// surviving a rescan, diff, status, the imports (Shadowserver samples, probe output from the mock
// Exchange) and the export round trip.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeCompromised } from "../../examples/generate.js";
import { openStore, runMeta } from "../../src/fleet.js";
import { assessBuild } from "../../src/index.js";
import type { FleetRow } from "../../src/store/types.js";
import { type MockServer, selfSigned, startMock } from "../exposure/mock-exchange.js";
import { ROOT, runCli, runCliAsync, tempDir } from "../helpers.js";
import { server } from "../outputs/fixtures.js";

const SMALL_ATTACK = {
  rowsPerHour: 8,
  from: new Date("2021-03-01T00:00:00Z"),
  to: new Date("2021-03-05T00:00:00Z"),
};
const SAMPLES = join(ROOT, "test/fixtures/shadowserver");

/** The CVEs the build table leaves open for a build, as `exhunt build` says. */
function openOf(build: string): string[] {
  return Object.entries(assessBuild(build).cves)
    .filter(([, c]) => c.status === "vulnerable")
    .map(([cve]) => cve)
    .sort();
}

function json<T>(args: string[]): T {
  const r = runCli([...args, "--json", "-"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

function rows(store: string, extra: string[] = []): FleetRow[] {
  return json<{ servers: FleetRow[] }>(["fleet", "list", "--store", store, ...extra]).servers;
}

describe("exhunt fleet: scan, acknowledge, rescan", () => {
  it("acknowledged rules stop raising the verdict, across a rescan; diff, status and CSV", (t) => {
    const dir = tempDir(t);
    const ev = join(dir, "EXCH01");
    writeCompromised(ev, SMALL_ATTACK);
    const store = join(dir, "fleet.db");
    const scan = runCli(["scan", ev, "--store", store, "--brief", "--no-progress"]);
    assert.equal(scan.status, 1, scan.stderr);
    assert.match(scan.stderr, /stored 1 server result in /);
    let [row] = rows(store);
    assert.equal(row.verdict, "compromised");
    assert.equal(row.build, "15.1.2176.2", "the build from the log headers");

    type Show = { latest: { findingList: { check: string; effect: string; fingerprint: string }[] } };
    const show = json<Show>(["fleet", "show", "EXCH01", "--store", store]);
    const raising = [
      ...new Set(
        show.latest.findingList
          .filter((f) => ["compromise", "attempt", "context"].includes(f.effect))
          .map((f) => f.check),
      ),
    ];
    assert.ok(raising.length > 1);
    const ack = runCli([
      "fleet",
      "ack",
      ...raising.flatMap((rule) => ["--rule", rule]),
      "--server",
      "EXCH01",
      "--reason",
      "lab replay",
      "--by",
      "tester",
      "--store",
      store,
    ]);
    assert.equal(ack.status, 0, ack.stderr);
    [row] = rows(store);
    // With every attack finding set aside, what is left is the vulnerable build.
    assert.equal(row.verdict, "vulnerable");
    assert.equal(row.scannedVerdict, "compromised");
    assert.ok(row.acknowledged >= raising.length);

    const rescan = runCli(["scan", ev, "--store", store, "--brief", "--no-progress"]);
    assert.equal(rescan.status, 1, rescan.stderr);
    [row] = rows(store);
    assert.equal(row.runs, 2);
    assert.equal(row.verdict, "vulnerable", "acknowledgements hold across the rescan");

    type Diff = {
      added: unknown[];
      removed: unknown[];
      changed: unknown[];
      unchanged: number;
      verdictChanged: boolean;
    };
    const d = json<Diff>(["fleet", "diff", "EXCH01", "--store", store]);
    assert.deepEqual(
      [d.added.length, d.removed.length, d.changed.length, d.verdictChanged],
      [0, 0, 0, false],
    );
    assert.equal(d.unchanged, new Set(show.latest.findingList.map((f) => f.fingerprint)).size);

    const unack = runCli(["fleet", "unack", "--rule", raising[0], "--server", "EXCH01", "--store", store]);
    assert.match(unack.stdout, /1 acknowledgement withdrawn/);
    assert.notEqual(rows(store)[0].verdict, "vulnerable");

    const formula = '=HYPERLINK("http://x","y")';
    const st = runCli(["fleet", "status", "EXCH01", "notified", "--note", formula, "--store", store]);
    assert.equal(st.status, 0, st.stderr);
    const csv = runCli(["fleet", "list", "--store", store, "--csv", "-"]);
    assert.match(csv.stdout, /^"server","verdict",/);
    assert.match(csv.stdout, /"notified"/);
    const shown = runCli(["fleet", "show", "EXCH01", "--store", store]);
    assert.ok(shown.stdout.includes(`notified by`), shown.stdout);
    assert.equal(runCli(["fleet", "status", "EXCH01", "pwned", "--store", store]).status, 2);
  });

  it("refuses a missing --store, a foreign file and a bad filter with exit 2 and a clear message", (t) => {
    const dir = tempDir(t);
    const r = runCli(["fleet", "list"], { EXHUNT_STORE: "" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--store FILE/);
    const txt = join(dir, "x.txt");
    writeFileSync(txt, "not a store");
    const f = runCli(["fleet", "list", "--store", txt]);
    assert.equal(f.status, 2);
    assert.match(f.stderr, /not an exhunt store: it is not an SQLite database/);
    const s = runCli(["scan", join(dir, "nothing-here"), "--store", txt]);
    assert.equal(s.status, 2);
    assert.equal(runCli(["fleet", "list", "--store", join(dir, "a.db"), "--verdict", "pwned"]).status, 2);
  });
});

describe("exhunt fleet import and export", () => {
  it("imports both Shadowserver Exchange reports, merges with known servers, and re-imports as a no-op", async (t) => {
    const dir = tempDir(t);
    const store = join(dir, "fleet.db");
    // Known servers: one by name (case differs), one by address.
    const s = await openStore(store);
    await s.recordRun(runMeta("scan", {}), {
      server: { name: "MAIL1.example.net" },
      result: server("MAIL1.example.net", []),
    });
    await s.recordRun(runMeta("scan", {}), {
      server: { name: "EXCH09", addresses: ["203.0.113.6"] },
      result: server("EXCH09", []),
    });
    await s.close();

    const a = json<{ servers: number; skipped: string[]; report: string }>([
      "fleet",
      "import",
      "shadowserver",
      join(SAMPLES, "scan_exchange.csv"),
      "--store",
      store,
    ]);
    assert.equal(a.report, "scan_exchange");
    assert.equal(a.servers, 4);
    assert.deepEqual(a.skipped, []);
    const b = json<{ servers: number; skipped: string[]; report: string }>([
      "fleet",
      "import",
      "shadowserver",
      join(SAMPLES, "scan_http_vulnerable.csv"),
      "--store",
      store,
    ]);
    assert.equal(b.report, "scan_http_vulnerable");
    assert.equal(b.servers, 2);
    assert.equal(b.skipped.length, 1);
    assert.match(b.skipped[0], /line 4: not an Exchange row/);

    const by = new Map(rows(store).map((r) => [r.name, r]));
    assert.deepEqual([...by.keys()].sort(), [
      "192.0.2.21",
      "203.0.113.5",
      "EXCH09",
      "MAIL1.example.net",
      "mail2.example.net",
      "owa.example.org",
    ]);
    const mail1 = by.get("MAIL1.example.net") as FleetRow;
    assert.equal(mail1.runs, 2, "merged by name");
    assert.equal(mail1.verdict, "vulnerable");
    assert.equal(mail1.build, "15.1.2176.2");
    assert.deepEqual(mail1.openCves, openOf("15.1.2176.2"));
    assert.ok(mail1.openCves.includes("CVE-2021-26855"));
    assert.deepEqual(mail1.addresses, ["192.0.2.10"]);
    assert.equal(by.get("EXCH09")?.runs, 2, "merged by address");
    assert.equal(by.get("EXCH09")?.verdict, "vulnerable", "the report's listing alone, no build");
    assert.equal(by.get("owa.example.org")?.verdict, "compromised", "exchange;webshell");
    assert.equal(by.get("mail2.example.net")?.build, "15.2.1118.7");
    assert.deepEqual(by.get("mail2.example.net")?.openCves, openOf("15.2.1118.7"));
    assert.ok(by.get("mail2.example.net")?.openCves.includes("CVE-2022-41082"));
    assert.equal(by.get("192.0.2.21")?.verdict, "vulnerable", "tag cve-2021-34473");
    type Show = { latest: { reasons: string[]; findingList: { evidence: Record<string, string> }[] } };
    const odd = json<Show>(["fleet", "show", "203.0.113.5", "--store", store]);
    assert.equal(
      odd.latest.findingList[0].evidence.version,
      "15.9.1.1",
      "the reported value is kept as evidence",
    );
    const m2 = json<Show>(["fleet", "show", "mail2.example.net", "--store", store]);
    assert.ok(
      m2.latest.findingList.some((f) => f.evidence.http_reason === "OK, mostly"),
      "quoted comma read as one field",
    );

    const again = json<{ servers: number; alreadyStored: number }>([
      "fleet",
      "import",
      "shadowserver",
      join(SAMPLES, "scan_exchange.csv"),
      "--store",
      store,
    ]);
    assert.deepEqual([again.servers, again.alreadyStored], [0, 4]);

    const broken = join(dir, "broken.csv");
    writeFileSync(
      broken,
      `${readFileSync(join(SAMPLES, "scan_exchange.csv"), "utf8")}"2021-03-09 01:12:44","critical,192.0.2.1\n`,
    );
    const r = runCli(["fleet", "import", "shadowserver", broken, "--store", store]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unterminated quoted field starting on line 6/);
    const other = join(dir, "other.csv");
    writeFileSync(
      other,
      '"timestamp","ip","port","tag","banner"\n"2021-01-01 00:00:00","192.0.2.1",21,"ftp","x"\n',
    );
    assert.match(
      runCli(["fleet", "import", "shadowserver", other, "--store", store]).stderr,
      /not an Exchange one/,
    );
  });

  it("export, import the export into a new store, export again: identical", (t) => {
    const dir = tempDir(t);
    const a = join(dir, "a.db");
    const b = join(dir, "b.db");
    assert.equal(
      runCli(["fleet", "import", "shadowserver", join(SAMPLES, "scan_exchange.csv"), "--store", a]).status,
      0,
    );
    assert.equal(
      runCli([
        "fleet",
        "status",
        "owa.example.org",
        "notified",
        "--note",
        "mailed abuse@",
        "--by",
        "cert",
        "--store",
        a,
      ]).status,
      0,
    );
    const fp = json<{ latest: { findingList: { fingerprint: string }[] } }>([
      "fleet",
      "show",
      "owa.example.org",
      "--store",
      a,
    ]).latest.findingList[0].fingerprint;
    assert.equal(
      runCli(["fleet", "ack", fp, "--reason", "honeypot", "--by", "cert", "--store", a]).status,
      0,
    );
    const exp = join(dir, "fleet.ndjson");
    assert.equal(
      runCli(["fleet", "export", "--store", a, "--json", exp, "--csv", join(dir, "fleet.csv")]).status,
      0,
    );
    const imp = runCli(["fleet", "import", "export", exp, "--store", b]);
    assert.equal(imp.status, 0, imp.stderr);
    assert.match(imp.stdout, /4 servers, 4 runs added \(0 already stored\), 1 acknowledgements, 1 notes/);
    const again = runCli(["fleet", "export", "--store", b]);
    assert.equal(again.stdout, readFileSync(exp, "utf8"));
    assert.deepEqual(rows(b), rows(a));
    assert.equal(
      readFileSync(join(dir, "fleet.csv"), "utf8"),
      runCli(["fleet", "export", "--store", b, "--csv", "-"]).stdout,
    );
  });
});

describe("exhunt probe --store and fleet import probe", () => {
  const mocks: MockServer[] = [];
  let dir = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-fleet-probe-"));
    const tls = selfSigned(dir);
    mocks.push(await startMock("vulnerable-2016-cu19", tls, "127.0.0.60"));
    mocks.push(await startMock("patched", tls, "127.0.0.61"));
  });
  after(async () => {
    for (const m of mocks) await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a live probe and an import of its JSON give the same fleet", async () => {
    const targets = mocks.map((m) => `${m.host}:${m.port}`);
    const live = join(dir, "live.db");
    const r = await runCliAsync(["probe", ...targets, "--json", "-", "--timeout", "3000", "--store", live]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /stored 2 hosts in /);
    const file = join(dir, "probe.json");
    writeFileSync(file, r.stdout);
    const imported = join(dir, "imported.db");
    const c = json<{ servers: number }>(["fleet", "import", "probe", file, "--store", imported]);
    assert.equal(c.servers, 2);
    const strip = (rs: FleetRow[]) => rs.map(({ verdictAt: _a, lastScan: _b, ...x }) => x);
    assert.deepEqual(strip(rows(imported)), strip(rows(live)));
    const by = new Map(rows(live).map((x) => [x.name, x]));
    assert.equal(by.get("127.0.0.60")?.verdict, "vulnerable");
    assert.equal(by.get("127.0.0.60")?.build, "15.1.2176.2");
    assert.equal(by.get("127.0.0.60")?.lastKind, "probe");
    assert.equal(by.get("127.0.0.60")?.coversWindow, null, "a probe says nothing about logs");
    assert.notEqual(by.get("127.0.0.61")?.verdict, "vulnerable");
    assert.deepEqual(by.get("127.0.0.61")?.openCves, []);
  });
});
