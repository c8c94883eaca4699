// Deterministic example evidence: a compromised Exchange 2016 server and a clean busy one, laid out as
// a KAPE-style copy (`C/Program Files/Microsoft/Exchange Server/V15/...`). Everything is synthetic:
// the attack rows follow the shapes published by Microsoft, Volexity and helsecert (HttpProxy SSRF
// chain, ECP Set-OabVirtualDirectory, OAB download path), with inert payloads: the "web shell" markup
// only has the structure detections key on and executes nothing.
// Usage: tsx examples/generate.ts OUT_DIR [--scale N]
import { createHash } from "node:crypto";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeEventExport } from "./events.js";
import { writeIisLogs } from "./iis.js";

export const INSTALL = "C/Program Files/Microsoft/Exchange Server/V15";
export const HTTPPROXY_FIELDS =
  "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus".split(
    ",",
  );
const FIELD_INDEX = new Map(HTTPPROXY_FIELDS.map((f, i) => [f, i]));
const BUILD = { major: "15", minor: "1", build: "2176", rev: "2", long: "15.01.2176.002" };

/** Mulberry32: small, fast, and the same numbers on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function csv(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function guid(r: () => number): string {
  const h = () => Math.floor(r() * 16).toString(16);
  const s = (n: number) => Array.from({ length: n }, h).join("");
  return `${s(8)}-${s(4)}-4${s(3)}-${"89ab"[Math.floor(r() * 4)]}${s(3)}-${s(12)}`;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

export interface Server {
  name: string;
  fqdn: string;
  domain: string;
}

export type Row = Record<string, string>;

/** One HttpProxy row with every column, in header order. */
export function httpProxyLine(row: Row): string {
  const cells = new Array<string>(HTTPPROXY_FIELDS.length).fill("");
  for (const [k, v] of Object.entries(row)) {
    const i = FIELD_INDEX.get(k);
    if (i === undefined) throw new Error(`unknown HttpProxy field ${k}`);
    cells[i] = csv(v);
  }
  return cells.join(",");
}

export function preamble(logType: string, date: string, fields: string, version = BUILD.long): string {
  return `#Software: Microsoft Exchange Server\r\n#Version: ${version}\r\n#Log-type: ${logType}\r\n#Date: ${date}\r\n#Fields: ${fields}\r\n`;
}

const USERS = [
  "alice",
  "bob",
  "carol",
  "dave",
  "erin",
  "frank",
  "grace",
  "heidi",
  "ivan",
  "judy",
  "mallory.admin",
  "peggy",
  "trent",
  "victor",
];
const CLIENT_IPS = [
  "10.20.1.15",
  "10.20.1.22",
  "10.20.3.41",
  "10.20.7.9",
  "192.168.50.12",
  "172.16.4.80",
  "10.20.1.77",
];
const UAS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
  "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
  "Outlook-iOS-Android/1.0",
  "Apple-iPhone12C1/1805.114",
  "MapiHttpClient",
  "Microsoft WinRM Client",
];
const PROTOCOLS = [
  { folder: "Owa", stem: ["/owa/", "/owa/service.svc", "/owa/ev.owa2", "/owa/auth/logon.aspx"], weight: 5 },
  { folder: "Ews", stem: ["/EWS/Exchange.asmx"], weight: 3 },
  { folder: "Mapi", stem: ["/mapi/emsmdb/", "/mapi/nspi/"], weight: 6 },
  { folder: "Eas", stem: ["/Microsoft-Server-ActiveSync/default.eas"], weight: 3 },
  {
    folder: "Autodiscover",
    stem: ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"],
    weight: 2,
  },
  {
    folder: "Ecp",
    stem: ["/ecp/", "/ecp/RulesEditor/InboxRules.svc/GetList", "/ecp/PersonalSettings/HomePage.aspx"],
    weight: 1,
  },
  { folder: "RpcHttp", stem: ["/rpc/rpcproxy.dll"], weight: 2 },
  { folder: "PowerShell", stem: ["/powershell"], weight: 1 },
  { folder: "Oab", stem: ["/OAB/8f2b9e4a-1c55-4f0e-9a2e-2d7f1b3c4d5e/oab.xml"], weight: 1 },
] as const;

