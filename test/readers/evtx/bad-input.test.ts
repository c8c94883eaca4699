// Damaged EVTX input: every kind of damage the issue lists, made from corpus files, plus a seeded
// byte-flip fuzz. Nothing may throw or hang; the rest of the file is still read; damage is reported.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { rng } from "../../../examples/generate.js"; // seeded: a failing iteration can be replayed
import { BinXmlError } from "../../../src/readers/evtx/binxml.js";
import {
  type EvtxRecord,
  type EvtxSummary,
  eventDecoder,
  parseEvtxBuffer,
} from "../../../src/readers/evtx/index.js";
import { CORPUS, NO_CORPUS } from "../../helpers.js";

const OMER = join(CORPUS, "evtx", "omerbenamram");
const CHUNK0 = 4096;
const REC1 = CHUNK0 + 512;

/** The records the chunks point at (carved ones are tested in carve.test.ts). */
function read(buf: Buffer): { records: EvtxRecord[]; s: EvtxSummary } {
  const records: EvtxRecord[] = [];
  const s = parseEvtxBuffer(buf, (r) => records.push(r));
  return { records: records.filter((r) => !r.recovered), s };
}

const load = (name: string) => readFileSync(join(OMER, name));

/** new-user-security.evtx: one chunk, 4 records; record 1 defines the template the others reuse. */
function small(): Buffer {
  return Buffer.from(load("new-user-security.evtx"));
}
/** Chunk offset of the template definition used by record 1 (FragmentHeader, 0C, u8, u32 id, u32 offset). */
function templateOffset(b: Buffer): number {
  assert.equal(b[REC1 + 24 + 4], 0x0c);
  return b.readUInt32LE(REC1 + 24 + 4 + 6);
}

describe("evtx bad input", { skip: NO_CORPUS }, () => {
  test("intact baseline: 4 records, no damage", () => {
    const { records, s } = read(small());
    assert.equal(records.length, 4);
    assert.deepEqual(s.damage, []);
    assert.equal(s.headerCrcOk, true);
  });

  test("bad file magic: nothing read, reported", () => {
    const b = small();
    b.write("NotEvtx!", 0, "latin1");
    const { records, s } = read(b);
    assert.equal(s.magicOk, false);
    assert.equal(records.length, 0);
  });

  test("truncated inside the header", () => {
    const { records, s } = read(small().subarray(0, 100));
    assert.equal(records.length, 0);
    assert.equal(s.truncated, true);
    assert.match(s.damage.join(), /shorter than its 4096-byte header/);
  });

  test("truncated inside a chunk: the records before the cut are read", () => {
    const full = load("security.evtx");
    const whole = read(full.subarray(0, CHUNK0 + 2 * 65536)).records.length;
    const { records, s } = read(full.subarray(0, CHUNK0 + 2 * 65536 + 30000));
    assert.equal(s.truncated, true);
    assert.match(s.damage.join(), /chunk 2 at offset 0x21000 is cut off after 30000 of 65536 bytes/);
    assert.ok(records.length > whole, `${records.length} > ${whole}`);
  });

  test("zeroed chunk between valid ones is skipped, the rest is read", () => {
    const full = Buffer.from(load("security.evtx"));
    const all = read(full).records;
    const inChunk1 = all.filter((r) => r.chunk === 1).length;
    full.fill(0, CHUNK0 + 65536, CHUNK0 + 2 * 65536);
    const { records, s } = read(full);
    assert.equal(records.length, all.length - inChunk1);
    assert.equal(s.chunksSkipped, 0);
  });

  test("bad chunk magic: the chunk is skipped and reported, the rest is read", () => {
    const full = Buffer.from(load("security.evtx"));
    const all = read(full).records;
    full.write("XXXXXXX", CHUNK0 + 65536, "latin1");
    const { records, s } = read(full);
    assert.equal(records.length, all.length - all.filter((r) => r.chunk === 1).length);
    assert.equal(s.chunksSkipped, 1);
    assert.deepEqual(
      s.damage.filter((d) => d.includes("signature")),
      ["chunk 1 at offset 0x11000: bad signature, 86 records recovered from it"],
    );
    assert.ok(s.recovered >= 86, "a chunk with a broken header still gives up its records, marked recovered");
  });

  test("bad CRCs: noted, every record still read", () => {
    const b = small();
    b[CHUNK0 + 60] ^= 0xff; // unused bytes inside the chunk header checksum
    b[50] ^= 0xff; // unused bytes inside the file header checksum
    const { records, s } = read(b);
    assert.equal(records.length, 4);
    assert.equal(s.chunksCrcMismatch, 1);
    assert.equal(s.headerCrcOk, false);
    assert.match(s.damage.join("; "), /1 chunk with checksum mismatch/);
    assert.match(s.damage.join("; "), /file header checksum mismatch/);
  });

  test("wild template offset: that record fails, the others are read", () => {
    const b = small();
    b.writeUInt32LE(0xffffff00, REC1 + 24 + 4 + 6);
    const { records, s } = read(b);
    assert.equal(records.length, 3);
    assert.equal(s.recordErrors, 1);
    assert.match(s.damage.join(), /record 1 at offset 0x1200 not decoded/);
  });

  test("self-referencing template: refused, no endless recursion", () => {
    const b = small();
    const t = templateOffset(b);
    const body = CHUNK0 + t + 24;
    // Body becomes: TemplateInstance(0C 01, id, offset = itself), then the bytes that were there.
    b[body] = 0x0c;
    b[body + 1] = 0x01;
    b.writeUInt32LE(0, body + 2);
    b.writeUInt32LE(t, body + 6);
    const { records, s } = read(b);
    assert.equal(records.length, 0);
    assert.equal(s.recordErrors, 4);
    assert.match(s.damage.join(), /references itself/);
  });

  test("huge declared record size: error, chunk stops, no hang", () => {
    const b = small();
    const size1 = b.readUInt32LE(REC1 + 4);
    b.writeUInt32LE(0x7ffffff0, REC1 + size1 + 4);
    const { records, s } = read(b);
    assert.equal(records.length, 1);
    assert.equal(s.recordErrors, 1);
    assert.match(s.damage.join(), /declares 2147483632 bytes/);
  });

  test("huge template data size: the defining record fails, references still parse", () => {
    const b = small();
    const t = templateOffset(b);
    b.writeUInt32LE(0xffffffff, CHUNK0 + t + 20);
    const { records, s } = read(b);
    assert.equal(records.length, 3);
    assert.equal(s.recordErrors, 1);
  });

  test("huge value count and value sizes: refused per record", () => {
    const b = small();
    const t = templateOffset(b);
    const count = CHUNK0 + t + 24 + b.readUInt32LE(CHUNK0 + t + 20);
    const n = b.readUInt32LE(count);
    assert.ok(n > 0 && n < 100, `value count ${n}`);
    const c1 = Buffer.from(b);
    c1.writeUInt32LE(0x10000000, count);
    assert.match(read(c1).s.damage.join(), /declares 268435456 values/);
    const c2 = Buffer.from(b);
    c2.writeUInt16LE(0xffff, count + 4);
    assert.match(read(c2).s.damage.join(), /values run past/);
    assert.equal(read(c2).records.length, 3);
  });

  test("zero-size record (corpus): one error, no infinite loop", () => {
    const { s } = read(load("sample-with-zero-data-size-event.evtx"));
    assert.equal(s.recordErrors, 1);
  });
});

