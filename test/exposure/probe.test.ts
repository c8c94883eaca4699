// exhunt probe against a local mock Exchange in every role (HTTPS, self-signed, 127.0.0.0/8 only).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assessBuild, cveJson } from "../../src/exposure/assess.js";
import { type HostResult, probeTargets, REQUESTS } from "../../src/exposure/probe/probe.js";
import { cidr, resolveProbeTargets } from "../../src/exposure/probe/targets.js";
import { probeThreaded } from "../../src/exposure/probe/threads.js";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { type MockServer, type Role, selfSigned, startMock } from "./mock-exchange.js";

const ROLES: Role[] = [
  "vulnerable-2016-cu19",
  "patched",
  "mitigated",
  "proxyshell-open",
  "cu15-feb26",
  "header-only-cu14",
  "plain-iis",
  "stalled-tls",
  "garbage",
  "refused",
];
const FAST = { connectMs: 800, headersMs: 1500, bodyMs: 1500 };

/** The CLI as a child process, without blocking this process (which serves the mocks). */
function runCliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), ...args], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("exhunt probe against the mock Exchange", () => {
  const mocks = new Map<Role, MockServer>();
  let dir = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "exhunt-probe-"));
    const tls = selfSigned(dir);
    let i = 10;
    for (const role of ROLES) mocks.set(role, await startMock(role, tls, `127.0.0.${i++}`));
  });
  after(async () => {
    for (const m of mocks.values()) await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function probe(role: Role) {
    const m = mocks.get(role)!;
    const [r] = await probeTargets(
      [{ target: `${m.host}:${m.port}`, protocol: "https:", host: m.host, port: m.port }],
      {
        timeouts: FAST,
        now: new Date("2026-01-01T00:00:00Z"),
      },
    );
    return r;
  }

  it("vulnerable 2016 CU19: full build from the manifest, SSRF and ProxyShell vulnerable, certificate reported", async () => {
    const r = await probe("vulnerable-2016-cu19");
    assert.equal(r.reachable, true);
    assert.equal(r.exchange, true);
    assert.equal(r.build, "15.1.2176.2");
    assert.equal(r.buildSource, "probe: ECP export tool manifest");
    assert.equal(r.certificate?.subject, "EXCH01.contoso.local");
    assert.equal(r.certificate?.selfSigned, true);
    assert.equal(r.checks["CVE-2021-26855"], "vulnerable");
    assert.equal(r.checks.ProxyShell, "vulnerable");
    assert.equal(r.checks["ProxyNotShell-mitigation"], "not-mitigated");
    assert.equal(r.cves["CVE-2021-26855"].status, "vulnerable");
    const checks = new Set(r.findings.map((f) => f.check));
    for (const c of [
      "probe-cve-2021-26855",
      "probe-proxyshell",
      "probe-proxynotshell-unmitigated",
      "exposure-cve-2021-26855",
    ])
      assert.ok(checks.has(c), c);
    const ssrf = r.findings.find((f) => f.check === "probe-cve-2021-26855")!;
    assert.equal(ssrf.evidence["X-CalculatedBETarget"], "localhost");
    assert.equal(ssrf.severity, "critical");
  });

  it("patched: fixed build, nothing vulnerable, no findings", async () => {
    // Exchange SE Aug26SU (2016 CU23 Nov23SU before the 2024–2026 data; it now has open CVEs).
    const r = await probe("patched");
    assert.equal(r.build, "15.2.2562.46");
    assert.equal(r.checks["CVE-2021-26855"], "not-vulnerable");
    assert.equal(r.checks.ProxyShell, "not-vulnerable");
    assert.deepEqual(r.findings, []);
    for (const s of Object.values(r.cves)) assert.ok(s.status === "fixed" || s.status === "config-check");
    assert.equal(Object.keys(r.cves).length, 23);
  });

  it("mitigated: the cookie rule and the EOMTv2 rule abort the requests: reported as mitigated", async () => {
    const r = await probe("mitigated");
    assert.equal(r.checks["CVE-2021-26855"], "mitigated");
    assert.equal(r.checks["ProxyNotShell-mitigation"], "mitigated");
    assert.ok(!r.findings.some((f) => f.check.startsWith("probe-")), "no probe finding on a mitigated host");
    assert.ok(
      r.findings.some((f) => f.check === "exposure-cve-2021-26855"),
      "the build is still vulnerable",
    );
  });

  it("ProxyShell open: CU20 build is ProxyLogon-fixed, ProxyShell answers", async () => {
    const r = await probe("proxyshell-open");
    assert.equal(r.checks["CVE-2021-26855"], "not-vulnerable");
    assert.equal(r.checks.ProxyShell, "vulnerable");
    assert.equal(r.cves["CVE-2021-26855"].status, "fixed");
    assert.equal(r.cves["CVE-2021-34473"].status, "vulnerable");
  });

  it("post-2023 builds: the manifest and X-OWA-Version give the same per-CVE status as exhunt build", async () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const fromBuild = (b: string) =>
      Object.fromEntries(Object.entries(assessBuild(b, now).cves).map(([k, v]) => [k, cveJson(v)]));
    const se = await probe("patched");
    assert.equal(se.buildSource, "probe: ECP export tool manifest");
    assert.deepEqual(se.cves, fromBuild("15.2.2562.46"));
    const cu15 = await probe("cu15-feb26");
    assert.equal(cu15.build, "15.2.1748.43");
    assert.deepEqual(cu15.cves, fromBuild("15.2.1748.43"));
    assert.deepEqual(cu15.findings.map((f) => f.check).sort(), [
      "exposure-newer-updates",
      "exposure-unsupported",
    ]);
    assert.match(
      cu15.findings.find((f) => f.check === "exposure-newer-updates")?.evidence.NewerUpdates ?? "",
      /Jun26SU .*ESU only.*Jul26SU .*Aug26SU/,
    );
    const cu14 = await probe("header-only-cu14");
    assert.equal(cu14.build, "15.2.1544.4");
    assert.equal(cu14.buildSource, "probe: X-OWA-Version header");
    assert.deepEqual(cu14.cves, fromBuild("15.2.1544.4"));
    assert.equal(cu14.cves["CVE-2024-26198"].status, "vulnerable");
    assert.equal(cu14.cves["CVE-2024-26198"].fixedIn, "15.2.1544.9");
    assert.equal(cu14.cves["CVE-2024-21410"].status, "config-check");
    assert.ok(cu14.findings.some((f) => f.check === "exposure-cve-2026-21527"));
  });

  it("plain IIS: reachable, not Exchange, no build, no findings", async () => {
    const r = await probe("plain-iis");
    assert.equal(r.reachable, true);
    assert.equal(r.exchange, false);
    assert.equal(r.build, null);
    assert.deepEqual(r.findings, []);
  });

  it("stalled TLS: ends at the connect timeout, unreachable, one attempt only", async () => {
    const t0 = performance.now();
    const r = await probe("stalled-tls");
    const ms = performance.now() - t0;
    assert.equal(r.reachable, false);
    assert.match(r.notes.join(), /unreachable: UND_ERR_CONNECT_TIMEOUT/);
    assert.ok(ms < 3 * FAST.connectMs, `${ms} ms`);
  });

  it("--threads: the same answers from worker threads as from one thread, each host once", async () => {
    const list = [...mocks.values()]
      .filter((m) => m.role !== "stalled-tls")
      .flatMap((m) =>
        [0, 1].map(() => ({
          target: `${m.host}:${m.port}`,
          protocol: "https:" as const,
          host: m.host,
          port: m.port,
        })),
      );
    const opts = { timeouts: FAST, now: new Date("2026-01-01T00:00:00Z"), concurrency: 4 };
    const shape = (hs: HostResult[]) =>
      hs
        .map((h) => JSON.stringify({ ...h, durationMs: 0, certificate: h.certificate?.subject ?? null }))
        .sort();
    const one = await probeTargets(list, opts);
    let streamed = 0;
    const three = await probeThreaded(list, { ...opts, threads: 3, onHost: () => streamed++ });
    assert.equal(three.length, list.length);
    assert.equal(streamed, list.length);
    assert.deepEqual(shape(three), shape(one));
    assert.ok(three.some((h) => h.checks["CVE-2021-26855"] === "vulnerable"));
    // Every target is listed twice and the mocks were probed before: no resumed TLS session may hide the
    // certificate (a resumed session presents none).
    assert.ok(one.filter((h) => h.reachable).every((h) => h.certificate?.subject === "EXCH01.contoso.local"));
  });

  it("garbage responses and refused connections give errors, never a crash", async () => {
    const g = await probe("garbage");
    assert.equal(g.exchange, false);
    assert.equal(g.checks["CVE-2021-26855"] === "vulnerable", false);
    assert.deepEqual(g.findings, []);
    const r = await probe("refused");
    assert.equal(r.reachable, false);
    assert.match(r.notes.join(), /ECONNREFUSED/);
  });

  it("CLI: --json per host, --csv table, exit 1 on findings", async (t) => {
    const out = tempDir(t);
    const v = mocks.get("vulnerable-2016-cu19")!;
    const p = mocks.get("patched")!;
    writeFileSync(join(out, "targets.txt"), `# fleet\n${p.host}:${p.port}\n`);
    const csv = join(out, "hosts.csv");
    const r = await runCliAsync([
      "probe",
      `https://${v.host}:${v.port}/`,
      `@${join(out, "targets.txt")}`,
      "--json",
      "-",
      "--csv",
      csv,
      "--timeout",
      "2000",
    ]);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.hosts.length, 2);
    for (const h of j.hosts)
      assert.deepEqual(Object.keys(h).sort(), [
        "build",
        "buildSource",
        "certificate",
        "checks",
        "cves",
        "exchange",
        "findings",
        "reachable",
        "target",
      ]);
    const { readFileSync } = await import("node:fs");
    const lines = readFileSync(csv, "utf8").trim().split("\r\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^"target","reachable","exchange","build"/);
  });
});

