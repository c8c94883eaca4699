// Integers beyond 2^53 in JSON exports keep their digits (the .evtx renders a UInt64 exactly; JSON.parse
// would round it), and nothing else changes.
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rng } from "../../../examples/generate.js";
import type { EventRecord } from "../../../src/model/records.js";
import { eventJsonReader } from "../../../src/readers/event-json.js";
import { parseEventJson } from "../../../src/readers/events/json-parse.js";
import { tempDir } from "../../helpers.js";

describe("exact 64-bit integers in JSON exports", () => {
  it("only integers a double cannot hold become their text; strings, floats and safe integers stay", () => {
    const text =
      '{"a":18446744073709551615,"b":"18446744073709551615","c":-9223372036854775808,"d":9007199254740991,' +
      '"e":1.2345678901234567e+30,"f":"x\\"1234567890123456789","g":[12345678901234567890, 1],"h":12345678901234567.5}';
    assert.deepEqual(parseEventJson(text), {
      a: "18446744073709551615",
      b: "18446744073709551615",
      c: "-9223372036854775808",
      d: 9007199254740991,
      e: 1.2345678901234567e30,
      f: 'x"1234567890123456789',
      g: ["12345678901234567890", 1],
      h: Number("12345678901234567.5"), // a fraction: a float, as JSON.parse reads it
    });
  });

  it("is JSON.parse on everything else (random documents with digits, quotes and escapes)", () => {
    const r = rng(13);
    const atom = (): unknown => {
      const k = Math.floor(r() * 5);
      if (k === 0) return Math.floor(r() * 2 ** 53) * (r() < 0.5 ? -1 : 1);
      if (k === 1) return r() * 1e6 - 5e5; // fractions (a float written without one is an integer literal)
      if (k === 2) return null;
      const chars = '0123456789"\\/\n\tab{}[],:-';
      let s = "";
      for (let i = Math.floor(r() * 40); i > 0; i--) s += chars[Math.floor(r() * chars.length)];
      return s;
    };
    for (let n = 0; n < 500; n++) {
      const doc: Record<string, unknown> = {};
      for (let i = 0; i < 8; i++) doc[`k${i}${"1234567890123456".slice(0, Math.floor(r() * 17))}`] = atom();
      doc.list = [atom(), atom(), { x: atom() }];
      const text = JSON.stringify(doc);
      assert.deepEqual(parseEventJson(text), JSON.parse(text), text);
    }
  });

  it("an evtx_dump line with a UInt64 counter gives its exact value", (t) => {
    const p = join(tempDir(t), "bits.jsonl");
    writeFileSync(
      p,
      `${JSON.stringify({
        Event: {
          System: {
            Provider: { "#attributes": { Name: "Microsoft-Windows-Bits-Client" } },
            EventID: 60,
            EventRecordID: 8200,
            Channel: "Microsoft-Windows-Bits-Client/Operational",
            Computer: "EXCH01",
            TimeCreated: { "#attributes": { SystemTime: "2021-03-03T07:00:00.000000Z" } },
          },
          EventData: { bandwidthLimit: 0, fileLength: 1317080 },
        },
      }).replace('"bandwidthLimit":0', '"bandwidthLimit":18446744073709551615')}\n`,
    );
    const events: EventRecord[] = [];
    const size = statSync(p).size;
    eventJsonReader.read(
      p,
      size,
      { format: "event-json", kind: "event", preamble: null, header: null },
      { start: 0, end: size, header: null },
      {
        planFor: () => ({ literals: [], fields: [], everyRow: [] }),
        onRow: () => {},
        onEvent: (e) => events.push(e),
      },
    );
    assert.equal(events[0].data.bandwidthLimit, "18446744073709551615");
    assert.equal(events[0].data.fileLength, "1317080");
  });
});
