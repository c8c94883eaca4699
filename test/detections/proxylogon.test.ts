import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { like } from "../../src/detections/like.js";
import {
  ecpSetVdir27065,
  matchesSetVdirMarkup,
  resetVdir27065,
} from "../../src/detections/proxylogon/ecp-27065.js";
import { isLegitOabPath, oabDownloadPath, oabWrite26858 } from "../../src/detections/proxylogon/oab-26858.js";
import { backEndCookie26855, ssrf26855 } from "../../src/detections/proxylogon/ssrf-26855.js";
import { draftsOf } from "../../src/detections/types.js";
import { nextOccurrence } from "../../src/readers/prefilter.js";
import { ctx, fakeRow } from "../helpers.js";

const BE = "ServerInfo~a]@exch01.contoso.local:444";

function proxyRow(anchor: string, status = "200", extra: Record<string, string> = {}) {
  return fakeRow("httpproxy", {
    DateTime: "2021-03-03T06:49:43.208Z",
    RequestId: "r1",
    ClientIpAddress: "203.0.113.77",
    UrlStem: "/ecp/y.js",
    AnchorMailbox: anchor,
    HttpStatus: status,
    BackEndCookie: "",
    Protocol: "Ecp",
    ...extra,
  });
}

const checksOf = (d: ReturnType<typeof draftsOf>) => d.map((x) => x.check).sort();

describe("like (PowerShell -like)", () => {
  it("matches * and ? case-insensitively over the whole value", () => {
    assert.ok(like("ServerInfo~a]@x:444/ecp/y", "ServerInfo~*/*"));
    assert.ok(like("serverinfo~A/B", "ServerInfo~*/*"));
    assert.ok(like("abc", "a?c"));
    assert.ok(!like("ServerInfo~host", "ServerInfo~*/*"));
    assert.ok(!like("xServerInfo~a/b", "ServerInfo~*/*"));
  });
  it("stays fast on attacker-sized values (no exponential backtracking)", () => {
    const v = `ServerInfo~${"a".repeat(200_000)}`;
    assert.equal(like(v, "ServerInfo~*/*Reset*VirtualDirectory#"), false);
  });
});