describe("probe scope: only the documented requests, no redirects followed, IPv6", () => {
  it("sends exactly the five documented GETs, and never follows a redirect to another host", async (t) => {
    const dir = tempDir(t);
    const tls = selfSigned(dir);
    const seen: string[] = [];
    let elsewhere = 0;
    const other = createServer({ ...tls }, (_q, res) => {
      elsewhere++;
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.31", () => r()));
    const otherPort = (other.address() as { port: number }).port;
    const redirector = createServer({ ...tls }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(302, { location: `https://127.0.0.31:${otherPort}${req.url}` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, "127.0.0.30", () => r()));
    const port = (redirector.address() as { port: number }).port;
    t.after(() => {
      redirector.close();
      other.close();
      redirector.closeAllConnections();
      other.closeAllConnections();
    });
    const [r] = await probeTargets([{ target: "r", protocol: "https:", host: "127.0.0.30", port }], {
      timeouts: FAST,
    });
    assert.deepEqual(
      seen,
      Object.values(REQUESTS)
        .map((q) => `GET ${q.path}`)
        .sort((a, b) => order(a) - order(b)),
    );
    assert.equal(elsewhere, 0, "no request reached the redirect target");
    assert.equal(r.reachable, true);
  });

  it("probes an IPv6 target ([::1]:port)", async (t) => {
    const dir = tempDir(t);
    let m: MockServer;
    try {
      m = await startMock("patched", selfSigned(dir), "::1");
    } catch {
      t.skip("no IPv6 loopback on this machine");
      return;
    }
    t.after(() => m.close());
    const [spec] = [...(await resolveProbeTargets([`[::1]:${m.port}`])).targets()];
    const [r] = await probeTargets([spec], { timeouts: FAST });
    assert.equal(r.build, "15.2.2562.46");
    assert.equal(r.certificate?.subject, "EXCH01.contoso.local");
  });
});

const SEND_ORDER = ["logon", "exportTool", "proxyShell", "ssrf", "notShell"] as const;
function order(line: string): number {
  return SEND_ORDER.findIndex((k) => line === `GET ${REQUESTS[k].path}`);
}

describe("probe targets (scope safety)", () => {
  it("expands CIDRs lazily and refuses more than a /16 without --allow-large", async () => {
    assert.equal(cidr("10.0.0.0/16")?.count, 65536);
    await assert.rejects(resolveProbeTargets(["10.0.0.0/15"]), /--allow-large/);
    const big = await resolveProbeTargets(["10.0.0.0/15"], { allowLarge: true });
    assert.equal(big.count, 131072);
    const small = await resolveProbeTargets([
      "192.168.1.4/30:8443",
      "[::1]:8443",
      "fd00::/126",
      "mail.contoso.com",
    ]);
    assert.deepEqual(
      [...small.targets()].map((t) => `${t.host}|${t.port}`),
      [
        "192.168.1.4|8443",
        "192.168.1.5|8443",
        "192.168.1.6|8443",
        "192.168.1.7|8443",
        "::1|8443",
        "fd00::|443",
        "fd00::1|443",
        "fd00::2|443",
        "fd00::3|443",
        "mail.contoso.com|443",
      ],
    );
    await assert.rejects(resolveProbeTargets(["fd00::/100"]), /--allow-large/);
    await assert.rejects(resolveProbeTargets(["host name with spaces"]), /not a host/);
    await assert.rejects(resolveProbeTargets(["h:99999"]), /bad port/);
    await assert.rejects(resolveProbeTargets([]), /at least one target/);
  });

  it("CLI refuses a large range with exit 2 before sending anything", () => {
    const r = runCli(["probe", "10.0.0.0/8"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--allow-large/);
  });
});
