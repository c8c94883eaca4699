import assert from "node:assert/strict";
import { test } from "node:test";
import { param } from "../../../src/detections/events/common.js";
import type { EventRecord } from "../../../src/model/records.js";

function ev(data: Record<string, string>): EventRecord {
  return {
    eventId: 1,
    provider: "p",
    channel: "c",
    computer: "h",
    recordId: 1,
    time: null,
    level: null,
    data,
    values: Object.values(data),
  };
}

test("param: exact name first, then case-insensitive, else undefined", () => {
  const e = ev({ processid: "4", Image: "C:\\x.exe", ProcessID: "8" });
  assert.equal(param(e, "ProcessID"), "8");
  assert.equal(param(e, "ProcessId"), "4"); // first key in order that lower-cases to the name
  assert.equal(param(e, "image"), "C:\\x.exe");
  assert.equal(param(e, "TargetImage"), undefined);
  assert.equal(param(ev({}), "Image"), undefined);
});

test("param: keys that lower-case to the name through non-ASCII letters still match", () => {
  // U+212A KELVIN SIGN lower-cases to ASCII "k"; U+0130 lower-cases to two code units.
  assert.equal(param(ev({ "\u212Aey": "v" }), "KEY"), "v");
  assert.equal(param(ev({ "\u0130D": "v" }), "i\u0307d"), "v");
  assert.equal(param(ev({ "\u0130D": "v" }), "id"), undefined);
});
