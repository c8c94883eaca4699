// The evtx Reader (sniffing, ranges, damage for the engine), `exhunt scan` over .evtx evidence, and
// the `exhunt events` command (JSON lines, XML, filters, exit codes, terminal safety).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { crc32 } from "node:zlib";
import { createHuntContext } from "../../../src/detections/context.js";
import { scan } from "../../../src/index.js";
import type { EventRecord } from "../../../src/model/records.js";
import { evtxReader, readEvtxEvents } from "../../../src/readers/evtx/index.js";
import { sniff } from "../../../src/readers/index.js";
import type { FileMemo, ReadHandlers } from "../../../src/readers/types.js";
import { CORPUS, NO_CORPUS, runCli, tempDir } from "../../helpers.js";

const OMER = join(CORPUS, "evtx", "omerbenamram");

function handlers(out: EventRecord[]): ReadHandlers {
  return {
    planFor: () => ({ literals: [], fields: [], everyRow: [] }),
    onRow: () => {},
    onEvent: (e) => out.push(e),
  };
}

function readRange(path: string, start: number, end: number, memo?: FileMemo) {
  const size = statSync(path).size;
  const events: EventRecord[] = [];
  const sniffed = evtxReader.sniff(readFileSync(path).subarray(0, 4096), path);
  assert.ok(sniffed);
  const stats = evtxReader.read(path, size, sniffed, { start, end, header: null, memo }, handlers(events));
  return { events, stats };
}

/**
 * The chunks of a corpus file `times` over, behind a clean header that counts them all: a log larger
 * than one scan range whose far parts hold the same records, live and carved from slack.
 */
function repeated(name: string, times: number): Buffer {
  const src = readFileSync(join(OMER, name));
  const chunks: Buffer[] = [];
  for (let off = 4096; off + 65536 <= src.length; off += 65536) chunks.push(src.subarray(off, off + 65536));
  const all = Array.from({ length: times }, () => chunks).flat();
  const h = Buffer.from(src.subarray(0, 4096));
  h.writeBigUInt64LE(0n, 8);
  h.writeBigUInt64LE(BigInt(all.length - 1), 16);
  h.writeUInt16LE(all.length, 42);
  h.writeUInt32LE(0, 120);
  h.writeUInt32LE(crc32(h.subarray(0, 120)), 124);
  return Buffer.concat([h, ...all]);
}

