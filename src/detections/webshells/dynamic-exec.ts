// Generic ASP.NET web-shell behaviour, for shells no signature names: evaluating request data,
// starting processes with it, loading assemblies from Base64, and reGeorg-style socket tunnels. Only
// server-side code is judged (a page directive, a <% %> block or runat="server"): JavaScript served
// to browsers, minified or not, and HTML-only pages are not.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection, FindingDraft, SweptFile } from "../types.js";
import { inScope, isServerScript, REFS, snippet, sweptDraft } from "./common.js";

const base: Pick<CheckInfo, "cves" | "severity" | "effect" | "references"> = {
  cves: [],
  severity: "high",
  effect: "compromise",
  references: [REFS.certlv, REFS.sigbase, REFS.msBlog],
};

export const checks = {
  evalRequest: {
    ...base,
    id: "webshell-eval-request",
    title: "Server-side eval of request data",
    description:
      'Server-side code passes request data to eval (JScript.NET) without the Chopper "unsafe" ' +
      "signature: any caller can run code. Exchange's own pages never eval request data.",
  },
  processRequest: {
    ...base,
    id: "webshell-process-request",
    title: "Server-side code starts processes with request data",
    description:
      "A page uses Process.Start / ProcessStartInfo and reads request data (Request.Form, QueryString, " +
      "Item, Params, Headers, InputStream): a command shell over HTTP (e.g. cmd.exe /c from a parameter).",
  },
  reflectiveLoad: {
    ...base,
    id: "webshell-reflective-load",
    title: "Server-side code loads an assembly from Base64",
    description:
      "A page decodes Base64 (Convert.FromBase64String) and loads it as an assembly (Assembly.Load): the " +
      "pattern of memory-resident shells (Godzilla, Behinder, AntSword's ASPX payloads).",
  },
  tunnel: {
    ...base,
    id: "webshell-socket-tunnel",
    title: "Server-side socket tunnel (reGeorg-like)",
    description:
      "A page opens raw sockets and is driven by request headers or commands (reGeorg's X-CMD/X-STATUS/" +
      "X-TARGET, Neo-reGeorg, Tunna): it turns the web server into a pivot into the internal network.",
    references: [REFS.volexity, REFS.certlv],
  },
} satisfies Record<string, CheckInfo>;

const REQUEST_DATA = [
  "request.form",
  "request.querystring",
  "request.item",
  "request[",
  "request.params",
  "request.headers",
  "request.inputstream",
  "request.binaryread",
  "request.cookies",
];

const EVAL_REQUEST = /\beval\s*\(\s*(?:[a-z_][\w.]{0,100}\.)?request\s*[.[(]/;

function requestData(t: string): boolean {
  return REQUEST_DATA.some((r) => t.includes(r));
}

function at(file: SweptFile, t: string, key: string, check: string, rule: string): FindingDraft {
  const i = Math.max(0, t.indexOf(key));
  return sweptDraft(check, file, rule, snippet(file, i, key.length + 40));
}

export const dynamicExec: ContentDetection = {
  type: "content",
  id: "webshell-dynamic-exec",
  checks: Object.values(checks),
  select: inScope,
  match(file) {
    if (!isServerScript(file)) return null;
    const t = file.lower();
    const cheap =
      t.includes("eval") || t.includes("process") || t.includes("assembly") || t.includes("socket");
    if (!cheap) return null;
    const out: FindingDraft[] = [];
    // eval(Request...), eval(Page.Request[...]), eval(HttpContext.Current.Request.Form...); not
    // eval(xmlHttpRequest.responseText) in a page's client-side script.
    if (t.includes("eval") && EVAL_REQUEST.test(t) && !t.includes("unsafe"))
      out.push(at(file, t, "eval", checks.evalRequest.id, "eval of request data"));
    if ((t.includes("processstartinfo") || t.includes("process.start(")) && requestData(t))
      out.push(
        at(
          file,
          t,
          t.includes("processstartinfo") ? "processstartinfo" : "process.start(",
          checks.processRequest.id,
          "Process.Start with request data",
        ),
      );
    if (t.includes("frombase64string") && t.includes("assembly.load"))
      out.push(at(file, t, "assembly.load", checks.reflectiveLoad.id, "FromBase64String + Assembly.Load"));
    const sockets = t.includes("system.net.sockets") || t.includes("new socket(") || t.includes("tcpclient(");
    const driven =
      t.includes("x-cmd") ||
      t.includes("x-target") ||
      (t.includes("request.headers") && t.includes("connect"));
    if (sockets && driven)
      out.push(
        at(
          file,
          t,
          t.includes("x-cmd") ? "x-cmd" : "socket",
          checks.tunnel.id,
          "socket tunnel driven by request headers",
        ),
      );
    return out;
  },
};
