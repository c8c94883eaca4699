// End to end with IIS logs: the example servers' IIS side, coverage of IIS sources, and the expectation
// of IIS logs when the evidence shows an inetpub folder.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { scan } from "../src/index.js";
import type { ScanResult } from "../src/model/types.js";
import { buildCoverage, layoutHints } from "../src/verdict/coverage.js";
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
    assert.ok(shell.every((f) => f.file?.startsWith("C/inetpub/logs/LogFiles/W3SVC1/u_ex2103")));
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
    assert.ok(!buildCoverage([]).missing.includes("IIS logs"));
    assert.equal(layoutHints([{ path: "x/y.log", winPath: "C:\\inetpub\\logs\\x.log" }]).inetpub, true);
    assert.equal(layoutHints([{ path: "Program Files/x.log", winPath: null }]).inetpub, false);
  });
});
