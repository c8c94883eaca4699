// The console (and the HTML findings table) lists the checks whose findings move the verdict (by the evidence ladder) under
// "Findings", and everything else apart, so a weak signal or a context-only Sigma level is never read
// as the reason for the verdict.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderConsole } from "../../src/outputs/console.js";
import { renderHtml } from "../../src/outputs/html.js";
import { attemptedFindings, finding, result, server } from "./fixtures.js";

const LISTED = "  Listed for the responder (they do not change the verdict)";

function archive(name: string) {
  return finding(
    name,
    "suspicious-archive",
    "2021-03-05T00:00:00.000Z",
    { Path: "C:\\ProgramData\\Veeam\\Backup\\config-export.zip", Name: "config-export.zip" },
    {
      file: "C/ProgramData/Veeam/Backup/config-export.zip",
      title: "Archive in ProgramData: config-export.zip",
    },
  );
}

describe("console: findings that decide the verdict and findings listed apart", () => {
  it("an attempt is under Findings, a weak archive signal under the listed heading after it", () => {
    const s = server("EXCH03", [...attemptedFindings("EXCH03"), archive("EXCH03")]);
    assert.equal(s.verdict, "attempted");
    const text = renderConsole(result([s]), { color: false });
    const findings = text.indexOf("\n  Findings\n");
    const listed = text.indexOf(`\n${LISTED}\n`);
    assert.ok(findings > 0 && listed > findings, "both headings, Findings first");
    const attempt = text.indexOf("cve-2021-26855-ssrf-failed");
    const arch = text.indexOf("suspicious-archive");
    assert.ok(attempt > findings && attempt < listed, "the attempt decides");
    assert.ok(arch > listed, "the archive is listed apart");
  });

  it("a clean server with only a weak signal has no Findings heading", () => {
    const s = server("EXCH02", [archive("EXCH02")]);
    assert.equal(s.verdict, "clean");
    const text = renderConsole(result([s]), { color: false });
    assert.ok(!text.includes("\n  Findings\n"), "nothing decided the verdict");
    assert.ok(text.includes(`\n${LISTED}\n`) && text.includes("suspicious-archive"));
  });
});

describe("HTML findings table: deciding findings first, the rest marked 'listed only'", () => {
  it("a critical-level finding that is context sorts below the attempt that decided the verdict", () => {
    const weak = archive("EXCH03");
    weak.severity = "critical";
    const s = server("EXCH03", [...attemptedFindings("EXCH03"), weak]);
    assert.equal(s.verdict, "attempted");
    const html = renderHtml(result([s]));
    const table = html.slice(html.indexOf("<h3>Findings"));
    const attempt = table.indexOf("cve-2021-26855-ssrf-failed");
    const arch = table.indexOf(">suspicious-archive<");
    assert.ok(attempt > 0 && arch > attempt, "the deciding attempt is listed first");
    const row = table.slice(table.lastIndexOf("<tr", arch), table.indexOf("</tr>", arch));
    assert.match(row, /listed only/);
    const attemptRow = table.slice(table.lastIndexOf("<tr", attempt), table.indexOf("</tr>", attempt));
    assert.doesNotMatch(attemptRow, /listed only/);
  });
});
