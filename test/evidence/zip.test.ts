import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_ZIP_LIMITS, safeEntryPath, unpackZip } from "../../src/evidence/zip.js";
import type { ScanResult } from "../../src/model/types.js";
import { runCli, tempDir } from "../helpers.js";
import { buildZip } from "../zip-writer.js";

describe("zip collections", () => {
  it("refuses entry names that would escape the folder, and unpacks the rest", async (t) => {
    const dir = tempDir(t);
    const zip = join(dir, "collection.zip");
    writeFileSync(
      zip,
      buildZip([
        { name: "../escape.txt", data: "x" },
        { name: "/etc/absolute.txt", data: "x" },
        { name: "C:\\Windows\\win.ini", data: "x" },
        { name: "a/../../b.txt", data: "x" },
        { name: "C/Program Files/Microsoft/Exchange Server/V15/Logging/ok.LOG", data: "hello" },
        { name: "uploads/auto/C%3A/Windows/Temp/café lsass.dmp", data: "MDMP" },
      ]),
    );
    const u = await unpackZip(zip);
    t.after(() => u.remove());
    assert.deepEqual(u.skipped.map((s) => [s.file, s.reason]).sort(), [
      ["../escape.txt", "refused"],
      ["/etc/absolute.txt", "refused"],
      ["C:\\Windows\\win.ini", "refused"],
      ["a/../../b.txt", "refused"],
    ]);
    assert.equal(
      readFileSync(join(u.dir, "C/Program Files/Microsoft/Exchange Server/V15/Logging/ok.LOG"), "utf8"),
      "hello",
    );
    assert.ok(existsSync(join(u.dir, "uploads/auto/C%3A/Windows/Temp/café lsass.dmp")));
    assert.ok(!existsSync(join(dir, "escape.txt")) && !existsSync(join(u.dir, "..", "escape.txt")));
    assert.equal(
      statSync(
        join(u.dir, "C/Program Files/Microsoft/Exchange Server/V15/Logging/ok.LOG"),
      ).mtime.toISOString(),
      "2021-03-03T07:00:00.000Z",
    );
  });

  it("removes its temporary folder", async (t) => {
    const dir = tempDir(t);
    const zip = join(dir, "c.zip");
    writeFileSync(zip, buildZip([{ name: "x.txt", data: "x" }]));
    const u = await unpackZip(zip);
    assert.ok(u.dir.startsWith(tmpdir()));
    assert.ok(existsSync(u.dir));
    await u.remove();
    assert.ok(!existsSync(u.dir));
  });

  it("stops zip bombs: by compression ratio, by declared size, and by the bytes really written", async (t) => {
    const dir = tempDir(t);
    const zeros = Buffer.alloc(64 * 2 ** 20);
    const zip = join(dir, "bomb.zip");
    writeFileSync(
      zip,
      buildZip([
        { name: "zeros.bin", data: zeros, deflate: true },
        { name: "small.txt", data: "fine" },
      ]),
    );
    const u = await unpackZip(zip);
    t.after(() => u.remove());
    assert.deepEqual(
      u.skipped.map((s) => [s.file, s.reason]),
      [["zeros.bin", "too-large"]],
    );
    assert.match(u.skipped[0].detail, /compression ratio/);
    assert.ok(existsSync(join(u.dir, "small.txt")));

    const lying = join(dir, "lying.zip");
    writeFileSync(
      lying,
      buildZip([
        { name: "liar.txt", data: Buffer.alloc(4 * 2 ** 20, 97), deflate: true, declaredSize: 1000 },
      ]),
    );
    const v = await unpackZip(lying);
    t.after(() => v.remove());
    assert.equal(v.skipped.length, 1);
    assert.equal(v.skipped[0].file, "liar.txt");
    assert.ok(!existsSync(join(v.dir, "liar.txt")), "a partial entry is not left behind as evidence");

    const total = join(dir, "total.zip");
    writeFileSync(
      total,
      buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.alloc(1000, 65) }))),
    );
    const w = await unpackZip(total, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 2500 });
    t.after(() => w.remove());
    assert.equal(readdirSync(w.dir).length, 2);
    assert.equal(w.skipped.length, 3);
    assert.ok(w.skipped.every((s) => s.reason === "too-large"));
  });

  it("rejects a file that is not a zip with a clear error and leaves no temporary folder", async (t) => {
    const dir = tempDir(t);
    const bad = join(dir, "broken.zip");
    writeFileSync(bad, "PK this is not a zip");
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("exhunt-zip-")).length;
    await assert.rejects(unpackZip(bad), /not a readable zip archive/);
    assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith("exhunt-zip-")).length, before);
  });

  it("normalises safe names", () => {
    assert.deepEqual(safeEntryPath("a\\b\\c.log"), { path: "a/b/c.log" });
    assert.deepEqual(safeEntryPath("./a//b"), { path: "a/b" });
    assert.ok("refuse" in safeEntryPath("a\u0000b"));
  });
});

describe("a bad zip gives the same outcome alone and in a fleet", () => {
  it("named, skipped, verdict unknown, exit 3 — not a fatal error", (t) => {
    const dir = tempDir(t);
    const bad = join(dir, "EXCH09.zip");
    writeFileSync(bad, "this is not a zip");
    const alone = runCli(["scan", bad, "--no-progress", "--json", "-"]);
    assert.equal(alone.status, 3, alone.stderr);
    const r = JSON.parse(alone.stdout) as ScanResult;
    assert.equal(r.servers[0].name, "EXCH09");
    assert.equal(r.servers[0].verdict, "unknown");
    assert.match(r.servers[0].reasons[0], /could not be opened/);
    assert.equal(r.servers[0].skipped[0].file, bad);
    assert.match(alone.stderr, /EXCH09 .*could not be opened/);
    // Next to a good (empty) folder in a fleet: the same entry for the zip.
    mkdirSync(join(dir, "EXCH10"));
    const fleet = runCli(["scan", "--each", dir, "--no-progress", "--json", "-"]);
    assert.equal(fleet.status, 3, fleet.stderr);
    const f = JSON.parse(fleet.stdout) as ScanResult;
    const z = f.servers.find((s) => s.name === "EXCH09");
    assert.deepEqual(z?.skipped, r.servers[0].skipped);
    assert.equal(z?.verdict, "unknown");
  });
});
