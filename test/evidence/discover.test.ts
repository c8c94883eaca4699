import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { discover } from "../../src/evidence/discover.js";
import { windowsPathOf } from "../../src/evidence/layout.js";

const dir = mkdtempSync(join(tmpdir(), "exhunt-discover-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const files = [
  "C/inetpub/wwwroot/aspnet_client/a.aspx",
  "C/inetpub/wwwroot/aspnet_client/Windows",
  "C/Windows/Temp/lsass.dmp",
  "top.txt",
  "D/x/V15",
  "uploads/C%3A/ProgramData/p%20q.7z",
];
for (const f of files) {
  mkdirSync(join(dir, f, ".."), { recursive: true });
  writeFileSync(join(dir, f), f);
}

describe("the inventory of a walk", () => {
  it("gives every file its absolute path, Windows path and time as the layout says", async () => {
    const inv = await discover([{ abs: dir, relBase: "" }]);
    assert.deepEqual(inv.files.map((f) => f.path).sort(), [...files].sort());
    for (const f of inv.files) {
      assert.equal(f.abs, join(dir, f.path));
      assert.equal(f.winPath, windowsPathOf(f.path).path, f.path);
      assert.equal(f.mtime, statSync(join(dir, f.path)).mtime.toISOString());
      assert.equal(f.size, Buffer.byteLength(f.path));
    }
    const byPath = new Map(inv.files.map((f) => [f.path, f.winPath]));
    assert.equal(byPath.get("C/Windows/Temp/lsass.dmp"), "C:\\Windows\\Temp\\lsass.dmp");
    assert.equal(byPath.get("uploads/C%3A/ProgramData/p%20q.7z"), "C:\\ProgramData\\p q.7z");
    assert.equal(byPath.get("top.txt"), null);
  });

  it("names the files of a live root below its Windows folder", async () => {
    const root = join(dir, "C", "inetpub");
    const inv = await discover([{ abs: root, relBase: "C:/inetpub", winBase: "C:\\inetpub" }]);
    const a = inv.files.find((f) => f.path === "C:/inetpub/wwwroot/aspnet_client/a.aspx");
    assert.ok(a);
    assert.equal(a.winPath, "C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx");
    assert.equal(a.abs, join(root, "wwwroot", "aspnet_client", "a.aspx"));
  });

  it("names a single file given as the root, or as the only file of a root", async () => {
    const one = join(dir, "C", "Windows", "Temp", "lsass.dmp");
    const [single] = (await discover([{ abs: one, relBase: "" }])).files;
    assert.equal(single.path, "lsass.dmp");
    assert.equal(single.abs, one);
    assert.equal(single.winPath, null);
    const live = (await discover([{ abs: one, relBase: "C:/Windows/Temp", winBase: "C:\\Windows\\Temp" }]))
      .files[0];
    assert.equal(live.winPath, "C:\\Windows\\Temp\\lsass.dmp");
    const only = (await discover([{ abs: join(dir, "C"), relBase: "C", only: "Windows/Temp/lsass.dmp" }]))
      .files[0];
    assert.equal(only.path, "C/Windows/Temp/lsass.dmp");
    assert.equal(only.abs, one);
    assert.equal(only.winPath, "C:\\Windows\\Temp\\lsass.dmp");
  });
});