/** A benign request, including health probes and look-alikes that must not fire. */
export function benignRow(
  r: () => number,
  srv: Server,
  time: Date,
  folder?: string,
): { folder: string; row: Row } {
  const total = PROTOCOLS.reduce((n, p) => n + p.weight, 0);
  let x = r() * total;
  let proto: (typeof PROTOCOLS)[number] = PROTOCOLS[0];
  for (const p of PROTOCOLS) {
    x -= p.weight;
    if (folder ? p.folder === folder : x < 0) {
      proto = p;
      break;
    }
  }
  const probe = r() < 0.18;
  const user = probe ? `HealthMailbox${Math.floor(r() * 0xffffff).toString(16)}` : pick(r, USERS);
  const upn = `${user}@${srv.domain}`;
  const t = time.toISOString();
  const row: Row = {
    DateTime: t,
    RequestId: guid(r),
    MajorVersion: BUILD.major,
    MinorVersion: BUILD.minor,
    BuildVersion: BUILD.build,
    RevisionVersion: BUILD.rev,
    Protocol: proto.folder,
    UrlHost: probe ? "localhost" : `mail.${srv.domain}`,
    UrlStem: pick(r, proto.stem),
    AuthenticationType: pick(r, ["Negotiate", "Kerberos", "FBA", "Basic", "NTLM"]),
    IsAuthenticated: "true",
    AuthenticatedUser: probe ? `${srv.domain.split(".")[0].toUpperCase()}\\${user}` : upn,
    AnchorMailbox: pick(r, [
      `Smtp~${upn}`,
      `Sid~S-1-5-21-3623811015-3361044348-30300820-${1100 + Math.floor(r() * 400)}`,
      `MailboxGuid~${guid(r)}`,
      `ServerVersion~Version 15.1 (Build 2176.2)`,
    ]),
    UserAgent: probe ? `AMProbe/Local/ClientAccess` : pick(r, UAS),
    ClientIpAddress: probe ? "127.0.0.1" : pick(r, CLIENT_IPS),
    ServerHostName: srv.name,
    HttpStatus: pick(r, ["200", "200", "200", "200", "302", "401", "200", "440"]),
    BackEndStatus: "200",
    Method: pick(r, ["GET", "POST", "POST"]),
    ProxyAction: "Proxy",
    TargetServer: srv.fqdn,
    TargetServerVersion: "15.01.2176.000",
    RoutingType: "IntraForest",
    RoutingHint: pick(r, [
      "WindowsIdentity",
      "Smtp-UrlQuery",
      "MailboxGuidWithDomain",
      "ExchClientVer-ServerCookie",
    ]),
    BackEndCookie:
      r() < 0.3
        ? `Server~${srv.fqdn}~1942063431~${new Date(time.getTime() + 600_000).toISOString().slice(0, 19)}`
        : r() < 0.5
          ? `Database~${guid(r)}~~${t.slice(0, 19)}`
          : "",
    RequestBytes: String(Math.floor(r() * 4000)),
    ResponseBytes: String(Math.floor(r() * 40000)),
    HttpPipelineLatency: "0",
    CalculateTargetBackEndLatency: String(Math.floor(r() * 3)),
    TotalRequestTime: String(Math.floor(r() * 400)),
    UrlQuery: proto.folder === "Mapi" ? `?mailboxId=${guid(r)}@${srv.domain}` : "",
    GenericInfo: `BeginRequest=${t};CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-1942063431;ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest=${t};`,
    RoutingStatus: "CafeV1",
  };
  // Look-alikes: the literal appears, but not where the attack puts it.
  const trap = r();
  if (trap < 0.002) row.UrlQuery = `?redirect=ServerInfo~${srv.fqdn}/owa/`;
  else if (trap < 0.004) row.AnchorMailbox = `ServerInfo~${srv.fqdn}`;
  else if (trap < 0.006) row.UserAgent = "Mozilla/5.0 (compatible; ServerInfo~monitor/1.0)";
  return { folder: proto.folder, row };
}

function ecpLine(time: Date, srv: Server, cmd: string, url: string, r: () => number): string {
  const data = `S:TIME=${Math.floor(r() * 90)};S:SID=${guid(r)};S:CMD=${cmd};S:REQID=;S:URL=${url};S:REFERRER=;S:EX=;S:ACTID=${guid(r)};S:RS=0;S:BLD=15.1.2176.2;S:TNAME=<null>;S:TID=;S:USID=${guid(r)};S:EDOID=;S:ACID=`;
  return `${time.toISOString()},${srv.name},ECP.Request,${csv(data)}`;
}

const OAB_FIELDS = "DateTime,Build,ProcessId,ThreadId,Severity,Component,OrganizationMailbox,OabGuid,Message";

