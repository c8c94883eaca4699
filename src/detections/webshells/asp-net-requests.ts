// Classic ASP HTTP clients (MSXML2.XMLHTTP/ServerXMLHTTP, Microsoft.XMLHTTP, WinHttp.WinHttpRequest)
// used the way shells use them: a downloader that fetches a URL the request names and saves the body
// to disk (ADODB.Stream SaveToFile), and requests to a service on the machine itself on a non-web port
// with request data in them (the Serv-U local FTP administration port, 43958, driven to add a user or
// run `SITE EXEC`). A page that fetches a fixed feed, or proxies a request to a remote API without
// saving it, is not counted.
import { argumentAt, methodCalls, objectNames } from "./asp-objects.js";
import type { Normalised } from "./normalise.js";
import type { Signal } from "./signals.js";

const HTTP_CLIENT =
  /^(?:msxml2\.(?:server)?xmlhttp(?:\.\d\.\d)?|microsoft\.xmlhttp|winhttp\.winhttprequest(?:\.\d\.\d)?)$/;
const HTTP_ID = String.raw`(?:msxml2\.(?:server)?xmlhttp(?:\.\d\.\d)?|microsoft\.xmlhttp|winhttp\.winhttprequest(?:\.\d\.\d)?)`;
/** Saving what was fetched: ADODB.Stream SaveToFile, or a text file written with the response (not Response.Write). */
const SAVES =
  /\.\s*savetofile\b|(?<!response\s*)\.\s*write(?:line)?\b[^\n]{0,120}\bresponse(?:body|text|stream)\b/;
/** A URL on the machine itself with an explicit port. */
const LOCAL_URL = /\/\/(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)(?::(\d{1,5}))?/;
const WEB_PORTS = new Set(["80", "443", "8080", "8443"]);
/** What drives an FTP/administration service or runs a command through it. */
const ADMIN_WORDS = /\bsite\s+(?:exec|maintenance)\b|-setusersetup|\buser\s+\w|\bpass\s+\w|\bcmd\b|\bexec\b/;

export interface HttpInput {
  norm: Normalised;
  tainted: RegExp;
}

export function aspHttpSignals({ norm, tainted }: HttpInput): Signal[] {
  const t = norm.text;
  if (!t.includes("xmlhttp") && !t.includes("winhttp")) return [];
  const out: Signal[] = [];
  const names = objectNames(t, HTTP_CLIENT);
  const opens = [...methodCalls(t, names, HTTP_ID, ["open"])];
  const sends = [...methodCalls(t, names, HTTP_ID, ["send"])];
  const download = opens.find((c) => tainted.test(argumentAt(c.args, 1)));
  if (download && SAVES.test(t))
    out.push({
      rule: "asp-request-url-download",
      line: norm.lineAt(download.at),
      points: 6,
      what: "fetches a URL the request names and saves what it gets to disk (a downloader)",
    });
  // A local service on a non-web port, with request data in the URL or the body sent to it.
  for (const c of opens) {
    const port = LOCAL_URL.exec(argumentAt(c.args, 1))?.[1];
    if (!port || WEB_PORTS.has(port)) continue;
    const sent = sends.filter((s) => s.receiver === c.receiver).some((s) => tainted.test(s.args));
    if (!sent && !tainted.test(c.args)) continue;
    const admin = ADMIN_WORDS.test(t);
    out.push({
      rule: "asp-local-port-request",
      line: norm.lineAt(c.at),
      points: admin ? 10 : 6,
      what: `sends request data to a service on this machine (port ${port})${admin ? " with administration or command words" : ""}`,
    });
    break;
  }
  return out;
}
