// ExSetup.exe's file version, read from the PE version resource (no PowerShell), and `exhunt build`.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PeError, peFileVersion, readPeFileVersion } from "../../src/exposure/pe-version.js";
import { runCli, tempDir } from "../helpers.js";
import { syntheticPe } from "./pe.js";

describe("PE file version", () => {
  it("reads VS_FIXEDFILEINFO from PE32+ and PE32 files", async (t) => {
    assert.equal(peFileVersion(syntheticPe("15.1.2176.2")), "15.1.2176.2");
    assert.equal(peFileVersion(syntheticPe("15.2.1118.40", { pe32: true })), "15.2.1118.40");
    const dir = tempDir(t);
    writeFileSync(join(dir, "ExSetup.exe"), syntheticPe("15.0.1497.48"));
    assert.equal(await readPeFileVersion(join(dir, "ExSetup.exe")), "15.0.1497.48");
  });

  it("refuses damaged or foreign files with a PeError, never a crash", () => {
    const good = syntheticPe("15.1.2176.2");
    const cases: [string, Buffer][] = [
      ["empty", Buffer.alloc(0)],
      ["text", Buffer.from("#!/bin/sh\necho hi\n".padEnd(128, " "))],
      ["truncated", good.subarray(0, 0x220)],
      ["no resources", syntheticPe("15.1.2176.2", { resource: false })],
      [
        "bad e_lfanew",
        Buffer.concat([good.subarray(0, 0x3c), Buffer.from([0xff, 0xff, 0xff, 0x7f]), good.subarray(0x40)]),
      ],
    ];
    for (const [name, buf] of cases) assert.throws(() => peFileVersion(buf), PeError, name);
    const noSig = Buffer.from(good);
    noSig.writeUInt32LE(0, 0x200 + 0x58 + 40);
    assert.throws(() => peFileVersion(noSig), /signature/);
  });
});

describe("exhunt build (CLI)", () => {
  it("--local reads ExSetup.exe under the install path and assesses it", (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, "Bin"));
    writeFileSync(join(dir, "Bin", "ExSetup.exe"), syntheticPe("15.1.2176.9"));
    const r = runCli(["build", "--local", "--install-path", dir, "--json", "-"]);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.builds[0].build, "15.1.2176.9");
    assert.equal(j.builds[0].cves["CVE-2021-26855"].status, "fixed");
    assert.match(r.stderr, /ExSetup\.exe file version/);
  });

  it("prints the documented JSON shape; exit 0 when nothing is open, 1 when something is", () => {
    // Exchange SE Aug26SU: nothing open (2016 CU23 Nov23SU, this test's build before the 2024–2026 data, is no longer).
    const ok = runCli(["build", "15.02.2562.046", "--json", "-"]);
    assert.equal(ok.status, 0, ok.stderr);
    const b = JSON.parse(ok.stdout).builds[0];
    assert.deepEqual(Object.keys(b).sort(), [
      "build",
      "cu",
      "cves",
      "input",
      "notes",
      "product",
      "recommendation",
      "update",
      "warnings",
    ]);
    assert.deepEqual(Object.keys(b.cves).length, 23);
    // status and fixedIn always; the update, its KB and the configuration check where known.
    for (const s of Object.values(b.cves) as Record<string, unknown>[]) {
      assert.ok("status" in s && "fixedIn" in s);
      for (const k of Object.keys(s))
        assert.ok(["status", "fixedIn", "fixedBy", "kb", "check"].includes(k), k);
    }
    for (const k of [
      "action",
      "cuUpgradeNeeded",
      "target",
      "steps",
      "interimOnly",
      "endOfSupport",
      "summary",
      "notes",
    ])
      assert.ok(k in b.recommendation, k);
    const bad = runCli(["build", "15.1.2176.2"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /Exchange 2016 CU19/);
    assert.match(bad.stdout, /KB5121576/);
  });

  it("exits 2 with a clear message on malformed or unknown builds", () => {
    const r = runCli(["build", "15.1.2176.2", "not-a-build"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not an Exchange build number: "not-a-build"/);
    assert.match(r.stdout, /Exchange 2016 CU19/, "the good build is still answered");
    assert.equal(runCli(["build", "15.1.9.9"]).status, 2);
    assert.equal(runCli(["build"]).status, 2);
    assert.match(runCli(["build", "Version 15.1 (Build 2176.2)"]).stdout, /warning: AdminDisplayVersion/);
  });
});