function oabLine(time: Date, message: string): string {
  return [
    time.toISOString(),
    "15.1.2176.2",
    "9788",
    "41",
    "Warning",
    "OABGenerator",
    "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}",
    "8f2b9e4a-1c55-4f0e-9a2e-2d7f1b3c4d5e",
    csv(message),
  ].join(",");
}

class Tree {
  files = new Map<string, string[]>();
  /** The `#Version` the server's HttpProxy and OAB logs carry (its ExSetup build when written). */
  constructor(readonly version: string = BUILD.long) {}
  add(path: string, head: string, line: string): void {
    let f = this.files.get(path);
    if (!f) {
      f = [head];
      this.files.set(path, f);
    }
    f.push(`${line}\r\n`);
  }
  write(root: string, mtime: Date): void {
    for (const [path, parts] of this.files) {
      const abs = join(root, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, parts.join(""));
      utimesSync(abs, mtime, mtime);
    }
  }
}

const hourKey = (d: Date) => d.toISOString().slice(0, 13).replace(/[-T]/g, "");
const dayKey = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, "");

function addHttpProxy(tree: Tree, folder: string, row: Row, t: Date): void {
  const hour = new Date(Math.floor(t.getTime() / 3_600_000) * 3_600_000);
  tree.add(
    `${INSTALL}/Logging/HttpProxy/${folder}/HttpProxy_${hourKey(t)}-1.LOG`,
    preamble("HttpProxy Logs", hour.toISOString(), HTTPPROXY_FIELDS.join(","), tree.version),
    httpProxyLine(row),
  );
}

function addEcp(tree: Tree, srv: Server, t: Date, cmd: string, url: string, r: () => number): void {
  tree.add(
    `${INSTALL}/Logging/ECP/Server/ECPServer${dayKey(t)}-1.LOG`,
    preamble(
      "ECP Server Log",
      `${t.toISOString().slice(0, 10)}T00:00:00.000Z`,
      "TimeStamp,ServerName,EventId,EventData",
      "15.0.0.0",
    ),
    ecpLine(t, srv, cmd, url, r),
  );
}

function addOab(tree: Tree, t: Date, message: string): void {
  tree.add(
    `${INSTALL}/Logging/OABGeneratorLog/OABGenerator${dayKey(t)}-1.LOG`,
    preamble("OABGenerator Log", `${t.toISOString().slice(0, 10)}T00:00:00.000Z`, OAB_FIELDS, tree.version),
    oabLine(t, message),
  );
}

export interface Options {
  /** Benign HttpProxy rows per hour. */
  rowsPerHour: number;
  from: Date;
  to: Date;
  seed: number;
}

/** Background traffic every server has: requests, health probes, admin ECP work, OAB generation. */
function background(tree: Tree, srv: Server, o: Options): void {
  const r = rng(o.seed);
  for (let h = o.from.getTime(); h < o.to.getTime(); h += 3_600_000) {
    const n = Math.max(1, Math.round(o.rowsPerHour * (0.5 + r())));
    const times = Array.from({ length: n }, () => h + Math.floor(r() * 3_600_000)).sort((a, b) => a - b);
    for (const ms of times) {
      const { folder, row } = benignRow(r, srv, new Date(ms));
      addHttpProxy(tree, folder, row, new Date(ms));
    }
    const day = new Date(h);
    if (day.getUTCHours() === 9) {
      addEcp(
        tree,
        srv,
        new Date(h + 120_000),
        "Get-InboxRule",
        `/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=${guid(r).replaceAll("-", "")}`,
        r,
      );
      addEcp(
        tree,
        srv,
        new Date(h + 240_000),
        "Get-OabVirtualDirectory.ADPropertiesOnly=$true.Identity=$null",
        "/ecp/DDI/DDIService.svc/GetList?schema=OABVirtualDirectory",
        r,
      );
      addOab(tree, new Date(h + 300_000), "OABGen: generation of OAB completed. Files: 5");
    }
    if (day.getUTCHours() === 3 && day.getUTCDate() % 3 === 0) {
      // Legitimate temporary download in ClientAccess\OAB\Temp: must not fire.
      addOab(
        tree,
        new Date(h + 60_000),
        `Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\${guid(r)}.lzx' needs to be removed.`,
      );
    }
    if (day.getUTCHours() === 14 && day.getUTCDate() === 20) {
      // An admin really changing a URL: no markup, must not fire.
      addEcp(
        tree,
        srv,
        new Date(h + 60_000),
        `Set-OwaVirtualDirectory.ExternalUrl='https://mail.${srv.domain}/owa'.Identity='${guid(r)}'`,
        "/ecp/DDI/DDIService.svc/SetObject?schema=OWAVirtualDirectory",
        r,
      );
      addEcp(
        tree,
        srv,
        new Date(h + 90_000),
        `Set-EcpVirtualDirectory.InternalUrl='https://${srv.fqdn}/ecp?a<b'.Identity='${guid(r)}'`,
        "/ecp/DDI/DDIService.svc/SetObject?schema=EcpVirtualDirectory",
        r,
      );
    }
  }
}

