// The command line: exit codes, JSON and CSV outputs, and that evidence strings cannot attack them.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { runCli, tempDir } from "./helpers.js";

const PRE =
  "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T06:00:00.000Z\r\n";
const FIELDS =
  "DateTime,RequestId,ClientIpAddress,UrlHost,UrlStem,RoutingHint,UserAgent,AnchorMailbox,HttpStatus";

function isIso(v: unknown): boolean {
  return typeof v === "string" && !Number.isNaN(Date.parse(v)) && v.endsWith("Z");
}

/** The documented result schema (README), checked field by field. */
function assertResultShape(r: Record<string, unknown>): void {
  assert.equal(r.schemaVersion, 2);
  assert.deepEqual(Object.keys(r.tool as object).sort(), ["name", "version"]);
  assert.ok(isIso(r.startedAt) && isIso(r.finishedAt));
  for (const s of r.servers as Record<string, unknown>[]) {
    for (const k of [
      "name",
      "root",
      "verdict",
      "confidence",
      "reasons",
      "plan",
      "timeline",
      "coverage",
      "findings",
      "omittedFindings",
      "skipped",
      "stats",
      "installPath",
    ])
      assert.ok(k in s, `server.${k}`);
    assert.ok(["compromised", "attempted", "vulnerable", "clean", "unknown"].includes(s.verdict as string));
    const cov = s.coverage as Record<string, unknown>;
    for (const k of ["sources", "missing", "window", "coversWindow", "notes"])
      assert.ok(k in cov, `coverage.${k}`);
    for (const f of s.findings as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(f).sort(), [
        "check",
        "confidence",
        "cves",
        "effect",
        "evidence",
        "fingerprint",
        "id",
        "rule",
        "server",
        "severity",
        "source",
        "subject",
        "time",
        "title",
      ]);
      assert.match(f.id as string, /^[0-9a-f]{16}$/);
      assert.ok(["critical", "high", "medium", "low", "info"].includes(f.severity as string));
      assert.ok(
        ["compromise", "attempt", "exposure", "context", "coverage", "info"].includes(f.effect as string),
      );
      assert.ok(f.time === null || isIso(f.time));
      const src = f.source as { file: string | null; line: number | null };
      assert.ok(src.line === null || (Number.isInteger(src.line) && src.line >= 1));
      assert.ok(src.file === null || !src.file.includes("\\"), "file uses forward slashes");
      assert.equal(typeof (f.subject as { kind: unknown }).kind, "string");
      for (const v of Object.values(f.evidence as object)) assert.equal(typeof v, "string");
    }
    for (const k of s.skipped as Record<string, unknown>[])
      assert.deepEqual(Object.keys(k).sort(), ["detail", "file", "reason"]);
  }
}

