// `exhunt report RESULT.json` and the new scan outputs (--html, --jsonl, --ecs).
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeCompromised } from "../../examples/generate.js";
import { runCli, tempDir } from "../helpers.js";
import { compromisedFindings, result, server } from "./fixtures.js";

describe("exhunt report", () => {
  it("turns a saved result into HTML, JSON lines and ECS, with the scan's exit code", (t) => {
    const dir = tempDir(t);
    const r = result([server("EXCH01", compromisedFindings()), server("EXCH02", [])]);
    const file = join(dir, "result.json");
    writeFileSync(file, JSON.stringify(r));
    const out = (n: string) => join(dir, n);
    const run = runCli([
      "report",
      file,
      "--html",
      out("r.html"),
      "--jsonl",
      out("f.jsonl"),
      "--ecs",
      out("e.ndjson"),
    ]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^EXCH01 {2}COMPROMISED/);
    assert.match(run.stdout, /First malicious request/);
    assert.match(run.stdout, /Do now/);
    assert.match(readFileSync(out("r.html"), "utf8"), /<div class="verdict">Compromised<\/div>/);
    assert.equal(
      readFileSync(out("f.jsonl"), "utf8").trimEnd().split("\n").length,
      r.servers[0].findings.length,
    );
    assert.equal(
      readFileSync(out("e.ndjson"), "utf8").trimEnd().split("\n").length,
      2 * r.servers[0].findings.length,
    );
  });

  it("refuses what is not a result, with exit 2 and a reason", (t) => {
    const dir = tempDir(t);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{not json");
    let run = runCli(["report", bad]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /is not JSON/);
    writeFileSync(bad, JSON.stringify({ schemaVersion: 3, servers: [] }));
    run = runCli(["report", bad]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /schemaVersion 3/);
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, servers: [{ name: "x" }] }));
    run = runCli(["report", bad, "--html", join(dir, "x.html")]);
    assert.equal(run.status, 2);
    assert.ok(!existsSync(join(dir, "x.html")));
    writeFileSync(bad, JSON.stringify(result([server("EXCH02", [])])));
    run = runCli(["report", bad, "--jsonl", "-", "--ecs", "-"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /only one output can go to stdout/);
    run = runCli(["report", join(dir, "missing.json")]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /cannot read/);
  });

  it("scan writes --html, --jsonl and --ecs; --jsonl - goes to stdout with the console on stderr", (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "bad"), {
      rowsPerHour: 2,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-05T00:00:00Z"),
    });
    const run = runCli([
      "scan",
      join(dir, "bad"),
      "--workers",
      "0",
      "--html",
      join(dir, "r.html"),
      "--jsonl",
      "-",
    ]);
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.ok(lines.length > 3);
    for (const l of lines) assert.equal(typeof JSON.parse(l).check, "string");
    assert.match(run.stderr, /COMPROMISED/);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    assert.match(html, /discover\.aspx/);
    assert.match(html, /First malicious request/);
  });
});
