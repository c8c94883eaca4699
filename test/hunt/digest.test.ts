import assert from "node:assert/strict";
import { test } from "node:test";
import { digestFile, interner, spansOf } from "../../src/hunt/digest.js";
import { blankResult, type TaskResult } from "../../src/hunt/task.js";
import type { FindingDraft } from "../../src/model/finding.js";

const entry = {
  path: "W3SVC1/u_ex210301.log",
  winPath: null,
  size: 900,
  mtime: "2021-03-02T00:00:00Z",
  abs: "/x",
};

const IIS_KIND = {
  format: "iis-w3c",
  kind: "iis-w3c",
  preamble: null,
  headerFields: null,
} as TaskResult["fileKind"];

function result(over: Partial<TaskResult>): TaskResult {
  return { ...blankResult(0, IIS_KIND), ...over };
}

function stats(over: Partial<NonNullable<TaskResult["stats"]>>): NonNullable<TaskResult["stats"]> {
  return {
    kind: "iis-w3c",
    records: 0,
    lines: 0,
    badRows: 0,
    badSamples: [],
    firstTime: null,
    lastTime: null,
    bytes: 0,
    lastHeaderFields: null,
    usedInheritedHeader: false,
    damage: [],
    ...over,
  };
}

const draft = (line: number): FindingDraft =>
  ({ check: "iis-x", file: entry.path, line, subject: null, evidence: "e" }) as unknown as FindingDraft;

test("a file read in two ranges: records summed, times widened, later lines counted from the file's start", () => {
  const d = digestFile(
    entry.path,
    [
      result({
        stats: stats({
          records: 10,
          lines: 12,
          firstTime: "2021-03-01T10:00:00.000Z",
          lastTime: "2021-03-01T11:00:00.000Z",
        }),
        drafts: [draft(5)],
        omitted: { "iis-x": 2 },
      }),
      result({
        stats: stats({
          records: 7,
          lines: 7,
          badRows: 1,
          badSamples: [{ line: 3, reason: "too few fields" }],
          firstTime: "2021-03-01T11:00:01.000Z",
          lastTime: "2021-03-01T12:00:00.000Z",
          damage: ["1 record not decoded"],
        }),
        drafts: [draft(4)],
        omitted: { "iis-x": 1 },
      }),
    ],
    interner(),
  );
  assert.equal(d.records, 17);
  assert.equal(d.oldest, "2021-03-01T10:00:00.000Z");
  assert.equal(d.newest, "2021-03-01T12:00:00.000Z");
  assert.deepEqual(
    d.drafts.map((x) => x.line),
    [5, 16],
  );
  assert.deepEqual(d.omitted, { "iis-x": 3 });
  assert.equal(d.reader, "iis-w3c");
  assert.equal(d.skip?.reason, "partial");
  assert.match(
    d.skip?.detail ?? "",
    /1 record not decoded; 1 row not read as expected \(line 15: too few fields\)/,
  );
});

test("a file that is no log: not counted as one, its skip named by the plan's path, the same reason and look kept once", () => {
  const intern = interner();
  const notLog = (detail: string) =>
    result({
      fileKind: null,
      notLog: {
        skip: { file: "other-copy", reason: "unknown-format", detail },
        type: { type: "plain text" },
      },
    });
  // Two copies of the same words, as a worker sends them: equal strings, not the same string.
  const words = ["no header of a known log format (looks like: ", "plain text)"];
  const a = digestFile(entry.path, [notLog(words.join(""))], intern);
  const b = digestFile(entry.path, [notLog([words[0], words[1]].join(""))], intern);
  assert.equal(a.isLog, false);
  assert.equal(a.reader, null);
  assert.equal(a.skip?.file, entry.path);
  assert.equal(a.skip?.detail, b.skip?.detail);
  assert.equal(a.type, b.type, "one ContentType object for the same look");
  assert.deepEqual(a.type, { type: "plain text" });
  assert.deepEqual(a.drafts, []);
});

test("a clean file: nothing skipped; an event file's channels from several ranges are one span each", () => {
  const clean = digestFile(entry.path, [result({ stats: stats({ records: 3, lines: 5 }) })], interner());
  assert.equal(clean.skip, null);
  assert.equal(clean.badRows, 0);
  const range = (records: number, oldest: string, newest: string) =>
    result({
      fileKind: {
        format: "evtx",
        kind: "event",
        preamble: null,
        headerFields: null,
      } as TaskResult["fileKind"],
      stats: stats({ kind: "event", records }),
      channels: [{ channel: "Security", records, oldest, newest }],
    });
  const ev = digestFile(
    entry.path,
    [
      range(4, "2021-03-01T00:00:00Z", "2021-03-02T00:00:00Z"),
      range(2, "2021-02-28T00:00:00Z", "2021-03-01T00:00:00Z"),
    ],
    interner(),
  );
  assert.deepEqual(spansOf(ev, 600), [
    {
      channel: "Security",
      oldest: "2021-02-28T00:00:00Z",
      newest: "2021-03-02T00:00:00Z",
      bytes: 600,
      records: 6,
    },
  ]);
});
