// The npm package as a user gets it: packed, installed into an empty folder, and run — `--help`
// (with the exit codes), a scan, and `report` on the scan's JSON. Needs the build (npm run build).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeCompromised } from "../examples/generate.js";
import { IN_CI, ROOT, tempDir } from "./helpers.js";

const BUILT = existsSync(join(ROOT, "dist/cli/exhunt.js")) && existsSync(join(ROOT, "dist/index.js"));
const skip = BUILT || IN_CI ? false : "dist not built (npm run build): package test skipped";

function sh(cmd: string, args: string[], cwd: string) {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}

describe("the packed tarball", { skip }, () => {
  it("installs into an empty folder and runs: --help, scan, report; no source maps, no unbundled CLI", (t) => {
    const dir = tempDir(t, "exhunt-pack-");
    const pack = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"], ROOT);
    assert.equal(pack.status, 0, pack.stderr);
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    assert.ok(tgz, "a tarball");
    const list = sh("tar", ["-tzf", join(dir, tgz)], dir).stdout.split("\n");
    assert.ok(list.includes("package/docs/checks.md"), "docs ship (the README links them)");
    assert.ok(list.includes("package/data/schema/result.schema.json"));
    assert.deepEqual(
      list.filter((f) => f.endsWith(".map")),
      [],
    );
    assert.deepEqual(list.filter((f) => f.startsWith("package/dist/cli/") && f.endsWith(".js")).sort(), [
      "package/dist/cli/exhunt.js",
      "package/dist/cli/probe-worker.js",
      "package/dist/cli/worker.js",
    ]);
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), '{"name":"app","private":true}');
    const inst = sh(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(dir, tgz)],
      app,
    );
    assert.equal(inst.status, 0, inst.stderr);
    const bin = join(app, "node_modules/.bin/exhunt");
    const help = sh(bin, ["--help"], app);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Exit codes/);
    const ev = join(dir, "EXCH01");
    writeCompromised(ev, {
      rowsPerHour: 2,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-04T00:00:00Z"),
    });
    const out = join(dir, "r.json");
    const scan = sh(bin, ["scan", ev, "--no-progress", "--json", out], app);
    assert.equal(scan.status, 1, scan.stderr);
    assert.match(scan.stdout, /EXCH01 {2}COMPROMISED/);
    const report = sh(bin, ["report", out, "--brief"], app);
    assert.equal(report.status, 1, report.stderr);
    assert.match(report.stdout, /COMPROMISED/);
    // The library entry loads from the installed package.
    const lib = sh(
      process.execPath,
      ["--input-type=module", "-e", 'import("exhunt").then((m) => console.log(typeof m.scan))'],
      app,
    );
    assert.equal(lib.stdout.trim(), "function", lib.stderr);
  });
});
