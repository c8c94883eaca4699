// The output table: writers driven one server at a time, `-` for exactly one of them, the console whole
// on stderr then, the streaming JSON, and a saved result read back a server at a time.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { checkInfo } from "../../src/detections/registry.js";
import type { ServerResult } from "../../src/model/types.js";
import { consoleWriter } from "../../src/outputs/console.js";
import { csvWriter } from "../../src/outputs/csv.js";
import { ecsWriter } from "../../src/outputs/ecs.js";
import { capPerCheck, htmlWriter, renderHtml } from "../../src/outputs/html.js";
import { jsonPieces, jsonWriter, resultJson } from "../../src/outputs/json.js";
import { findingsJsonl, jsonlWriter } from "../../src/outputs/jsonl.js";
import { chosenOutputs, OUTPUTS, openWriters, writeRun } from "../../src/outputs/outputs.js";
import { openResultFile, ResultFileError } from "../../src/outputs/result-file.js";
import { LayoutError, parsePiecewise, resultLayout } from "../../src/outputs/result-layout.js";
import type { RunMeta, Writer } from "../../src/outputs/writer.js";
import { tempDir } from "../helpers.js";
import { attemptedFindings, compromisedFindings, finding, result, server } from "./fixtures.js";

const META: RunMeta = {
  tool: { name: "exhunt", version: "0.0.0-test" },
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:05.000Z",
  live: false,
};

function fleet(): ServerResult[] {
  return [
    server("EXCH01", compromisedFindings("EXCH01")),
    server("EXCH02", []),
    server("EXCH03", attemptedFindings("EXCH03"), {
      skipped: [{ file: "Logging/x.LOG", reason: "corrupt", detail: "bad header" }],
    }),
  ];
}

describe("the output table", () => {
  it("has one entry per output, each a file (or -) or a folder, and refuses two on stdout", () => {
    assert.deepEqual(
      OUTPUTS.map((d) => d.name),
      ["json", "jsonl", "ecs", "csv", "html"],
    );
    assert.deepEqual(
      chosenOutputs({ json: "-", html: "r.html" }).map(([d, t]) => `${d.name}=${t}`),
      ["json=-", "html=r.html"],
    );
    assert.throws(
      () => chosenOutputs({ json: "-", html: "-" }),
      /only one output can go to stdout \(-\): --json, --html/,
    );
    assert.throws(() => chosenOutputs({ csv: "-" }), /--csv writes several files/);
  });

  it("puts the console on stderr when an output takes stdout, on stdout otherwise", async () => {
    const run = async (flags: Record<string, string>) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: string[] = [];
      const err: string[] = [];
      stdout.on("data", (d) => out.push(String(d)));
      stderr.on("data", (d) => err.push(String(d)));
      const writers = openWriters(flags, () => ({ color: false }), { stdout, stderr });
      assert.equal(writers[0].name, "console");
      await writeRun(writers, META, fleet());
      return { out: out.join(""), err: err.join("") };
    };
    const plain = await run({});
    assert.match(plain.out, /^EXCH01 {2}COMPROMISED/);
    assert.equal(plain.err, "");
    // The whole console report, skipped list included (issue 18 item 8), on stderr.
    const jsonOut = await run({ jsonl: "-" });
    assert.equal(jsonOut.err, plain.out);
    assert.match(jsonOut.err, /Skipped or partly read \(1\)/);
    assert.match(jsonOut.err, /3 servers: 1 compromised, 1 attempted, 1 clean/);
  });
});

