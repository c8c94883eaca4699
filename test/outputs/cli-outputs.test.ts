// The outputs through the command line: `-` for one output with the console whole on stderr, several
// outputs at once, scan → JSON → report giving the same findings and verdicts, a version 1 result
// upgraded, and result files that are refused (exit 2, the first bad field, no stack trace) or hostile.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeCompromised } from "../../examples/generate.js";
import { checkInfo } from "../../src/detections/registry.js";
import type { ServerResult } from "../../src/model/types.js";
import { openResultFile } from "../../src/outputs/result-file.js";
import { runCli, tempDir } from "../helpers.js";
import { compromisedFindings, finding, result, server } from "./fixtures.js";

function evidence(dir: string): string {
  const root = join(dir, "EXCH01");
  writeCompromised(root, {
    rowsPerHour: 2,
    from: new Date("2021-03-02T00:00:00Z"),
    to: new Date("2021-03-05T00:00:00Z"),
  });
  // A file that cannot be read: it must be listed on the console whatever goes to stdout.
  mkdirSync(join(root, "Logging/HttpProxy/Owa"), { recursive: true });
  writeFileSync(join(root, "Logging/HttpProxy/Owa/broken.LOG"), Buffer.from([0, 0, 0, 1]));
  return root;
}

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
  assert.equal(stderr.trimEnd().split("\n").length, 1, `one line: ${stderr}`);
}

describe("scan outputs through the table", () => {
  it("--json - --html FILE: stdout is the JSON alone, the HTML is written, the whole console is on stderr", (t) => {
    const dir = tempDir(t);
    const root = evidence(dir);
    const html = join(dir, "r.html");
    const run = runCli(["scan", root, "--workers", "0", "--json", "-", "--html", html]);
    assert.equal(run.status, 1, run.stderr);
    const r = JSON.parse(run.stdout);
    assert.equal(r.schemaVersion, 2);
    assert.equal(r.servers[0].verdict, "compromised");
    assert.match(run.stderr, /^EXCH01 {2}COMPROMISED/);
    assert.match(run.stderr, /Skipped or partly read \(1\)\n {2}.*broken\.LOG: unknown-format/);
    assert.match(run.stderr, /Findings/);
    assert.match(run.stderr, new RegExp(`wrote the HTML report to ${html.replaceAll("/", "\\/")}`));
    assert.match(readFileSync(html, "utf8"), /<div class="verdict">Compromised<\/div>/);
  });

  it("several outputs at once, then report on the JSON: the same findings, verdicts and console", (t) => {
    const dir = tempDir(t);
    const root = evidence(dir);
    const o = (n: string) => join(dir, n);
    const scan = runCli([
      "scan",
      root,
      "--workers",
      "0",
      "--json",
      o("r.json"),
      "--jsonl",
      o("f.jsonl"),
      "--ecs",
      o("e.ndjson"),
      "--csv",
      o("csv"),
      "--html",
      o("r.html"),
    ]);
    assert.equal(scan.status, 1, scan.stderr);
    const saved = JSON.parse(readFileSync(o("r.json"), "utf8"));
    const n = saved.servers[0].findings.length;
    assert.ok(n > 5);
    assert.equal(readFileSync(o("f.jsonl"), "utf8").trimEnd().split("\n").length, n);
    assert.equal(readFileSync(o("e.ndjson"), "utf8").trimEnd().split("\n").length, 2 * n);
    assert.ok(readdirSync(o("csv")).includes("EXCH01-findings.csv"));
    assert.ok(existsSync(o("r.html")));
    for (const what of ["JSON result", "JSON lines", "ECS documents", "CSV files", "HTML report"])
      assert.match(scan.stderr, new RegExp(`wrote .*${what}`), what);

    const report = runCli(["report", o("r.json"), "--jsonl", "-"]);
    assert.equal(report.status, 1, report.stderr);
    assert.equal(report.stdout, readFileSync(o("f.jsonl"), "utf8"), "the same findings, line for line");
    assert.equal(report.stderr, scan.stdout, "the same console report, verdicts and reasons included");
  });

  it("the result read back equals the result written (schema round trip)", async (t) => {
    const dir = tempDir(t);
    const run = runCli(["scan", evidence(dir), "--workers", "0", "--json", join(dir, "r.json")]);
    assert.equal(run.status, 1, run.stderr);
    const saved = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    const opened = await openResultFile(join(dir, "r.json"), checkInfo);
    const back: ServerResult[] = [];
    for await (const s of opened.servers()) back.push(s);
    assert.deepEqual(back, saved.servers);
    assert.ok(back[0].plan.length > 0 && back[0].timeline.entries.length > 0);
  });
});

