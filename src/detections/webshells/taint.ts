// Taint sources and propagation: which names in normalised server code carry request-controlled data
// (Request.*, WebForms input controls, request bodies read into buffers, WebSocket receives, web-method
// parameters), followed through assignments, the page's own function calls, containers, XML documents
// and Session/Application slots to a fixed point. The result is one regex that matches text carrying
// request data.
import { bareCalls, extraDefs } from "./asp-procedures.js";
import { assignments, callArgs, escapeRe, IDENT_CHAR, KEYWORDS, paramNames } from "./code-scan.js";
import { dotnetSources } from "./dotnet-sources.js";
import { returnedValues } from "./returns.js";
import { type SlotStore, slotReads, slotStores } from "./slots.js";

/**
 * Request data in ASP, ASP.NET pages and handlers: Request.Form/QueryString/Item/[..]/(..)/headers/body, the
 * URL the caller chose (Url, RawUrl: its query string too), and ASP.NET Core's Request.Query and Request.Body.
 */
export const REQUEST =
  /\brequest\s*(?:\.\s*(?:form|querystring|query|body|url|rawurl|item|params|headers|cookies|inputstream|binaryread|files|servervariables|getbuffer(?:less|ed)inputstream|unvalidated|totalbytes)\b|\[|\()/;
/** WebForms controls that carry posted input: their ids become sources. */
export const INPUT_CONTROL =
  /<(?:asp:(?:textbox|hiddenfield|dropdownlist|listbox|fileupload)|input|textarea|select)\b[^>]*?\bid\s*=\s*["']?(\w+)/g;
const CONTROL_PROPS = "(?:text|value|postedfile|filebytes|filecontent|innertext|selectedvalue)";
/** `stream.Read(buffer, ...)` fills `buffer` from the request body. */
const READ_INTO =
  /\brequest\s*\.\s*(?:inputstream|getbufferlessinputstream\s*\(\s*\))\s*\.\s*read\s*\(\s*([a-z_]\w*)/g;
/** `webSocket.ReceiveAsync(new ArraySegment<byte>(buffer), ...)` fills `buffer` from the client. */
const WEBSOCKET_INTO =
  /\.\s*receive(?:async)?\s*\(\s*(?:new\s+(?:system\.)?arraysegment\s*<\s*byte\s*>\s*\(\s*)?([a-z_]\w*)/g;
/** `doc.LoadXml(text)`: in a page that runs XSLT, the document then carries what it was loaded from. */
const LOAD_INTO = /([a-z_]\w*)\s*\.\s*load(?:xml)?\s*\(([^;\n]{0,300})/g;
/** The page accepts a WebSocket from the client (what it receives is then request data). */
const ACCEPTS_WEBSOCKET = /acceptwebsocketrequest|\.\s*iswebsocketrequest|websocketcontext/;
/** Function definitions (C#, JScript, VB) with their parameter lists. */
const FUNCTION_DEF =
  /\b(?:function|sub|void|string|object|byte\s*\[\s*\]|bool|int|public|private|protected|static)\s+([a-z_]\w*)\s*\(([^()\n]{0,200})\)/g;
/**
 * A web-service method (`[WebMethod]`, VB `<WebMethod()>`): ASP.NET fills its parameters from the
 * SOAP/JSON request, so they are request data like `Request.Form`. The attribute, any further
 * attributes, then modifiers, type and name up to the parameter list.
 */
const WEB_METHOD =
  /(?:\[\s*(?:system\.web\.services\.)?webmethod(?:attribute)?\s*(?:\([^)\]\n]*\))?\s*\]|<\s*(?:system\.web\.services\.)?webmethod(?:attribute)?\s*(?:\([^)>\n]*\))?\s*>)(?:\s|_|\[[^\]\n]{0,200}\]|<[^>\n]{0,200}>)*[\w.<>,[\] \t]{1,200}?\(([^()]{0,300})\)/g;
/**
 * A value put into a collection or builder (`dict.Add "k", v`, `list.Add(v)`, `sb.Append(v)`): the
 * container then carries what was put in (read back with `dict("k")`, `sb.ToString()`).
 */
const CONTAINER_PUT =
  /\.\s*(?:add|append(?:line|format)?|push|insert|setitem|enqueue)\b[ \t]*\(?([^;\n]{1,300})/g;
const NOT_CONTAINERS = new Set([
  "response",
  "request",
  "session",
  "application",
  "server",
  "context",
  "page",
  "this",
  "me",
]);

/** Names an assignment never taints as a whole: the request itself and the state stores. */
const NOT_NAMES = new Set(["request", "session", "application", "cache"]);

/** Matches nothing: the taint of code without any request source (anchored, so it fails at once). */
export const NOTHING = /^(?!)/;
const CALL = /(?<!\w)([a-z_]\w*)\s*\((?=([^;\n]{0,300}))/g;

/**
 * Which names carry request data: direct sources, then assignments, calls of the page's own functions
 * (their parameters) and Session slots fed from them, to a fixed point. Returns null when the code has
 * no request source at all (no flow is then possible, and the rest is skipped).
 */
export function taintOf(t: string, file = ""): RegExp | null {
  const controls = [...t.matchAll(INPUT_CONTROL)].map((m) => m[1]);
  const parts = [REQUEST.source];
  if (controls.length) parts.push(`\\b(?:${controls.map(escapeRe).join("|")})\\s*\\.\\s*${CONTROL_PROPS}\\b`);
  const dotnet = dotnetSources(t, file, REQUEST.source);
  parts.push(...dotnet.sources);
  let re = new RegExp(parts.join("|"));
  const websocket = ACCEPTS_WEBSOCKET.test(t);
  if (!re.test(t) && !t.includes("webmethod") && !websocket && !dotnet.names.length) return null;
  const names = new Set<string>(dotnet.names);
  for (const m of t.matchAll(READ_INTO)) names.add(m[1]);
  if (websocket) for (const m of t.matchAll(WEBSOCKET_INTO)) names.add(m[1]);
  if (t.includes("webmethod"))
    for (const m of t.matchAll(WEB_METHOD)) for (const p of paramNames(m[1])) names.add(p);
  // Collected once; each round only re-tests what is not yet known to carry request data.
  // Slots (`Session[k] = …`) are followed per key below, not as a name.
  const assigns = assignments(t).filter((a) => !KEYWORDS.has(a.name) && !NOT_NAMES.has(a.name));
  const stores = slotStores(t);
  const fills = t.includes("xslcompiledtransform")
    ? [...t.matchAll(LOAD_INTO)]
        .map((m) => ({ name: m[1], args: m[2] }))
        .filter((f) => !NOT_CONTAINERS.has(f.name))
    : [];
  // Found from each `.add(` backwards to the container's name (a regex that starts at an identifier
  // would be tried at every position of the text).
  const puts: { name: string; args: string }[] = [];
  for (const m of t.matchAll(CONTAINER_PUT)) {
    let j = m.index - 1;
    while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    const end = j + 1;
    while (j >= 0 && IDENT_CHAR.test(t[j])) j--;
    const name = t.slice(j + 1, end);
    if (!name || t[j] === "." || !/^[a-z_]/.test(name) || NOT_CONTAINERS.has(name) || KEYWORDS.has(name))
      continue;
    puts.push({ name, args: m[1] });
  }
  const defs = new Map<string, string[]>();
  for (const m of t.includes("(") ? t.matchAll(FUNCTION_DEF) : []) {
    const params = paramNames(m[2]);
    if (params.length) defs.set(m[1], params);
  }
  // Methods with other return types, and VB procedures called without parentheses (asp-procedures.ts).
  for (const [name, params] of extraDefs(t)) if (!defs.has(name)) defs.set(name, params);
  const calls = defs.size
    ? [...t.matchAll(CALL)]
        .filter((c) => defs.has(c[1]))
        .map((c) => ({ name: c[1], args: c[2], list: callArgs(t, c.index + c[0].length - 1) }))
    : [];
  for (const c of bareCalls(t, defs)) calls.push({ ...c, list: callArgs(`(${c.args})`, 0) });
  const slots = new Set<SlotStore>();
  // The page's own functions that return request data: a call of one is request data.
  const returning = returnedValues(t);
  const wrappers = new Set<string>();
  const build = () => {
    const p = [...parts];
    // A name, not a member of another object (`x.data` is not the local `data`).
    if (names.size) p.push(`(?<![.\\w])(?:${[...names].map(escapeRe).join("|")})\\b`);
    if (slots.size) p.push(slotReads([...slots]));
    // A call of such a function, also as `this.f(` / `Me.f(`.
    if (wrappers.size)
      p.push(
        `(?:(?<![.\\w])(?:this|me)\\s*\\.\\s*|(?<![.\\w]))(?:${[...wrappers].map(escapeRe).join("|")})\\s*\\(`,
      );
    return new RegExp(p.join("|"));
  };
  // Names known before the rounds (buffers read from the body, web-method parameters) count in the first.
  if (names.size) re = build();
  for (let round = 0; round < 4; round++) {
    const before = names.size + slots.size + wrappers.size;
    for (const r of returning)
      if (!wrappers.has(r.name) && r.values.some((v) => re.test(v))) wrappers.add(r.name);
    for (const c of calls) {
      const params = defs.get(c.name) ?? [];
      // Each argument taints the parameter in its place. When the two cannot be paired (the counts
      // differ: default values, params arrays, overloads), a tainted argument taints them all.
      if (c.list.length === params.length)
        c.list.forEach((arg, i) => {
          if (!names.has(params[i]) && re.test(arg)) names.add(params[i]);
        });
      else if (params.some((p) => !names.has(p)) && re.test(c.args)) for (const p of params) names.add(p);
    }
    for (const a of assigns) if (!names.has(a.name) && re.test(a.rhs)) names.add(a.name);
    for (const c of puts) if (!names.has(c.name) && re.test(c.args)) names.add(c.name);
    for (const f of fills) if (!names.has(f.name) && re.test(f.args)) names.add(f.name);
    for (const x of stores) if (!slots.has(x) && re.test(x.value)) slots.add(x);
    re = build();
    if (names.size + slots.size + wrappers.size === before) break;
  }
  return re;
}
