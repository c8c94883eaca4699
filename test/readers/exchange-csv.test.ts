import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LogRow } from "../../src/model/records.js";
import { type LiteralPlan, makeHeader } from "../../src/readers/delimited.js";
import { exchangeCsv, isoTime } from "../../src/readers/exchange-csv.js";
import { exchangeLogReader } from "../../src/readers/exchange-log.js";
import type { ReadStats } from "../../src/readers/types.js";
import { tempDir } from "../helpers.js";

const PRE =
  "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T06:00:00.000Z\r\n";

interface Seen {
  line: number;
  values: Record<string, string | undefined>;
  fieldCount: number;
  time: string | null;
}

/** Read a whole file with the Exchange reader; every row containing `literal` is collected. */
function read(
  path: string,
  literal: string | null,
  fields: string[],
  range?: { start: number; end: number; header: string[] | null },
) {
  const head = Buffer.alloc(4096);
  const fd = openSync(path, "r");
  const n = readSync(fd, head, 0, 4096, 0);
  closeSync(fd);
  const size = statSync(path).size;
  const sniffed = exchangeLogReader.sniff(head.subarray(0, n), "x.LOG") ?? {
    format: "exchange-log",
    kind: "httpproxy" as const,
    preamble: null,
    header: null,
  };
  const plan: LiteralPlan =
    literal === null
      ? { literals: [], fields: [], everyRow: [0] }
      : { literals: [{ bytes: Buffer.from(literal), consumers: [0] }], fields: [], everyRow: [] };
  const rows: Seen[] = [];
  const stats: ReadStats = exchangeLogReader.read(
    path,
    size,
    sniffed,
    range
      ? { start: range.start, end: range.end, header: range.header ? makeHeader(range.header) : null }
      : { start: 0, end: size, header: null },
    {
      planFor: () => plan,
      onRow(row: LogRow) {
        rows.push({
          line: row.line,
          values: Object.fromEntries(fields.map((f) => [f, row.get(f)])),
          fieldCount: row.fieldCount,
          time: row.time(),
        });
      },
      onEvent() {},
    },
  );
  return { rows, stats, sniffed };
}

describe("Exchange CSV dialect", () => {
  it("splits quoted fields with doubled quotes and commas", () => {
    const line = Buffer.from('a,"b,c","say ""hi""",,"",z');
    const bounds: number[] = [];
    const n = exchangeCsv.split(line, 0, line.length, bounds);
    assert.equal(n, 6);
    const vals = Array.from({ length: n }, (_, i) =>
      exchangeCsv.decode(line, bounds[2 * i], bounds[2 * i + 1]),
    );
    assert.deepEqual(vals, ["a", "b,c", 'say "hi"', "", "", "z"]);
  });
  it("survives an unterminated quote (the rest of the line is one field)", () => {
    const line = Buffer.from('a,"b,c');
    const bounds: number[] = [];
    assert.equal(exchangeCsv.split(line, 0, line.length, bounds), 2);
    assert.equal(exchangeCsv.decode(line, bounds[2], bounds[3]), "b,c");
  });
  it("parses Exchange timestamps as UTC, never local time", () => {
    assert.equal(isoTime("2021-03-03T06:59:18.042Z"), "2021-03-03T06:59:18.042Z");
    assert.equal(isoTime("2021-03-03T06:59:18.042"), "2021-03-03T06:59:18.042Z");
    assert.equal(isoTime("not a date"), null);
    assert.equal(isoTime(""), null);
  });
});

