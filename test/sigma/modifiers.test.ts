// Every value modifier, with a match and a near miss each (the tricky ones: windash variants,
// base64offset at all three shifts, IPv6 networks, `all` with `contains`, wide + base64offset).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { base64Offsets, WINDASH } from "../../src/sigma/modifiers.js";
import { compileOne, problemOf, view } from "./helpers.js";

const m = (detection: string, data: Record<string, string>) => compileOne(detection).match(view(data));

describe("sigma modifiers: strings", () => {
  test("plain values are whole-value, case-insensitive; * and ? are wildcards; \\* is a literal star", () => {
    const d = "    sel:\n      Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel";
    assert.equal(m(d, { Image: "c:\\windows\\system32\\CMD.EXE" }), true);
    assert.equal(m(d, { Image: "C:\\Windows\\System32\\cmd.exe.bak" }), false);
    const w = "    sel:\n      CommandLine: 'a?c*z'\n    condition: sel";
    assert.equal(m(w, { CommandLine: "abcXYZ" }), true);
    assert.equal(m(w, { CommandLine: "acz" }), false);
    const lit = "    sel:\n      CommandLine: 'x\\*y'\n    condition: sel";
    assert.equal(m(lit, { CommandLine: "x*y" }), true);
    assert.equal(m(lit, { CommandLine: "xAAy" }), false);
  });

  test("contains, startswith, endswith", () => {
    assert.equal(
      m("    s:\n      CommandLine|contains: 'mimi'\n    condition: s", { CommandLine: "run MIMIkatz" }),
      true,
    );
    assert.equal(
      m("    s:\n      CommandLine|contains: 'mimi'\n    condition: s", { CommandLine: "run mim ikatz" }),
      false,
    );
    assert.equal(
      m("    s:\n      Image|startswith: 'C:\\Temp'\n    condition: s", { Image: "c:\\temp\\a.exe" }),
      true,
    );
    assert.equal(
      m("    s:\n      Image|startswith: 'C:\\Temp'\n    condition: s", { Image: "D:\\c:\\temp" }),
      false,
    );
    assert.equal(
      m("    s:\n      Image|endswith: '\\w3wp.exe'\n    condition: s", { Image: "C:\\x\\W3WP.exe" }),
      true,
    );
    assert.equal(
      m("    s:\n      Image|endswith: '\\w3wp.exe'\n    condition: s", { Image: "C:\\x\\w3wp.exe.log" }),
      false,
    );
  });

  test("a list is any of; `all` with `contains` needs every value", () => {
    const any = "    s:\n      CommandLine|contains:\n        - 'alpha'\n        - 'beta'\n    condition: s";
    assert.equal(m(any, { CommandLine: "x beta y" }), true);
    const all =
      "    s:\n      CommandLine|contains|all:\n        - 'alpha'\n        - 'beta'\n    condition: s";
    assert.equal(m(all, { CommandLine: "beta then alpha" }), true);
    assert.equal(m(all, { CommandLine: "only alpha" }), false);
  });

  test("cased makes the comparison case-sensitive", () => {
    const d = "    s:\n      CommandLine|contains|cased: 'Invoke-Mimikatz'\n    condition: s";
    assert.equal(m(d, { CommandLine: "x Invoke-Mimikatz" }), true);
    assert.equal(m(d, { CommandLine: "x invoke-mimikatz" }), false);
  });

  test("windash: - and / and the three Unicode dashes at a word start, every position independently", () => {
    const d = "    s:\n      CommandLine|windash|contains:\n        - ' -enc '\n    condition: s";
    for (const dash of WINDASH)
      assert.equal(m(d, { CommandLine: `powershell ${dash}enc AAAA` }), true, `dash ${dash}`);
    assert.equal(m(d, { CommandLine: "powershell _enc AAAA" }), false);
    const two = "    s:\n      CommandLine|windash|contains: ' -a -b'\n    condition: s";
    assert.equal(m(two, { CommandLine: "x /a \u2013b" }), true);
    assert.equal(m(two, { CommandLine: "x /a +b" }), false);
    // A dash inside a word is not an option switch: `a-b` keeps its dash.
    const inner = "    s:\n      CommandLine|windash: 'a-b'\n    condition: s";
    assert.equal(m(inner, { CommandLine: "a-b" }), true);
    assert.equal(m(inner, { CommandLine: "a/b" }), false);
  });
});

