// Coverage sources carry their log kind and record family, and are named from what the records say
// (HttpProxy Protocol, IIS s-sitename) before the folder path, which collectors flatten or rename.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HTTPPROXY_FIELDS, httpProxyLine, preamble } from "../../examples/generate.js";
import { sourceFamily, sourceOf } from "../../src/evidence/coverage.js";
import { scan } from "../../src/index.js";
import { writeEvtx } from "../evtx-writer.js";
import { evtxDumpJsonl, type Rec } from "../export-writers.js";
import { tempDir } from "../helpers.js";

describe("coverage sources", () => {
  it("names a source from its records first, the folder only as a hint", () => {
    assert.equal(sourceOf("httpproxy", "x/Logging/HttpProxy/Owa/a.LOG", undefined, "Ecp"), "HttpProxy/Ecp");
    assert.equal(sourceOf("httpproxy", "x/Logging/HttpProxy/Owa/a.LOG"), "HttpProxy/Owa");
    assert.equal(sourceOf("httpproxy", "collected/a.LOG"), "HttpProxy");
    assert.equal(sourceOf("iis-w3c", "logs/u_ex210303.log", undefined, "w3svc2"), "IIS W3SVC2");
    assert.equal(sourceOf("iis-w3c", "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"), "IIS W3SVC1");
    assert.equal(sourceOf("event", "a.evtx", "Application"), "Event log: Application");
    assert.equal(sourceFamily("httpproxy"), "http-request");
    assert.equal(sourceFamily("iis-w3c"), "http-request");
    assert.equal(sourceFamily("ecp-server"), "log-line");
    assert.equal(sourceFamily("event"), "event");
  });

  it("a flattened HttpProxy file is named by its Protocol column; a hostile value falls back to the folder", async (t) => {
    const dir = tempDir(t);
    const flat = join(dir, "EXCH01", "collected");
    mkdirSync(flat, { recursive: true });
    const file = (name: string, protocol: string) =>
      writeFileSync(
        join(flat, name),
        preamble("HttpProxy Logs", "2021-03-03T06:00:00.000Z", HTTPPROXY_FIELDS.join(",")) +
          `${httpProxyLine({
            DateTime: "2021-03-03T06:10:00.000Z",
            Protocol: protocol,
            UrlStem: "/owa/",
            HttpStatus: "200",
            Method: "GET",
            ClientIpAddress: "10.0.0.9",
          })}\r\n`,
      );
    file("HttpProxy_2021030306-1.LOG", "Ecp");
    file("HttpProxy_2021030307-1.LOG", "<script>alert(1)</script>");
    const r = await scan([join(dir, "EXCH01")], { workers: 0 });
    const sources = r.servers[0].coverage.sources;
    const ecp = sources.find((s) => s.source === "HttpProxy/Ecp");
    assert.ok(ecp, JSON.stringify(sources));
    assert.equal(ecp.kind, "httpproxy");
    assert.equal(ecp.family, "http-request");
    assert.equal(ecp.files, 1);
    const plain = sources.find((s) => s.source === "HttpProxy");
    assert.ok(plain, "the hostile Protocol value names nothing: the folder (no protocol folder) does");
    assert.ok(!sources.some((s) => s.source.includes("<")));
  });

  it("one source per channel whatever its case (an export's spelling and the .evtx's); other channels stay apart", async (t) => {
    const dir = tempDir(t);
    const root = join(dir, "EXCH01");
    mkdirSync(join(root, "Windows/System32/winevt/Logs"), { recursive: true });
    mkdirSync(join(root, "siem"), { recursive: true });
    const bits = "Microsoft-Windows-Bits-Client/Operational";
    const ev = (channel: string, time: string, recordId: number): Rec => ({
      provider: "Microsoft-Windows-Bits-Client",
      eventId: 59,
      channel,
      computer: "EXCH01",
      time,
      recordId,
      data: { name: "x" },
    });
    writeFileSync(
      join(root, "Windows/System32/winevt/Logs/Microsoft-Windows-Bits-Client%4Operational.evtx"),
      writeEvtx([ev(bits, "2021-03-01T00:00:00.000Z", 1)]),
    );
    writeFileSync(
      join(root, "siem/export.jsonl"),
      evtxDumpJsonl([
        ev(bits.toLowerCase(), "2021-03-05T00:00:00.000Z", 2),
        ev("Microsoft-Windows-Bits-Client/Analytic", "2021-03-06T00:00:00.000Z", 3),
      ]),
    );
    const s = (await scan([root], { workers: 0 })).servers[0];
    const ours = s.coverage.sources.filter((c) => /bits-client/i.test(c.source));
    assert.deepEqual(
      ours.map((c) => [c.source, c.oldest?.slice(0, 10), c.newest?.slice(0, 10)]),
      [
        ["Event log: Microsoft-Windows-Bits-Client/Analytic", "2021-03-06", "2021-03-06"],
        [`Event log: ${bits}`, "2021-03-01", "2021-03-05"],
      ],
    );
  });
});
