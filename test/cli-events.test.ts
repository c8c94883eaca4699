// `exhunt events` reads what `scan` reads: .evtx files and exported events (the README says so), and
// names a zero-byte file in the words `scan` uses.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, tempDir } from "./helpers.js";

describe("exhunt events on exports and empty files", () => {
  it("prints the events of a JSON lines export, filtered like an .evtx", (t) => {
    const dir = tempDir(t);
    const file = join(dir, "export.jsonl");
    const ev = (id: number, i: number) =>
      JSON.stringify({
        "@timestamp": `2021-03-03T07:1${i}:00.000Z`,
        winlog: {
          channel: "Application",
          computer_name: "EXCH01.contoso.local",
          event_id: id,
          provider_name: "MSExchange Unified Messaging",
          record_id: 10 + i,
          event_data: { param1: `value ${i}` },
        },
      });
    writeFileSync(file, `${[ev(1001, 1), ev(4624, 2), ev(1001, 3)].join("\n")}\n`);
    const all = runCli(["events", file]);
    assert.equal(all.status, 0, all.stderr);
    const lines = all.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    assert.equal(lines[0].EventID, 1001);
    assert.equal(lines[0].Channel, "Application");
    const some = runCli(["events", file, "--filter", "id=1001"]);
    assert.equal(some.stdout.trimEnd().split("\n").length, 2);
  });

  it("a file's notes (facts that are not damage) are on stderr; stdout stays the events; exit 0", (t) => {
    const dir = tempDir(t);
    const file = join(dir, "bare.jsonl");
    const ev = (i: number) =>
      JSON.stringify({
        "@timestamp": `2021-03-03T07:1${i}:00.000Z`,
        winlog: { channel: "Security", computer_name: "EXCH01", event_id: 4624, record_id: i },
      });
    writeFileSync(file, `${[ev(1), ev(2)].join("\n")}\n`);
    const r = runCli(["events", file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split("\n").length, 2);
    assert.match(r.stderr, /bare\.jsonl: note: none of the 2 events came with a parameter or a message/);
    // Events with data: no note.
    const full = join(dir, "full.jsonl");
    writeFileSync(
      full,
      `${JSON.stringify({ "@timestamp": "2021-03-03T07:11:00.000Z", winlog: { channel: "Security", event_id: 4624, record_id: 1, event_data: { LogonType: "3" } } })}\n`,
    );
    assert.equal(runCli(["events", full]).stderr, "");
  });

  it("a zero-byte .evtx is 'empty — 0 bytes'; a file that is neither is named; both exit 2", (t) => {
    const dir = tempDir(t);
    const empty = join(dir, "Security.evtx");
    writeFileSync(empty, "");
    let r = runCli(["events", empty]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Security\.evtx: empty — 0 bytes/);
    const other = join(dir, "notes.txt");
    writeFileSync(other, "just some text\n");
    r = runCli(["events", other]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not an EVTX file .*, nor an event export/);
  });
});
