// Machine outputs: JSON lines of findings and ECS documents in the _bulk format.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ECS_SEVERITY, ecsBulk, ecsDocument } from "../../src/outputs/ecs.js";
import { findingsJsonl } from "../../src/outputs/jsonl.js";
import {
  attemptedFindings,
  compromisedFindings,
  finding,
  result,
  SHELL,
  SHELL_SHA,
  server,
} from "./fixtures.js";

type Doc = Record<string, Record<string, unknown> & unknown>;

function get(doc: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
      doc,
    );
}

describe("JSON lines", () => {
  it("one finding per line, exactly the Finding objects, even with line breaks in evidence", () => {
    const fs = [...compromisedFindings("A"), finding("A", "x", null, { Match: "a\nb\r\nc\u2028d" })];
    const r = result([server("A", fs), server("B", attemptedFindings("B"))]);
    const lines = findingsJsonl(r).split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.length, fs.length + 1);
    assert.deepEqual(JSON.parse(lines[lines.length - 2]), fs[fs.length - 1]);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).id),
      [...fs, ...r.servers[1].findings].map((f) => f.id),
    );
  });

  it("an empty result gives an empty file", () => {
    assert.equal(findingsJsonl(result([server("C", [])])), "");
  });
});

describe("ECS NDJSON", () => {
  const fs = compromisedFindings("EXCH01");
  const r = result([server("EXCH01", fs)]);
  const s = r.servers[0];

  it("alternates a create action and a document, every line JSON", () => {
    const lines = ecsBulk(r).trimEnd().split("\n");
    assert.equal(lines.length, fs.length * 2);
    for (let i = 0; i < lines.length; i += 2) {
      assert.equal(lines[i], '{"create":{}}');
      const d = JSON.parse(lines[i + 1]);
      assert.equal(get(d, "event.kind"), "alert");
    }
  });

  it("maps a request: source.ip, url.path, method, numeric status, rule, vulnerability, host, severity", () => {
    const ssrf = fs.find((f) => f.check === "cve-2021-26855-ssrf");
    assert.ok(ssrf);
    const d = ecsDocument(ssrf, s, r) as Doc;
    assert.equal(d["@timestamp"], ssrf.time);
    assert.equal(get(d, "source.ip"), "203.0.113.77");
    assert.equal(get(d, "url.path"), "/ecp/y.js");
    assert.equal(get(d, "http.request.method"), "POST");
    assert.equal(get(d, "http.response.status_code"), 200);
    assert.equal(get(d, "rule.id"), "cve-2021-26855-ssrf");
    assert.ok(String(get(d, "rule.name")).includes("SSRF"));
    assert.deepEqual(get(d, "vulnerability.id"), ["CVE-2021-26855"]);
    assert.equal(get(d, "host.name"), "EXCH01");
    assert.equal(get(d, "event.severity"), ECS_SEVERITY.critical);
    assert.equal(get(d, "exhunt.finding_id"), ssrf.id);
    assert.equal(get(d, "exhunt.effect"), "compromise");
    assert.equal(get(d, "exhunt.server_verdict"), "compromised");
    assert.equal(get(d, "log.file.path"), ssrf.source.file);
    assert.deepEqual(get(d, "exhunt.evidence"), ssrf.evidence);
  });

  it("maps a file: file.path, file.hash.sha256, file.size; the OAB UNC write as a local path", () => {
    const sweep = fs.find((f) => f.evidence.SHA256);
    assert.ok(sweep);
    const d = ecsDocument(sweep, s, r);
    assert.equal(get(d, "file.path"), SHELL);
    assert.equal(get(d, "file.hash.sha256"), SHELL_SHA);
    assert.equal(get(d, "file.size"), 1234);
    const oab = fs.find((f) => f.evidence.DownloadPath);
    assert.ok(oab);
    assert.equal(get(ecsDocument(oab, s, r), "file.path"), SHELL);
  });

  it("leaves out values that would break the index mapping (trap): bad IP, bad status, bad hash", () => {
    const f = finding("EXCH01", "x", null, {
      ClientIp: "<script>alert(1)</script>",
      Status: "2OO",
      SHA256: "not-a-hash",
      EventID: "4688",
      Provider: "Microsoft-Windows-Security-Auditing",
    });
    const d = ecsDocument(f, s, r);
    assert.equal(get(d, "source.ip"), undefined);
    assert.equal(get(d, "http.response.status_code"), undefined);
    assert.equal(get(d, "file.hash.sha256"), undefined);
    assert.equal(get(d, "winlog.event_id"), "4688");
    assert.equal(get(d, "exhunt.time_known"), false);
    assert.equal(d["@timestamp"], r.finishedAt, "undated findings are stamped with the scan time");
    assert.equal((get(d, "exhunt.evidence") as Record<string, string>).ClientIp, "<script>alert(1)</script>");
  });
});
