// An export whose events all arrive without a parameter or a message is said so in the file's notes:
// a layout that keeps the parameters where no field map reads them must not pass for "read".
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { scan } from "../../../src/index.js";
import { tempDir } from "../../helpers.js";

const flat = (id: number, extra: Record<string, unknown>) =>
  JSON.stringify({
    EventID: 4688,
    Channel: "Security",
    Computer: "EXCH01",
    TimeCreated: "2021-03-03T07:05:12.000Z",
    RecordNumber: id,
    ...extra,
  });

async function accountOf(t: { after(fn: () => void): void }, lines: string[]) {
  const dir = tempDir(t);
  const p = join(dir, "EXCH01/siem/export.jsonl");
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `${lines.join("\n")}\n`);
  const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
  return s.files?.files.find((f) => f.file.endsWith("export.jsonl"));
}

describe("events without parameters", () => {
  it("a file whose every event lost its parameters is read, with a note saying so", async (t) => {
    const acc = await accountOf(t, [
      flat(1, { Payload: { NewProcessName: "C:\\cmd.exe" } }),
      flat(2, { Payload: { NewProcessName: "C:\\whoami.exe" } }),
    ]);
    assert.equal(acc?.outcome, "read");
    assert.equal(acc?.records, 2);
    assert.match(acc?.detail ?? "", /none of the 2 events came with a parameter or a message/);
  });

  it("traps: events with parameters, or a file where some have them, get no such note", async (t) => {
    const ok = await accountOf(t, [flat(1, { NewProcessName: "C:\\cmd.exe" })]);
    assert.doesNotMatch(ok?.detail ?? "", /none of the/);
    const mixed = await accountOf(t, [flat(1, {}), flat(2, { NewProcessName: "C:\\cmd.exe" })]);
    assert.doesNotMatch(mixed?.detail ?? "", /none of the/);
    const messages = await accountOf(t, [flat(1, { Message: "A new process has been created." })]);
    assert.doesNotMatch(messages?.detail ?? "", /none of the/);
  });
});
