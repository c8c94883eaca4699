// IIS W3C logs for the example servers (`C/inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log`): benign traffic
// with look-alikes that must not fire, and on EXCH01 the IIS side of the attack: the SSRF POSTs to
// /ecp/y.js, a refused POST to the theme resources with a crawler user agent, and the planted page in
// aspnet_client answering the attacker's POSTs (the page itself is inert: an OAB settings dump shape).
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Options, rng, type Server } from "./generate.js";

const FIELDS =
  "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
/** The field set after an administrator added Host and byte counts (a header change mid-file). */
const FIELDS_WIDE =
  "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken";

export const SHELL_PATH = "C/inetpub/wwwroot/aspnet_client/system_web/discover.aspx";
const SHELL_URL = "/aspnet_client/system_web/discover.aspx";
const ATTACKER = "203.0.113.77";
const SECOND_GROUP = "192.0.2.144";
const SCANNER = "198.51.100.23";

export interface Req {
  t: Date;
  method: string;
  stem: string;
  query?: string;
  user?: string;
  ip: string;
  ua: string;
  status: number;
}

const w3c = (v: string | undefined) => (v ? v.replaceAll(" ", "+") : "-");

export function iisLine(r: Req, serverIp: string, wide: boolean, host: string): string {
  const iso = r.t.toISOString();
  const cells = [
    iso.slice(0, 10),
    iso.slice(11, 19),
    serverIp,
    r.method,
    r.stem,
    w3c(r.query),
    "443",
    w3c(r.user),
    r.ip,
    w3c(r.ua),
    "-",
  ];
  if (wide) cells.push(host);
  cells.push(String(r.status), "0", "0");
  if (wide)
    cells.push(String(200 + ((r.stem.length * 37) % 9000)), String(300 + ((r.stem.length * 13) % 900)));
  cells.push(String(5 + (r.stem.length % 40)));
  return cells.join(" ");
}

export function iisHeader(t: Date, fields: string = FIELDS): string {
  const d = t.toISOString();
  return `#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: ${d.slice(0, 10)} ${d.slice(11, 19)}\r\n#Fields: ${fields}\r\n`;
}

const BROWSER =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36";
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank"];
const INTERNAL = ["10.20.1.15", "10.20.1.22", "10.20.3.41", "192.168.50.12"];

/** Benign requests, among them the look-alikes of every IIS check. */
export function benignIisRequest(r: () => number, srv: Server, t: Date): Req {
  const user = USERS[Math.floor(r() * USERS.length)];
  const upn = `${user}@${srv.domain}`;
  const ip = INTERNAL[Math.floor(r() * INTERNAL.length)];
  const dom = `${srv.domain.split(".")[0].toUpperCase()}\\${user}`;
  const pick: Omit<Req, "t">[] = [
    {
      method: "GET",
      stem: "/owa/auth/logon.aspx",
      query: "url=https://mail/owa/&reason=0",
      ip,
      ua: BROWSER,
      status: 200,
    },
    { method: "GET", stem: "/owa/auth/Current/themes/resources/logon.css", ip, ua: BROWSER, status: 200 },
    { method: "POST", stem: "/owa/auth.owa", ip, ua: BROWSER, status: 302 },
    {
      method: "POST",
      stem: "/owa/service.svc",
      query: "action=GetFolder",
      user: upn,
      ip,
      ua: BROWSER,
      status: 200,
    },
    {
      method: "POST",
      stem: "/EWS/Exchange.asmx",
      user: dom,
      ip,
      ua: "Microsoft Office/16.0 (Microsoft Outlook 16.0.13801)",
      status: 200,
    },
    {
      method: "POST",
      stem: "/mapi/emsmdb/",
      query: `mailboxId=${user}@${srv.domain}`,
      user: upn,
      ip,
      ua: "MapiHttpClient",
      status: 200,
    },
    {
      method: "GET",
      stem: "/autodiscover/autodiscover.json",
      query: `Email=${user}%40${srv.domain}&Protocol=ActiveSync&RedirectCount=1`,
      ip,
      ua: "Outlook-iOS-Android/1.0",
      status: 200,
    },
    {
      method: "GET",
      stem: `/autodiscover/autodiscover.json/v1.0/${upn}`,
      query: "Protocol=EWS&RedirectCount=1",
      ip,
      ua: "Outlook-iOS-Android/1.0",
      status: 200,
    },
    {
      method: "POST",
      stem: "/Microsoft-Server-ActiveSync/default.eas",
      query: `User=${user}&DeviceId=ABC123&Cmd=Ping`,
      user: upn,
      ip,
      ua: "Apple-iPhone12C1/1805.114",
      status: 200,
    },
    { method: "GET", stem: "/ecp/default.aspx", user: dom, ip, ua: BROWSER, status: 200 },
    {
      method: "GET",
      stem: "/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
      ip,
      ua: BROWSER,
      status: 200,
    },
    {
      method: "POST",
      stem: "/powershell",
      query: "serializationLevel=Full;clientApplication=ActiveMonitor",
      user: dom,
      ip: "127.0.0.1",
      ua: "Microsoft WinRM Client",
      status: 200,
    },
    {
      method: "GET",
      stem: "/owa/",
      ip: "157.55.39.1",
      ua: "Mozilla/5.0 (compatible; Bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      status: 302,
    },
    {
      method: "GET",
      stem: "/owa/healthcheck.htm",
      ip: "127.0.0.1",
      ua: "AMProbe/Local/ClientAccess",
      status: 200,
    },
  ];
  return { t, ...pick[Math.floor(r() * pick.length)] };
}