describe("Exchange log reader", () => {
  it("reads fields by header name, with BOM and CRLF, and finds rows by literal", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "HttpProxy_2021030306-1.LOG");
    writeFileSync(
      p,
      `\ufeff${PRE}#Fields: DateTime,AnchorMailbox,HttpStatus\r\n2021-03-03T06:00:01.000Z,Smtp~a@b,200\r\n2021-03-03T06:00:02.000Z,"ServerInfo~a]@x:444/ecp/y.js#",241\r\n`,
    );
    const { rows, stats, sniffed } = read(p, "ServerInfo~", ["AnchorMailbox", "HttpStatus"]);
    assert.equal(sniffed.kind, "httpproxy");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].line, 7);
    assert.deepEqual(rows[0].values, { AnchorMailbox: "ServerInfo~a]@x:444/ecp/y.js#", HttpStatus: "241" });
    assert.equal(stats.records, 2);
    assert.equal(stats.firstTime, "2021-03-03T06:00:01.000Z");
    assert.equal(stats.lastTime, "2021-03-03T06:00:02.000Z");
    assert.equal(stats.badRows, 0);
  });
  it("switches columns at a second #Fields: header mid-file", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    writeFileSync(
      p,
      `${PRE}#Fields: DateTime,AnchorMailbox,HttpStatus\n2021-03-03T06:00:01.000Z,ServerInfo~a/b,200\n${PRE}#Fields: DateTime,HttpStatus,UserAgent,AnchorMailbox\n2021-03-03T07:00:01.000Z,500,curl,ServerInfo~c/d\n`,
    );
    const { rows, stats } = read(p, "ServerInfo~", ["AnchorMailbox", "HttpStatus", "UserAgent"]);
    assert.deepEqual(
      rows.map((r) => r.values),
      [
        { AnchorMailbox: "ServerInfo~a/b", HttpStatus: "200", UserAgent: undefined },
        { AnchorMailbox: "ServerInfo~c/d", HttpStatus: "500", UserAgent: "curl" },
      ],
    );
    assert.equal(rows[1].line, 12);
    assert.equal(stats.badRows, 0);
  });
  it("counts rows with the wrong field count and a cut-off last line, without failing", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    writeFileSync(
      p,
      `${PRE}#Fields: DateTime,AnchorMailbox,HttpStatus\n2021-03-03T06:00:01.000Z,ServerInfo~a/b,200,extra\n2021-03-03T06:00:02.000Z,ServerInfo~c/d,20`,
    );
    const { rows, stats } = read(p, "ServerInfo~", ["AnchorMailbox"]);
    assert.equal(rows.length, 2, "rows are still offered to detections");
    assert.equal(stats.badRows, 1);
    assert.match(stats.badSamples[0].reason, /4 fields where the header has 3/);
    // The last row has 3 fields (value cut inside the field): not detectable as cut, and not lost.
    assert.equal(rows[1].values.AnchorMailbox, "ServerInfo~c/d");
  });
  it("reports a last line cut before all its fields", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    writeFileSync(
      p,
      `${PRE}#Fields: DateTime,AnchorMailbox,HttpStatus\n2021-03-03T06:00:01.000Z,Smtp~a,200\n2021-03-03T06:00:02.000Z,Serv`,
    );
    const { stats } = read(p, "ServerInfo~", []);
    assert.equal(stats.records, 2);
    assert.equal(stats.badRows, 1);
    assert.match(stats.damage.join(), /cut off/);
  });
  it("skips a line longer than the limit (a 5 MB line is read; 9 MB is reported) and reads on", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    const five = "x".repeat(5 * 2 ** 20);
    const nine = "y".repeat(9 * 2 ** 20);
    writeFileSync(
      p,
      `${PRE}#Fields: DateTime,AnchorMailbox,UserAgent\n2021-03-03T06:00:01.000Z,ServerInfo~a/b,${five}\n2021-03-03T06:00:02.000Z,ServerInfo~c/d,${nine}\n2021-03-03T06:00:03.000Z,ServerInfo~e/f,ok\n`,
    );
    const { rows, stats } = read(p, "ServerInfo~", ["AnchorMailbox", "UserAgent"]);
    assert.deepEqual(
      rows.map((r) => r.values.AnchorMailbox),
      ["ServerInfo~a/b", "ServerInfo~e/f"],
    );
    assert.equal(rows[0].values.UserAgent?.length, five.length);
    assert.equal(rows[1].line, 8, "line numbers stay right after the dropped line");
    assert.equal(stats.badRows, 1);
    assert.match(stats.badSamples[0].reason, /longer than/);
  });
  it("finds literals across 1 MiB chunk boundaries", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    const lines = [`${PRE}#Fields: DateTime,AnchorMailbox,Pad`];
    for (let i = 0; i < 30000; i++)
      lines.push(
        `2021-03-03T06:00:01.000Z,${i % 997 === 0 ? `ServerInfo~n${i}/x` : "Smtp~a@b"},${"p".repeat(i % 90)}`,
      );
    writeFileSync(p, `${lines.join("\n")}\n`);
    const { rows, stats } = read(p, "ServerInfo~", ["AnchorMailbox"]);
    const expected = Array.from({ length: 30000 }, (_, i) => i).filter((i) => i % 997 === 0);
    assert.deepEqual(
      rows.map((r) => r.values.AnchorMailbox),
      expected.map((i) => `ServerInfo~n${i}/x`),
    );
    assert.deepEqual(
      rows.map((r) => r.line),
      expected.map((i) => i + 6),
    );
    assert.equal(stats.records, 30000);
  });
  it("reads byte ranges that together give exactly the whole file's rows and lines", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "x.LOG");
    const lines = [`${PRE}#Fields: DateTime,AnchorMailbox`];
    for (let i = 0; i < 5000; i++)
      lines.push(`2021-03-03T06:00:01.000Z,${i % 7 === 0 ? `ServerInfo~n${i}/x` : "Smtp~a@b"}`);
    writeFileSync(p, `${lines.join("\r\n")}\r\n`);
    const size = statSync(p).size;
    const whole = read(p, "ServerInfo~", ["AnchorMailbox"]);
    const header = ["DateTime", "AnchorMailbox"];
    const cuts = [0, 12345, 50000, 50001, 99999, size];
    const parts: string[] = [];
    let lines0 = 0;
    const lineNos: number[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const r = read(p, "ServerInfo~", ["AnchorMailbox"], { start: cuts[i], end: cuts[i + 1], header });
      parts.push(...r.rows.map((x) => x.values.AnchorMailbox ?? ""));
      lineNos.push(...r.rows.map((x) => x.line + lines0));
      lines0 += r.stats.lines;
    }
    assert.deepEqual(
      parts,
      whole.rows.map((x) => x.values.AnchorMailbox),
    );
    assert.deepEqual(
      lineNos,
      whole.rows.map((x) => x.line),
    );
    assert.equal(lines0, whole.stats.lines);
  });
  it("does not take a binary file or an IIS log for an Exchange log", () => {
    assert.equal(exchangeLogReader.sniff(Buffer.from([0, 1, 2, 3, 35, 70]), "x.LOG"), null);
    assert.equal(
      exchangeLogReader.sniff(
        Buffer.from("#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip\r\n"),
        "u_ex.log",
      ),
      null,
    );
    assert.equal(exchangeLogReader.sniff(Buffer.from("hello\n"), "x.log"), null);
  });
});