const ATTACKER = "203.0.113.77";
const SCANNER = "198.51.100.23";

/** The HAFNIUM chain against one server (times from the published timelines, addresses from TEST-NET). */
function attack(tree: Tree, srv: Server, r: () => number): void {
  const at = (iso: string) => new Date(iso);
  const be = `ServerInfo~a]@${srv.fqdn}:444`;
  const canary = "oFEp1dXu6kKZ8yG5eT3WQrJbNhM0vC2xLsAaIiDdFgH.";
  const base = (t: Date, stem: string, anchor: string, status: string, extra: Row = {}): Row => ({
    DateTime: t.toISOString(),
    RequestId: guid(r),
    MajorVersion: BUILD.major,
    MinorVersion: BUILD.minor,
    BuildVersion: BUILD.build,
    RevisionVersion: BUILD.rev,
    Protocol: "Ecp",
    UrlHost: `mail.${srv.domain}`,
    UrlStem: stem,
    AuthenticationType: "Negotiate",
    IsAuthenticated: "false",
    AnchorMailbox: anchor,
    UserAgent: "python-requests/2.25.1",
    ClientIpAddress: ATTACKER,
    ServerHostName: srv.name,
    HttpStatus: status,
    BackEndStatus: status,
    Method: "POST",
    ProxyAction: "Proxy",
    TargetServer: srv.fqdn,
    TargetServerVersion: "15.01.2176.000",
    RoutingType: "IntraForest",
    RoutingHint: "X-BEResource-Cookie",
    GenericInfo: `BeginRequest=${t.toISOString()};CorrelationID=<empty>;ProxyState-Run=None;`,
    RoutingStatus: "CafeV1",
    ...extra,
  });
  // 1. Mass scanning (Microsoft's nmap check shape): excluded as localhost, reported as a probe.
  addHttpProxy(
    tree,
    "Owa",
    base(at("2021-03-02T21:14:03.120Z"), "/owa/auth/x.js", "ServerInfo~localhost/ecp/default.flt?", "500", {
      Protocol: "Owa",
      Method: "GET",
      ClientIpAddress: SCANNER,
      UserAgent: "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
      RoutingHint: "X-AnonResource-Backend-Cookie",
    }),
    at("2021-03-02T21:14:03.120Z"),
  );
  // 2. Autodiscover to learn the back end and a mailbox (excluded by Test-ProxyLogon, kept as attempt).
  addHttpProxy(
    tree,
    "Ecp",
    base(at("2021-03-03T06:49:40.512Z"), "/ecp/y.js", `${be}/autodiscover/autodiscover.xml?#`, "200"),
    at("2021-03-03T06:49:40.512Z"),
  );
  // 3. MAPI to get the administrator's SID, through the SSRF.
  addHttpProxy(
    tree,
    "Ecp",
    base(
      at("2021-03-03T06:49:43.208Z"),
      "/ecp/y.js",
      `${be}/mapi/emsmdb?MailboxId=f26bc937-b7b3-4402-b890-96c46713e5d5@${srv.domain}#`,
      "200",
    ),
    at("2021-03-03T06:49:43.208Z"),
  );
  // 4. proxyLogon.ecp: a session as that administrator (status 241).
  addHttpProxy(
    tree,
    "Ecp",
    base(at("2021-03-03T06:49:45.877Z"), "/ecp/y.js", `${be}/ecp/proxyLogon.ecp?#`, "241"),
    at("2021-03-03T06:49:45.877Z"),
  );
  // 5. DDI calls on the OAB virtual directory: read it, set the URL, reset (write the file).
  addHttpProxy(
    tree,
    "Ecp",
    base(
      at("2021-03-03T06:49:51.390Z"),
      "/ecp/y.js",
      `${be}/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory#`,
      "200",
    ),
    at("2021-03-03T06:49:51.390Z"),
  );
  addHttpProxy(
    tree,
    "Ecp",
    base(
      at("2021-03-03T06:49:52.611Z"),
      "/ecp/y.js",
      `${be}/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory#`,
      "200",
    ),
    at("2021-03-03T06:49:52.611Z"),
  );
  addHttpProxy(
    tree,
    "Ecp",
    base(
      at("2021-03-03T06:49:55.030Z"),
      "/ecp/y.js",
      `${be}/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=ResetOABVirtualDirectory#`,
      "200",
    ),
    at("2021-03-03T06:49:55.030Z"),
  );
  // 6. A later retry that the back end refused (no sign of success in that row).
  addHttpProxy(
    tree,
    "Ecp",
    base(
      at("2021-03-04T02:11:09.004Z"),
      "/ecp/y.js",
      `${be}/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory#`,
      "500",
    ),
    at("2021-03-04T02:11:09.004Z"),
  );
  // 7. A forged back-end cookie on an OWA request with a localhost anchor (CSS-Exchange #310 case).
  addHttpProxy(
    tree,
    "Owa",
    base(
      at("2021-03-04T02:12:30.777Z"),
      "/owa/auth/Current/themes/resources/logon.css",
      "ServerInfo~localhost/ecp/default.flt?",
      "404",
      {
        Protocol: "Owa",
        BackEndCookie: `Server~${srv.fqdn}:444/ecp/default.flt?~1942062522`,
        RoutingHint: "X-BEResource-Cookie",
      },
    ),
    at("2021-03-04T02:12:30.777Z"),
  );

  // ECP Server log: the URL with markup saved into the OAB virtual directory, then cleared.
  const inert = `http://f/<script language="JScript" runat="server">function Page_Load(){/*exhunt inert example*/Response.Write("x");}</script>`;
  addEcp(
    tree,
    srv,
    at("2021-03-03T06:49:52.640Z"),
    `Set-OabVirtualDirectory.ExternalUrl='${inert}'.Identity='982d3e4a-6f19-4a3c-b0b8-3f1bd2f4f3a1'`,
    `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`,
    r,
  );
  addEcp(
    tree,
    srv,
    at("2021-03-03T06:49:56.102Z"),
    "Set-OabVirtualDirectory.ExternalUrl=$null.Identity='982d3e4a-6f19-4a3c-b0b8-3f1bd2f4f3a1'",
    `/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=${canary}&schema=OABVirtualDirectory`,
    r,
  );
  // OAB generator: the "download" to a web folder (CVE-2021-26858 shape).
  addOab(
    tree,
    at("2021-03-03T06:50:13.410Z"),
    "Download failed and temporary file '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\system_web\\discover.aspx' needs to be removed.",
  );
}

