// NO_COLOR (no-color.org): only a non-empty value turns colour off, and an explicit --color wins.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useColor } from "../src/cli/color.js";

test("colour: explicit flags win; NO_COLOR only when non-empty; else the TTY decides", (t) => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  delete process.env.FORCE_COLOR;
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  process.env.NO_COLOR = "1";
  assert.equal(useColor(undefined, tty), false);
  assert.equal(useColor(true, tty), true, "--color wins over NO_COLOR");
  process.env.NO_COLOR = "";
  assert.equal(useColor(undefined, tty), true, "an empty NO_COLOR does not turn colour off");
  delete process.env.NO_COLOR;
  assert.equal(useColor(undefined, pipe), false);
  assert.equal(useColor(false, tty), false);
});
