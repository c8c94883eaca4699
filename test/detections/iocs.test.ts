// Indicator feeds (bundled and user) and the IOC detections: hashes, paths, client IPs, domains.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { iocDomain } from "../../src/detections/iocs/domain.js";
import { bundledIocs, inferIoc, iocPathKey, parseFeed } from "../../src/detections/iocs/feeds.js";
import { iocFileHash } from "../../src/detections/iocs/hash.js";
import { iocClientIp } from "../../src/detections/iocs/ip.js";
import { iocFilePath } from "../../src/detections/iocs/path.js";
import { type ContentDetection, draftsOf, type SweptFile } from "../../src/detections/types.js";
import { planFor } from "../../src/hunt/task.js";
import { scan } from "../../src/index.js";
import { MAX_LITERALS } from "../../src/readers/wasm/multi.js";
import { ctx, fakeRow, tempDir } from "../helpers.js";
import { ASPNET_CLIENT, ECP_AUTH, OWA_AUTH, swept } from "../sweep-helpers.js";

const withIocs = (text: string, source: string) =>
  createHuntContext({ userIocs: parseFeed(text, source).iocs, yara: [], warnings: [] });

function run(d: ContentDetection, f: SweptFile, hunt = createHuntContext()) {
  const c = ctx(f.path, null, hunt);
  return d.select(f, c) ? draftsOf(d.match(f, c)) : [];
}

test("bundled feeds: MSTIC hashes + blog extras, paths, domains; CHIRP/Volexity IPs", () => {
  const b = bundledIocs();
  assert.equal(b.sha256.size, 48); // 45 MSTIC + 3 from the blog post
  assert.equal(b.ip.size, 15); // CHIRP's 15 include Volexity's 13
  assert.equal(b.domain.size, 3);
  // 104 path rows, 5 duplicates (case-insensitive)
  assert.equal(b.path.size, 99);
  assert.match(b.ip.get("103.77.192.219")!.source, /CHIRP.*Volexity|Volexity.*CHIRP/);
  assert.equal(b.ip.get("5.2.69.14")!.source, "CISA CHIRP AA21-062A");
  assert.ok(b.sha256.has("097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e"));
  assert.ok(b.path.has("<fe>\\owa\\auth\\one1.aspx"));
  assert.ok(b.path.has("\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx"));
});

test("inferIoc: types from values; junk rejected", () => {
  assert.equal(inferIoc("B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0")?.type, "sha256");
  assert.equal(inferIoc("da39a3ee5e6b4b0d3255bfef95601890afd80709")?.type, "sha1");
  assert.equal(inferIoc("d41d8cd98f00b204e9800998ecf8427e")?.type, "md5");
  assert.deepEqual(inferIoc(" 10.1.2.3 "), { type: "ip", key: "10.1.2.3" });
  assert.deepEqual(inferIoc("[2001:DB8::1]"), { type: "ip", key: "2001:db8::1" });
  assert.deepEqual(inferIoc("D:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"), {
    type: "path",
    key: "\\inetpub\\wwwroot\\aspnet_client\\x.aspx",
  });
  assert.deepEqual(inferIoc("Evil.Example.COM."), { type: "domain", key: "evil.example.com" });
  for (const junk of ["", "hello", "1.2.3", "999.1.1.1", "abc123", "12345"])
    assert.equal(inferIoc(junk), null, junk);
});

test("iocPathKey: any install location, drive, admin share and case", () => {
  const k = iocPathKey(
    "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\a.aspx",
  );
  assert.equal(k, "<fe>\\owa\\auth\\a.aspx");
  assert.equal(iocPathKey("E:/Exch/V15/FRONTEND/HTTPPROXY/OWA/AUTH/A.ASPX"), k);
  assert.equal(
    iocPathKey("\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx"),
    "\\inetpub\\wwwroot\\aspnet_client\\x.aspx",
  );
});

test("parseFeed: text, CSV with a header, quoted cells, comments and bad lines", () => {
  const text = parseFeed("# my list\n1.2.3.4\n\nnot an indicator\nevil.example.org\r\n", "user:t");
  assert.deepEqual(
    text.iocs.map((i) => i.type),
    ["ip", "domain"],
  );
  assert.deepEqual(text.bad, [{ line: 4, text: "not an indicator" }]);
  const csv = parseFeed(
    'date,Indicator,type\n2021-03-01,"C:\\inetpub\\wwwroot\\aspnet_client\\a,b.aspx",filepath\n2021-03-02,5.6.7.8,ip\n',
    "user:c",
  );
  assert.deepEqual(
    csv.iocs.map((i) => [i.type, i.key]),
    [
      ["path", "\\inetpub\\wwwroot\\aspnet_client\\a,b.aspx"],
      ["ip", "5.6.7.8"],
    ],
  );
  assert.equal(csv.bad.length, 0);
  // Headerless CSV: the first cell.
  const first = parseFeed("8.8.4.4,seen 2021\n", "user:h");
  assert.deepEqual(
    first.iocs.map((i) => i.key),
    ["8.8.4.4"],
  );
});

