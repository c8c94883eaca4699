// Corrupted event evidence, made from the real samples: zero-byte files, exports and .evtx cut off,
// a header-only .evtx, a fake .evtx, an export in a legacy code page, random bytes named .json, an
// unknown JSON shape and an unknown CSV. Every file is listed (read, partly read or not read, with its
// reason), none is dropped, and `exhunt scan` exits 3 (evidence skipped, nothing found).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { CORPUS, NO_CORPUS, runCli, tempDir } from "../../helpers.js";

function place(root: string, rel: string, data: string | Buffer): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

const REAL = join(import.meta.dirname, "../../fixtures/events/real");
const real = (name: string) => readFileSync(join(REAL, name));

describe("corrupted event evidence is listed, never dropped", () => {
  it("every file has an outcome and a reason; the exit code says evidence was skipped", {
    skip: NO_CORPUS,
  }, (t) => {
    const root = join(tempDir(t), "EXCH01");
    const ev = "Events";
    const security = readFileSync(join(CORPUS, "evtx", "omerbenamram", "security.evtx"));
    const nxlog = real("otrf-mordor-nxlog.jsonl");
    const array = real("otrf-security.json");
    // Only the logon of the Sentinel sample: nothing in these files is a finding.
    const logon = (
      JSON.parse(real("sentinel-securityevent.json").toString("utf8")) as Record<string, unknown>[]
    )[0];
    const files: [string, Buffer | string, string, RegExp][] = [
      ["zero.evtx", "", "empty", /0 bytes/],
      ["zero.json", "", "empty", /0 bytes/],
      ["cut.evtx", security.subarray(0, 70_000), "partial", /chunk 1 .* cut off .*truncated/],
      ["header-only.evtx", security.subarray(0, 5000), "partial", /cut off after 904 of 65536 bytes/],
      ["fake.evtx", "ElfFile\0not really", "partial", /shorter than its 4096-byte header/],
      ["cut.jsonl", nxlog.subarray(0, nxlog.indexOf(10) + 600), "partial", /the last line is cut off/],
      ["cut-array.json", array.subarray(0, 2500), "partial", /the last event is cut off/],
      [
        "cp1252.json",
        Buffer.from(JSON.stringify([{ ...logon, TargetUserName: "Müller" }]), "latin1"),
        "partial",
        /1 byte sequence not valid UTF-8 .*Windows-1252/,
      ],
      [
        "random.json",
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
        "binary",
        /./,
      ],
      [
        "other-siem.json",
        '[{"EventIdentifier":4688,"LogFile":"Security","Channel":"Security","When":"2021-03-03"}]\n',
        "unknown-format",
        /EventIdentifier/,
      ],
      ["inventory.csv", "host,ip,owner\nexch01,10.0.0.5,it\n", "CSV (not an event export)", /./],
    ];
    for (const [name, data] of files) place(root, `${ev}/${name}`, data);
    const out = join(root, "..", "result.json");
    const r = runCli(["scan", root, "--json", out]);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const result = JSON.parse(readFileSync(out, "utf8"));
    const s = result.servers[0];
    const acc = s.files as { files: { file: string; outcome: string; reason?: string; detail?: string }[] };
    const skipped = s.skipped as { file: string; reason: string; detail: string }[];
    assert.equal(acc.files.length, files.length, "every file, once");
    for (const [name, , reason, detail] of files) {
      const file = `${ev}/${name}`;
      const f = acc.files.find((x) => x.file === file);
      assert.ok(f, file);
      const k = skipped.find((x) => x.file === file);
      if (reason === "binary" || reason === "CSV (not an event export)") {
        assert.equal(f.outcome, "not-read", file);
        assert.equal(f.reason, reason, file);
      } else {
        assert.ok(k, `${file} is listed as skipped evidence: ${JSON.stringify(f)}`);
        assert.equal(k.reason, reason, file);
        assert.match(k.detail, detail, file);
      }
    }
    // The console says it too, in one line.
    assert.match(r.stdout, /files read, \d+ not read/);
    assert.ok(statSync(out).size > 0);
  });

  it("a UTF-16 export without a byte-order mark is read, not listed as binary", (t) => {
    const root = join(tempDir(t), "EXCH01");
    const text = real("otrf-mordor-nxlog.jsonl").toString("utf8");
    place(root, "Events/utf16.jsonl", Buffer.from(text, "utf16le"));
    const out = join(root, "..", "r.json");
    const r = runCli(["scan", root, "--json", out]);
    const s = JSON.parse(readFileSync(out, "utf8")).servers[0];
    const f = s.files.files.find((x: { file: string }) => x.file === "Events/utf16.jsonl");
    assert.equal(f?.outcome, "read", JSON.stringify(f) + r.stderr);
    assert.equal(f?.records, 2);
  });
});