describe("Exchange log reader: one-pass search, skipped lines, column filters", () => {
  it("fieldAt gives the same field boundaries as split, quoted fields included", () => {
    const cells = ["a", '"b,c"', '"say ""hi"", ok"', "", '""', "z", '"x"y', '"open'];
    let seed = 3;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return cells[seed % cells.length];
    };
    const fieldAt = exchangeCsv.fieldAt?.bind(exchangeCsv);
    assert.ok(fieldAt, "the Exchange dialect finds one column without a split");
    for (let n = 0; n < 300; n++) {
      const line = Buffer.from(Array.from({ length: 1 + (n % 9) }, pick).join(","));
      const bounds: number[] = [];
      const count = exchangeCsv.split(line, 0, line.length, bounds);
      const out = [0, 0];
      for (let col = 0; col < count + 2; col++) {
        const ok: boolean = fieldAt(line, 0, line.length, col, out);
        assert.equal(ok, col < count, `${line} col ${col}`);
        if (ok) assert.deepEqual(out, [bounds[2 * col], bounds[2 * col + 1]], `${line} col ${col}`);
      }
    }
  });

  it("finds every planted row across chunks, with exact line numbers, counts and last time", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "big.LOG");
    const lines: string[] = [
      "#Software: Microsoft Exchange Server",
      "#Log-type: HttpProxy Logs",
      "#Fields: DateTime,AnchorMailbox,ClientIpAddress,Pad",
    ];
    const planted: number[] = [];
    let data = 0;
    for (let i = 0; i < 24_000; i++) {
      if (i === 12_000) lines.push("#Fields: DateTime,ClientIpAddress,AnchorMailbox,Pad"); // columns swap mid-file
      if (i % 997 === 0) lines.push(""); // empty lines are neither rows nor hits
      if (i % 1409 === 0) lines.push("# a comment line");
      const t = `2021-03-03T06:${String(Math.floor(i / 200) % 60).padStart(2, "0")}:00.000Z`;
      const hit = i % 733 === 5 || i === 23_999;
      const anchor = hit ? `ServerInfo~a]@x:444/ecp/${i}#` : `user${i}@contoso.com`;
      const cols = i < 12_000 ? [t, anchor, "10.0.0.1"] : [t, "10.0.0.1", anchor];
      lines.push(`${cols.join(",")},${"p".repeat(150 + (i % 50))}`);
      data++;
      if (hit) planted.push(lines.length);
    }
    writeFileSync(p, `${lines.join("\r\n")}\r\n`);
    assert.ok(statSync(p).size > 4 << 20, "more than two read chunks");
    const { rows, stats } = read(p, "ServerInfo~", ["AnchorMailbox", "ClientIpAddress"]);
    assert.deepEqual(
      rows.map((r) => r.line),
      planted,
    );
    for (const r of rows) assert.match(r.values.AnchorMailbox ?? "", /^ServerInfo~/);
    assert.equal(stats.records, data);
    assert.equal(stats.lines, lines.length);
    assert.equal(stats.lastTime, "2021-03-03T06:59:00.000Z");
    assert.equal(stats.badRows, 0);
    // Cut into byte ranges as the workers do: the same rows, each once.
    const size = statSync(p).size;
    const cuts = [0, 1_234_567, 2_900_001, 4_500_000, 6_100_000, size];
    // Each range gets the header in effect where it starts (the engine's job, see reconcileHeaders).
    const switchAt = readFileSync(p, "latin1").indexOf("#Fields: DateTime,ClientIpAddress");
    const header = (at: number) =>
      at > switchAt
        ? ["DateTime", "ClientIpAddress", "AnchorMailbox", "Pad"]
        : ["DateTime", "AnchorMailbox", "ClientIpAddress", "Pad"];
    const parts = cuts.slice(1).map((end, k) =>
      read(p, "ServerInfo~", ["AnchorMailbox"], {
        start: cuts[k],
        end,
        header: k ? header(cuts[k]) : null,
      }),
    );
    assert.deepEqual(
      parts.flatMap((x) => x.rows.map((r) => r.values.AnchorMailbox)),
      rows.map((r) => r.values.AnchorMailbox),
    );
    assert.equal(
      parts.reduce((n, x) => n + x.stats.records, 0),
      data,
    );
  });

  it("a gated column filter reads only rows that contain a gate literal (either case)", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "ip.LOG");
    const rows = [
      "2021-03-03T06:00:00.000Z,[2001:DB8::7]:443,/owa/", // gate literal in upper case, in the column
      "2021-03-03T06:00:01.000Z,10.0.0.5,/owa/?x=2001:db8::7", // literal elsewhere: the column decides
      "2021-03-03T06:00:02.000Z,10.0.0.6,/owa/",
      '2021-03-03T06:00:03.000Z,"2001:db8::7",/ecp/',
    ];
    writeFileSync(p, `${PRE}#Fields: DateTime,ClientIpAddress,UrlStem\r\n${rows.join("\r\n")}\r\n`);
    const asked: string[] = [];
    const plan: LiteralPlan = {
      literals: [{ bytes: Buffer.from("2001:db8::7"), fold: true, consumers: [] }],
      fields: [
        {
          name: "ClientIpAddress",
          accept: (v) => {
            asked.push(v);
            return v.toLowerCase().replace(/^\[|\](:\d+)?$/g, "") === "2001:db8::7";
          },
          consumers: [0],
          gate: [0],
        },
      ],
      everyRow: [],
    };
    const size = statSync(p).size;
    const woken: number[] = [];
    exchangeLogReader.read(
      p,
      size,
      exchangeLogReader.sniff(Buffer.from(`${PRE}#Fields: DateTime,ClientIpAddress,UrlStem\r\n`), "x.LOG")!,
      { start: 0, end: size, header: null },
      { planFor: () => plan, onRow: (row) => woken.push(row.line), onEvent() {} },
    );
    assert.deepEqual(woken, [6, 9]);
    assert.deepEqual(asked, ["[2001:DB8::7]:443", "10.0.0.5", "2001:db8::7"]); // 10.0.0.6's row was never read
  });
});

