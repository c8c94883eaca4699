// Record carving: corrupted and cleared logs from the corpus and logs cleared here, compared with
// libevtx's `evtxexport -m recovered`; carved records reach the detections marked recovered; a cleared
// log is a finding; a live dirty copy is read as normal, with a note.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { scan } from "../../../src/index.js";
import type { EventRecord } from "../../../src/model/records.js";
import { eventDecoder } from "../../../src/readers/evtx/file.js";
import { parseEvtxBuffer, readEvtxEvents } from "../../../src/readers/evtx/index.js";
import { SCENARIO } from "../../events-scenario.js";
import { chunkBytes, chunksOf, evtxFile, type WEvent, writeEvtx } from "../../evtx-writer.js";
import { CORPUS, NO_CORPUS, tempDir } from "../../helpers.js";

const HAVE_EVTXEXPORT = spawnSync("evtxexport", ["-V"]).error === undefined;
const NO_TOOL = HAVE_EVTXEXPORT ? false : "evtxexport not installed (apt-get install libevtx-utils)";
const OMER = join(CORPUS, "evtx", "omerbenamram");

function recoveredIds(file: string): number[] {
  const ids: number[] = [];
  readEvtxEvents(file, statSync(file).size, (e) => {
    if (e.recovered) ids.push(e.recordId ?? -1);
  });
  return ids.sort((a, b) => a - b);
}