test("ioc-file-hash: bundled and user hashes (sha256/sha1/md5); unknown hash is no finding", () => {
  const f = swept(`${ASPNET_CLIENT}x.aspx`, "inert content");
  assert.deepEqual(run(iocFileHash, f), []);
  const known = { ...f, sha256: "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0" };
  const d = run(iocFileHash, known);
  assert.equal(d.length, 1);
  assert.match(d[0].evidence.Feed, /MSTIC/);
  assert.equal(d[0].evidence.SHA256, known.sha256);
  const mine = withIocs(`${f.sha256}\nd41d8cd98f00b204e9800998ecf8427e\n`, "user:mine");
  assert.equal(run(iocFileHash, f, mine)[0].evidence.Feed, "user:mine");
  const md5 = { ...swept("C:\\x\\y.bin", "z"), md5: "d41d8cd98f00b204e9800998ecf8427e" };
  assert.equal(run(iocFileHash, md5, mine)[0].evidence.Rule, "md5:d41d8cd98f00b204e9800998ecf8427e");
});

test("ioc-file-path: MSTIC paths at any install path; Exchange's own file name is downgraded", () => {
  const hit = run(
    iocFilePath,
    swept("D:\\Exchange\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookZH.aspx", "x"),
  );
  assert.equal(hit.length, 1);
  assert.equal(hit[0].severity, undefined);
  const shipped = run(iocFilePath, swept(`${ECP_AUTH}TimeoutLogout.aspx`, "x"));
  assert.equal(shipped.length, 1);
  assert.equal(shipped[0].severity, "medium");
  // Traps: same name elsewhere; Exchange's logon.aspx (not in the feed); no Windows path.
  assert.deepEqual(run(iocFilePath, swept("C:\\temp\\OutlookZH.aspx", "x")), []);
  assert.deepEqual(run(iocFilePath, swept(`${OWA_AUTH}logon.aspx`, "x")), []);
  assert.deepEqual(run(iocFilePath, swept(null, "x")), []);
});

test("ioc-client-ip: HttpProxy ClientIpAddress and IIS c-ip; the IP elsewhere in the row is no hit", () => {
  assert.deepEqual(iocClientIp.literals, []); // read through its column filter: see the measurement in ip.ts
  const hunt = createHuntContext();
  assert.equal(iocClientIp.field?.("httpproxy", hunt)?.field, "clientIp");
  // The field maps route the canonical field to each format's column.
  // (Other detections may gate on IIS columns too, e.g. the Sigma webserver rules on cs-uri-stem.)
  assert.ok(planFor("httpproxy", hunt).fields.some((f) => f.name === "ClientIpAddress"));
  assert.ok(planFor("iis-w3c", hunt).fields.some((f) => f.name === "c-ip"));
  const hp = fakeRow("httpproxy", {
    DateTime: "2021-03-03T06:49:43.208Z",
    ClientIpAddress: "80.92.205.81",
    UrlStem: "/ecp/y.js",
    HttpStatus: "200",
  });
  const d = draftsOf(iocClientIp.match(hp, ctx()));
  assert.equal(d.length, 1);
  assert.equal(d[0].evidence.ClientIpAddress, "80.92.205.81");
  assert.match(d[0].evidence.Feed, /Volexity/);
  const iis = fakeRow(
    "iis-w3c",
    {
      "c-ip": "91.192.103.43",
      "cs-method": "POST",
      "cs-uri-stem": "/ecp/default.flt",
      "sc-status": "200",
      "cs-uri-query": "-",
    },
    { time: "2021-03-02T01:02:03.000Z" },
  );
  const e = draftsOf(iocClientIp.match(iis, ctx()));
  assert.deepEqual(e[0].evidence, {
    ClientIp: "91.192.103.43",
    Method: "POST",
    UriStem: "/ecp/default.flt",
    Status: "200",
    Feed: "CISA CHIRP AA21-062A",
  });
  assert.equal(e[0].time, "2021-03-02T01:02:03.000Z");
  // Traps: the literal inside another field, or a longer address containing it.
  const other = fakeRow("httpproxy", { ClientIpAddress: "10.0.0.5", UrlQuery: "x=80.92.205.81" });
  assert.deepEqual(draftsOf(iocClientIp.match(other, ctx())), []);
  const longer = fakeRow("iis-w3c", { "c-ip": "15.2.69.145" });
  assert.deepEqual(draftsOf(iocClientIp.match(longer, ctx())), []);
});

test("ioc-client-ip: user IPs (v4 and v6, with port or brackets in the log) are matched", () => {
  const user = withIocs("203.0.113.77\n2001:db8::7\n", "user:ip");
  const c = ctx(undefined, null, user);
  const v4 = fakeRow("httpproxy", { ClientIpAddress: "203.0.113.77:51234" });
  assert.equal(draftsOf(iocClientIp.match(v4, c))[0].evidence.Feed, "user:ip");
  const v6 = fakeRow("iis-w3c", { "c-ip": "[2001:DB8::7]" });
  assert.equal(draftsOf(iocClientIp.match(v6, c)).length, 1);
  assert.ok(user.iocs.ip.size === 17);
  // Another scan's context has none of them.
  assert.deepEqual(draftsOf(iocClientIp.match(v4, ctx())), []);
});

