// Result fixtures for the report tests: findings built like the engine builds them (check metadata
// from the registry), with the shared evidence key names other detections use (ClientIp, UriStem,
// Path, SHA256, EventID...), and a verdict computed by the real verdict stage.
import { createHash } from "node:crypto";
import { checkInfo } from "../../src/detections/registry.js";
import { buildCoverage } from "../../src/evidence/coverage.js";
import { assessBuild, toExposure } from "../../src/exposure/assess.js";
import { type Finding, toFinding } from "../../src/model/finding.js";
import type { Coverage, Exposure, ScanResult, ServerResult, SourceCoverage } from "../../src/model/types.js";
import { judgeServer } from "../../src/verdict/judge.js";
import { remediationPlan } from "../../src/verdict/plan.js";

export function finding(
  server: string,
  check: string,
  time: string | null,
  evidence: Record<string, string>,
  o: { file?: string | null; line?: number | null; title?: string; severity?: Finding["severity"] } = {},
): Finding {
  const f = toFinding(
    {
      check,
      time,
      evidence,
      file: o.file === undefined ? null : o.file,
      line: o.line ?? null,
      title: o.title,
      severity: o.severity ?? (checkInfo(check) ? undefined : "high"),
      // Synthetic check ids (not registered) weigh as v1 weighed unknown checks.
      effect: checkInfo(check) ? undefined : o.severity === "info" ? "coverage" : "attempt",
    },
    server,
    checkInfo(check),
  );
  // Ids as before: a hash of what the fixture was built from.
  f.id = createHash("sha256")
    .update(`${server}|${check}|${time}|${f.source.file}|${o.line}|${JSON.stringify(evidence)}`)
    .digest("hex")
    .slice(0, 16);
  return f;
}

const HP = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG";
const ECP = "C/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG";
const OAB =
  "C/Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG";
const IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log";
export const CANARY = "oFEp1dXu6kKZ8yG5eT3WQrJbNhM0vC2x";
export const SHELL = "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\discover.aspx";
export const SHELL_SHA = "ab".repeat(32);

export function sources(oldest: string, newest = "2021-03-07T23:00:00.000Z"): SourceCoverage[] {
  return [
    "HttpProxy/Ecp",
    "ECP Server",
    "OABGeneratorLog",
    "Event log: Application",
    "Event log: MSExchange Management",
  ].map((source) => ({
    source,
    kind: "log",
    files: 3,
    bytes: 3000,
    oldest,
    newest,
  }));
}

export function server(
  name: string,
  findings: Finding[],
  o: {
    coverage?: Coverage;
    exposure?: Exposure | null;
    skipped?: ServerResult["skipped"];
    /** Only for verdicts no registered check can produce yet on this branch (exposure checks). */
    verdict?: ServerResult["verdict"];
  } = {},
): ServerResult {
  const coverage = o.coverage ?? buildCoverage(sources("2020-12-01T00:00:00.000Z"));
  const judged = judgeServer({
    name,
    root: `/evidence/${name}`,
    findings,
    omittedFindings: {},
    coverage,
    skipped: o.skipped ?? [],
    stats: {
      files: 10,
      bytes: 10000,
      // As many as the five sources of sources() hold (3 files each).
      logFiles: 15,
      logBytes: 15000,
      records: 1000,
      badRows: 0,
      durationMs: 12,
    },
    installPath: "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
    exposure: o.exposure ?? null,
  });
  if (!o.verdict || o.verdict === judged.verdict) return judged;
  const forced = { ...judged, verdict: o.verdict };
  return { ...forced, plan: remediationPlan(forced) };
}