function libevtxRecovered(file: string): number[] {
  const r = spawnSync("evtxexport", ["-m", "recovered", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  return [...r.stdout.matchAll(/^Event number\s*:\s*(\d+)/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

const HOST = "EXCH01.contoso.local";
const logon = (i: number): WEvent => ({
  provider: "Microsoft-Windows-Security-Auditing",
  eventId: 4624,
  channel: "Security",
  computer: HOST,
  time: new Date(Date.UTC(2021, 2, 1) + i * 60_000).toISOString(),
  data: { TargetUserName: `user${i % 40}`, LogonType: "3", IpAddress: `10.0.0.${i % 250}` },
});
const cleared: WEvent = {
  provider: "Microsoft-Windows-Eventlog",
  eventId: 1102,
  channel: "Security",
  computer: HOST,
  time: "2021-03-05T00:00:00.000Z",
  userData: {
    name: "LogFileCleared",
    xmlns: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
    fields: {
      SubjectUserSid: "S-1-5-21-1",
      SubjectUserName: "attacker",
      SubjectDomainName: "CONTOSO",
      SubjectLogonId: "0x1",
    },
  },
};
/** The w3wp → cmd.exe of the scenario, as the old log held it before the clear. */
const shell = SCENARIO.find((e) => e.eventId === 4688 && /cmd\.exe/.test(JSON.stringify(e.data)))!;

/** A Security log of `n` old events (the shell command among them), cleared, then `after` appended. */
function clearedLog(n: number, after: WEvent[] = []): Buffer {
  const old = Array.from({ length: n }, (_, i) => (i === Math.floor(n * 0.6) ? shell : logon(i)));
  const chunks = chunksOf(old);
  return evtxFile([chunkBytes([cleared, ...after], 1, chunks[0]), ...chunks.slice(1)], { headerChunks: 1 });
}

describe("carving against libevtx", () => {
  for (const name of ["sample_with_a_bad_chunk_magic.evtx", "sample-with-zero-data-size-event.evtx"]) {
    it(`${name}: the records evtxexport -m recovered lists, the same ids`, {
      skip: NO_CORPUS || NO_TOOL,
    }, () => {
      const p = join(OMER, name);
      assert.deepEqual(recoveredIds(p), libevtxRecovered(p));
    });
  }

  it("every corpus file: ours ⊇ libevtx's but for at most 2 records and the copies of live records (kept once)", {
    skip: NO_CORPUS || NO_TOOL,
  }, () => {
    let missing = 0;
    let theirs = 0;
    let copies = 0;
    let duplicates = 0;
    for (const name of [
      "2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
      "E_Windows_system32_winevt_logs_Microsoft-Windows-Shell-Core%4Operational.evtx",
      "2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
    ]) {
      const p = join(OMER, name);
      const ours = new Set<number>();
      const live = new Set<number>();
      const s = readEvtxEvents(p, statSync(p).size, (e) => (e.recovered ? ours : live).add(e.recordId ?? -1));
      duplicates += s.recoveredDuplicates;
      const ref = libevtxRecovered(p);
      theirs += ref.length;
      const lacking = ref.filter((id) => !ours.has(id));
      // libevtx lists a carved copy of a live record again; we emit the live record once.
      const copy = lacking.filter((id) => live.has(id)).length;
      copies += copy;
      missing += lacking.length - copy;
    }
    assert.ok(theirs > 400, `${theirs}`);
    assert.ok(missing <= 2, `${missing} of libevtx's recovered records not found`);
    // Each copy is either counted as a duplicate (same id and time as the live record) or refused: its
    // template offset now points at another template (the instance's template id no longer matches).
    assert.ok(
      duplicates > 0 && copies > 0,
      `${copies} copies of live records, ${duplicates} counted as duplicates`,
    );
  });

  it("a log cleared here: every record left in slack and in chunks past the header, as libevtx finds them", {
    skip: NO_TOOL,
  }, (t) => {
    const dir = tempDir(t);
    for (const [name, bytes] of [
      ["cleared.evtx", clearedLog(700)],
      [
        "cleared-appended.evtx",
        clearedLog(
          700,
          Array.from({ length: 15 }, (_, i) => logon(9000 + i)),
        ),
      ],
    ] as const) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const ours = recoveredIds(p);
      assert.deepEqual(ours, libevtxRecovered(p), name);
      assert.ok(ours.length > 600, `${name}: ${ours.length}`);
    }
  });

  it("a chunk whose header was destroyed gives up its records (security.evtx, chunk 1)", {
    skip: NO_CORPUS,
  }, () => {
    const b = Buffer.from(readFileSync(join(OMER, "security.evtx")));
    // The record ids chunk 1 holds while intact (its header's first..last).
    const first = Number(b.readBigUInt64LE(4096 + 65536 + 24));
    const last = Number(b.readBigUInt64LE(4096 + 65536 + 32));
    b.fill(0x58, 4096 + 65536, 4096 + 65536 + 512);
    const got: EventRecord[] = [];
    const s = parseEvtxBuffer(b, (e: EventRecord) => got.push(e), eventDecoder);
    assert.equal(s.chunksSkipped, 1);
    const rec = got.filter((e) => e.recovered);
    const fromChunk1 = rec.filter((e) => e.recordId !== null && e.recordId >= first && e.recordId <= last);
    // Records whose template was defined in the destroyed header area cannot decode; most can.
    assert.ok(fromChunk1.length >= 0.6 * (last - first + 1), `${fromChunk1.length} of ${last - first + 1}`);
    assert.ok(rec.every((e) => e.eventId > 0 && e.time !== null));
  });
});

describe("cleared logs in a scan", () => {
  it("1102 is a finding; the shell command carved from slack is found, marked Recovered", async (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "EXCH01/Windows/System32/winevt/Logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "Security.evtx"), clearedLog(400));
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const clear = s.findings.find((f) => f.check === "event-log-cleared");
    assert.ok(clear, s.findings.map((f) => f.check).join());
    assert.equal(clear.evidence.User, "CONTOSO\\attacker");
    assert.equal(clear.evidence.Recovered, undefined);
    const spawn = s.findings.find((f) => f.check === "w3wp-spawned-shell");
    assert.ok(spawn);
    assert.equal(spawn.evidence.Recovered, "yes");
    assert.equal(s.skipped.length, 0, "recovering records is not damage");
    const acc = s.files?.files.find((f) => f.file.endsWith("Security.evtx"));
    assert.match(acc?.detail ?? "", /records recovered from slack space/);
  });
});

describe("a live, dirty EVTX copy", () => {
  /** Header dirty; the last chunk's checksum lags and its last record is half-written. */
  function liveCopy(): Buffer {
    const evs = Array.from({ length: 150 }, (_, i) => logon(i));
    const chunks = chunksOf(evs);
    const last = chunks[chunks.length - 1];
    const lastOff = last.readUInt32LE(44);
    const size = last.readUInt32LE(lastOff + 4);
    last.writeUInt32LE(0, lastOff + size - 4); // the size copy not yet written
    last.writeUInt32LE(crc32(Buffer.from("stale")), 52);
    return evtxFile(chunks, { dirty: true });
  }

  it("is read as normal: every record, no partial entry, a note on the file", async (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "EXCH01/Windows/System32/winevt/Logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "Security.evtx"), liveCopy());
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    assert.equal(s.stats.records, 150);
    assert.deepEqual(s.skipped, []);
    const acc = s.files?.files.find((f) => f.file.endsWith("Security.evtx"));
    assert.equal(acc?.outcome, "read");
    assert.match(acc?.detail ?? "", /live copy/);
    assert.match(acc?.detail ?? "", /half-written/);
  });

  it("chunks past a live file's header count with newer records are current, not recovered", () => {
    const chunks = chunksOf(Array.from({ length: 150 }, (_, i) => logon(i)));
    const b = evtxFile(chunks, {
      headerChunks: 1,
      dirty: true,
      nextId: 1 + Number(chunks[0].readBigUInt64LE(32)),
    });
    const got: EventRecord[] = [];
    parseEvtxBuffer(b, (e: EventRecord) => got.push(e), eventDecoder);
    assert.equal(got.length, 150);
    assert.equal(got.filter((e) => e.recovered).length, 0);
    const clean = evtxFile(chunks, { headerChunks: 1 });
    const got2: EventRecord[] = [];
    parseEvtxBuffer(clean, (e: EventRecord) => got2.push(e), eventDecoder);
    assert.ok(got2.filter((e) => e.recovered).length > 0, "the same chunks in a closed file are left-overs");
  });

  it("a cleared .evtx with random damage terminates and never throws", () => {
    const base = clearedLog(300);
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let it = 0; it < 30; it++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 40; k++)
        b[4096 + Math.floor(next() * (b.length - 4096))] = Math.floor(next() * 256);
      assert.doesNotThrow(() => parseEvtxBuffer(b, () => {}, eventDecoder));
    }
  });
});

describe("the EVTX writer", () => {
  it("writes what the reader reads back", () => {
    const got: EventRecord[] = [];
    parseEvtxBuffer(writeEvtx(SCENARIO), (e: EventRecord) => got.push(e), eventDecoder);
    assert.equal(got.length, SCENARIO.length);
    assert.equal(got[1].values[0], "Set-OabVirtualDirectory");
  });
});

const SIG = Buffer.from([0x2a, 0x2a, 0, 0]);

describe("recovered copies of live records", () => {
  const evs = Array.from({ length: 40 }, (_, i) => (i === 25 ? shell : logon(i)));
  const read = (b: Buffer) => {
    const got: EventRecord[] = [];
    const s = parseEvtxBuffer(b, (e: EventRecord) => got.push(e), eventDecoder);
    return { got, s };
  };

  it("a chunk copied past the header's count: every carved record is the live one, kept once", () => {
    const [c0] = chunksOf(evs);
    const { got, s } = read(evtxFile([c0, Buffer.from(c0)], { headerChunks: 1 }));
    assert.equal(got.length, 40);
    assert.equal(got.filter((e) => e.recovered).length, 0);
    assert.equal(s.recovered, 0);
    assert.equal(s.recoveredDuplicates, 40);
    assert.ok(
      s.notes.some((n) => /40 duplicates of live records .*recovered-duplicate/.test(n)),
      s.notes.join(),
    );
  });

  it("old copies in one chunk's slack of records another chunk holds live (slack read before the live chunk)", () => {
    const [full] = chunksOf(evs);
    // Slot 0 was reused for the first 20 records; its slack still holds 21..40, which slot 1 holds live.
    const slot0 = chunkBytes(evs.slice(0, 20), 1, full);
    const slot1 = chunkBytes(evs.slice(20), 21);
    const { got, s } = read(evtxFile([slot0, slot1]));
    assert.equal(got.length, 40);
    assert.deepEqual(
      got.map((e) => e.recordId).sort((a, b) => (a ?? 0) - (b ?? 0)),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.equal(s.recoveredDuplicates, 20);
    assert.equal(s.recovered, 0);
  });

  it("trap: the same ids with other content (a log cleared and refilled) stay recovered records", () => {
    const [full] = chunksOf(evs);
    const slot0 = chunkBytes(evs.slice(0, 20), 1, full);
    const slot1 = chunkBytes(
      evs.slice(20).map((_, i) => logon(500 + i)),
      21,
    );
    const { got, s } = read(evtxFile([slot0, slot1]));
    assert.equal(got.length, 60);
    assert.equal(s.recovered, 20);
    assert.equal(s.recoveredDuplicates, 0);
    // The shell command only the old copy holds is among them.
    assert.ok(got.some((e) => e.recovered && /cmd\.exe/.test(JSON.stringify(e.data))));
  });

  it("a slack record whose template id does not match the definition it points at is not decoded with it", () => {
    const [full] = chunksOf(evs);
    const slot0 = chunkBytes(evs.slice(0, 20), 1, full);
    const slot1 = chunkBytes(
      evs.slice(20).map((_, i) => logon(500 + i)),
      21,
    );
    // Record 26 (the shell command) in slot 0's slack: its instance's template id, 6 bytes into the
    // BinXML after the fragment header, is the first 4 bytes of its definition's GUID.
    let at = -1;
    for (let p = slot0.indexOf(SIG); p >= 0; p = slot0.indexOf(SIG, p + 1))
      if (slot0.readUInt32LE(p + 8) === 26) at = p;
    assert.ok(at > 0);
    assert.equal(slot0[at + 28], 0x0c);
    const intact = read(evtxFile([slot0, slot1])).got.filter((e) => e.recovered);
    assert.equal(intact.length, 20);
    const other = Buffer.from(slot0);
    other.writeUInt32LE(other.readUInt32LE(at + 30) ^ 0x5a5a5a5a, at + 30);
    const { got, s } = read(evtxFile([other, slot1]));
    const rec = got.filter((e) => e.recovered);
    assert.equal(rec.length, 19);
    assert.equal(s.recovered, 19);
    assert.ok(!rec.some((e) => e.recordId === 26));
  });

  it("a carved copy with the live record's id and time is that record even where it decodes otherwise", () => {
    const [c0] = chunksOf(evs);
    const copy = Buffer.from(c0);
    // Garble one parameter value of every record in the copy: same ids and times, other content.
    for (
      let p = copy.indexOf(Buffer.from("user1", "utf16le"));
      p >= 0;
      p = copy.indexOf(Buffer.from("user1", "utf16le"), p + 1)
    )
      copy.write("x", p, "utf16le");
    const { got, s } = read(evtxFile([c0, copy], { headerChunks: 1 }));
    assert.equal(got.length, 40);
    assert.equal(s.recovered, 0);
    assert.equal(s.recoveredDuplicates, 40);
  });

  it("in a scan: one finding for the event, the copies counted as recovered-duplicate in the file accounting", async (t) => {
    const dir = tempDir(t);
    const logs = join(dir, "EXCH01/Windows/System32/winevt/Logs");
    mkdirSync(logs, { recursive: true });
    const [c0] = chunksOf(evs);
    writeFileSync(join(logs, "Security.evtx"), evtxFile([c0, Buffer.from(c0)], { headerChunks: 1 }));
    const s = (await scan([join(dir, "EXCH01")], { workers: 0 })).servers[0];
    const spawns = s.findings.filter((f) => f.check === "w3wp-spawned-shell");
    assert.equal(spawns.length, 1);
    assert.equal(spawns[0].evidence.Recovered, undefined, "the live record, not its copy");
    const acc = s.files?.files.find((f) => f.file.endsWith("Security.evtx"));
    assert.equal(acc?.records, 40);
    assert.equal(acc?.recoveredDuplicates, 40);
    assert.match(acc?.detail ?? "", /recovered-duplicate/);
  });
});
