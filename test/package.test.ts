// The npm package as a user gets it: packed, installed into an empty folder, and run — `--help`
// (with the exit codes), `example`, a scan of that example, and `report` on the scan's JSON. Needs the
// build (npm run build). No network: the tarball is unpacked as npm would install it
// (node_modules/exhunt), and its dependencies are links to this checkout's node_modules.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, it } from "node:test";
import { IN_CI, ROOT, tempDir } from "./helpers.js";

const BUILT = existsSync(join(ROOT, "dist/cli/exhunt.js")) && existsSync(join(ROOT, "dist/index.js"));
const skip = BUILT || IN_CI ? false : "dist not built (npm run build): package test skipped";

function sh(cmd: string, args: string[], cwd: string) {
  // No parsed-Sigma-rule cache: tests never write into the user's cache folder.
  return spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", EXHUNT_SIGMA_CACHE: "off" },
  });
}

/** Relative links of a Markdown file, resolved against its folder (anchors and URLs left out). */
function relativeLinks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
    .map((m) => m[1])
    .filter((l) => !/^[a-z]+:/i.test(l))
    .map((l) => posix.normalize(posix.join(posix.dirname(file), l)));
}

/** Installs the tarball into app/node_modules/exhunt, its dependencies linked from this checkout. */
function install(tgz: string, app: string): void {
  const pkgDir = join(app, "node_modules", "exhunt");
  mkdirSync(pkgDir, { recursive: true });
  const untar = sh("tar", ["-xzf", tgz, "-C", pkgDir, "--strip-components=1"], app);
  assert.equal(untar.status, 0, untar.stderr);
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const deps = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})];
  for (const d of deps) {
    const from = join(ROOT, "node_modules", d);
    if (!existsSync(from)) continue; // an optional dependency not installed here
    mkdirSync(join(app, "node_modules", posix.dirname(d)), { recursive: true });
    symlinkSync(from, join(app, "node_modules", d), "dir");
  }
}

describe("the packed tarball", { skip }, () => {
  it("ships docs the README links, no source maps, no unbundled CLI; installed, it runs --help, example, scan, report", (t) => {
    const dir = tempDir(t, "exhunt-pack-");
    const pack = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"], ROOT);
    assert.equal(pack.status, 0, pack.stderr);
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    assert.ok(tgz, "a tarball");
    const list = sh("tar", ["-tzf", join(dir, tgz)], dir).stdout.split("\n");
    // Every relative link of the README and of the docs it links resolves inside the package.
    const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
    for (const md of ["README.md", ...docs.map((f) => `docs/${f}`)])
      for (const l of relativeLinks(md))
        if (!l.startsWith("..") && !l.startsWith("test/") && !l.startsWith("src/") && !l.startsWith("bench/"))
          assert.ok(
            list.includes(`package/${l}`) || list.some((f) => f.startsWith(`package/${l}/`)),
            `${md} links ${l}, which is not in the package`,
          );
    assert.ok(list.includes("package/docs/checks.md"));
    assert.ok(list.includes("package/data/schema/result.schema.json"));
    assert.deepEqual(
      list.filter((f) => f.endsWith(".map")),
      [],
    );
    assert.deepEqual(list.filter((f) => f.startsWith("package/dist/cli/") && f.endsWith(".js")).sort(), [
      "package/dist/cli/exhunt.js",
      "package/dist/cli/job-process.js",
      "package/dist/cli/probe-worker.js",
      "package/dist/cli/worker.js",
    ]);
    assert.ok(!list.some((f) => f.startsWith("package/examples/")), "the generator is in the CLI bundle");

    const app = join(dir, "app");
    install(join(dir, tgz), app);
    const pkg = JSON.parse(readFileSync(join(app, "node_modules/exhunt/package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    const bin = join(app, "node_modules/exhunt", pkg.bin.exhunt);
    const run = (args: string[]) => sh(process.execPath, [bin, ...args], app);
    const help = run(["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Exit codes/);
    assert.match(help.stdout, /\bexample\b/);

    const example = run(["example", "ev", "--small"]);
    assert.equal(example.status, 0, example.stderr);
    assert.match(example.stdout, /exhunt scan --each ev --ioc ev\/iocs\.txt/);
    const scan = run(["scan", "--each", "ev", "--ioc", "ev/iocs.txt", "--no-progress", "--json", "r.json"]);
    assert.equal(scan.status, 1, scan.stderr);
    assert.match(scan.stdout, /EXCH01-compromised {2}COMPROMISED/);
    const report = run(["report", "r.json", "--brief", "--html", "r.html"]);
    assert.equal(report.status, 1, report.stderr);
    assert.match(report.stdout, /COMPROMISED/);
    assert.match(readFileSync(join(app, "r.html"), "utf8"), /<div class="verdict">Compromised<\/div>/);
    // The library entry loads from the installed package.
    const lib = sh(
      process.execPath,
      ["--input-type=module", "-e", 'import("exhunt").then((m) => console.log(typeof m.scan))'],
      app,
    );
    assert.equal(lib.stdout.trim(), "function", lib.stderr);
  });
});