/** The ProxyLogon chain: a scanner, then SSRF, ECP cmdlet, OAB write, IIS hits on the shell, an LSASS dump. */
export function compromisedFindings(name = "EXCH01", withDump = true): Finding[] {
  const fs = [
    finding(
      name,
      "cve-2021-26855-probe",
      "2021-03-02T21:14:03.120Z",
      {
        ClientIpAddress: "198.51.100.23",
        UrlStem: "/owa/auth/x.js",
        Method: "GET",
        HttpStatus: "500",
        RequestId: "p-1",
      },
      { file: HP.replace("Ecp", "Owa"), line: 22 },
    ),
    finding(
      name,
      "cve-2021-26855-ssrf",
      "2021-03-03T06:49:51.000Z",
      {
        ClientIpAddress: "203.0.113.77",
        RequestId: "66be0ad7-b565-4d82-817f-1b454d51b4df",
        UrlStem: "/ecp/y.js",
        Method: "POST",
        HttpStatus: "200",
        AnchorMailbox: `ServerInfo~a]@exch01:444/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=${CANARY}&schema=OABVirtualDirectory#`,
      },
      { file: HP, line: 11 },
    ),
    finding(
      name,
      "cve-2021-27065-set-vdir",
      "2021-03-03T06:49:52.640Z",
      {
        Command:
          'Set-OabVirtualDirectory.ExternalUrl=\'http://f/<script language="JScript" runat="server">x</script>\'',
        Url: `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${CANARY}&schema=OABVirtualDirectory`,
      },
      { file: ECP, line: 8 },
    ),
    finding(
      name,
      "cve-2021-26858-oab-write",
      "2021-03-03T06:50:13.410Z",
      { DownloadPath: "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\system_web\\discover.aspx" },
      { file: OAB, line: 8 },
    ),
    // A file-sweep style finding (evidence Path, SHA256); a compromise check carries it here.
    finding(
      name,
      "cve-2021-26858-oab-write",
      "2021-03-03T06:50:13.000Z",
      {
        Path: SHELL,
        SHA256: SHELL_SHA,
        Size: "1234",
        Modified: "2021-03-03T06:50:13.000Z",
        Rule: "ChinaChopper",
      },
      {
        file: "C/inetpub/wwwroot/aspnet_client/system_web/discover.aspx",
        title: "Web shell file: discover.aspx",
      },
    ),
    // Sysmon 11: the same file created by w3wp.exe (event-log detection).
    finding(
      name,
      "webshell-file-created",
      "2021-03-03T06:50:13.500Z",
      {
        EventID: "11",
        Provider: "Microsoft-Windows-Sysmon",
        Computer: "EXCH01.contoso.local",
        RecordId: "4711",
        Path: SHELL,
        Process: "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
      },
      { file: "C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx" },
    ),
    // An IIS hit on the shell (a check this branch does not have: effect falls back to "attempt").
    finding(
      name,
      "iis-webshell-request",
      "2021-03-03T07:00:01.000Z",
      {
        ClientIp: "203.0.113.77",
        UriStem: "/aspnet_client/system_web/discover.aspx",
        Method: "POST",
        Status: "200",
        UserAgent: "antSword/v2.1",
      },
      { file: IIS, line: 40, title: "POST to a known web shell path", severity: "high" },
    ),
  ];
  if (withDump)
    fs.push(
      finding(
        name,
        "lsass-dump",
        "2021-03-03T07:02:11.000Z",
        { Path: "C:\\Windows\\Temp\\lsass.dmp", Name: "lsass.dmp", Size: "2048" },
        { file: "C/Windows/Temp/lsass.dmp", title: "LSASS memory dump: lsass.dmp" },
      ),
    );
  return fs;
}

export function attemptedFindings(name = "EXCH03"): Finding[] {
  return [
    finding(
      name,
      "cve-2021-26855-ssrf-failed",
      "2021-03-04T02:11:09.004Z",
      {
        ClientIpAddress: "192.0.2.9",
        UrlStem: "/ecp/y.js",
        Method: "POST",
        HttpStatus: "500",
        RequestId: "r-9",
      },
      { file: HP, line: 6 },
    ),
  ];
}

export function vulnerableExposure(): Exposure {
  return {
    build: "15.1.2176.2",
    buildSource: "log header",
    asOf: "2021-03-07T23:00:00.000Z",
    product: "Exchange Server 2016",
    cu: "CU19",
    update: null,
    cves: {
      "CVE-2021-26855": { status: "vulnerable", fixedIn: "15.1.2176.9" },
      "CVE-2021-34473": { status: "vulnerable", fixedIn: "15.1.2308.14" },
    },
    // The real recommendation for this build (2016 CU19 before the March 2021 SU), as `exhunt build` gives it.
    recommendation: toExposure(
      assessBuild("15.1.2176.2", new Date("2026-01-01T00:00:00Z")),
      "log header",
      null,
    ).recommendation,
  };
}

export function result(servers: ServerResult[]): ScanResult {
  return {
    schemaVersion: 2,
    tool: { name: "exhunt", version: "0.0.0-test" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:05.000Z",
    servers,
  };
}
