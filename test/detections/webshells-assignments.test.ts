// The assignment scanner the taint analysis starts from: C#/JScript `name = …`, indexed writes and VB
// `Dim` declarations, including VB's two array forms (`Dim x As Byte() = …`, `Dim x() As Byte = …`),
// which were missed, so request bytes held in a VB byte array were not followed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignments } from "../../src/detections/webshells/code-scan.js";

function names(code: string): string[] {
  return assignments(code).map((a) => a.name);
}

describe("webshells: assignments", () => {
  it("VB Dim with an array type or an array name is an assignment of that name", () => {
    const a = assignments("dim x as byte() = request.binaryread(request.totalbytes)\n");
    assert.deepEqual(
      a.map((e) => [e.name, e.rhs.trim()]),
      [["x", "request.binaryread(request.totalbytes)"]],
    );
    assert.deepEqual(names('dim y() as byte = request.form("a")\n'), ["y"]);
    assert.deepEqual(names('dim s as string = request("c")\n'), ["s"]);
    assert.deepEqual(names("dim w as new system.net.webclient()\n"), []);
  });

  it("C# and indexed writes keep their names", () => {
    assert.deepEqual(names('string c = request.form["c"];\nk[0] = c;\n'), ["c", "k"]);
  });

  it("traps: comparisons, a call result compared, and a member write are not assignments of a name", () => {
    assert.deepEqual(names("if f(a) = b then\n"), []);
    assert.deepEqual(names("if (a == b) { }\n"), []);
    assert.deepEqual(names('obj.value = request("x")\n'), []);
    assert.deepEqual(names("if a >= b then\n"), []);
  });
});
