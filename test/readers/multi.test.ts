import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { rng } from "../../examples/generate.js";
import { nextOccurrence } from "../../src/readers/prefilter.js";
import { HAYSTACK_SIZE, type MultiLiteral, MultiSearch } from "../../src/readers/wasm/multi.js";
import { forgedCookieShape } from "./old-refines.js";

/** Every (position, literal) pair, the slow way. */
function brute(hay: Buffer, end: number, lits: MultiLiteral[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const h = hay.subarray(0, end);
  const folded = h.toString("latin1").replace(/[A-Z]/g, (c) => c.toLowerCase());
  lits.forEach((l, i) => {
    const needle = l.bytes.toString("latin1");
    const text = l.fold ? folded : h.toString("latin1");
    const n = l.fold ? needle.replace(/[A-Z]/g, (c) => c.toLowerCase()) : needle;
    for (let p = text.indexOf(n); p >= 0; p = text.indexOf(n, p + 1)) {
      if (l.guard && !guarded(h, p + n.length, l.guard)) continue;
      out.set(p, [...(out.get(p) ?? []), i]);
    }
  });
  return out;
}

/** The guard, the slow way: `need` before any stop byte, CR, LF or the end. */
function guarded(h: Buffer, from: number, g: { need: number; stops: number[] }): boolean {
  for (let q = from; q < h.length; q++) {
    if (h[q] === g.need) return true;
    if (h[q] === 10 || h[q] === 13 || g.stops.includes(h[q])) return false;
  }
  return false;
}

function all(m: MultiSearch, from: number, end: number, n: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let p = m.next(from, end); p >= 0; p = m.next(p + 1, end)) {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) if (((i < 32 ? m.lo : m.hi) >>> (i % 32)) & 1) ids.push(i);
    out.set(p, ids);
  }
  return out;
}

test("multi-literal search finds exactly what a brute-force search finds (random sets, both cases)", () => {
  const m = MultiSearch.create();
  assert.ok(m, "WebAssembly SIMD is available on Node >= 20");
  const r = rng(7);
  // "@`[{": bytes that differ from a letter only in the case bit (the word test of verify sets it).
  const alphabet = "abcAB0123.~,:/ Sx\r\n@`[{";
  for (let round = 0; round < 60; round++) {
    const lits: MultiLiteral[] = [];
    const count = 1 + Math.floor(r() * (round % 3 === 0 ? 40 : 9));
    for (let i = 0; i < count; i++) {
      const len = 1 + Math.floor(r() * 7);
      let s = "";
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(r() * alphabet.length)];
      const guard =
        r() < 0.2
          ? { need: alphabet.charCodeAt(Math.floor(r() * 8)), stops: [..."~,"].map((c) => c.charCodeAt(0)) }
          : undefined;
      lits.push({ bytes: Buffer.from(s, "latin1"), fold: r() < 0.3, guard });
    }
    assert.ok(m.load(lits));
    const len = 1 + Math.floor(r() * 3000);
    for (let i = 0; i < len; i++) m.buffer[i] = alphabet.charCodeAt(Math.floor(r() * alphabet.length));
    // Bytes after `end` must never be reported, even when a literal would continue into them.
    m.buffer.fill(0x61, len, len + 64);
    const from = Math.floor(r() * 20);
    const want = brute(m.buffer.subarray(from), len - from, lits);
    const got = all(m, from, len, lits.length);
    const shifted = new Map([...want].map(([p, ids]) => [p + from, ids]));
    assert.deepEqual(got, shifted, `round ${round}: ${lits.map((l) => l.bytes.toString()).join("|")}`);
  }
});

test("multi-literal search: real log literals, a hit at the very end, and refusals", () => {
  const m = MultiSearch.create()!;
  const lits = ["ServerInfo~", "Server~", "80.92.205.81", "2001:db8::7"].map((s, i) => ({
    bytes: Buffer.from(s),
    fold: i === 3,
  }));
  assert.ok(m.load(lits));
  const text = "a,Server~x~1,b,[2001:DB8::7]:443,ServerInfo~a]@x/,80.92.205.81";
  m.buffer.write(text, 0, "latin1");
  const got = all(m, 0, text.length, lits.length);
  assert.deepEqual(
    [...got].map(([p, ids]) => [text.slice(p, p + 6), ids]),
    [
      ["Server", [1]],
      ["2001:D", [3]],
      ["Server", [0]],
      ["80.92.", [2]],
    ],
  );
  // One byte short of the last literal: not found.
  assert.deepEqual([...all(m, 0, text.length - 1, lits.length).keys()].length, 3);
  assert.equal(m.load([]), false);
  assert.equal(m.load([{ bytes: Buffer.alloc(0), fold: false }]), false);
  assert.equal(
    m.load(Array.from({ length: 65 }, (_, i) => ({ bytes: Buffer.from(`x${i}`), fold: false }))),
    false,
  );
  assert.equal(m.buffer.length, HAYSTACK_SIZE);
});

test("multi-literal search: the cookie guard agrees with the old refine and the reader's indexOf path", () => {
  const m = MultiSearch.create()!;
  const lit = {
    bytes: Buffer.from("Server~"),
    fold: false,
    guard: { need: 0x2f, stops: [0x7e, 0x2c, 0x22] },
  };
  assert.ok(m.load([lit]));
  for (const line of [
    "a,Server~exch02~1942063431~2021-03-03T06:00:00,b", // benign cookie
    "a,Server~a]@exch01:444/ecp/x.ecp?#~1942062522,b", // forged
    'a,"Server~x,y/z",b', // comma before the slash
    "a,Server~x~y,Server~z/w,b", // second occurrence forged
    "Server~", // nothing after it
  ]) {
    const b = Buffer.from(line);
    b.copy(m.buffer, 0);
    const got = m.next(0, b.length) >= 0;
    assert.equal(got, forgedCookieShape(b, 0, b.length, b.indexOf("Server~")), line);
    assert.equal(got, nextOccurrence(b, lit.bytes, false, lit.guard, 0) >= 0, line);
  }
});

test("the committed WebAssembly bytes are built from multi.wat", (t) => {
  if (spawnSync("wat2wasm", ["--version"]).status !== 0 || !existsSync("scripts/build-wasm.mjs")) {
    t.skip("wat2wasm (Debian package wabt) not installed: the committed module is not re-checked");
    return;
  }
  const r = spawnSync(process.execPath, ["scripts/build-wasm.mjs", "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});
