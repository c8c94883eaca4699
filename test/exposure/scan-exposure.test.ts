// Exposure inside `exhunt scan`: from the newest log header, or --build; the verdict it moves.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { scan } from "../../src/index.js";
import { runCli, tempDir } from "../helpers.js";

const FIELDS =
  "DateTime,RequestId,ClientIpAddress,UrlHost,UrlStem,RoutingHint,UserAgent,AnchorMailbox,HttpStatus";

function log(dir: string, name: string, version: string, time: string): void {
  const d = join(dir, "Logging/HttpProxy/Owa");
  mkdirSync(d, { recursive: true });
  writeFileSync(
    join(d, name),
    `#Software: Microsoft Exchange Server\r\n#Version: ${version}\r\n#Log-type: HttpProxy Logs\r\n#Date: ${time}\r\n#Fields: ${FIELDS}\r\n${time},r,10.0.0.1,h,/owa/,,ua,Smtp~a@b,200\r\n`,
  );
}

describe("scan exposure", () => {
  it("takes the build from the newest log's header, with asOf and the caveat in buildSource", async (t) => {
    const dir = tempDir(t);
    log(dir, "HttpProxy_2021030100-1.LOG", "15.01.2176.002", "2021-03-01T00:00:00.000Z");
    log(dir, "HttpProxy_2021060100-1.LOG", "15.01.2176.014", "2021-06-01T00:00:00.000Z");
    const r = await scan([dir], { workers: 0 });
    const s = r.servers[0];
    assert.equal(s.exposure?.build, "15.1.2176.14");
    assert.equal(s.exposure?.asOf, "2021-06-01T00:00:00.000Z");
    assert.match(s.exposure?.buildSource ?? "", /log header #Version \(the build when the log was written\)/);
    assert.equal(s.exposure?.cves["CVE-2021-26855"].status, "fixed");
    assert.equal(s.exposure?.cves["CVE-2022-41040"].status, "vulnerable");
    assert.equal(s.verdict, "vulnerable");
    // 2016 CU19 May21SU: ProxyNotShell open, none of the 2024–2026 fixes on CU19, out of support.
    const later = Object.keys(s.exposure?.cves ?? {}).filter((c) => c >= "CVE-2024");
    assert.equal(later.length, 14);
    assert.deepEqual(
      s.findings
        .filter((f) => f.check.startsWith("exposure-"))
        .map((f) => f.check)
        .sort(),
      [
        "exposure-cve-2022-41040",
        "exposure-cve-2022-41082",
        ...later.map((c) => `exposure-${c.toLowerCase()}`),
        "exposure-unsupported",
      ].sort(),
    );
  });

  it("--build wins over the log header; a patched build leaves the verdict clean", async (t) => {
    const dir = tempDir(t);
    log(dir, "HttpProxy_2021030100-1.LOG", "15.01.2176.002", "2021-03-03T00:00:00.000Z");
    // Exchange SE Aug26SU (2019 CU13 Nov23SU before the 2024–2026 data; it now has open CVEs).
    const r = await scan([dir], { workers: 0, build: "15.2.2562.46" });
    assert.equal(r.servers[0].exposure?.buildSource, "given (--build)");
    assert.equal(r.servers[0].verdict, "clean");
  });

  it("no Exchange header, no exposure (IIS-style or ECP's 15.0.0.0 headers are passed over)", async (t) => {
    const dir = tempDir(t);
    log(dir, "HttpProxy_2021030100-1.LOG", "15.0.0.0", "2021-03-03T00:00:00.000Z");
    const r = await scan([dir], { workers: 0 });
    assert.equal(r.servers[0].exposure, null);
    assert.equal(r.servers[0].verdict, "clean");
  });

  it("CLI: --build with garbage exits 2 before scanning; the console shows an Exposure block", (t) => {
    const dir = tempDir(t);
    log(dir, "HttpProxy_2021030100-1.LOG", "15.01.2176.002", "2021-01-01T00:00:00.000Z");
    const bad = runCli(["scan", dir, "--build", "15.x", "--workers", "0"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not an Exchange build number/);
    const r = runCli(["scan", dir, "--workers", "0"]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /VULNERABLE/);
    assert.match(r.stdout, /Exposure/);
    assert.match(r.stdout, /CVE-2021-26855 +vulnerable +fixed in 15\.1\.2176\.9/);
  });
});