describe("CVE-2021-26855 SSRF (HttpProxy)", () => {
  it("flags a served back-end anchor as ssrf, with Test-ProxyLogon's columns as evidence", () => {
    const d = draftsOf(ssrf26855.match(proxyRow(`${BE}/mapi/emsmdb?MailboxId=x#`), ctx()));
    assert.deepEqual(checksOf(d), ["cve-2021-26855-ssrf"]);
    assert.equal(d[0].evidence.ClientIpAddress, "203.0.113.77");
    assert.equal(d[0].time, "2021-03-03T06:49:43.208Z");
  });
  it("treats status 241 (proxyLogon.ecp) as served", () => {
    assert.deepEqual(
      checksOf(draftsOf(ssrf26855.match(proxyRow(`${BE}/ecp/proxyLogon.ecp?#`, "241"), ctx()))),
      ["cve-2021-26855-ssrf"],
    );
  });
  it("reports a non-2xx hit as a failed attempt, not a success", () => {
    assert.deepEqual(checksOf(draftsOf(ssrf26855.match(proxyRow(`${BE}/ecp/DDI/x#`, "500"), ctx()))), [
      "cve-2021-26855-ssrf-failed",
    ]);
  });
  it("keeps autodiscover and localhost anchors as probes instead of dropping them", () => {
    assert.deepEqual(
      checksOf(draftsOf(ssrf26855.match(proxyRow(`${BE}/autodiscover/autodiscover.xml?#`), ctx()))),
      ["cve-2021-26855-probe"],
    );
    assert.deepEqual(
      checksOf(draftsOf(ssrf26855.match(proxyRow("ServerInfo~localhost/ecp/default.flt?", "500"), ctx()))),
      ["cve-2021-26855-probe"],
    );
    assert.deepEqual(checksOf(draftsOf(ssrf26855.match(proxyRow("ServerInfo~LOCALHOST:444/owa/"), ctx()))), [
      "cve-2021-26855-probe",
    ]);
  });
  it("does not fire on look-alikes: no slash, literal elsewhere, ordinary anchors", () => {
    for (const anchor of [
      "ServerInfo~exch01.contoso.local",
      "Smtp~alice@contoso.local",
      "Sid~S-1-5-21-1",
      "ServerVersion~Version 15.1 (Build 2176.2)",
      "",
    ]) {
      assert.deepEqual(
        draftsOf(
          ssrf26855.match(
            proxyRow(anchor, "200", { UrlQuery: "?x=ServerInfo~a/b", UserAgent: "ServerInfo~a/b" }),
            ctx(),
          ),
        ),
        [],
        anchor,
      );
    }
  });
  it("flags a BackEndCookie with a path, not an ordinary one", () => {
    const forgedValue = "Server~exch01.contoso.local:444/ecp/default.flt?~1942062522";
    const forged = proxyRow("ServerInfo~localhost/ecp/default.flt?", "404", { BackEndCookie: forgedValue });
    assert.deepEqual(checksOf(draftsOf(backEndCookie26855.match(forged, ctx()))), [
      "cve-2021-26855-backend-cookie",
    ]);
    assert.deepEqual(checksOf(draftsOf(ssrf26855.match(forged, ctx()))), ["cve-2021-26855-probe"]);
    const normalValue = "Server~exch01.contoso.local~1942063431~2021-03-01T10:00:00";
    const normal = proxyRow("Smtp~a@b", "200", { BackEndCookie: normalValue });
    assert.deepEqual(draftsOf(backEndCookie26855.match(normal, ctx())), []);
    assert.deepEqual(draftsOf(ssrf26855.match(normal, ctx())), []);
  });
  it("prefilters cookie rows on bytes exactly: every row the match accepts passes the reader's guard", () => {
    const g = backEndCookie26855.literalGuard;
    assert.ok(g);
    const guard = { need: g.need.charCodeAt(0), stops: [...g.stops].map((c) => c.charCodeAt(0)) };
    const lit = Buffer.from(backEndCookie26855.literals?.[0] ?? "");
    const line = (cookie: string, ua = "Mozilla/5.0") =>
      Buffer.from(`2021-03-03T06:00:00.000Z,r,${ua},"${cookie}",200`);
    const check = (cookie: string, ua?: string) => {
      const b = line(cookie, ua);
      return nextOccurrence(b, lit, false, guard, 0) >= 0;
    };
    assert.equal(check("Server~a:444/ecp/x?~1"), true);
    assert.equal(check("Server~exch01~1942063431~2021-03-01T10:00:00"), false);
    assert.equal(check("Server~exch01~1~2", "Server~ua-no-slash"), false);
    assert.equal(check("Server~a/b~1", "Server~first-benign"), true, "a later occurrence is looked at too");
    assert.equal(check("Database~x~~2021"), false);
  });
});

describe("CVE-2021-27065 (b) ResetVirtualDirectory through the SSRF", () => {
  const anchor = `${BE}/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=x&schema=ResetOABVirtualDirectory#`;
  it("fires on status 200 in the Ecp folder", () => {
    assert.equal(draftsOf(resetVdir27065.match(proxyRow(anchor), ctx())).length, 1);
  });
  it("does not fire on other statuses, other folders, or a plain SetObject", () => {
    assert.equal(draftsOf(resetVdir27065.match(proxyRow(anchor, "500"), ctx())).length, 0);
    assert.equal(
      draftsOf(
        resetVdir27065.match(
          proxyRow(anchor, "200", { Protocol: "Owa" }),
          ctx("Logging/HttpProxy/Owa/x.LOG"),
        ),
      ).length,
      0,
    );
    assert.equal(
      draftsOf(
        resetVdir27065.match(
          proxyRow(`${BE}/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#`),
          ctx(),
        ),
      ).length,
      0,
    );
  });
});

