import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LogRow } from "../../src/model/records.js";
import { makeHeader } from "../../src/readers/delimited.js";
import { exchangeLogReader } from "../../src/readers/exchange-log.js";
import { iisW3cReader, w3cText, w3cTime } from "../../src/readers/iis-w3c.js";
import { sniff } from "../../src/readers/index.js";
import type { ReadStats } from "../../src/readers/types.js";
import { CORPUS, IN_CI, NO_CORPUS, tempDir } from "../helpers.js";

const IIS = join(CORPUS, "iis");
const FIELDS = [
  "date",
  "time",
  "c-ip",
  "s-ip",
  "cs-method",
  "cs-uri-stem",
  "cs-uri-query",
  "sc-status",
  "cs(User-Agent)",
  "time-taken",
  "x-forwarded-for",
  "cs-username",
] as const;

interface Seen {
  line: number;
  v: Record<string, string | undefined>;
  time: string | null;
  fieldCount: number;
  headerCount: number;
}

function read(
  path: string,
  opts: {
    literal?: string;
    range?: { start: number; end: number; header: string[] | null };
    /** Hand the reader these bytes as the whole file (as the engine does for a small file's head). */
    bytes?: Buffer;
  } = {},
): { rows: Seen[]; stats: ReadStats } {
  const size = statSync(path).size;
  const head = readFileSync(path).subarray(0, 16 * 1024);
  const sniffed = iisW3cReader.sniff(head, "u_ex.log");
  assert.ok(sniffed, `${path} not recognised as IIS W3C`);
  const rows: Seen[] = [];
  const plan = opts.literal
    ? { literals: [{ bytes: Buffer.from(opts.literal), consumers: [0] }], fields: [], everyRow: [] }
    : { literals: [], fields: [], everyRow: [0] };
  const range = opts.range
    ? { ...opts.range, header: opts.range.header ? makeHeader(opts.range.header) : null }
    : { start: 0, end: size, header: null };
  const stats = iisW3cReader.read(
    path,
    size,
    sniffed,
    { ...range, bytes: opts.bytes },
    {
      planFor: () => plan,
      onRow(row: LogRow) {
        rows.push({
          line: row.line,
          v: Object.fromEntries(FIELDS.map((f) => [f, row.get(f)])),
          time: row.time(),
          fieldCount: row.fieldCount,
          headerCount: row.headerCount,
        });
      },
      onEvent() {},
    },
  );
  return { rows, stats };
}

type Expected = Record<string, string | number>;