describe("exhunt scan (CLI)", () => {
  it("exits 1 on a compromised server and 0 on a clean one; prints the verdict first", (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "bad"), {
      rowsPerHour: 4,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-05T00:00:00Z"),
    });
    writeClean(join(dir, "good"), {
      rowsPerHour: 4,
      from: new Date("2020-12-31T00:00:00Z"),
      to: new Date("2021-01-04T00:00:00Z"),
    });
    const bad = runCli(["scan", join(dir, "bad"), "--workers", "0"]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(
      bad.stdout.split("\n")[0],
      /^bad {2}COMPROMISED {2}Web shell written .* on 2021-03-03, and \d+ more kinds of compromise evidence/,
    );
    assert.ok(!bad.stdout.includes("\u001b["), "no colour when NO_COLOR is set / not a TTY");
    const good = runCli(["scan", join(dir, "good"), "--workers", "0"]);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^good {2}CLEAN/);
  });

  it("exits 3 when nothing was found but evidence was skipped", (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, "Logging/HttpProxy/Owa"), { recursive: true });
    writeFileSync(
      join(dir, "Logging/HttpProxy/Owa/a.LOG"),
      // A fully patched build in the header (Exchange SE Aug26SU): a CU19 header would (rightly) make
      // the server "vulnerable", and so, since the 2024–2026 build table, would 2016 CU23 Nov23SU.
      `${PRE.replace("15.01.2176.002", "15.02.2562.046")}#Fields: ${FIELDS}\r\n2021-01-01T00:00:00.000Z,r,10.0.0.1,h,/owa/,,ua,Smtp~a@b,200\r\n`,
    );
    writeFileSync(join(dir, "Logging/HttpProxy/Owa/b.LOG"), Buffer.from([0, 0, 0, 1]));
    const r = runCli(["scan", dir, "--workers", "0"]);
    assert.equal(r.status, 3, r.stdout);
    assert.match(r.stdout, /b\.LOG: unknown-format/);
  });

  it("writes the documented JSON result to stdout with --json -, keeping stdout pure JSON", (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "EXCH01"), {
      rowsPerHour: 4,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-05T00:00:00Z"),
    });
    const r = runCli(["scan", join(dir, "EXCH01"), "--json", "-", "--workers", "0"]);
    assert.equal(r.status, 1);
    const parsed = JSON.parse(r.stdout);
    assertResultShape(parsed);
    assert.equal(parsed.tool.name, "exhunt");
    assert.match(r.stderr, /EXCH01 {2}COMPROMISED/, "the verdict line still reaches the terminal, on stderr");
  });

  it("writes Test-ProxyLogon style CSV files whose cells cannot run as formulas", (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "srv/Logging/HttpProxy/Ecp");
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, "HttpProxy_2021030306-1.LOG"),
      `${PRE}#Fields: ${FIELDS}\r\n2021-03-03T06:59:18.042Z,rid,130.255.189.21,autodiscover.x.no,/ecp/y.js,X-BEResource-Cookie,"=HYPERLINK(""http://evil"",""x"")",ServerInfo~a]@srv.local:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#,200\r\n`,
    );
    const out = join(dir, "csv");
    const r = runCli(["scan", join(dir, "srv"), "--csv", out, "--workers", "0"]);
    assert.equal(r.status, 1, r.stderr);
    const files = readdirSync(out).sort();
    assert.ok(files.includes("srv-Cve-2021-26855.csv"), files.join());
    assert.ok(files.includes("srv-LogAgeDays.csv"));
    assert.ok(files.includes("srv-findings.csv"));
    const csv = readFileSync(join(out, "srv-Cve-2021-26855.csv"), "utf8").split("\r\n");
    assert.equal(
      csv[0],
      '"DateTime","RequestId","ClientIPAddress","UrlHost","UrlStem","RoutingHint","UserAgent","AnchorMailbox","HttpStatus"',
    );
    assert.match(csv[1], /^"2021-03-03T06:59:18.042Z","rid","130.255.189.21",/);
    assert.match(csv[1], /"'=HYPERLINK\(""http:\/\/evil"",""x""\)"/);
    for (const f of files) {
      for (const line of readFileSync(join(out, f), "utf8").split("\r\n").filter(Boolean)) {
        for (const cell of line.match(/"(?:[^"]|"")*"/g) ?? [])
          assert.doesNotMatch(cell, /^"[=+\-@\t\r]/, `${f}: ${cell}`);
      }
    }
  });

  it("shows terminal control characters from evidence as text", (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "srv/Logging/HttpProxy/Ecp");
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, "a.LOG"),
      `${PRE}#Fields: ${FIELDS}\r\n2021-03-03T06:59:18.042Z,rid,1.2.3.4,h,/ecp/y.js,,ua,ServerInfo~a]@s:444/ecp/\x1b]0;pwned\x07x\x1b[2J#,200\r\n`,
    );
    const r = runCli(["scan", join(dir, "srv"), "--workers", "0"]);
    assert.ok(!r.stdout.includes("\u001b"), "no raw escape character reaches the terminal");
    assert.match(r.stdout, /\\x1b\]0;pwned\\x07x\\x1b\[2J/);
  });

  it("prints help and version with exit 0, and refuses unknown options with exit 2", () => {
    assert.equal(runCli(["--help"]).status, 0);
    const v = runCli(["--version"]);
    assert.equal(v.status, 0);
    assert.equal(
      v.stdout.trim(),
      JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")).version,
    );
    assert.equal(runCli(["scan", "--no-such-option"]).status, 2);
  });
});
