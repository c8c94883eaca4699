// Request data in .NET handlers and services that the page-level sources (Request.*, form controls,
// [WebMethod] parameters) do not name: the request object kept in a variable or received as a
// parameter (`HttpRequest req = context.Request; req.Form["c"]`, `var r = HttpContext.Current.Request`),
// and the parameters of the public methods of a .NET Remoting object served as .soap/.rem, which the
// remoting handler fills from the SOAP message as ASP.NET fills a web method's.
import { escapeRe, paramNames } from "./code-scan.js";

/** `request` ending a statement (or an argument list): where a request alias may be assigned. */
const REQUEST_END = /request\s*(?=[;\n):]|$)/g;
/**
 * What precedes such a `request` in `x = <something>.Request` (C#, VB `Dim x As HttpRequest = ...`):
 * the name assigned. Tested on the text just before each one (an identifier at every position of the
 * page would be tried otherwise).
 */
const ALIAS_BEFORE =
  /(?<![.\w])([a-z_]\w*)(?:\s+as\s+(?:system\.web\.)?httprequest(?:base|wrapper)?)?\s*=(?!=)\s*(?:[\w.]+\s*\.\s*)?$/;
/** How far before `request` the assignment is looked for. */
const ALIAS_REACH = 200;
/** A parameter or field typed as the request: `HttpRequest req`, VB `ByVal req As HttpRequest`. */
const REQUEST_PARAM =
  /\b(?:system\.web\.)?httprequest(?:base|wrapper)?\s+([a-z_]\w*)|\b(?:byval|byref)\s+([a-z_]\w*)\s+as\s+(?:system\.web\.)?httprequest(?:base|wrapper)?\b/g;
/** A remoting endpoint: the file type IIS hands to the .NET Remoting SOAP handler. */
const REMOTING_EXT = /\.(?:soap|rem)$/i;
/** Public methods (C#, VB) with their parameter lists. */
const PUBLIC_METHOD =
  /\bpublic\s+(?:(?:static|virtual|override|overridable|overrides|shared)\s+)*(?:function\s+|sub\s+|[\w.<>[\],]+\s+)([a-z_]\w*)\s*\(([^()]{0,300})\)/g;

export interface DotnetSources {
  /** Regex sources that match request data. */
  sources: string[];
  /** Names that carry request data from the start. */
  names: string[];
}

/**
 * The request aliases and remoting parameters of normalised code in the file `name`; `request` is the
 * source of the pattern for request data on `Request` itself (taint.ts REQUEST).
 */
export function dotnetSources(t: string, name: string, request: string): DotnetSources {
  const out: DotnetSources = { sources: [], names: [] };
  if (t.includes("request")) {
    const aliases = new Set<string>();
    for (const m of t.matchAll(REQUEST_END)) {
      const a = ALIAS_BEFORE.exec(t.slice(Math.max(0, m.index - ALIAS_REACH), m.index));
      if (a && a[1] !== "request") aliases.add(a[1]);
    }
    if (t.includes("httprequest"))
      for (const m of t.matchAll(REQUEST_PARAM)) {
        const n = m[1] ?? m[2];
        if (n && n !== "request") aliases.add(n);
      }
    // The same accesses as on `Request` itself, on the alias.
    const tail = request.replace(/^\\brequest/, "");
    if (aliases.size && tail !== request)
      out.sources.push(`(?<![.\\w])(?:${[...aliases].map(escapeRe).join("|")})${tail}`);
  }
  if (REMOTING_EXT.test(name) && t.includes("public"))
    for (const m of t.matchAll(PUBLIC_METHOD)) out.names.push(...paramNames(m[2]));
  return out;
}