describe("evtx reader", () => {
  test("sniffs the ElfFile signature only", () => {
    assert.equal(sniff(Buffer.from("ElfFile\0rest", "latin1"), "x.evtx")?.format, "evtx");
    assert.equal(sniff(Buffer.from("ElfFile\0rest", "latin1"), "x.evtx")?.kind, "event");
    assert.equal(evtxReader.sniff(Buffer.from("ElfChnk\0rest", "latin1"), "x.evtx"), null);
    assert.equal(evtxReader.sniff(Buffer.from("ElfFil", "latin1"), "x.evtx"), null);
  });

  test("byte ranges read each chunk once: same events as the whole file", { skip: NO_CORPUS }, () => {
    const p = join(OMER, "security.evtx");
    const size = statSync(p).size;
    const whole = readRange(p, 0, size);
    // 2261 records the chunks point at, and 3 carved from their slack (libevtx finds none of these 3),
    // all copies of live records (ids 2176, 2192 and 2199, same id and time; 2192's copy decodes without
    // its parameters): kept once, as the live record.
    assert.equal(whole.events.filter((e) => !e.recovered).length, 2261);
    assert.deepEqual(
      whole.events.filter((e) => e.recovered).map((e) => e.recordId),
      [],
    );
    assert.equal(whole.stats.records, 2261);
    assert.equal(whole.stats.recoveredDuplicates, 3);
    assert.equal(whole.stats.kind, "event");
    assert.equal(whole.stats.firstTime, "2016-07-08T18:12:51.681Z", "scans see milliseconds, as for exports");
    const cuts = [0, 100_000, 700_001, 1_500_000, size];
    const parts = cuts.slice(1).map((end, i) => readRange(p, cuts[i], end));
    const ids = parts.flatMap((x) => x.events.map((e) => e.recordId));
    assert.deepEqual(
      ids,
      whole.events.map((e) => e.recordId),
    );
  });

  test("ranges with the thread's file memo read the chunk id spans once, with the same events", {
    skip: NO_CORPUS,
  }, () => {
    // security.evtx's three carved records make every range look up the file's live chunk spans.
    const p = join(OMER, "security.evtx");
    const size = statSync(p).size;
    const cuts = [0, 100_000, 700_001, 1_500_000, size];
    const made: string[] = [];
    const memos = new Map<string, unknown>();
    const memo: FileMemo = <T>(key: string, make: () => T): T => {
      if (!memos.has(key)) {
        made.push(key);
        memos.set(key, make());
      }
      return memos.get(key) as T;
    };
    const ids = (m?: FileMemo) =>
      cuts.slice(1).flatMap((end, i) => readRange(p, cuts[i], end, m).events.map((e) => e.recordId));
    const plain = ids();
    assert.deepEqual(ids(memo), plain);
    assert.equal(made.length, 1, `spans made ${made.length} times: ${made.join(", ")}`);
    assert.match(made[0], /security\.evtx/);
    // A thread's memo is bounded: it forgets the oldest file, and keeps answering.
    const hunt = createHuntContext();
    let calls = 0;
    for (let i = 0; i < 20; i++) hunt.fileMemo(`f${i}`, () => ++calls);
    assert.equal(
      hunt.fileMemo("f19", () => ++calls),
      20,
      "the newest file is remembered",
    );
    assert.equal(
      hunt.fileMemo("f0", () => ++calls),
      21,
      "the oldest one was forgotten",
    );
  });

  test("a large .evtx read in one thread is read whole: carved records in its far parts count once", {
    skip: NO_CORPUS,
  }, async (t) => {
    // Ten copies of a file whose slack holds 81 records: larger than one 8 MiB range. Read as ranges one
    // after another, each range would keep its own carved copies (2862 here); read whole, the file's
    // dedupe keeps each once, as the parser over the whole file does.
    const dir = tempDir(t);
    const logs = join(dir, "EXCH01", "Windows", "System32", "winevt", "Logs");
    mkdirSync(logs, { recursive: true });
    const p = join(logs, "System.evtx");
    writeFileSync(p, repeated("sample_with_a_bad_chunk_magic.evtx", 10));
    assert.ok(statSync(p).size > 8 * 2 ** 20);
    const whole = readEvtxEvents(p, statSync(p).size, () => {});
    assert.ok(whole.recovered > 0 && whole.recoveredDuplicates > 0);
    const r = await scan([join(dir, "EXCH01")], { workers: 0 });
    assert.equal(r.servers[0].stats.records, whole.records + whole.recovered);
  });

  test("damage reaches the engine as sentences", { skip: NO_CORPUS }, () => {
    const p = join(OMER, "sample_with_a_bad_chunk_magic.evtx");
    const { stats } = readRange(p, 0, statSync(p).size);
    assert.ok(stats.damage.includes("chunk 6 at offset 0x61000: bad signature, skipped"));
    // A live copy (dirty header): half-written records are a note, not damage.
    assert.ok(stats.notes?.some((d) => /3 records half-written/.test(d)));
    assert.ok(!stats.damage.some((d) => /half-written/.test(d)));
  });
});