describe("IIS W3C reader: conformance on ../shared/corpus/iis", () => {
  const skip = NO_CORPUS === false && (IN_CI || existsSync(IIS)) ? false : "../shared/corpus absent";

  it("reads a file from bytes already in memory exactly as from the file", { skip }, () => {
    const beats = join(IIS, "beats");
    const logs = readdirSync(beats).filter((f) => f.endsWith(".log"));
    for (const f of logs) {
      const path = join(beats, f);
      const whole = readFileSync(path);
      assert.deepEqual(read(path, { bytes: whole }), read(path), f);
      // Bytes that are not the whole file (it changed since they were read) are not used.
      assert.deepEqual(read(path, { bytes: whole.subarray(0, whole.length >> 1) }), read(path), f);
    }
  });

  it("reads every corpus log and matches Filebeat's expected output field by field", { skip }, () => {
    const beats = join(IIS, "beats");
    const logs = readdirSync(beats).filter((f) => f.endsWith(".log"));
    assert.ok(logs.length >= 9, `expected the 9 Filebeat fixtures, found ${logs.length}`);
    let compared = 0;
    for (const f of logs) {
      const { rows, stats } = read(join(beats, f));
      assert.equal(stats.badRows, 0, `${f}: bad rows ${JSON.stringify(stats.badSamples)}`);
      assert.deepEqual(stats.damage, [], f);
      assert.equal(stats.kind, "iis-w3c");
      const expPath = join(beats, `${f}-expected.json`);
      if (!existsSync(expPath)) {
        // access*.log: one line each, no expected output upstream.
        assert.equal(rows.length, 1, f);
        assert.equal(rows[0].time, "2018-01-01T09:10:11.000Z", f);
        assert.equal(rows[0].v["cs-method"], "GET", f);
        assert.equal(rows[0].v["sc-status"], "200", f);
        continue;
      }
      const expected = JSON.parse(readFileSync(expPath, "utf8")) as Expected[];
      assert.equal(rows.length, expected.length, `${f}: row count`);
      assert.equal(stats.records, expected.length, `${f}: records`);
      const bytes = readFileSync(join(beats, f));
      rows.forEach((r, i) => {
        const e = expected[i];
        const where = `${f} row ${i + 1}`;
        // The line number we report points at the bytes Filebeat's offset points at.
        const lineStart = bytes
          .toString("latin1")
          .split("\n")
          .slice(0, r.line - 1)
          .join("\n").length;
        assert.equal(lineStart + (r.line > 1 ? 1 : 0), e["log.offset"], `${where}: line/offset`);
        assert.equal(r.time, e["@timestamp"], `${where}: time`);
        assert.equal(r.v["cs-method"], e["http.request.method"], `${where}: method`);
        assert.equal(Number(r.v["sc-status"]), e["http.response.status_code"], `${where}: status`);
        // Filebeat's pipeline gives no url.path for the OGNL trap row of test.log; ours is checked below.
        if (e["url.path"] !== undefined) assert.equal(r.v["cs-uri-stem"], e["url.path"], `${where}: stem`);
        if (e["url.query"] !== undefined && e["url.query"] !== "-")
          // Filebeat percent-decodes the query; the reader keeps it as logged.
          assert.equal(decodeURIComponent(r.v["cs-uri-query"] ?? ""), e["url.query"], `${where}: query`);
        assert.equal(Number(r.v["time-taken"]) * 1e6, e["event.duration"], `${where}: time-taken`);
        if (e["network.forwarded_ip"] !== undefined)
          assert.equal(r.v["x-forwarded-for"], e["network.forwarded_ip"], `${where}: X-Forwarded-For`);
        const ip = String(e["source.address"]);
        const ua = e["user_agent.original"];
        const pasted = (r.v["c-ip"] ?? "").startsWith("[");
        if (pasted) {
          // test-iis-7.5.log row 1 was damaged by a copy from a web page: we keep the raw value.
          assert.equal(r.v["c-ip"], `[${ip}](http://${ip})`, where);
        } else {
          assert.equal(r.v["c-ip"], ip, `${where}: client`);
          if (ua !== undefined)
            assert.equal(w3cText(r.v["cs(User-Agent)"] ?? "") || "-", ua, `${where}: UA ('-' is empty)`);
        }
        compared++;
      });
    }
    assert.ok(compared >= 30, `compared ${compared} rows`);
  });

  it("test.log: switches columns at each of three #Fields headers, and reads the two trap rows in the first layout", {
    skip,
  }, () => {
    const { rows } = read(join(IIS, "beats", "test.log"));
    assert.deepEqual(
      rows.map((r) => r.headerCount),
      [15, 19, 22, 15, 15],
    );
    assert.equal(rows[1].v["s-ip"], undefined, "the second layout has no s-ip");
    assert.equal(rows[2].v["s-ip"], "127.0.0.1");
    assert.equal(rows[3].v["c-ip"], "10.50.6.188");
    assert.ok(rows[3].v["cs-uri-query"]?.startsWith("redirect:${%23req%3d"));
    assert.equal(rows[4].v["sc-status"], "404");
  });

  it("Tunna web-shell tunnel log: two header blocks, a hand-written comment and a blank line", {
    skip,
  }, () => {
    const p = join(IIS, "sbousseaden", "Tunna_rdp_tunnel_IIS.log");
    const { rows, stats } = read(p);
    assert.equal(stats.records, 4298);
    assert.equal(stats.badRows, 0);
    assert.equal(stats.firstTime?.slice(0, 16), "2019-09-03T10:13");
    assert.equal(stats.lastTime?.slice(0, 16), "2019-09-03T11:08");
    assert.equal(rows.filter((r) => r.v["cs-method"] === "GET").length, 2561);
    assert.equal(rows.filter((r) => r.v["cs-method"] === "POST").length, 1737);
    assert.ok(rows.every((r) => r.v["cs-uri-stem"] === "/erp/conn.aspx" && r.v["sc-status"] === "200"));
    assert.ok(rows.every((r) => r.v["c-ip"] === "10.0.2.17" && r.v["s-ip"] === "10.0.2.15"));
    assert.equal(rows.filter((r) => r.v["cs-uri-query"] === "proxy&port=3389&ip=127.0.0.1").length, 3);
    assert.equal(rows[0].v["cs(User-Agent)"], "", "`-` is an empty value");
    // Only rows with the literal are split when a detection asks for one.
    const hits = read(p, { literal: "port=3389" });
    assert.equal(hits.rows.length, 3);
    assert.equal(hits.stats.records, 4298);
  });

  it("a range read from the middle of the Tunna log inherits the header and keeps line numbers relative", {
    skip,
  }, () => {
    const p = join(IIS, "sbousseaden", "Tunna_rdp_tunnel_IIS.log");
    const size = statSync(p).size;
    const whole = read(p);
    const mid = Math.floor(size / 2);
    const fields = iisW3cReader.sniff(readFileSync(p).subarray(0, 16384), "x.log")?.header?.fields ?? null;
    const a = read(p, { range: { start: 0, end: mid, header: null } });
    const b = read(p, { range: { start: mid, end: size, header: fields } });
    assert.equal(a.rows.length + b.rows.length, whole.rows.length);
    assert.equal(a.stats.lines + b.rows[0].line, whole.rows[a.rows.length].line);
    assert.deepEqual(b.rows.at(-1)?.v, whole.rows.at(-1)?.v);
  });
});

