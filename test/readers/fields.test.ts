// The field maps (readers/fields.ts) against real headers: every mapped column exists in the IIS headers
// of ../shared/corpus or IIS's documented field set, and in the HttpProxy header of the example
// generator; and one request logged by IIS and by HttpProxy gives the same http-request subject.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HTTPPROXY_FIELDS } from "../../examples/generate.js";
import { iisHeader } from "../../examples/iis.js";
import type { LogRow } from "../../src/model/records.js";
import { FIELD_MAPS, httpRequestSubject, SOURCE_COLUMNS } from "../../src/readers/fields.js";
import { IIS_ALL_FIELDS } from "../../src/readers/iis-w3c.js";
import { readerFor, sniff } from "../../src/readers/index.js";
import { CORPUS, HAVE_CORPUS, tempDir } from "../helpers.js";

/** Every `#Fields:` column of the corpus's IIS logs. */
function corpusIisColumns(): Set<string> {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".log"))
        for (const l of readFileSync(p, "latin1").split(/\r?\n/))
          if (l.startsWith("#Fields:"))
            for (const f of l.slice(8).trim().split(/\s+/)) out.add(f.toLowerCase());
    }
  };
  walk(join(CORPUS, "iis"));
  return out;
}

/** Columns administrators add as custom fields (not in a standard header): x-forwarded-for. */
const IIS_CUSTOM = new Set(["x-forwarded-for"]);

describe("field maps", () => {
  it("every IIS map column is in a real IIS header of the corpus, or a documented custom field", (t) => {
    if (!HAVE_CORPUS) {
      if (process.env.CI === "true") assert.fail("../shared/corpus is required in CI");
      return t.skip("../shared/corpus not found: IIS header conformance skipped");
    }
    const real = corpusIisColumns();
    assert.ok(real.size >= 15, `${real.size} columns in the corpus headers`);
    const iis = FIELD_MAPS["iis-w3c"];
    assert.ok(iis);
    for (const [field, cols] of Object.entries(iis)) {
      for (const c of cols) {
        const l = c.toLowerCase();
        assert.ok(real.has(l) || IIS_CUSTOM.has(l), `${field} → ${c} is in no corpus header`);
        assert.ok(IIS_CUSTOM.has(l) || IIS_ALL_FIELDS.includes(c), `${c} is one of IIS's standard fields`);
      }
    }
    // The fields every finding's subject is made of are all in the corpus.
    for (const f of [
      "method",
      "uri",
      "query",
      "status",
      "clientIp",
      "serverIp",
      "userAgent",
      "user",
    ] as const)
      assert.ok(
        iis[f].some((c) => real.has(c.toLowerCase())),
        f,
      );
    const site = SOURCE_COLUMNS["iis-w3c"]?.column ?? "";
    assert.ok(real.has(site), `the source column ${site} is a real IIS column`);
  });
  it("every IIS map column the example generator writes is mapped to a column it has", () => {
    const gen = new Set(iisHeader(new Date("2021-03-03T00:00:00Z")).split("#Fields:")[1].trim().split(/\s+/));
    const iis = FIELD_MAPS["iis-w3c"];
    assert.ok(iis);
    for (const f of [
      "method",
      "uri",
      "query",
      "status",
      "clientIp",
      "serverIp",
      "userAgent",
      "user",
    ] as const)
      assert.ok(
        iis[f].some((c) => gen.has(c)),
        `${f}: the generator writes one of ${iis[f].join(", ")}`,
      );
  });
  it("every HttpProxy map column is in the HttpProxy header (the example generator's, Exchange's own)", () => {
    const hp = FIELD_MAPS.httpproxy;
    assert.ok(hp);
    const header = new Set(HTTPPROXY_FIELDS);
    for (const [field, cols] of Object.entries(hp))
      for (const c of cols) assert.ok(header.has(c), `${field} → ${c} is not an HttpProxy column`);
    assert.ok(header.has(SOURCE_COLUMNS.httpproxy?.column ?? ""));
  });
  it("maps every canonical field for every format (an empty list: the format has none)", () => {
    const names = Object.keys(FIELD_MAPS["iis-w3c"] ?? {}).sort();
    for (const m of Object.values(FIELD_MAPS)) assert.deepEqual(Object.keys(m ?? {}).sort(), names);
  });
});

/**
 * What `look` takes from each row of a log file, read by the reader its head selects (every row,
 * through an every-row plan). Rows are views of the read buffer: they are looked at while it holds them.
 */
function readRows<T>(abs: string, look: (row: LogRow) => T): T[] {
  const head = readFileSync(abs);
  const s = sniff(head, abs);
  assert.ok(s, `${abs} is recognised`);
  const reader = readerFor(s.format);
  assert.ok(reader);
  const rows: T[] = [];
  const size = statSync(abs).size;
  reader.read(
    abs,
    size,
    s,
    { start: 0, end: size, header: null },
    {
      planFor: () => ({ literals: [], fields: [], everyRow: [0] }),
      onRow: (row) => rows.push(look(row)),
      onEvent: () => {},
    },
  );
  return rows;
}

describe("one request, two formats, one subject", () => {
  it("an IIS row and an HttpProxy row of the same request give the same http-request fields", (t) => {
    const dir = tempDir(t);
    const iis = join(dir, "u_ex210303.log");
    writeFileSync(
      iis,
      "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 06:49:43\r\n" +
        "#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken\r\n" +
        "2021-03-03 06:49:43 W3SVC1 10.0.0.5 POST /ecp/y.js a=1&b=%2F 443 CONTOSO\\admin 203.0.113.77 " +
        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - mail.contoso.com 200 0 0 15\r\n",
    );
    const hp = join(dir, "HttpProxy_2021030306-1.LOG");
    const cells: Record<string, string> = {
      DateTime: "2021-03-03T06:49:43.208Z",
      RequestId: "4f0c1c5e-1234",
      Protocol: "Ecp",
      UrlHost: "mail.contoso.com",
      UrlStem: "/ecp/y.js",
      UrlQuery: "a=1&b=%2F",
      AuthenticatedUser: "CONTOSO\\admin",
      UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
      ClientIpAddress: "203.0.113.77",
      HttpStatus: "200",
      Method: "POST",
    };
    writeFileSync(
      hp,
      "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n" +
        `#Date: 2021-03-03T06:00:00.000Z\r\n#Fields: ${HTTPPROXY_FIELDS.join(",")}\r\n` +
        `${HTTPPROXY_FIELDS.map((f) => (/[ ,;]/.test(cells[f] ?? "") ? `"${cells[f]}"` : (cells[f] ?? ""))).join(",")}\r\n`,
    );
    const look = (row: LogRow) => ({
      family: row.family,
      subject: httpRequestSubject(row),
      host: row.field("host"),
      time: row.time(),
    });
    const [a] = readRows(iis, look);
    const [b] = readRows(hp, look);
    assert.ok(a && b);
    assert.equal(a.family, "http-request");
    assert.equal(b.family, "http-request");
    const sa = a.subject;
    const sb = b.subject;
    // What both formats log about a request: the same values under the same names.
    for (const k of ["method", "uri", "query", "status", "clientIp", "userAgent", "user"] as const)
      assert.deepEqual(sa[k], sb[k], k);
    assert.equal(sa.userAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    assert.equal(a.host, "mail.contoso.com");
    assert.equal(a.host, b.host);
    assert.equal(a.time, "2021-03-03T06:49:43.000Z");
    // What only one of them knows stays absent in the other, never a wrong value.
    assert.equal(sa.requestId, null);
    assert.equal(sb.requestId, "4f0c1c5e-1234");
  });
});