describe("exhunt scan over .evtx evidence", { skip: NO_CORPUS }, () => {
  test("events are read inline, by workers and in ranges; damaged files are listed as partial", async (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "EXCH01", "Windows", "System32", "winevt", "Logs");
    mkdirSync(logs, { recursive: true });
    copyFileSync(join(OMER, "security.evtx"), join(logs, "Security.evtx"));
    copyFileSync(
      join(OMER, "sample_with_a_bad_chunk_magic.evtx"),
      join(logs, "Microsoft-Windows-AppXDeployment%4Operational.evtx"),
    );
    const inline = await scan([join(dir, "EXCH01")], { workers: 0 });
    const split = await scan([join(dir, "EXCH01")], { workers: 2, splitBytes: 200_000 });
    for (const r of [inline, split]) {
      const s = r.servers[0];
      // Records the chunks point at, and those carved from slack (81, as libevtx; the 3 carved from
      // security.evtx are copies of live records, kept once).
      assert.equal(s.stats.records, 2261 + 270 + 81);
      const partial = s.skipped.filter((x) => x.reason === "partial");
      assert.equal(partial.length, 1);
      assert.match(partial[0].file, /AppXDeployment%4Operational\.evtx$/);
      assert.match(partial[0].detail, /chunk 10 at offset 0xa1000: bad signature, skipped/);
    }
  });
});

describe("exhunt events", { skip: NO_CORPUS }, () => {
  const small = join(OMER, "new-user-security.evtx");

  test("JSON lines with the documented fields", () => {
    const r = runCli(["events", small]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.deepEqual(Object.keys(lines[0]), [
      "EventRecordID",
      "EventID",
      "TimeCreated",
      "Provider",
      "Channel",
      "Computer",
      "Level",
      "Data",
    ]);
    assert.equal(lines[0].EventID, 4728);
    assert.equal(lines[0].TimeCreated, "2013-10-23T16:22:39.973500Z");
    assert.equal(lines[0].Data.TargetSid, "S-1-5-21-3463664321-2923530833-3546627382-513");
  });

  test("--filter by id and provider, --xml", () => {
    const ids = (args: string[]) =>
      runCli(["events", ...args, small])
        .stdout.trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).EventID);
    assert.deepEqual(ids(["--filter", "id=4720"]), [4720]);
    assert.deepEqual(ids(["--filter", "id=4720,id=4728"]).sort(), [4720, 4728]);
    assert.deepEqual(ids(["--filter", "provider=nobody"]), []);
    assert.equal(ids(["--filter", "provider=microsoft-windows-security-auditing"]).length, 4);
    const x = runCli(["events", "--xml", "--filter", "id=4728", small]);
    assert.match(
      x.stdout,
      /^<Event xmlns="http:\/\/schemas.microsoft.com\/win\/2004\/08\/events\/event">\n {2}<System>/,
    );
    assert.match(x.stdout, /<Data Name="TargetSid">S-1-5-21-3463664321-2923530833-3546627382-513<\/Data>/);
    assert.equal(runCli(["events", "--filter", "level=3", small]).status, 2);
  });

  test("exit codes: 3 with damage on stderr, 2 for input that is not EVTX", (t) => {
    const bad = runCli(["events", join(OMER, "sysmon.evtx")]);
    assert.equal(bad.status, 3);
    assert.match(bad.stderr, /chunk 9 at offset 0x91000: bad signature, skipped/);
    assert.equal(bad.stdout.trim().split("\n").length, 358);
    const dir = tempDir(t);
    writeFileSync(join(dir, "x.evtx"), "not an event log");
    const no = runCli(["events", join(dir, "x.evtx")]);
    assert.equal(no.status, 2);
    assert.match(no.stderr, /not an EVTX file/);
    assert.equal(runCli(["events", join(dir, "missing.evtx")]).status, 2);
  });

  test("attacker-controlled strings cannot reach the terminal raw", (t) => {
    const b = readFileSync(small);
    const at = b.indexOf(Buffer.from("IE8Win7", "utf16le"));
    assert.ok(at > 0);
    b.write("\u001b[2J\u009b", at, "utf16le");
    const dir = tempDir(t);
    writeFileSync(join(dir, "x.evtx"), b);
    for (const args of [[], ["--xml"]]) {
      const r = runCli(["events", ...args, join(dir, "x.evtx")]);
      assert.ok(
        !r.stdout.includes("\u001b") && !r.stdout.includes("\u009b"),
        `no raw escape (${args.join(" ") || "json"})`,
      );
    }
    const line = JSON.parse(runCli(["events", join(dir, "x.evtx")]).stdout.split("\n")[0]);
    assert.equal(line.Computer, "\u001b[2J\u009bn7");
  });
});