describe("evtx fuzz", { skip: NO_CORPUS }, () => {
  const inputs: [string, Buffer][] = [
    ["new-user-security.evtx", load("new-user-security.evtx")],
    ["issue_201.evtx", load("issue_201.evtx")],
    ["Application_no_crc32.evtx", load("Application_no_crc32.evtx")],
    ["LanguagePackSetup", load("Microsoft-Windows-LanguagePackSetup%4Operational.evtx")],
    ["security.evtx (2 chunks)", load("security.evtx").subarray(0, CHUNK0 + 2 * 65536)],
    [
      "CAPI2 (2 chunks)",
      load("E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx").subarray(
        0,
        CHUNK0 + 2 * 65536,
      ),
    ],
  ];
  for (const [name, original] of inputs) {
    test(`byte flips of ${name}: 60 seeded iterations terminate without exceptions`, () => {
      const next = rng(0x5eed ^ original.length);
      for (let it = 0; it < 60; it++) {
        const b = Buffer.from(original);
        const flips = 1 + Math.floor(next() * 64);
        for (let k = 0; k < flips; k++) {
          // Mostly inside the chunks' record area, sometimes anywhere (headers, tables).
          const pos =
            next() < 0.8
              ? CHUNK0 + 512 + Math.floor(next() * (b.length - CHUNK0 - 512))
              : Math.floor(next() * b.length);
          b[pos] = next() < 0.5 ? b[pos] ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
        }
        const cut = next() < 0.1 ? Math.floor(next() * b.length) : b.length;
        let s: EvtxSummary | undefined;
        let n = 0;
        assert.doesNotThrow(() => {
          s = parseEvtxBuffer(b.subarray(0, cut), () => n++);
        }, `iteration ${it}`);
        assert.ok(s);
        assert.equal(s.records + s.recovered, n);
        // The fast lane (scans) skips values no view needs, so it may keep a record the tree lane
        // refuses; it must terminate without exceptions all the same.
        let fast = 0;
        assert.doesNotThrow(() => {
          parseEvtxBuffer(b.subarray(0, cut), () => fast++, eventDecoder);
        }, `iteration ${it} (fast lane)`);
        assert.ok(fast >= n, `iteration ${it}: fast lane ${fast} < tree lane ${n}`);
        assert.ok(n <= 1000, `iteration ${it}: ${n} records from ${cut} bytes`);
      }
    });
  }
});

test("BinXmlError: the message, no stack frames (carving throws thousands), the stack limit restored", () => {
  const before = Error.stackTraceLimit;
  const e = new BinXmlError("unexpected token 0x73 at chunk offset 0x805f");
  assert.ok(e instanceof Error);
  assert.equal(e.message, "unexpected token 0x73 at chunk offset 0x805f");
  assert.doesNotMatch(e.stack ?? "", /\n\s+at /);
  assert.equal(Error.stackTraceLimit, before);
  assert.match(new Error("a parser bug").stack ?? "", /\n\s+at /, "other errors keep theirs");
});