/** A result as exhunt 0.1 wrote it (schemaVersion 1: no effect, subject, plan or timeline). */
function v1Result(): Record<string, unknown> {
  const v1Finding = (
    id: string,
    check: string,
    severity: string,
    title: string,
    file: string,
    line: number,
    time: string,
    evidence: Record<string, string>,
    cves: string[],
  ) => ({ id, check, cves, severity, title, server: "EXCH01", file, line, time, evidence, references: [] });
  const hp = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG";
  const coverage = {
    sources: [
      {
        source: "HttpProxy/Ecp",
        kind: "log",
        files: 3,
        bytes: 3000,
        oldest: "2020-12-01T00:00:00.000Z",
        newest: "2021-03-07T23:00:00.000Z",
      },
    ],
    missing: [],
    window: { exploitationFrom: "2021-01-03T00:00:00.000Z", patchedOn: "2021-03-02T00:00:00.000Z" },
    coversWindow: true,
    notes: [],
  };
  const stats = {
    files: 3,
    bytes: 3000,
    logFiles: 3,
    logBytes: 3000,
    records: 90,
    badRows: 0,
    durationMs: 40,
  };
  return {
    schemaVersion: 1,
    tool: { name: "exhunt", version: "0.1.0" },
    startedAt: "2021-03-08T10:00:00.000Z",
    finishedAt: "2021-03-08T10:00:04.000Z",
    servers: [
      {
        name: "EXCH01",
        root: "/evidence/EXCH01",
        verdict: "compromised",
        reasons: [
          "ProxyLogon SSRF request served by the back end (CVE-2021-26855) on 2021-03-03 (as exhunt 0.1 said it)",
          "OAB generator wrote a file outside ClientAccess\\OAB (CVE-2021-26858): 1 hit",
        ],
        coverage,
        findings: [
          v1Finding(
            "0123456789abcdef",
            "cve-2021-26855-ssrf",
            "critical",
            "ProxyLogon SSRF request served by the back end (CVE-2021-26855)",
            hp,
            11,
            "2021-03-03T06:49:51.000Z",
            {
              ClientIpAddress: "203.0.113.77",
              UrlStem: "/ecp/y.js",
              Method: "POST",
              HttpStatus: "200",
              RequestId: "66be0ad7",
              AnchorMailbox:
                "ServerInfo~a]@exch01:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory#",
            },
            ["CVE-2021-26855"],
          ),
          v1Finding(
            "fedcba9876543210",
            "cve-2021-26858-oab-write",
            "critical",
            "OAB generator wrote \\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx",
            "C/Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG",
            8,
            "2021-03-03T06:50:13.410Z",
            { DownloadPath: "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx" },
            ["CVE-2021-26858"],
          ),
        ],
        omittedFindings: {},
        skipped: [],
        stats,
        installPath: "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
      },
      {
        name: "EXCH02",
        root: "/evidence/EXCH02",
        verdict: "clean",
        reasons: ["No sign of exploitation in 3 log files (as exhunt 0.1 said it)."],
        coverage,
        findings: [],
        omittedFindings: {},
        skipped: [],
        stats,
        installPath: null,
      },
    ],
  };
}

describe("exhunt report on a version 1 result", () => {
  it("keeps the verdicts and reasons as written and adds the plan and the timeline", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "v1.json");
    const v1 = v1Result();
    writeFileSync(file, JSON.stringify(v1));
    const opened = await openResultFile(file, checkInfo);
    assert.equal(opened.schemaVersion, 1);
    const servers: ServerResult[] = [];
    for await (const s of opened.servers()) servers.push(s);
    const written = v1.servers as { verdict: string; reasons: string[] }[];
    assert.deepEqual(
      servers.map((s) => [s.verdict, s.reasons]),
      written.map((s) => [s.verdict, s.reasons]),
    );
    assert.ok(
      servers[0].plan.some((p) => p.id === "contain"),
      "the plan of a compromised server",
    );
    assert.deepEqual(
      servers[0].timeline.entries.map((e) => e.findingIds[0]),
      ["0123456789abcdef", "fedcba9876543210"],
    );
    assert.equal(servers[0].findings[0].effect, "compromise");
    assert.equal(servers[0].findings[0].subject.kind, "http-request");

    const run = runCli(["report", file, "--html", join(dir, "r.html"), "--jsonl", "-"]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^EXCH01 {2}COMPROMISED {2}ProxyLogon SSRF .* \(as exhunt 0\.1 said it\)/);
    assert.match(
      run.stderr,
      /EXCH02 {2}CLEAN {8}No sign of exploitation in 3 log files \(as exhunt 0\.1 said it\)\./,
    );
    assert.equal(run.stdout.trimEnd().split("\n").length, 2);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    assert.match(html, /<h3>What to do now<\/h3>/);
    assert.match(html, /Timeline entries <span class="count" data-count="t0-1">2<\/span>/);
  });
});

