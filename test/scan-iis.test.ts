// End to end with IIS logs: the example servers' IIS side, coverage of IIS sources, and the expectation
// of IIS logs when the evidence shows an inetpub folder.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { buildCoverage, layoutHints } from "../src/evidence/coverage.js";
import { scan } from "../src/index.js";
import type { ScanResult } from "../src/model/types.js";
import { tempDir } from "./helpers.js";

describe("scan with IIS logs (examples)", () => {
  let result: ScanResult;
  before(async () => {
    const dir = tempDir({ after: (fn) => process.on("exit", fn) });
    writeCompromised(join(dir, "EXCH01"), {
      rowsPerHour: 8,
      from: new Date("2021-03-01T00:00:00Z"),
      to: new Date("2021-03-08T00:00:00Z"),
    });
    writeClean(join(dir, "EXCH02"), {
      rowsPerHour: 8,
      from: new Date("2020-12-30T00:00:00Z"),
      to: new Date("2021-01-06T00:00:00Z"),
    });
    result = await scan([dir], { each: true, workers: 0 });
  });

  it("EXCH01: the IIS side of the attack, each at its file and line", () => {
    const s = result.servers.find((x) => x.name === "EXCH01")!;
    const count = (c: string) => s.findings.filter((f) => f.check === c).length;
    assert.equal(count("iis-proxylogon-request"), 5);
    assert.equal(count("iis-proxylogon-request-failed"), 2);
    assert.equal(count("iis-proxylogon-user-agent"), 10); // 6 python-requests POSTs, DuckDuckBot, 3 antSword POSTs
    const shell = s.findings.filter((f) => f.check === "iis-request-to-unexpected-script");
    assert.equal(shell.length, 5);
    assert.deepEqual(
      shell.filter((f) => f.severity === "high").map((f) => f.evidence.ClientIp),
      ["203.0.113.77", "203.0.113.77", "203.0.113.77", "192.0.2.144"],
    );
    assert.ok(shell.every((f) => f.source.file?.startsWith("C/inetpub/logs/LogFiles/W3SVC1/u_ex2103")));
    const iis = s.coverage.sources.find((c) => c.source === "IIS W3SVC1");
    assert.equal(iis?.kind, "iis-w3c");
    assert.equal(iis?.files, 7);
    assert.ok(iis?.oldest?.startsWith("2021-03-01"));
    assert.ok(iis?.newest?.startsWith("2021-03-07"));
    assert.ok(!s.coverage.missing.includes("IIS logs"));
  });

  it("EXCH02: benign IIS traffic with look-alikes and a field change mid-file gives nothing and no bad rows", () => {
    const s = result.servers.find((x) => x.name === "EXCH02")!;
    assert.equal(s.verdict, "clean");
    assert.deepEqual(
      s.findings.filter((f) => f.check.startsWith("iis-")),
      [],
    );
    assert.deepEqual(
      s.skipped.filter((k) => k.file.includes("inetpub")),
      [],
    );
    const iis = s.coverage.sources.find((c) => c.source === "IIS W3SVC1");
    assert.ok(iis && iis.oldest !== null && iis.oldest <= "2021-01-03");
  });
});

describe("coverage: IIS logs expected where the layout shows inetpub", () => {
  it("names IIS logs missing when inetpub is in the evidence without logs, and not otherwise", async (t) => {
    const dir = tempDir(t);
    const root = join(dir, "EXCH03");
    mkdirSync(join(root, "C/inetpub/wwwroot/aspnet_client"), { recursive: true });
    writeFileSync(join(root, "C/inetpub/wwwroot/aspnet_client/readme.txt"), "x");
    const r = await scan([root], { workers: 0 });
    assert.ok(r.servers[0].coverage.missing.includes("IIS logs"));
    const gap = r.servers[0].findings.find(
      (f) => f.check === "log-coverage" && f.evidence.Source === "IIS logs",
    );
    assert.match(gap?.evidence.Impact ?? "", /web shell/);
    // Nothing read at all: IIS logs are named too (issue: the empty-folder list left them out) …
    assert.ok(buildCoverage([]).missing.includes("IIS logs"));
    // … but a bare Logging folder without inetpub does not ask for them.
    const hp = { source: "HttpProxy/Ecp", kind: "httpproxy", files: 1, bytes: 1, oldest: null, newest: null };
    assert.ok(!buildCoverage([hp]).missing.includes("IIS logs"));
    assert.equal(layoutHints([{ path: "x/y.log", winPath: "C:\\inetpub\\logs\\x.log" }]).inetpub, true);
    assert.equal(layoutHints([{ path: "Program Files/x.log", winPath: null }]).inetpub, false);
  });
});

describe("IIS detections see mixed-case URLs (the one-pass search folds case)", () => {
  it("finds each attack spelled in mixed case, and no look-alike", async (t) => {
    const dir = tempDir(t);
    const root = join(dir, "EXCH05");
    const folder = join(root, "C/inetpub/logs/LogFiles/W3SVC1");
    mkdirSync(folder, { recursive: true });
    const head =
      "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
      "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";
    const row = (time: string, method: string, stem: string, query: string, ua: string, status: number) =>
      `2021-03-03 ${time} 10.0.0.5 ${method} ${stem} ${query} 443 - 203.0.113.9 ${ua} - ${status} 0 0 15`;
    const rows = [
      row("01:00:00", "POST", "/eCp/Y.js", "-", "python-requests/2.25.1", 200), // ProxyLogon entry + attacker UA
      row(
        "01:00:05",
        "GET",
        "/AutoDiscover/AutoDiscover.JSON",
        "@evil.com/mapi/nspi/?&Email=AutoDiscover/autodiscover.json%3F@evil.com",
        "Mozilla/5.0",
        200,
      ),
      row("01:00:10", "POST", "/OWA/a@b.com/PowerShell", "-", "Mozilla/5.0", 200), // OWASSRF
      row("01:00:15", "GET", "/Aspnet_Client/System_Web/Discover.ASPX", "-", "Mozilla/5.0", 200), // web shell
      // Look-alikes in mixed case: the XML autodiscover, OWA's own PowerShell-free paths, a static file.
      row("01:01:00", "POST", "/AutoDiscover/AutoDiscover.XML", "-", "Microsoft+Office/16.0", 200),
      row("01:01:05", "GET", "/OWA/auth/Logon.ASPX", "url=https://mail/owa/", "Mozilla/5.0", 200),
      row("01:01:10", "GET", "/ECP/Default.ASPX", "-", "Mozilla/5.0", 200),
    ];
    writeFileSync(join(folder, "u_ex210303.log"), `${head}${rows.join("\r\n")}\r\n`);
    const r = await scan([root], { workers: 0 });
    const hits = r.servers[0].findings
      .filter((f) => f.check.startsWith("iis-"))
      .map((f) => `${f.source.line}:${f.check}`)
      .sort();
    assert.deepEqual(hits, [
      "5:iis-proxylogon-request",
      "5:iis-proxylogon-user-agent",
      "6:iis-proxyshell",
      "7:iis-owassrf",
      "8:iis-request-to-unexpected-script",
    ]);
  });
});