/** The IIS side of EXCH01's attack, at the times of its HttpProxy and ECP rows. */
function attack(): Req[] {
  const at = (iso: string) => new Date(iso);
  const ssrf = (iso: string, status: number): Req => ({
    t: at(iso),
    method: "POST",
    stem: "/ecp/y.js",
    ip: ATTACKER,
    ua: "python-requests/2.25.1",
    status,
  });
  const shell = (iso: string, ip: string, method: string, status: number): Req => ({
    t: at(iso),
    method,
    stem: SHELL_URL,
    ip,
    ua: "antSword/v2.1",
    status,
  });
  return [
    // IIS stamps a request when it completes: a second after HttpProxy's BeginRequest here.
    ssrf("2021-03-03T06:49:44Z", 200),
    ssrf("2021-03-03T06:49:46Z", 241),
    ssrf("2021-03-03T06:49:52Z", 200),
    ssrf("2021-03-03T06:49:53Z", 200),
    ssrf("2021-03-03T06:49:56Z", 200),
    shell("2021-03-03T06:50:30Z", ATTACKER, "GET", 200),
    shell("2021-03-03T07:01:58Z", ATTACKER, "POST", 200),
    shell("2021-03-03T07:05:31Z", ATTACKER, "POST", 200),
    ssrf("2021-03-04T02:11:10Z", 500),
    {
      t: at("2021-03-04T02:12:30Z"),
      method: "POST",
      stem: "/owa/auth/Current/themes/resources/logon.css",
      ip: SCANNER,
      ua: "DuckDuckBot/1.0; (+http://duckduckgo.com/duckduckbot.html)",
      status: 404,
    },
    {
      t: at("2021-03-05T11:40:02Z"),
      method: "GET",
      stem: "/aspnet_client/shell.aspx",
      ip: SCANNER,
      ua: "Mozilla/5.0",
      status: 404,
    },
    shell("2021-03-06T19:22:17Z", SECOND_GROUP, "POST", 200),
  ];
}

/**
 * Write a server's IIS logs, one file per UTC day, from `o.from` to `o.to`. The second day of every
 * server starts a new directive block at noon (an IIS restart); EXCH02's also changes the field set.
 */
export function writeIisLogs(root: string, srv: Server, o: Options, compromised: boolean): void {
  const r = rng(o.seed + 7);
  const perHour = Math.max(1, Math.round(o.rowsPerHour / 4));
  const reqs: Req[] = [];
  for (let h = o.from.getTime(); h < o.to.getTime(); h += 3_600_000) {
    for (let i = 0; i < perHour; i++)
      reqs.push(benignIisRequest(r, srv, new Date(h + Math.floor(r() * 3_600_000))));
  }
  if (compromised) reqs.push(...attack().filter((q) => q.t >= o.from && q.t < o.to));
  reqs.sort((a, b) => a.t.getTime() - b.t.getTime());
  const serverIp = compromised ? "10.20.0.10" : "10.30.0.10";
  const days = new Map<string, Req[]>();
  for (const q of reqs) {
    const k = q.t.toISOString().slice(0, 10);
    const list = days.get(k) ?? [];
    list.push(q);
    days.set(k, list);
  }
  let n = 0;
  for (const [day, list] of days) {
    const start = new Date(`${day}T00:00:00Z`);
    const restart = n++ === 1 ? new Date(`${day}T12:00:00Z`) : null;
    const wideAfter = restart && !compromised;
    const parts = [iisHeader(start, FIELDS)];
    let switched = false;
    for (const q of list) {
      if (restart && !switched && q.t >= restart) {
        parts.push(iisHeader(restart, wideAfter ? FIELDS_WIDE : FIELDS));
        switched = true;
      }
      parts.push(`${iisLine(q, serverIp, Boolean(wideAfter && switched), `mail.${srv.domain}`)}\r\n`);
    }
    const abs = join(root, `C/inetpub/logs/LogFiles/W3SVC1/u_ex${day.slice(2).replaceAll("-", "")}.log`);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, parts.join(""));
    utimesSync(abs, o.to, o.to);
  }
  if (compromised) {
    // Inert: the shape of the OAB virtual directory settings CVE-2021-27065 writes, with a script tag
    // that only writes "x". It runs nothing and matches what a content rule keys on.
    const abs = join(root, SHELL_PATH);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(
      abs,
      'Name                            : OAB (Default Web Site)\r\nPollInterval                    : 480\r\nOfflineAddressBooks             :\r\nRequireSSL                      : True\r\nBasicAuthentication             : False\r\nWindowsAuthentication           : True\r\nExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){/*exhunt inert example*/Response.Write("x");}</script>\r\nInternalUrl                     : https://exch01.contoso.local/OAB\r\n',
    );
    const t = new Date("2021-03-03T06:50:13Z");
    utimesSync(abs, t, t);
  }
}