describe("exhunt report refuses a bad result file: exit 2, the first bad field, no stack trace", () => {
  it("not JSON, cut short, an unknown version, a bad enum, a missing field", (t) => {
    const dir = tempDir(t);
    const good = JSON.stringify(
      result([server("EXCH01", compromisedFindings("EXCH01")), server("EXCH02", [])]),
    );
    const cases: [string, string, RegExp][] = [
      ["garbage", "this is not json", /is not JSON: 't', not '\{' at byte 0/],
      ["cut short", good.slice(0, good.length / 2), /is not JSON/],
      ["an array", "[1,2]", /is not JSON: '\[', not '\{'/],
      [
        "version 3",
        JSON.stringify({ ...JSON.parse(good), schemaVersion: 3 }),
        /has schemaVersion 3; this exhunt reads/,
      ],
    ];
    const bad = JSON.parse(good);
    bad.servers[0].findings[1].effect = "pwned";
    cases.push([
      "bad enum",
      JSON.stringify(bad),
      /servers\.0\.findings\.1\.effect must be equal to one of the allowed values \(allowed: \[/,
    ]);
    const missing = JSON.parse(good);
    delete missing.servers[1].coverage;
    cases.push([
      "missing field",
      JSON.stringify(missing),
      /servers\.1 must have required property 'coverage'/,
    ]);
    const wrongType = JSON.parse(good);
    wrongType.servers[0].stats.records = "many";
    cases.push(["wrong type", JSON.stringify(wrongType), /servers\.0\.stats\.records must be integer/]);
    for (const [what, text, message] of cases) {
      const file = join(dir, `${what.replaceAll(" ", "-")}.json`);
      writeFileSync(file, text);
      const html = join(dir, `${what}.html`);
      const run = runCli(["report", file, "--html", html]);
      assert.equal(run.status, 2, `${what}: ${run.stderr}`);
      assert.match(run.stderr, /^exhunt: /, what);
      assert.match(run.stderr, message, what);
      noStack(run.stderr);
      assert.equal(run.stdout, "", `${what}: nothing printed`);
      assert.ok(!existsSync(html), `${what}: nothing written`);
    }
  });
});

describe("exhunt report on hostile strings", () => {
  it("renders every output without crashing, escaping each for where it goes", (t) => {
    const dir = tempDir(t);
    const term = "\x1b]0;pwned\x07\x1b[2J\r";
    const script = "<script>document.title='PWNED'</script>";
    const formula = "=cmd|' /C calc'!A0";
    const long = "A".repeat(1_000_000);
    const fs = compromisedFindings("EXCH01");
    fs.push(
      finding(
        "EXCH01",
        "cve-2021-26855-ssrf",
        "2021-03-03T08:00:00.000Z",
        { ClientIpAddress: "203.0.113.9", UrlStem: `/ecp/${script}${term}`, UserAgent: long, Match: formula },
        { file: `Logging/${term}${formula}.LOG`, line: 3, title: `${formula}${term}${script}` },
      ),
    );
    const s = server(`${script}${term}`, fs, {
      skipped: [{ file: `${formula}${term}`, reason: "corrupt", detail: `${script}${long}` }],
    });
    s.reasons = [`${term}${script}${long}`, ...s.reasons];
    s.plan = s.plan.map((p) => ({
      ...p,
      title: `${term}${p.title}`,
      actions: [...p.actions, `${formula}${term}`],
    }));
    s.coverage = { ...s.coverage, notes: [`${term}${script}`], missing: [`${term}x`] };
    const file = join(dir, "hostile.json");
    writeFileSync(file, JSON.stringify(result([s, server(formula, [])])));
    const o = (n: string) => join(dir, n);
    const run = runCli(["report", file, "--html", o("r.html"), "--csv", o("csv"), "--jsonl", o("f.jsonl")]);
    assert.equal(run.status, 1, run.stderr.slice(0, 2000));
    for (const [name, text] of [
      ["stdout", run.stdout],
      ["stderr", run.stderr],
    ]) {
      assert.ok(
        !text.includes("\x1b") && !text.includes("\x07") && !text.includes("\r"),
        `${name}: no raw control character`,
      );
    }
    assert.match(run.stdout, /\\x1b\]0;pwned\\x07\\x1b\[2J\\x0d/);
    assert.ok(
      run.stdout.length < 100_000,
      `long strings are clipped on the console (${run.stdout.length} chars)`,
    );
    const html = readFileSync(o("r.html"), "utf8");
    assert.ok(!html.includes(script) && !html.includes("\x1b"), "HTML: escaped, no control characters");
    assert.ok(html.includes("&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;"));
    for (const f of readdirSync(o("csv")))
      for (const cell of readFileSync(join(o("csv"), f), "utf8").match(/"(?:[^"]|"")*"/g) ?? [])
        assert.doesNotMatch(cell, /^"[=+\-@\t\r]/, `${f}: ${cell.slice(0, 80)}`);
    const lines = readFileSync(o("f.jsonl"), "utf8").trimEnd().split("\n");
    assert.equal(
      JSON.parse(lines[lines.length - 1]).evidence.UserAgent,
      long,
      "JSON lines keep the evidence whole",
    );
  });
});