describe("Exchange log reader: literals of either case", () => {
  it("finds a fold literal in any case, in the one-pass search and in the indexOf fallback (a 3 MiB row)", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "fold.LOG");
    const long = "x".repeat(3 << 20); // outgrows the 2 MiB read buffer: that chunk falls back to indexOf
    const rows = [
      "2021-03-03T06:00:00.000Z,/OWA/auth/x.js,a", // line 6: mixed case, short row
      `2021-03-03T06:00:01.000Z,/owa/other,${long}`, // line 7: no literal
      `2021-03-03T06:00:02.000Z,/Owa/AUTH/y.js,${long}`, // line 8: mixed case in the long row
      "2021-03-03T06:00:03.000Z,/owa/auth2/z.js,b", // line 9: not the literal (auth2)
      "2021-03-03T06:00:04.000Z,/oWa/AuTh/q.js,c", // line 10: after the long rows, the one-pass search again
    ];
    writeFileSync(p, `${PRE}#Fields: DateTime,UrlStem,Pad\r\n${rows.join("\r\n")}\r\n`);
    const plan: LiteralPlan = {
      literals: [{ bytes: Buffer.from("/auth/"), fold: true, consumers: [0] }],
      fields: [],
      everyRow: [],
    };
    const size = statSync(p).size;
    const woken: number[] = [];
    const stats = exchangeLogReader.read(
      p,
      size,
      exchangeLogReader.sniff(Buffer.from(`${PRE}#Fields: DateTime,UrlStem,Pad\r\n`), "x.LOG")!,
      { start: 0, end: size, header: null },
      { planFor: () => plan, onRow: (row) => woken.push(row.line), onEvent() {} },
    );
    assert.deepEqual(woken, [6, 8, 10]);
    assert.equal(stats.records, 5);
    assert.equal(stats.badRows, 0);
  });
});