describe("writers stream one server at a time", () => {
  it("each writer sees begin, every server in order as it comes, then end", async () => {
    const events: string[] = [];
    const recorder = (name: string): Writer => ({
      name,
      async begin() {
        events.push(`${name}:begin`);
      },
      async server(s) {
        events.push(`${name}:${s.name}`);
      },
      async end(sum) {
        events.push(`${name}:end:${sum.servers.length}`);
        return null;
      },
      async abort() {
        events.push(`${name}:abort`);
      },
    });
    async function* servers() {
      for (const s of fleet()) {
        events.push(`yield:${s.name}`);
        yield s;
      }
    }
    const { summary } = await writeRun([recorder("a"), recorder("b")], META, servers());
    assert.deepEqual(events, [
      "a:begin",
      "b:begin",
      "yield:EXCH01",
      "a:EXCH01",
      "b:EXCH01",
      "yield:EXCH02",
      "a:EXCH02",
      "b:EXCH02",
      "yield:EXCH03",
      "a:EXCH03",
      "b:EXCH03",
      "a:end:3",
      "b:end:3",
    ]);
    assert.deepEqual(
      summary.servers.map((s) => [s.name, s.verdict, s.skipped]),
      [
        ["EXCH01", "compromised", 0],
        ["EXCH02", "clean", 0],
        ["EXCH03", "attempted", 1],
      ],
    );
  });

  it("aborts every writer on a failure and removes the partial files", async (t) => {
    const dir = tempDir(t);
    async function* failing() {
      yield fleet()[0];
      throw new Error("disk on fire");
    }
    const files = ["r.json", "f.jsonl", "e.ndjson", "r.html"].map((f) => join(dir, f));
    const writers = [jsonWriter(files[0]), jsonlWriter(files[1]), ecsWriter(files[2]), htmlWriter(files[3])];
    await assert.rejects(writeRun(writers, META, failing()), /disk on fire/);
    for (const f of files) assert.throws(() => readFileSync(f), /ENOENT/, f);
  });

  it("fails before any work when a file cannot be written", async () => {
    let pulled = false;
    async function* servers() {
      pulled = true;
      yield* fleet();
    }
    await assert.rejects(writeRun([jsonWriter("/nonexistent/dir/r.json")], META, servers()), /cannot write/);
    assert.equal(pulled, false, "no server was asked for");
  });

  it("the streaming JSON is the result object, and equals the whole-result JSON", async (t) => {
    const dir = tempDir(t);
    const servers = fleet();
    await writeRun([jsonWriter(join(dir, "r.json"))], META, servers);
    const text = readFileSync(join(dir, "r.json"), "utf8");
    const r = result(servers);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(r)));
    assert.deepEqual(JSON.parse(resultJson(r)), JSON.parse(JSON.stringify(r)));
    // One finding per line: grep finds a finding whole.
    const id = servers[0].findings[2].id;
    const line = text.split("\n").find((l) => l.includes(`"id":"${id}"`));
    assert.ok(line);
    assert.equal(JSON.parse(line.trim().replace(/,$/, "")).id, id);
    // An empty run is still a result.
    await writeRun([jsonWriter(join(dir, "empty.json"))], META, []);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "empty.json"), "utf8")).servers, []);
  });

  it("jsonPieces writes what JSON.stringify writes, hostile strings and holes included", () => {
    const v = { a: 'x\u2028\u0000"\\</script>', b: [1, undefined, { c: null }], d: undefined, e: {}, f: [] };
    assert.deepEqual(JSON.parse([...jsonPieces(v, 0)].join("")), JSON.parse(JSON.stringify(v)));
  });

  it("JSON lines, ECS and CSV from the writers equal the whole-result forms", async (t) => {
    const dir = tempDir(t);
    const servers = fleet();
    await writeRun(
      [jsonlWriter(join(dir, "f.jsonl")), ecsWriter(join(dir, "e.ndjson")), csvWriter(join(dir, "csv"))],
      META,
      servers,
    );
    assert.equal(readFileSync(join(dir, "f.jsonl"), "utf8"), findingsJsonl(result(servers)));
    const ecs = readFileSync(join(dir, "e.ndjson"), "utf8").trimEnd().split("\n");
    assert.equal(ecs.length, 2 * servers.reduce((n, s) => n + s.findings.length, 0));
    assert.equal(JSON.parse(ecs[1]).event.created, META.finishedAt);
    const csv = readFileSync(join(dir, "csv", "EXCH01-findings.csv"), "utf8").split("\r\n");
    assert.equal(csv.length - 2, servers[0].findings.length);
  });

  it("the console writer prints what renderConsole prints", async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on("data", (d) => chunks.push(String(d)));
    const servers = fleet();
    await writeRun([consoleWriter(stream, { color: false })], META, servers);
    const { renderConsole } = await import("../../src/outputs/console.js");
    assert.equal(chunks.join(""), renderConsole(result(servers), { color: false }));
  });
});