describe("CVE-2021-27065 (a) ECP Server log Set-*VirtualDirectory with markup", () => {
  const attack = `2021-03-03T06:49:52.640Z,EXCH01,ECP.Request,"S:TIME=13;S:SID=x;S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=""JScript"" runat=""server"">function Page_Load(){}</script>'.Identity='982d';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=c&schema=OABVirtualDirectory;S:EX="`;
  const row = (text: string) =>
    fakeRow(
      "ecp-server",
      { TimeStamp: "2021-03-03T06:49:52.640Z", EventData: text.slice(text.indexOf('"S:') + 1) },
      { text },
    );
  it("fires on the HAFNIUM line and extracts the command", () => {
    assert.ok(matchesSetVdirMarkup(attack));
    const d = draftsOf(ecpSetVdir27065.match(row(attack), ctx("Logging/ECP/Server/ECPServer20210303-1.LOG")));
    assert.equal(d.length, 1);
    assert.match(d[0].evidence.Command, /^Set-OabVirtualDirectory\.ExternalUrl=/);
  });
  it("does not fire on admin URL changes, reads, or markup without a closing tag", () => {
    const plain = attack.replace(/<script.*<\/script>/, "https://mail.contoso.com/oab");
    assert.ok(!matchesSetVdirMarkup(plain));
    assert.ok(!matchesSetVdirMarkup(attack.replace("Set-OabVirtualDirectory", "Get-OabVirtualDirectory")));
    assert.ok(
      !matchesSetVdirMarkup(
        "S:CMD=Set-EcpVirtualDirectory.InternalUrl='https://x/ecp?a<b'.Identity='1';S:URL=x?schema=EcpVirtualDirectory;S:TNAME=<null>",
      ),
    );
    assert.equal(draftsOf(ecpSetVdir27065.match(row(plain), ctx())).length, 0);
  });
  it("agrees with Test-ProxyLogon's regular expression on many generated lines", () => {
    const re = /Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)/is;
    // The attack line's pieces in order; each sample drops, repeats or swaps some of them.
    const ordered = [
      "S:CMD=",
      "Set-",
      "Oab",
      "VirtualDirectory",
      ".External",
      "Url",
      "='http://f/",
      "<script a=b>",
      "x",
      "</script>",
      "'",
      ";S:URL=",
      "schema=OAB",
      "VirtualDirectory",
    ];
    const noise = ["<", ">", "</", "<b>", "</b>", "set-", "URL", "virtualdirectory", "x", " "];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let positives = 0;
    for (let i = 0; i < 20000; i++) {
      const parts: string[] = [];
      for (const p of ordered) {
        const r = rnd();
        if (r < 0.08) continue;
        parts.push(p);
        if (r > 0.9) parts.push(noise[Math.floor(rnd() * noise.length)]);
      }
      if (rnd() < 0.3) {
        const a = Math.floor(rnd() * parts.length);
        const b = Math.floor(rnd() * parts.length);
        [parts[a], parts[b]] = [parts[b], parts[a]];
      }
      const s = parts.join("");
      const expected = re.test(s);
      if (expected) positives++;
      assert.equal(matchesSetVdirMarkup(s), expected, s);
    }
    assert.ok(positives > 1000 && positives < 19000, `${positives} positive samples: not a useful mix`);
  });
  it("is linear on a hostile 1 MB line", () => {
    const hostile = `Set-${"VirtualDirectory Url <a".repeat(50_000)}`;
    const t = process.hrtime.bigint();
    matchesSetVdirMarkup(hostile);
    assert.ok(Number(process.hrtime.bigint() - t) / 1e9 < 5);
  });
});

describe("CVE-2021-26858 OAB download path", () => {
  const line = (p: string) =>
    `2021-03-03T06:50:13.410Z,15.1.2176.2,9788,41,Warning,OABGenerator,,,"Download failed and temporary file ${p} needs to be removed."`;
  const row = (p: string) =>
    fakeRow("oab-generator", { DateTime: "2021-03-03T06:50:13.410Z" }, { text: line(p) });
  const install = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\";
  it("extracts the logged path with its quotes", () => {
    assert.equal(oabDownloadPath(line("'C:\\x\\y.aspx'")), "'C:\\x\\y.aspx'");
    assert.equal(oabDownloadPath("nothing here"), null);
  });
  it("fires on a web folder or UNC path, and names it", () => {
    for (const p of [
      "'\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx'",
      `'${install}FrontEnd\\HttpProxy\\owa\\auth\\x.aspx'`,
    ]) {
      const d = draftsOf(oabWrite26858.match(row(p), ctx("Logging/OABGeneratorLog/x.LOG", install)));
      assert.equal(d.length, 1, p);
      assert.equal(d[0].evidence.DownloadPath, p.slice(1, -1));
    }
  });
  it("does not fire on the legitimate ClientAccess\\OAB\\Temp path, with or without a known install path", () => {
    const legit = `'${install}ClientAccess\\OAB\\Temp\\5e1d.lzx'`;
    assert.equal(draftsOf(oabWrite26858.match(row(legit), ctx("x", install))).length, 0);
    assert.equal(draftsOf(oabWrite26858.match(row(legit), ctx("x", null))).length, 0);
    assert.ok(isLegitOabPath("'D:\\Exchange\\V15\\ClientAccess\\OAB\\Temp\\a.lzx'", null));
    assert.ok(!isLegitOabPath("'D:\\Exchange\\V15\\ClientAccess\\OAB\\Temp\\a.lzx'", install));
  });
});
