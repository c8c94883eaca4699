import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { installPathOf, windowsFolderOf, windowsPathIn, windowsPathOf } from "../../src/evidence/layout.js";

describe("Windows paths of copied evidence", () => {
  it("maps collector layouts to the server's paths", () => {
    const cases: [string, string | null, boolean][] = [
      [
        "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/a.LOG",
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\a.LOG",
        false,
      ],
      ["kape/out/C/Windows/Temp/lsass.dmp", "C:\\Windows\\Temp\\lsass.dmp", false],
      ["uploads/auto/C%3A/ProgramData/x/1.7z", "C:\\ProgramData\\x\\1.7z", false],
      [
        "uploads/ntfs/%5C%5C.%5CC%3A/inetpub/wwwroot/aspnet_client/a.aspx",
        "C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx",
        false,
      ],
      [
        "D/Exchange/V15/Logging/OABGeneratorLog/x.LOG",
        "D:\\Exchange\\V15\\Logging\\OABGeneratorLog\\x.LOG",
        false,
      ],
      [
        "case42/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log",
        true,
      ],
      ["E:/Program Files/x.txt", "E:\\Program Files\\x.txt", false],
      ["Logging/HttpProxy/Owa/a.LOG", null, false],
    ];
    for (const [rel, win, assumed] of cases) {
      const w = windowsPathOf(rel);
      assert.equal(w.path, win, rel);
      if (win) assert.equal(w.driveAssumed, assumed, rel);
    }
  });
  it("does not take a one-letter folder for a drive without a sign of Windows below it", () => {
    assert.equal(windowsPathOf("cases/a/notes/readme.txt").path, null);
  });
  it("infers the Exchange install path from where Logging sits", () => {
    assert.equal(
      installPathOf("C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/a.LOG"),
      "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
    );
    assert.equal(installPathOf("x/D/Exchange/Logging/OABGeneratorLog/a.LOG"), "D:\\Exchange\\");
    assert.equal(installPathOf("x/D/Exchange/LOGGING/httpproxy/Owa/a.LOG"), "D:\\Exchange\\", "any case");
    assert.equal(installPathOf("C/inetpub/logs/LogFiles/W3SVC1/u_ex210301.log"), null, "no Logging folder");
    assert.equal(installPathOf("x/D/Exchange/Logging/Unknown/a.LOG"), null, "not an Exchange log folder");
    assert.equal(installPathOf("x/D/Exchange/MyLogging/HttpProxy/a.LOG"), null, "Logging as part of a name");
    assert.equal(
      installPathOf("Logging/HttpProxy/Ecp/a.LOG"),
      null,
      "a bare Logging folder says nothing about the install path",
    );
    assert.equal(installPathOf("C/Program Files/Microsoft/Exchange Server/V15/Bin/x.dll"), null);
  });

  it("maps a file through its folder exactly as through its whole path", () => {
    // Every path of up to four components over names that take part in the decision and names that do not.
    const pool = [
      "C",
      "d",
      "C%3A",
      "%5C%5C.%5CC%3A",
      "Windows",
      "INETPUB",
      "V15",
      "Logging",
      "Exchange Server",
    ];
    pool.push("x", "a%5C", "%ZZ", "Program Files", "a.aspx", "e:");
    let n = 0;
    const visit = (parts: string[]): void => {
      if (parts.length > 0) {
        const rel = parts.join("/");
        const name = parts[parts.length - 1];
        const got = windowsPathIn(windowsFolderOf(parts.slice(0, -1).join("/")), rel, name);
        assert.equal(got, windowsPathOf(rel).path, rel);
        n++;
      }
      if (parts.length < 4) for (const p of pool) visit([...parts, p]);
    };
    visit([]);
    assert.ok(n > 30000);
  });
});