describe("IIS W3C reader: sniffing", () => {
  it("recognises IIS by #Software or by a W3C #Fields line, and leaves Exchange logs alone", () => {
    const iis = Buffer.from(
      "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip\r\n",
    );
    assert.equal(sniff(iis, "u_ex210303.log")?.format, "iis-w3c");
    const bare = Buffer.from(
      "#Fields: date time s-ip cs-method cs-uri-stem\n2021-03-03 01:02:03 1.2.3.4 GET /\n",
    );
    assert.equal(sniff(bare, "x.log")?.format, "iis-w3c");
    const exch = Buffer.from(
      "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Fields: DateTime,RequestId\r\n",
    );
    assert.equal(sniff(exch, "x.LOG")?.format, "exchange-log");
    assert.equal(iisW3cReader.sniff(exch, "x.LOG"), null);
    assert.equal(exchangeLogReader.sniff(iis, "u_ex.log"), null);
    assert.equal(iisW3cReader.sniff(Buffer.from("#Fields: a b c\n1 2 3\n"), "x.log"), null, "not W3C fields");
    assert.equal(iisW3cReader.sniff(Buffer.from("hello world\n"), "x.log"), null);
    assert.equal(iisW3cReader.sniff(Buffer.from([0x23, 0x46, 0, 1, 2]), "x.log"), null, "binary");
  });

  it("recognises a headerless file by its first line's layout (15 and 16 values)", () => {
    const line = "2021-03-03 01:02:03 10.0.0.5 POST /owa/auth/x.aspx - 443 - 1.2.3.4 UA - 200 0 0 15";
    assert.equal(iisW3cReader.sniff(Buffer.from(`${line}\n`), "x.log")?.header?.fields.length, 15);
    assert.equal(
      iisW3cReader.sniff(Buffer.from(`${line} 9.9.9.9\n`), "x.log")?.header?.fields.at(-1),
      "x-forwarded-for",
    );
    assert.equal(iisW3cReader.sniff(Buffer.from(`${line} a b c\n`), "x.log"), null, "unknown value count");
    assert.equal(iisW3cReader.sniff(Buffer.from("2021-03-03 01:02:03 x y z\n"), "x.log"), null);
  });
});