describe("the HTML writer", () => {
  it("streams the same page renderHtml builds; two reports never share ids or state", async (t) => {
    const dir = tempDir(t);
    const servers = fleet();
    const r = { ...result(servers), ...META, finishedAt: META.finishedAt as string };
    await writeRun([htmlWriter(join(dir, "a.html")), htmlWriter(join(dir, "b.html"))], META, servers);
    const a = readFileSync(join(dir, "a.html"), "utf8");
    assert.equal(a, readFileSync(join(dir, "b.html"), "utf8"));
    assert.equal(a, renderHtml(r));
    assert.equal(renderHtml(r), renderHtml(r), "no counter carried from one report to the next");
    const ids = [...a.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, "ids are unique in the page");
    assert.ok(ids.includes("t0-1") && ids.includes("t2-1"), ids.join());
  });

  it("caps listed rows per check and says how many more each check has", () => {
    const fs = Array.from({ length: 7 }, (_, i) => ({ check: i < 5 ? "a" : "b", i }));
    const { shown, omitted } = capPerCheck(fs, 3, 100);
    assert.deepEqual(
      shown.map((x) => x.i),
      [0, 1, 2, 5, 6],
    );
    assert.deepEqual([...omitted], [["a", 2]]);
    const many = Array.from({ length: 400 }, (_, i) =>
      finding("S", "cve-2021-26855-ssrf", `2021-03-03T06:${String(i % 60).padStart(2, "0")}:00.000Z`, {
        ClientIpAddress: `192.0.2.${i % 250}`,
        RequestId: `r${i}`,
      }),
    );
    const html = renderHtml(result([server("S", many)]));
    assert.match(
      html,
      /Findings not listed here \(at most 250 per check, 2000 per table; all are in the JSON result\): cve-2021-26855-ssrf 150\./,
    );
    assert.equal(
      (html.match(/<tr (id="f0-\d+" )?data-sev="critical">/g) ?? []).length,
      500,
      "250 findings + 250 timeline rows",
    );
  });

  it("takes class names only from fixed tables, whatever a hand-edited file holds", () => {
    const s = server("S", compromisedFindings("S"));
    const bad = {
      ...s,
      verdict: '"><script>x</script>' as ServerResult["verdict"],
      plan: s.plan.map((p) => ({ ...p, id: '" onclick="x' as (typeof p)["id"] })),
      findings: s.findings.map((f) => ({ ...f, severity: "<b>" as (typeof f)["severity"] })),
    };
    const html = renderHtml(result([bad, server("T", [])]));
    assert.ok(!html.includes("<script>x</script>"));
    assert.ok(!html.includes('" onclick="x'));
    assert.doesNotMatch(html, /class="[^"]*[<>&'][^"]*"/);
    assert.match(html, /<div class="banner b-unknown">/);
  });
});

describe("reading a saved result a server at a time", () => {
  it("gives the servers JSON.parse gives, from the file the JSON writer wrote", async (t) => {
    const dir = tempDir(t);
    const servers = fleet();
    const file = join(dir, "r.json");
    await writeRun([jsonWriter(file)], META, servers);
    const opened = await openResultFile(file, checkInfo);
    assert.equal(opened.serverCount, 3);
    assert.equal(opened.finishedAt, META.finishedAt);
    const back: ServerResult[] = [];
    for await (const s of opened.servers()) back.push(s);
    assert.deepEqual(back, JSON.parse(readFileSync(file, "utf8")).servers);
  });

  it("names the first bad field inside a large server (checked finding by finding)", async (t) => {
    const dir = tempDir(t);
    const many = Array.from({ length: 300 }, (_, i) =>
      finding("BIG", "cve-2021-26855-ssrf", "2021-03-03T06:00:00.000Z", {
        RequestId: `r${i}`,
        Pad: "x".repeat(300),
      }),
    );
    const r = JSON.parse(JSON.stringify(result([server("OK", []), server("BIG", many)])));
    r.servers[1].findings[150].effect = "pwned";
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(r));
    assert.ok(readFileSync(file).length > 100_000, "large enough to be split");
    await assert.rejects(openResultFile(file, checkInfo), (e: Error) => {
      assert.ok(e instanceof ResultFileError);
      assert.match(e.message, /servers\.1\.findings\.150\.effect must be equal to one of the allowed values/);
      return true;
    });
    r.servers[1].findings[150].effect = "attempt";
    delete r.servers[1].verdict;
    writeFileSync(file, JSON.stringify(r));
    await assert.rejects(
      openResultFile(file, checkInfo),
      /servers\.1 must have required property 'verdict' \(verdict\)/,
    );
  });

  it("parsePiecewise equals JSON.parse, and refuses what JSON.parse refuses", () => {
    const big = {
      a: Array.from({ length: 3000 }, (_, i) => ({ i, s: `v${i}\u2028"\\`, n: null, t: true, f: -1.5e3 })),
      __proto__x: { y: [[], {}] },
      o: { deep: { k: "x".repeat(70_000) } },
    };
    const text = JSON.stringify(big, null, 1);
    assert.deepEqual(parsePiecewise(Buffer.from(text)), JSON.parse(text));
    const pad = " ".repeat(70_000);
    for (const bad of ['{"a":1,}', "[1 2]", '{"a" 1}', '{"a":[1,2}', '{"a":"x}', "[1,]"])
      assert.throws(() => parsePiecewise(Buffer.from(`${bad}${pad}`)), bad);
    const proto = parsePiecewise(Buffer.from(`{"__proto__":{"polluted":1}}${pad}`)) as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value, { polluted: 1 });
  });

  it("finds the layout across read chunks, and names the byte of a stray character", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "r.json");
    const text = JSON.stringify({
      schemaVersion: 2,
      x: 'a\\"}]',
      servers: [{ a: "]" }, 7, "s"],
      z: [1, { b: 2 }],
    });
    writeFileSync(file, text);
    for (const chunk of [1, 2, 3, 7, 1 << 20]) {
      const l = await resultLayout(file, chunk);
      assert.deepEqual(
        l.servers?.map((s) => text.slice(s.start, s.end)),
        ['{"a":"]"}', "7", '"s"'],
        `chunk ${chunk}`,
      );
      assert.deepEqual(
        l.members.map((m) => [m.key, text.slice(m.value.start, m.value.end)]),
        [
          ["schemaVersion", "2"],
          ["x", '"a\\\\\\"}]"'],
          ["z", '[1,{"b":2}]'],
        ],
      );
    }
    for (const [bad, msg] of [
      ['{"a":1 "b":2}', /'"' where ',' or '}' was expected at byte 7/],
      ['{"servers":[{} {}]}', /'\{' where ',' or '\]' was expected at byte 15/],
      ['{"a":1}x', /'x' after the end of the result at byte 7/],
      ['{"a":[1,2', /ends early/],
      ["", /ends early at byte 0/],
    ] as const) {
      writeFileSync(file, bad);
      await assert.rejects(
        resultLayout(file, 4),
        (e: Error) => e instanceof LayoutError && msg.test(e.message),
      );
    }
  });
});

describe("outputs read only the result", () => {
  it("no file under src/outputs imports the detection registry (or any detection)", () => {
    const dir = join(import.meta.dirname, "../../src/outputs");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts")))
      assert.doesNotMatch(readFileSync(join(dir, f), "utf8"), /from "\.\.\/detections\//, f);
  });
});
