// Progress for fleet-wide work: a line on a terminal for imports and the export, none in pipes, with
// --no-progress or when a machine reads the output (--json), and the line never lands in the data.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { countProgress } from "../../src/cli/progress.js";
import { openStore, recordServer, runMeta } from "../../src/fleet.js";
import { ROOT, runCli, tempDir } from "../helpers.js";
import { server } from "../outputs/fixtures.js";

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = "";
  const stream = {
    isTTY,
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

const HAVE_SCRIPT = spawnSync("script", ["--version"]).error === undefined;
const NO_PTY = HAVE_SCRIPT
  ? false
  : "script (util-linux) not installed: no pseudo-terminal for the CLI check";

async function storeWith(dir: string, n: number): Promise<string> {
  const path = join(dir, "fleet.db");
  const s = await openStore(path);
  for (let i = 0; i < n; i++) await recordServer(s, runMeta("scan", {}), server(`EXCH${i}`, []));
  await s.close();
  return path;
}

describe("fleet progress", () => {
  it("on a terminal: a bar with the count, cleared at the end; nothing on a pipe or when not wanted", () => {
    const tty = fakeStream(true);
    const p = countProgress("exporting", tty.stream);
    assert.equal(p.active, true);
    p.update(5, 10);
    p.done();
    assert.match(tty.text(), /exporting .* 50% 5\/10/);
    assert.ok(tty.text().endsWith("\r\x1b[2K"), "the line is cleared");
    const counted = fakeStream(true);
    const c = countProgress("checking records", counted.stream);
    c.update(1234, null);
    assert.match(counted.text(), /checking records 1,234$/);
    for (const [isTTY, wanted] of [
      [false, true],
      [true, false],
    ] as const) {
      const s = fakeStream(isTTY);
      const q = countProgress("x", s.stream, wanted);
      assert.equal(q.active, false);
      q.update(1, 2);
      q.done();
      assert.equal(s.text(), "");
    }
  });

  it("the CLI on a pseudo-terminal: export and import show it; --no-progress and --json do not; data stays clean", {
    skip: NO_PTY,
  }, async (t) => {
    const dir = tempDir(t);
    const store = await storeWith(dir, 3);
    const bin = join(ROOT, "src/cli/bin.ts");
    // `script` gives the command a terminal; stdout and stderr both reach its output.
    const onTty = (args: string[]) => {
      const cmd = [process.execPath, "--import", "tsx", bin, ...args].map((a) => `'${a}'`).join(" ");
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r.stdout;
    };
    const out = join(dir, "export.ndjson");
    assert.match(onTty(["fleet", "export", "--store", store, "--json", out]), /exporting .*%/);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    assert.ok(
      lines.every((l) => l.startsWith("{")),
      "no progress text in the NDJSON",
    );
    assert.doesNotMatch(
      onTty(["fleet", "export", "--store", store, "--json", out, "--no-progress"]),
      /exporting/,
    );
    const other = join(dir, "other.db");
    assert.match(onTty(["fleet", "import", "export", out, "--store", other]), /importing records .*%/);
    const quiet = onTty(["fleet", "import", "export", out, "--store", other, "--json", "-"]);
    assert.doesNotMatch(quiet, /importing records/);
    assert.equal(
      JSON.parse(quiet.slice(quiet.indexOf("{"), quiet.lastIndexOf("}") + 1)).runsAlreadyStored,
      3,
    );
    // Not a terminal: nothing on stderr but the summary.
    const piped = runCli(["fleet", "export", "--store", store, "--json", out]);
    assert.equal(piped.status, 0, piped.stderr);
    assert.ok(!piped.stderr.includes("\x1b[2K"), piped.stderr);
  });
});