describe("IIS W3C reader: bad input", () => {
  const HEAD =
    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";
  const row = (t: string, stem: string, status = "200") =>
    `2021-03-03 ${t} 10.0.0.5 POST ${stem} - 443 - 203.0.113.9 Mozilla/5.0+(X) - ${status} 0 0 31\r\n`;

  it("reports a cut-off last line and still reads the rows before it", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "u_ex210303.log");
    const full = HEAD + row("01:00:00", "/owa/auth/a.aspx") + row("02:00:00", "/owa/auth/b.aspx");
    writeFileSync(p, full.slice(0, -30));
    const { rows, stats } = read(p, { literal: "/owa/" });
    assert.equal(rows.length, 2);
    assert.deepEqual(stats.damage, ["the last line is cut off"]);
    assert.equal(stats.badRows, 1);
  });

  it("survives binary garbage inside the file and counts the damaged rows", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "u_ex210303.log");
    const garbage = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x2f, 0x6f, 0x77, 0x61, 0x2f, 0x20, 0x0a, 0x80, 0x81]);
    writeFileSync(
      p,
      Buffer.concat([
        Buffer.from(HEAD + row("01:00:00", "/owa/auth/a.aspx")),
        garbage,
        Buffer.from(`\n${row("03:00:00", "/owa/auth/c.aspx")}`),
      ]),
    );
    const { rows, stats } = read(p, { literal: "/owa/" });
    assert.ok(stats.badRows >= 1, "the garbage row is counted");
    assert.deepEqual(
      rows.filter((r) => r.fieldCount === r.headerCount).map((r) => r.v["cs-uri-stem"]),
      ["/owa/auth/a.aspx", "/owa/auth/c.aspx"],
    );
  });

  it("switches columns when a #Fields header changes mid-file (restart with another field set)", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "u_ex210303.log");
    const second =
      "#Software: Microsoft Internet Information Services 10.0\r\n#Date: 2021-03-03 05:00:00\r\n" +
      "#Fields: date time cs-method cs-uri-stem c-ip sc-status x-forwarded-for\r\n" +
      "2021-03-03 05:01:00 GET /ecp/y.js 198.51.100.7 404 192.0.2.1\r\n";
    writeFileSync(p, HEAD + row("01:00:00", "/ecp/x.js") + second);
    const { rows, stats } = read(p, { literal: "/ecp/" });
    assert.equal(stats.badRows, 0);
    assert.deepEqual(
      rows.map((r) => [r.v["cs-uri-stem"], r.v["c-ip"], r.v["sc-status"], r.v["x-forwarded-for"]]),
      [
        ["/ecp/x.js", "203.0.113.9", "200", undefined],
        ["/ecp/y.js", "198.51.100.7", "404", "192.0.2.1"],
      ],
    );
    assert.equal(rows[1].time, "2021-03-03T05:01:00.000Z");
  });

  it("reads a file whose #Fields line is missing by the standard layouts, and says so", (t) => {
    const dir = tempDir(t);
    const p = join(dir, "u_ex210303.log");
    writeFileSync(
      p,
      "#Software: Microsoft Internet Information Services 10.0\r\n#Date: 2021-03-03 00:00:00\r\n" +
        row("01:00:00", "/aspnet_client/a.aspx"),
    );
    const { rows, stats } = read(p);
    assert.equal(rows[0].v["cs-uri-stem"], "/aspnet_client/a.aspx");
    assert.equal(rows[0].time, "2021-03-03T01:00:00.000Z");
    assert.equal(stats.damage.length, 1);
    assert.match(stats.damage[0], /no #Fields/);
  });
});

describe("IIS W3C values", () => {
  it("turns date and time into ISO UTC and refuses nonsense", () => {
    assert.equal(w3cTime("2021-03-03", "06:59:18"), "2021-03-03T06:59:18.000Z");
    assert.equal(w3cTime("2021-03-03", "06:59:18.5"), "2021-03-03T06:59:18.500Z");
    assert.equal(w3cTime("2021-13-03", "06:59:18"), null);
    assert.equal(w3cTime("2021-03-03", "25:00:00"), null);
    assert.equal(w3cTime("03/03/2021", "06:59:18"), null);
    assert.equal(w3cTime(undefined, "06:59:18"), null);
  });
  it("decodes + as space in text values", () => {
    assert.equal(w3cText("Mozilla/5.0+(compatible;+Bingbot/2.0)"), "Mozilla/5.0 (compatible; Bingbot/2.0)");
  });
});