test("ioc-domain-in-file: a web file naming a feed domain or its subdomain; lookalikes are not hits", () => {
  const hit = run(
    iocDomain,
    swept(`${ASPNET_CLIENT}d.aspx`, 'var u = "http://jennifer.krebsonsecurity.top/x";'),
  );
  assert.equal(hit.length, 1);
  assert.match(hit[0].evidence.Match, /krebsonsecurity\.top/);
  assert.equal(hit[0].evidence.Rule, "domain:jennifer.krebsonsecurity.top"); // the listed subdomain, by name
  const sub = run(iocDomain, swept(`${OWA_AUTH}e.aspx`, "fetch('https://cdn.krebsonsecurity.top/p')"));
  assert.equal(sub.length, 1);
  assert.deepEqual(
    run(iocDomain, swept(`${OWA_AUTH}f.aspx`, "notkrebsonsecurity.top.example krebsonsecurity.topx")),
    [],
  );
  assert.deepEqual(run(iocDomain, swept("C:\\Users\\a\\notes.txt", "krebsonsecurity.top")), []);
});

test("ioc-client-ip: the column filter and its gate let through every value the exact check accepts", () => {
  const f = iocClientIp.field?.("httpproxy", withIocs("2001:db8::7\n", "user:ip"));
  assert.ok(f?.literals);
  const gate = f.literals;
  assert.ok(gate.includes("80.92.205.81") && gate.includes("2001:db8::7"));
  // Forms the exact check normalises: port, brackets, upper-case hex, spaces. Each contains a gate literal.
  for (const v of ["80.92.205.81:51234", "[2001:DB8::7]:443", " 5.2.69.14 ", "[2001:db8::7]"]) {
    assert.ok(f.accept?.(v), v);
    const folded = v.toLowerCase();
    assert.ok(
      gate.some((l) => folded.includes(l)),
      `${v} contains a gate literal`,
    );
  }
  for (const v of ["10.0.0.5", "15.2.69.145", "", "80.92.205.811"]) assert.equal(f.accept?.(v), false, v);
  // A key written some other way turns the gate off (every row's column is read, nothing missed).
  const oddHunt = withIocs("fe80::1%eth0\n", "user:ip");
  assert.ok(oddHunt.iocs.ip.has("fe80::1%eth0"));
  const odd = iocClientIp.field?.("iis-w3c", oddHunt);
  assert.equal(odd?.literals, undefined);
  assert.ok(odd?.accept?.("FE80::1%eth0"));
});

test("ioc-client-ip: a feed too large for the one-pass search is gated by pieces of its addresses, never loses one", () => {
  const addresses = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);
  const plan = planFor("httpproxy", withIocs(addresses.join("\n"), "user:many"));
  assert.ok(plan.literals.length <= MAX_LITERALS, `${plan.literals.length} literals`);
  const ipFilter = plan.fields.find((f) => f.name === "ClientIpAddress");
  assert.ok(ipFilter, "the column filter stays");
  assert.ok(ipFilter.gate, "gated by pieces");
  const gate = ipFilter.gate.map((i) => plan.literals[i].bytes.toString("latin1"));
  for (const a of addresses)
    assert.ok(
      gate.some((g) => a.includes(g)),
      `${a} opens the gate`,
    );
  assert.ok(ipFilter.accept?.("198.51.100.77:4431"));
  // A feed of thousands is not covered: the gate is dropped and the column read on every row.
  const huge = Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.7`).join("\n");
  const big = planFor("httpproxy", withIocs(huge, "user:huge"));
  assert.equal(big.fields.find((f) => f.name === "ClientIpAddress")?.gate, undefined);
  // The usual feeds fit: gated.
  assert.ok(planFor("httpproxy", createHuntContext()).fields.every((f) => f.gate !== undefined));
});

test("ioc-client-ip: end to end with a 100-address --ioc feed (ungated column reads)", async (t) => {
  const dir = tempDir(t);
  const feed = join(dir, "ips.txt");
  writeFileSync(feed, Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`).join("\n"));
  const logs = join(dir, "EXCH09", "Logging/HttpProxy/Owa");
  mkdirSync(logs, { recursive: true });
  const head =
    "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T00:00:00.000Z\r\n#Fields: DateTime,ClientIpAddress,UrlStem,HttpStatus\r\n";
  const rows = [
    "2021-03-03T01:00:00.000Z,10.0.0.8,/owa/,200",
    "2021-03-03T01:00:01.000Z,198.51.100.77:4431,/owa/,200",
    "2021-03-03T01:00:02.000Z,10.0.0.9,/owa/?x=198.51.100.5,200",
  ];
  writeFileSync(join(logs, "HttpProxy_2021030301-1.LOG"), `${head}${rows.join("\r\n")}\r\n`);
  const r = await scan([join(dir, "EXCH09")], { workers: 0, iocFiles: [feed] });
  const hits = r.servers[0].findings.filter((f) => f.check === "ioc-client-ip");
  assert.deepEqual(
    hits.map((f) => [f.source.line, f.evidence.Feed]),
    [[7, `user:${feed}`]],
  );
});
