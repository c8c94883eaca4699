// End to end through the library API and the CLI: example servers, collector layouts, bad input.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { writeClean, writeCompromised } from "../examples/generate.js";
import { scan } from "../src/index.js";
import type { ScanResult } from "../src/model/types.js";
import { runCli, tempDir } from "./helpers.js";
import { buildZip, type ZipEntry } from "./zip-writer.js";

const SMALL_ATTACK = {
  rowsPerHour: 8,
  from: new Date("2021-03-01T00:00:00Z"),
  to: new Date("2021-03-05T00:00:00Z"),
};
const SMALL_CLEAN = {
  rowsPerHour: 8,
  from: new Date("2020-12-30T00:00:00Z"),
  to: new Date("2021-01-06T00:00:00Z"),
};
const PRE =
  "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T06:00:00.000Z\r\n";

/** Content and times of every file under a folder: to prove a scan modified nothing. */
function fingerprint(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        h.update(`${p} -> ${readlinkSync(p)}\0`);
        continue;
      }
      if (st.isDirectory()) walk(p);
      else h.update(`${p}\0${st.size}\0${st.mtimeMs}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}

describe("scan: example servers", () => {
  let dir: string;
  let result: ScanResult;
  before(async () => {
    dir = join(tempDirOnce(), "fleet");
    writeCompromised(join(dir, "EXCH01"), SMALL_ATTACK);
    writeClean(join(dir, "EXCH02"), SMALL_CLEAN);
    result = await scan([dir], { each: true, workers: 0 });
  });

  it("gives the compromised server its verdict, with the attack's findings at file:line", () => {
    const s = result.servers.find((x) => x.name === "EXCH01")!;
    assert.equal(s.verdict, "compromised");
    const checks = new Set(s.findings.map((f) => f.check));
    for (const c of [
      "cve-2021-26855-ssrf",
      "cve-2021-26855-ssrf-failed",
      "cve-2021-26855-probe",
      "cve-2021-26855-backend-cookie",
      "cve-2021-27065-reset-vdir",
      "cve-2021-27065-set-vdir",
      "cve-2021-26858-oab-write",
      "lsass-dump",
      "suspicious-archive",
    ]) {
      assert.ok(checks.has(c), `missing ${c}`);
    }
    const ssrf = s.findings.filter((f) => f.check === "cve-2021-26855-ssrf");
    assert.equal(ssrf.length, 5);
    const first = ssrf.sort((a, b) => (a.time ?? "").localeCompare(b.time ?? ""))[0];
    assert.equal(first.time, "2021-03-03T06:49:43.208Z");
    assert.match(
      first.source.file ?? "",
      /^C\/Program Files\/Microsoft\/Exchange Server\/V15\/Logging\/HttpProxy\/Ecp\/HttpProxy_2021030306-1\.LOG$/,
    );
    const lines = readFileSync(join(dir, "EXCH01", first.source.file!), "utf8").split(/\r?\n/);
    assert.match(lines[(first.source.line ?? 0) - 1], /mapi\/emsmdb/);
    const oab = s.findings.find((f) => f.check === "cve-2021-26858-oab-write")!;
    assert.equal(
      oab.evidence.DownloadPath,
      "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\system_web\\discover.aspx",
    );
    assert.equal(s.installPath, "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\");
  });

  it("finds nothing on the clean busy server full of look-alikes, and lists the backup archive without raising", () => {
    const s = result.servers.find((x) => x.name === "EXCH02")!;
    assert.equal(s.verdict, "clean");
    assert.deepEqual(
      [...new Set(s.findings.filter((f) => f.severity !== "info").map((f) => f.check))],
      ["suspicious-archive"],
    );
    assert.ok(s.stats.records > 1000);
    // The logs start before 2021-01-03 but end on 2021-01-06: part of the campaign window, not all of it.
    assert.equal(s.coverage.windowCoverage, "partial");
    assert.equal(s.coverage.coversWindow, false);
    assert.match(
      s.reasons[0],
      /^No sign of exploitation in \d+ log files? from \d+ sources?, \d{4}-\d\d-\d\d to /,
    );
  });

  it("reports coverage per source, and every gap as a log-coverage finding", () => {
    const s = result.servers.find((x) => x.name === "EXCH01")!;
    const ecp = s.coverage.sources.find((c) => c.source === "HttpProxy/Ecp")!;
    assert.ok(ecp.oldest?.startsWith("2021-03-01"));
    assert.equal(s.coverage.coversWindow, false);
    const gaps = s.findings.filter((f) => f.check === "log-coverage");
    assert.ok(gaps.some((f) => f.evidence.Source === "HttpProxy/Ecp"));
    assert.ok(gaps.every((f) => f.severity === "info"));
  });

  it("gives the same findings read inline, by workers, and in byte ranges", async () => {
    const ids = (r: ScanResult) =>
      r.servers.flatMap((s) => s.findings.map((f) => `${f.id} ${f.source.file}:${f.source.line}`)).sort();
    const split = await scan([dir], { each: true, workers: 2, splitBytes: 4096 });
    assert.deepEqual(ids(split), ids(result));
  });
});

let onceDir: string | null = null;
function tempDirOnce(): string {
  if (!onceDir) {
    const holder: (() => void)[] = [];
    onceDir = tempDir({ after: (fn) => holder.push(fn) });
    process.on("exit", () => {
      for (const f of holder) f();
    });
  }
  return onceDir;
}

describe("scan: collector layouts", () => {
  it("reads a bare Logging folder, a single file, and a Velociraptor-style zip", async (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "tree"), SMALL_ATTACK);
    const logging = join(dir, "tree/C/Program Files/Microsoft/Exchange Server/V15/Logging");
    const bare = await scan([logging], { workers: 0 });
    assert.equal(bare.servers[0].verdict, "compromised");
    assert.equal(bare.servers[0].installPath, null);
    assert.ok(
      bare.servers[0].findings.some((f) => f.check === "cve-2021-26858-oab-write"),
      "the OAB check works without the install path",
    );

    const one = await scan([join(logging, "HttpProxy/Ecp/HttpProxy_2021030306-1.LOG")], { workers: 0 });
    assert.equal(one.servers[0].verdict, "compromised");
    assert.deepEqual(one.servers[0].coverage.missing.sort(), [
      "ECP Server logs",
      "Event log: Application",
      "Event log: MSExchange Management",
      "OABGeneratorLog",
    ]);

    const entries: ZipEntry[] = [];
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p, `${rel}/${name}`);
        else
          entries.push({
            name: `uploads/auto/C%3A${rel.replace(/^\/C/, "")}/${name}`,
            data: readFileSync(p),
            deflate: true,
          });
      }
    };
    walk(join(dir, "tree/C"), "/C");
    const zip = join(dir, "EXCH01.zip");
    writeFileSync(zip, buildZip(entries));
    const z = await scan([zip], { workers: 0 });
    const s = z.servers[0];
    assert.equal(s.name, "EXCH01");
    assert.equal(s.verdict, "compromised");
    assert.equal(s.installPath, "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\");
    const dump = s.findings.find((f) => f.check === "lsass-dump")!;
    assert.equal(dump.evidence.Path, "C:\\Windows\\Temp\\lsass.dmp");
    assert.equal(dump.source.file, "uploads/auto/C%3A/Windows/Temp/lsass.dmp");
  });
});

describe("scan: bad input", () => {
  it("never crashes, reports every file not fully read, and modifies nothing", async (t) => {
    const dir = tempDir(t);
    const ecp = join(dir, "Logging/HttpProxy/Ecp");
    mkdirSync(ecp, { recursive: true });
    const good = `#Fields: DateTime,AnchorMailbox,HttpStatus\r\n2021-03-03T06:00:01.000Z,ServerInfo~a]@x:444/ecp/y#,200\r\n`;
    writeFileSync(join(ecp, "binary.LOG"), Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0]));
    writeFileSync(join(ecp, "empty.LOG"), "");
    writeFileSync(join(ecp, "truncated.LOG"), `${PRE}${good}2021-03-03T06:00:02.000Z,Smtp~`);
    writeFileSync(
      join(ecp, "long.LOG"),
      `${PRE}#Fields: DateTime,AnchorMailbox,UserAgent,HttpStatus\r\n2021-03-03T06:00:03.000Z,ServerInfo~b]@x:444/ecp/z#,${"A".repeat(5 * 2 ** 20)},200\r\n`,
    );
    writeFileSync(
      join(ecp, "two-headers.LOG"),
      `${PRE}${good}${PRE}#Fields: DateTime,HttpStatus,AnchorMailbox\r\n2021-03-03T07:00:01.000Z,500,ServerInfo~c]@x:444/ecp/q#\r\n`,
    );
    writeFileSync(join(ecp, "bom crlf é ünï.LOG"), `\ufeff${PRE}${good}`);
    symlinkSync(join(dir, "nowhere.LOG"), join(ecp, "dangling.LOG"));
    symlinkSync(dir, join(ecp, "loop"));
    const before = fingerprint(dir);
    const r = await scan([dir], { workers: 0 });
    assert.equal(fingerprint(dir), before, "the scan changed the evidence");
    const s = r.servers[0];
    const skipped = Object.fromEntries(s.skipped.map((k) => [k.file.split("/").pop(), k.reason]));
    assert.equal(skipped["binary.LOG"], "unknown-format");
    assert.equal(skipped["empty.LOG"], "empty");
    assert.equal(skipped["truncated.LOG"], "partial");
    assert.equal(skipped["dangling.LOG"], "unreadable");
    assert.equal(skipped.loop, "loop");
    const hits = s.findings.filter((f) => f.check.startsWith("cve-2021-26855"));
    const where = hits.map((f) => `${f.source.file?.split("/").pop()}:${f.source.line}:${f.check}`).sort();
    assert.deepEqual(where, [
      "bom crlf é ünï.LOG:6:cve-2021-26855-ssrf",
      "long.LOG:6:cve-2021-26855-ssrf",
      "truncated.LOG:6:cve-2021-26855-ssrf",
      "two-headers.LOG:12:cve-2021-26855-ssrf-failed",
      "two-headers.LOG:6:cve-2021-26855-ssrf",
    ]);
  });

  it("exits 2 with one line for a PATH that does not exist, and for bad options", (t) => {
    const dir = tempDir(t);
    const r = runCli(["scan", join(dir, "missing")]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /no such file or folder/);
    const o = runCli(["scan", dir, "--workers", "many"]);
    assert.equal(o.status, 2);
    assert.match(o.stderr, /--workers must be an integer/);
  });

  it("keeps scanning a fleet when one collection is broken", async (t) => {
    const dir = tempDir(t);
    writeCompromised(join(dir, "EXCH01"), SMALL_ATTACK);
    writeFileSync(join(dir, "EXCH09.zip"), "not a zip at all");
    const r = await scan([dir], { each: true, workers: 0 });
    assert.deepEqual(
      r.servers.map((s) => [s.name, s.verdict]),
      [
        ["EXCH01", "compromised"],
        ["EXCH09", "unknown"],
      ],
    );
    assert.match(r.servers[1].skipped[0].detail, /not a readable zip/);
  });
});