describe("sigma modifiers: encodings", () => {
  test("base64 encodes the value (case-sensitive result)", () => {
    const d = "    s:\n      CommandLine|base64|contains: 'http://'\n    condition: s";
    const b = Buffer.from("http://").toString("base64");
    assert.equal(m(d, { CommandLine: `x ${b} y` }), true);
    assert.equal(m(d, { CommandLine: `x ${b.toLowerCase()} y` }), false);
  });

  test("base64offset finds the value at all three byte offsets of a longer encoded text", () => {
    const d = "    s:\n      CommandLine|base64offset|contains: 'Invoke-Expression'\n    condition: s";
    for (const prefix of ["", "a", "ab", "abc", "abcd"]) {
      const enc = Buffer.from(`${prefix}Invoke-Expression and more`).toString("base64");
      assert.equal(m(d, { CommandLine: `powershell -e ${enc}` }), true, `prefix of ${prefix.length} bytes`);
    }
    const other = Buffer.from("Invoke-Command and more").toString("base64");
    assert.equal(m(d, { CommandLine: other }), false);
    assert.equal(base64Offsets(Buffer.from("ab")).length, 3);
  });

  test("wide|base64offset: UTF-16LE text as PowerShell -EncodedCommand carries it", () => {
    const d = "    s:\n      CommandLine|wide|base64offset|contains: 'IEX'\n    condition: s";
    for (const prefix of ["", "x", "xy"]) {
      const enc = Buffer.from(`${prefix}IEX (New-Object Net.WebClient)`, "utf16le").toString("base64");
      assert.equal(m(d, { CommandLine: `powershell -enc ${enc}` }), true, `prefix ${prefix.length} chars`);
    }
    const utf8 = Buffer.from("IEX (New-Object Net.WebClient)").toString("base64");
    assert.equal(m(d, { CommandLine: utf8 }), false);
  });

  test("utf16le / utf16be / utf16 (with BOM) encode before base64", () => {
    const le = Buffer.from("cmd", "utf16le").toString("base64");
    assert.equal(m("    s:\n      Data|utf16le|base64: 'cmd'\n    condition: s", { Data: le }), true);
    const be = Buffer.from("cmd", "utf16le").swap16().toString("base64");
    assert.equal(m("    s:\n      Data|utf16be|base64: 'cmd'\n    condition: s", { Data: be }), true);
    assert.equal(m("    s:\n      Data|utf16be|base64: 'cmd'\n    condition: s", { Data: le }), false);
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("cmd", "utf16le")]).toString("base64");
    assert.equal(m("    s:\n      Data|utf16|base64: 'cmd'\n    condition: s", { Data: bom }), true);
  });
});

