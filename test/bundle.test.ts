// The bundled command line (dist/cli/exhunt.js, the package's `bin`) and its bundled worker: data files,
// worker threads and the WebAssembly search must work from there too. Built by `npm install` (prepare).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  benignRow,
  COMPROMISED,
  HTTPPROXY_FIELDS,
  httpProxyLine,
  INSTALL,
  preamble,
  rng,
} from "../examples/generate.js";
import { ROOT, tempDir } from "./helpers.js";

const BIN = join(ROOT, "dist/cli/exhunt.js");
const NO_BUNDLE = existsSync(BIN)
  ? false
  : "dist/cli/exhunt.js not built (npm run build): bundle checks skipped";

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    // No parsed-Sigma-rule cache: tests never write into the user's cache folder.
    env: { ...process.env, NO_COLOR: "1", EXHUNT_SIGMA_CACHE: "off" },
  });
}

test("bundled CLI: version, build table and indicator feeds load from the package", {
  skip: NO_BUNDLE,
}, () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.equal(run(["--version"]).stdout.trim(), pkg.version);
  const b = run(["build", "15.1.2176.2", "--json", "-"]);
  assert.equal(b.status, 1, b.stderr); // 1: the build is vulnerable
  const json = JSON.parse(b.stdout) as { builds: { cves: Record<string, { status: string }> }[] };
  assert.equal(json.builds[0].cves["CVE-2021-26855"].status, "vulnerable");
});

test("bundled CLI: a scan big enough for the worker thread finds the planted rows", {
  skip: NO_BUNDLE,
}, (t) => {
  const dir = tempDir(t);
  const folder = join(dir, INSTALL, "Logging/HttpProxy/Ecp");
  mkdirSync(folder, { recursive: true });
  const r = rng(5);
  const parts = [preamble("HttpProxy Logs", "2021-03-03T00:00:00.000Z", HTTPPROXY_FIELDS.join(","))];
  const start = Date.parse("2021-03-03T00:00:00Z");
  // Two files of ~10 MB: more than the 16 MiB read inline, so the pool (main thread + worker) reads them.
  for (const [name, planted] of [
    ["HttpProxy_2021030300-1.LOG", 7_000],
    ["HttpProxy_2021030301-1.LOG", 12_345],
  ] as const) {
    const lines = [...parts];
    for (let i = 0; i < 15_000; i++) {
      const { row } = benignRow(r, COMPROMISED, new Date(start + i * 200), "Ecp");
      if (i === planted) {
        row.AnchorMailbox = "ServerInfo~a]@exch01.contoso.local:444/ecp/proxyLogon.ecp?#";
        row.HttpStatus = "200";
        row.ClientIpAddress = "80.92.205.81";
      }
      lines.push(`${httpProxyLine(row)}\r\n`);
    }
    writeFileSync(join(folder, name), lines.join(""));
  }
  const s = run(["scan", dir, "--workers", "1", "--no-progress", "--json", "-"]);
  assert.equal(s.status, 1, s.stderr);
  const result = JSON.parse(s.stdout) as {
    servers: { findings: { check: string; source: { line: number } }[] }[];
  };
  const checks = result.servers[0].findings
    .map((f) => f.check)
    .filter((c) => !c.startsWith("exposure-") && c !== "log-coverage")
    .sort();
  assert.deepEqual(checks, ["cve-2021-26855-ssrf", "cve-2021-26855-ssrf", "ioc-client-ip", "ioc-client-ip"]);
  assert.deepEqual(
    result.servers[0].findings
      .filter((f) => f.check === "ioc-client-ip")
      .map((f) => f.source.line)
      .sort((a, b) => a - b),
    [7_006, 12_351],
  );
});

test("bundled CLI: commands that do not need them start without PostgreSQL's client, pg-boss or undici", {
  skip: NO_BUNDLE,
}, (t) => {
  // Loading pg (and what it pulls in of Node) cost every command about 0.1 s of start-up. A preload
  // lists the packages the process loaded, as it exits.
  const dir = tempDir(t);
  const preload = join(dir, "loaded.cjs");
  const out = join(dir, "loaded.json");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));`,
  );
  const packages = (args: string[]) => {
    const r = spawnSync(process.execPath, ["--require", preload, BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", EXHUNT_SIGMA_CACHE: "off" },
    });
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const files = JSON.parse(readFileSync(out, "utf8")) as string[];
    return new Set(
      files.map((f) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(f)?.[1]).filter(Boolean),
    );
  };
  for (const args of [["--version"], ["build", "15.1.2176.2", "--json", "-"]]) {
    const got = packages(args);
    for (const p of ["pg", "pg-boss", "undici"])
      assert.ok(!got.has(p), `exhunt ${args.join(" ")} loaded ${p} (${[...got].join(", ")})`);
  }
  // The check sees packages at all: a command that opens SQLite loads better-sqlite3.
  const store = join(dir, "fleet.sqlite");
  assert.ok(packages(["fleet", "list", "--store", store]).has("better-sqlite3"));
});
