// The console report: one line per event (findings that differ only in what they are linked to are
// one hit, with the linked checks inside it), aligned coverage columns, and "1 file" not "1 files".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildCoverage } from "../../src/evidence/coverage.js";
import { count, plural } from "../../src/model/plural.js";
import type { Finding } from "../../src/model/types.js";
import { renderConsole } from "../../src/outputs/console.js";
import { sameEvents } from "../../src/outputs/same-event.js";
import { finding, result, SHELL, server, sources } from "./fixtures.js";

const IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log";

/** One web-shell request, reported once per flagged-file finding it is linked to (as the detection does). */
function shellUse(): Finding[] {
  const linked = [
    finding(
      "EXCH01",
      "ioc-file-hash",
      "2021-03-03T06:50:13.000Z",
      { Path: SHELL },
      { file: "x/discover.aspx" },
    ),
    finding(
      "EXCH01",
      "webshell-oab-settings",
      "2021-03-03T06:50:13.000Z",
      { Path: SHELL },
      { file: "x/discover.aspx" },
    ),
    finding(
      "EXCH01",
      "script-in-aspnet-client",
      "2021-03-03T06:50:13.000Z",
      { Path: SHELL },
      { file: "x/discover.aspx" },
    ),
  ];
  const uses = linked.map((l) => {
    const f = finding(
      "EXCH01",
      "webshell-used",
      "2021-03-03T06:50:30.000Z",
      {
        Path: SHELL,
        UriStem: "/aspnet_client/system_web/discover.aspx",
        LinkedFinding: l.id,
        LinkedCheck: l.check,
        RequestCount: "4",
        RequestsFrom: "203.0.113.77 (3), 192.0.2.144 (1)",
      },
      { file: IIS, line: 79 },
    );
    f.subject = { kind: "correlation", findingIds: [l.id], key: "/aspnet_client/system_web/discover.aspx" };
    return f;
  });
  return [...linked, ...uses];
}

function block(text: string, check: string): string[] {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.includes(` ${check}`));
  assert.ok(at >= 0, `${check} listed`);
  const end = lines.findIndex((l, i) => i > at && /^ {2}[A-Z]/.test(l));
  return lines.slice(at, end < 0 ? undefined : end);
}

describe("console report", () => {
  it("shows one web shell used once as one line, the linked checks inside it", () => {
    const text = renderConsole(result([server("EXCH01", shellUse())]), { color: false });
    const lines = block(text, "webshell-used");
    const samples = lines.filter((l) => l.includes("203.0.113.77 (3)"));
    assert.equal(samples.length, 1, lines.join("\n"));
    assert.match(lines.join("\n"), /1 hit \(3 findings\)/);
    assert.match(
      lines.join("\n"),
      /linked to: ioc-file-hash, webshell-oab-settings, script-in-aspnet-client/,
    );
  });

  it("keeps separate events separate: another time or another line is another hit", () => {
    const fs = shellUse();
    const uses = fs.filter((f) => f.check === "webshell-used");
    uses[1].time = "2021-03-04T01:00:00.000Z";
    uses[2].source.line = 80;
    const events = sameEvents(uses, fs);
    assert.equal(events.length, 3);
    const text = renderConsole(result([server("EXCH01", fs)]), { color: false });
    assert.match(block(text, "webshell-used").join("\n"), /3 hits ·/);
  });

  it("aligns the coverage columns and says 1 file", () => {
    const src = sources("2020-12-01T00:00:00.000Z");
    src[0].files = 1;
    src[1].files = 2040;
    src[3].source = "Event log: Microsoft-Exchange-ManagedAvailability/Monitoring";
    const s = server("EXCH01", [], { coverage: buildCoverage(src) });
    const text = renderConsole(result([s]), { color: false });
    const rows = text.split("\n").filter((l) => / files? +\d/.test(l) && l.includes("→"));
    assert.equal(rows.length, 5, text);
    assert.ok(rows.some((r) => /\b1 file\b/.test(r)));
    assert.ok(!/\b1 files\b/.test(text), "no '1 files'");
    // Every row's count, size and span start in the same column.
    const col = (r: string) => r.indexOf("→");
    assert.equal(new Set(rows.map(col)).size, 1, rows.join("\n"));
    assert.equal(
      new Set(rows.map((r) => r.search(/\d+ files?\b/) + r.match(/\d+ files?/)![0].length)).size,
      1,
    );
  });

  it("one plural rule", () => {
    assert.equal(count(1, "file"), "1 file");
    assert.equal(count(0, "file"), "0 files");
    assert.equal(count(17943, "log file"), "17,943 log files");
    assert.equal(count(2, "match", "matches"), "2 matches");
    assert.equal(plural(1, "address", "addresses"), "address");
  });
});