describe("sigma modifiers: types", () => {
  test("re is case-sensitive by default; i, m and s flags", () => {
    assert.equal(
      m("    s:\n      CommandLine|re: '^cmd\\.exe /c'\n    condition: s", { CommandLine: "cmd.exe /c dir" }),
      true,
    );
    assert.equal(
      m("    s:\n      CommandLine|re: '^cmd\\.exe /c'\n    condition: s", { CommandLine: "CMD.exe /c dir" }),
      false,
    );
    assert.equal(
      m("    s:\n      CommandLine|re|i: '^cmd\\.exe'\n    condition: s", { CommandLine: "CMD.EXE" }),
      true,
    );
    assert.equal(
      m("    s:\n      CommandLine|re|m: '^two$'\n    condition: s", { CommandLine: "one\ntwo\nthree" }),
      true,
    );
    assert.equal(
      m("    s:\n      CommandLine|re: '^two$'\n    condition: s", { CommandLine: "one\ntwo\nthree" }),
      false,
    );
    assert.equal(m("    s:\n      CommandLine|re|s: 'a.b'\n    condition: s", { CommandLine: "a\nb" }), true);
    assert.equal(m("    s:\n      CommandLine|re: 'a.b'\n    condition: s", { CommandLine: "a\nb" }), false);
  });

  test("cidr: IPv4 and IPv6 networks", () => {
    const d4 =
      "    s:\n      DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '192.168.1.0/24'\n    condition: s";
    assert.equal(m(d4, { DestinationIp: "10.200.3.4" }), true);
    assert.equal(m(d4, { DestinationIp: "192.168.2.1" }), false);
    assert.equal(m(d4, { DestinationIp: "not an ip" }), false);
    const d6 = "    s:\n      DestinationIp|cidr: 'fe80::/10'\n    condition: s";
    assert.equal(m(d6, { DestinationIp: "fe80::1c2:3ff:fe44:5566" }), true);
    assert.equal(m(d6, { DestinationIp: "FEBF:0:0:0:0:0:0:1" }), true);
    assert.equal(m(d6, { DestinationIp: "fec0::1" }), false);
    assert.equal(m(d6, { DestinationIp: "10.0.0.1" }), false);
    const d6b = "    s:\n      DestinationIp|cidr: '2001:db8:abcd:12::/64'\n    condition: s";
    assert.equal(m(d6b, { DestinationIp: "2001:db8:abcd:12:ffff::1%eth0" }), true);
    assert.equal(m(d6b, { DestinationIp: "2001:db8:abcd:13::1" }), false);
  });

  test("gt, gte, lt, lte compare numbers", () => {
    const d = (op: string, n: number) => `    s:\n      Count|${op}: ${n}\n    condition: s`;
    assert.equal(m(d("gt", 5), { Count: "6" }), true);
    assert.equal(m(d("gt", 5), { Count: "5" }), false);
    assert.equal(m(d("gte", 5), { Count: "5" }), true);
    assert.equal(m(d("lt", 5), { Count: "4" }), true);
    assert.equal(m(d("lt", 5), { Count: "x" }), false);
    assert.equal(m(d("lte", 5), { Count: "5" }), true);
    assert.equal(m(d("lte", 5), { Count: "6" }), false);
  });

  test("exists: true and false", () => {
    assert.equal(m("    s:\n      Hashes|exists: true\n    condition: s", { Hashes: "" }), true);
    assert.equal(m("    s:\n      Hashes|exists: true\n    condition: s", { Image: "x" }), false);
    assert.equal(m("    s:\n      Hashes|exists: false\n    condition: s", { Image: "x" }), true);
  });

  test("null matches an absent or empty field, not a value", () => {
    const d = "    s:\n      OriginalFileName: null\n    condition: s";
    assert.equal(m(d, { Image: "x" }), true);
    assert.equal(m(d, { OriginalFileName: "" }), true);
    assert.equal(m(d, { OriginalFileName: "cmd.exe" }), false);
    const empty = "    s:\n      OriginalFileName: ''\n    condition: s";
    assert.equal(m(empty, { OriginalFileName: "" }), true);
    assert.equal(m(empty, { OriginalFileName: "a" }), false);
  });

  test("fieldref compares two fields (and with contains/startswith/endswith)", () => {
    const d = "    s:\n      ParentImage|fieldref: Image\n    condition: s";
    assert.equal(m(d, { Image: "C:\\a.exe", ParentImage: "c:\\A.exe" }), true);
    assert.equal(m(d, { Image: "C:\\a.exe", ParentImage: "C:\\b.exe" }), false);
    assert.equal(m(d, { ParentImage: "C:\\b.exe" }), false);
    const c = "    s:\n      CommandLine|fieldref|contains: Image\n    condition: s";
    assert.equal(m(c, { Image: "evil.exe", CommandLine: "run EVIL.exe now" }), true);
    assert.equal(m(c, { Image: "evil.exe", CommandLine: "run good.exe" }), false);
  });

  test("expand replaces placeholders with configured values, and says so when one has none", () => {
    const d = "    s:\n      Image|expand|endswith: '%exe%'\n    condition: s";
    const rule = compileOne(d, { placeholders: { exe: ["\\nc.exe", "\\ncat.exe"] } });
    assert.equal(rule.match(view({ Image: "C:\\t\\ncat.exe" })), true);
    assert.equal(rule.match(view({ Image: "C:\\t\\cat.exe" })), false);
    const p = problemOf(d);
    assert.equal(p.kind, "unsupported");
    assert.match(p.reason, /expand: no value configured for placeholder %exe%/);
  });

  test("numbers are compared as written (0x1010 stays 0x1010, not 4112)", () => {
    const d = "    s:\n      GrantedAccess: 0x1010\n    condition: s";
    assert.equal(m(d, { GrantedAccess: "0x1010" }), true);
    assert.equal(m(d, { GrantedAccess: "4112" }), false);
    assert.equal(m("    s:\n      EventID: 1\n    condition: s", {}), true);
  });
});

describe("sigma modifiers: what cannot load says why", () => {
  test("an unknown modifier is named", () => {
    const p = problemOf("    s:\n      Image|sometimes: x\n    condition: s");
    assert.equal(p.kind, "unsupported");
    assert.match(p.reason, /modifier 'sometimes'/);
  });
  test("a regex JavaScript cannot read is named with the engine's message", () => {
    const p = problemOf("    s:\n      Image|re: '(?<!a'\n    condition: s");
    assert.equal(p.kind, "unsupported");
    assert.match(p.reason, /re: \/\(\?<!a\/ is not a JavaScript regular expression/);
  });
  test("a bad network and base64 of a wildcard are errors in the rule", () => {
    assert.equal(problemOf("    s:\n      Ip|cidr: '10.0.0.0/33'\n    condition: s").kind, "invalid");
    assert.match(problemOf("    s:\n      C|base64: 'a*b'\n    condition: s").reason, /wildcards/);
  });
});
