// Gate literals that outgrow the one-pass search are replaced by pieces of them: every original literal
// still contains a gate literal (so no row a gate must open is missed), and the plan fits the search.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { compileSigmaSetup, DEFAULT_SIGMA } from "../../src/detections/sigma.js";
import { coverLiterals, MAX_COVERED, MIN_PIECE } from "../../src/hunt/literal-cover.js";
import { planFor } from "../../src/hunt/task.js";
import { minimalLiterals } from "../../src/model/literals.js";
import { MAX_LITERALS } from "../../src/readers/wasm/multi.js";
import { webLiterals } from "../../src/sigma/ruleset.js";

const covers = (cover: string[], literals: string[]) =>
  literals.every((l) => cover.some((c) => l.includes(c)));

describe("coverLiterals", () => {
  it("keeps literals that fit, without those containing another", () => {
    assert.deepEqual(minimalLiterals(["/ecp/", "/ecp/x.js", "abc"]), ["abc", "/ecp/"]);
    assert.deepEqual(coverLiterals(["/ecp/", "/ecp/x.js", "abc"], 2), ["abc", "/ecp/"]);
  });

  it("merges the literals that share the longest piece first, and every literal contains a piece", () => {
    const lits = ["python-requests/2.19.1", "python-requests/2.25.1", "=whoami", "=nltest", "/owa/auth/x.js"];
    const c = coverLiterals(lits, 4);
    assert.ok(c);
    assert.deepEqual(c, ["=nltest", "=whoami", "/owa/auth/x.js", "python-requests/2."]);
    assert.ok(covers(c, lits));
  });

  it("lets a literal the search already holds stand for the literals that contain it, at no cost", () => {
    const lits = ["/autodiscover.json", "chrome/51.0.2704.103", "chrome/105.0.5195.54", "=whoami"];
    const free = ["iscover.json", ".as"];
    // One literal too many: the held `iscover.json` (12 characters) beats merging into `chrome/` (7).
    const c = coverLiterals(lits, 3, free);
    assert.deepEqual(c, ["=whoami", "iscover.json", "chrome/105.0.5195.54", "chrome/51.0.2704.103"]);
    assert.ok(c && covers(c, lits));
    // Two too many: then the merge too; a held literal shorter than MIN_PIECE (`.as`) is never used.
    const two = coverLiterals(lits, 2, free);
    assert.deepEqual(two, ["=whoami", "chrome/", "iscover.json"]);
    assert.ok(two && covers(two, lits));
    assert.equal(coverLiterals(["=whoami.aspx", "=nltest.aspx", "abcdefgh"], 1, free), null);
  });

  it("gives up rather than use pieces shorter than MIN_PIECE", () => {
    assert.equal(coverLiterals(["abcdef", "uvwxyz", "123456"], 2), null);
    assert.equal(MIN_PIECE, 4);
  });

  it("does not try to cover a feed of thousands of literals (the gates are dropped instead)", () => {
    const ips = Array.from({ length: MAX_COVERED + 1 }, (_, i) => `10.${String(i).padStart(4, "0")}.1.1`);
    assert.equal(coverLiterals(ips, 40), null);
  });

  it("never cuts a non-ASCII character (the search compares bytes)", () => {
    const c = coverLiterals(["zzzzé1", "zzzzé2"], 1);
    assert.deepEqual(c, ["zzzz"]);
  });
});

describe("the IIS plan with the bundled Sigma rules", () => {
  it("fits the one-pass search, and the Sigma gate opens on every row one of the rules' literals is in", () => {
    const hunt = createHuntContext();
    const plan = planFor("iis-w3c", hunt);
    assert.ok(plan.literals.length <= MAX_LITERALS, `${plan.literals.length} literals`);
    const own = webLiterals(compileSigmaSetup(DEFAULT_SIGMA));
    assert.ok(own && own.length > 0);
    const sigma = plan.fields.find((f) => f.name === "cs-uri-stem");
    assert.ok(sigma?.gate, "the Sigma field is gated");
    const gate = sigma.gate.map((i) => plan.literals[i].bytes.toString("latin1"));
    assert.ok(covers(gate, own), "every rule literal contains a gate literal");
    // The IOC feed keeps its gate too.
    assert.ok(plan.fields.find((f) => f.name === "c-ip")?.gate);
  });
});