/** The example web shell: an OAB virtual-directory settings dump whose ExternalUrl holds the inert markup. */
export const EXAMPLE_SHELL_PATH = "C/inetpub/wwwroot/aspnet_client/system_web/discover.aspx";
export const EXAMPLE_SHELL = [
  "RunspaceId                      : 5e8c1f0a-4b7d-4c2e-9a51-0d3f6b2e8c17",
  "PollInterval                    : 480",
  "OfflineAddressBooks             : {\\Default Offline Address Book}",
  "RequireSSL                      : True",
  "BasicAuthentication             : False",
  "WindowsAuthentication           : True",
  "MetabasePath                    : IIS://exch01.contoso.local/W3SVC/1/ROOT/OAB",
  "Path                            : C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB",
  "Server                          : EXCH01",
  "InternalUrl                     : https://exch01.contoso.local/OAB",
  "InternalAuthenticationMethods   : {WindowsIntegrated}",
  'ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){/*exhunt inert example*/Response.Write("x");}</script>',
  "ExternalAuthenticationMethods   : {WindowsIntegrated}",
  "ExtendedProtectionTokenChecking : None",
  "Name                            : OAB (Default Web Site)",
  "",
].join("\r\n");

/** A user indicator feed for the example (`--ioc`): the example shell's SHA-256, as an analyst would list it. */
export function exampleIocFeed(): string {
  const sha = createHash("sha256").update(EXAMPLE_SHELL).digest("hex");
  return `# exhunt example: indicators from this (fictitious) incident, one per line\n${sha}\n203.0.113.77\n`;
}

