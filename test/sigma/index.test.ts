// The rule index (file-name keys and literal anchors) only skips rules that cannot match: over every
// EVTX of the shared corpus (the 202 SigmaHQ regression samples among them), all SigmaHQ rules find
// the same (record, rule) matches with the index as without it. The anchor derivation is checked on
// its own too: anchors where the literal is necessary, none where a record could match without it.
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { EventRecord } from "../../src/model/records.js";
import { readEvtxEvents } from "../../src/readers/evtx/index.js";
import { compileSources, matchEvent, type RuleSet, readRuleSources } from "../../src/sigma/ruleset.js";
import { CORPUS } from "../helpers.js";
import { assertShared, compileOne, event, NO_SHARED, SIGMA_RULES } from "./helpers.js";

const anchorsOf = (detection: string) => compileOne(detection).anchors;

describe("sigma anchors: derivation", () => {
  test("contains, startswith, wildcards and windash give their longest literal run, lower-cased", () => {
    assert.deepEqual(
      anchorsOf(
        "    sel:\n        CommandLine|contains: ['Invoke-Mimikatz', 'sekurlsa']\n    condition: sel",
      ),
      [
        { field: "CommandLine", lit: "invoke-mimikatz" },
        { field: "CommandLine", lit: "sekurlsa" },
      ],
    );
    assert.deepEqual(anchorsOf("    sel:\n        CommandLine: '*abc*defghi?j'\n    condition: sel"), [
      { field: "CommandLine", lit: "defghi" },
    ]);
    assert.deepEqual(
      anchorsOf("    sel:\n        CommandLine|windash|contains: ' -encodedcommand'\n    condition: sel"),
      [{ field: "CommandLine", lit: "encodedcommand" }],
    );
    // all: every value must occur, so the longest is enough
    assert.deepEqual(
      anchorsOf("    sel:\n        CommandLine|contains|all: ['abc', 'longer one']\n    condition: sel"),
      [{ field: "CommandLine", lit: "longer one" }],
    );
    // AND: one anchored branch is enough; OR: both
    assert.deepEqual(
      anchorsOf(
        "    a:\n        CommandLine|contains: 'xyz1'\n    b:\n        ParentCommandLine|contains: 'zzz2'\n    condition: a or b",
      ),
      [
        { field: "CommandLine", lit: "xyz1" },
        { field: "ParentCommandLine", lit: "zzz2" },
      ],
    );
  });

  test("no anchor where a record could match without the literal", () => {
    const none = [
      "    sel:\n        CommandLine|contains: 'abc'\n    condition: not sel",
      "    sel:\n        CommandLine|re: 'abc.*def'\n    condition: sel",
      "    sel:\n        - 'mimikatz'\n    condition: sel",
      "    sel:\n        CommandLine|contains: ['abcdef', 'ab']\n    condition: sel", // one value too short
      "    sel:\n        CommandLine: ['abcdef', null]\n    condition: sel", // null: empty or absent
      "    sel:\n        CommandLine|base64offset|contains: 'abcdef'\n    condition: sel",
      "    sel:\n        CommandLine|contains: 'Straße'\n    condition: sel", // not ASCII
      "    a:\n        CommandLine|contains: 'abcdef'\n    b:\n        User|exists: true\n    condition: a or b",
      "    sel:\n        CommandLine|fieldref: ParentCommandLine\n    condition: sel",
    ];
    for (const d of none) assert.equal(anchorsOf(d), null, d);
  });

  test("an anchored rule still matches through the index, and an event without the literal meets none", () => {
    const built = compileSources([
      {
        file: "t.yml",
        licence: null,
        text: `title: t\nid: 00000000-0000-0000-0000-000000000002\nlevel: high\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        CommandLine|contains|cased: 'PowerShell -Enc'\n    condition: sel\n`,
      },
    ]);
    const hits = (cl: string) => {
      let n = 0;
      matchEvent(built, event({ CommandLine: cl }), () => n++);
      return n;
    };
    assert.equal(hits("c:\\x\\PowerShell -Enc AAAA"), 1);
    assert.equal(hits("c:\\x\\powershell -enc AAAA"), 0); // cased: the anchor hits, the rule does not
    assert.equal(hits("cmd /c dir"), 0);
  });
});

function evtxFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) evtxFiles(p, out);
    else if (e.name.toLowerCase().endsWith(".evtx")) out.push(p);
  }
  return out.sort();
}

function matches(set: RuleSet, e: EventRecord): string[] {
  const out: string[] = [];
  matchEvent(set, e, (r) => out.push(r.meta.id));
  return out;
}

describe("sigma rule index: equivalence over the corpus", { skip: NO_SHARED }, () => {
  test("every SigmaHQ rule finds the same matches with and without the index", (t) => {
    assertShared();
    const sources = ["rules", "rules-emerging-threats", "rules-threat-hunting"].flatMap((f) =>
      readRuleSources(join(SIGMA_RULES, f)),
    );
    const indexed = compileSources(sources);
    const plain = compileSources(sources, { index: false });
    const anchored = indexed.rules.filter((r) => !r.keys && r.anchors).length;
    assert.ok(anchored > 500, `only ${anchored} rules are anchored`);
    const files = evtxFiles(join(CORPUS, "evtx"));
    assert.ok(files.length >= 202, `${files.length} EVTX files`);
    let records = 0;
    let found = 0;
    let viaAnchors = 0;
    const isAnchored = new Set(indexed.rules.filter((r) => !r.keys && r.anchors).map((r) => r.meta.id));
    const differ: string[] = [];
    for (const f of files) {
      readEvtxEvents(f, statSync(f).size, (e) => {
        records++;
        const a = matches(indexed, e);
        const b = matches(plain, e);
        found += b.length;
        viaAnchors += a.filter((id) => isAnchored.has(id)).length;
        if (a.join() !== b.join() && differ.length < 20)
          differ.push(`${f} record ${e.recordId}: indexed [${a.join(", ")}], plain [${b.join(", ")}]`);
      });
    }
    t.diagnostic(
      `${files.length} files, ${records} records, ${found} matches (${viaAnchors} of anchored rules), ${anchored} anchored rules`,
    );
    assert.ok(found > 500 && viaAnchors > 50, `only ${found} matches, ${viaAnchors} of anchored rules`);
    assert.deepEqual(differ, []);
  });
});