export const COMPROMISED: Server = { name: "EXCH01", fqdn: "exch01.contoso.local", domain: "contoso.local" };
export const CLEAN: Server = { name: "EXCH02", fqdn: "exch02.fabrikam.local", domain: "fabrikam.local" };

export function writeCompromised(root: string, o: Partial<Options> = {}): void {
  const opts: Options = {
    rowsPerHour: 40,
    from: new Date("2021-02-20T00:00:00Z"),
    to: new Date("2021-03-08T00:00:00Z"),
    seed: 1,
    ...o,
  };
  // Exchange 2016 CU19 without the March 2021 SU: every one of the nine CVEs open.
  const tree = new Tree("15.01.2176.002");
  background(tree, COMPROMISED, opts);
  attack(tree, COMPROMISED, rng(opts.seed + 99));
  tree.write(root, opts.to);
  writeEventExport(root, COMPROMISED, opts.from, opts.to, true);
  writeIisLogs(root, COMPROMISED, opts, true);
  const extra: [string, Buffer | string, string][] = [
    [
      "C/Windows/Temp/lsass.dmp",
      Buffer.concat([Buffer.from("MDMP"), Buffer.alloc(2044)]),
      "2021-03-03T07:02:11Z",
    ],
    [
      "C/ProgramData/VSPerfMon/1.7z",
      Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), Buffer.alloc(506)]),
      "2021-03-03T07:05:40Z",
    ],
    // The OAB settings dump the attack above saved as a page (CVE-2021-27065 shell), inert, and the
    // page ASP.NET compiled when it was first requested.
    [EXAMPLE_SHELL_PATH, EXAMPLE_SHELL, "2021-03-03T06:50:13Z"],
    [
      "C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/5c1f09a4/7d2e4b1c/discover.aspx.cdcab7d2.compiled",
      '<?xml version="1.0" encoding="utf-8"?>\r\n<preserve resultType="3" virtualPath="/aspnet_client/system_web/discover.aspx" hash="fffffffe9b2a8c51" filehash="3f1c0a2b7d4e5f60" flags="110000" assembly="App_Web_ltpk2ywd" />\r\n',
      "2021-03-03T06:51:02Z",
    ],
  ];
  for (const [rel, data, t] of extra) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, data);
    utimesSync(abs, new Date(t), new Date(t));
  }
}

export function writeClean(root: string, o: Partial<Options> = {}): void {
  const opts: Options = {
    rowsPerHour: 60,
    from: new Date("2020-12-20T00:00:00Z"),
    to: new Date("2021-03-15T00:00:00Z"),
    seed: 2,
    ...o,
  };
  // Fully patched: Exchange SE with its newest SU in the build table (Aug26SU). Every 2016/2019 build
  // is now out of support (and 2016 has no build fix for CVE-2024-21410), so only SE leaves the
  // verdict clean.
  const tree = new Tree("15.02.2562.046");
  background(tree, CLEAN, opts);
  tree.write(root, opts.to);
  writeEventExport(root, CLEAN, opts.from, opts.to, false);
  writeIisLogs(root, CLEAN, opts, false);
  // A backup agent's archive: listed, but alone it must not raise the verdict.
  const abs = join(root, "C/ProgramData/Veeam/Backup/config-export.zip");
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, Buffer.concat([Buffer.from("PK\u0005\u0006"), Buffer.alloc(18)]));
  utimesSync(abs, opts.to, opts.to);
}

export function writeExamples(out: string, scale = 1, small = false): void {
  if (small)
    // One compromised server over the four days around the attack: seconds to write and to scan.
    writeCompromised(join(out, "EXCH01-compromised"), {
      rowsPerHour: 2,
      from: new Date("2021-03-02T00:00:00Z"),
      to: new Date("2021-03-06T00:00:00Z"),
    });
  else {
    writeCompromised(join(out, "EXCH01-compromised"), { rowsPerHour: 40 * scale });
    writeClean(join(out, "EXCH02-clean"), { rowsPerHour: 60 * scale });
  }
  writeFileSync(join(out, "iocs.txt"), exampleIocFeed());
}

const invokedDirectly = process.argv[1] && /examples[/\\]generate\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: tsx examples/generate.ts OUT_DIR [--scale N]\n");
    process.exit(2);
  }
  const i = process.argv.indexOf("--scale");
  writeExamples(out, i > 0 ? Number(process.argv[i + 1]) : 1);
  process.stdout.write(`example evidence written to ${out}\n`);
}
