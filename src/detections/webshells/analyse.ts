// Behaviour analysis of server-side code, after normalisation: where request-controlled data (Request.*,
// WebForms input controls, values derived from them, Session slots filled from them) reaches a
// dangerous sink (eval/Execute, Assembly.Load, process start, reflection, file writes, SQL, sockets),
// plus structural cues (a tiny page that is only server code, long encoded blobs, high entropy,
// decryption before a load). Each signal names its rule and line and carries points; the caller decides
// what a score means.
import { type Normalised, normalise } from "./normalise.js";

export interface Signal {
  rule: string;
  line: number;
  points: number;
  /** What was seen, in words. */
  what: string;
  /** For sink signals: the sink kind, and whether request data reached it. */
  kind?: SinkKind;
  flow?: boolean;
}

export type SinkKind =
  | "code"
  | "load"
  | "process"
  | "reflect"
  | "write"
  | "read"
  | "sql"
  | "dbconnect"
  | "socket"
  | "registry";

export interface Analysis {
  norm: Normalised;
  signals: Signal[];
  score: number;
  /** Sink kinds reached by request data. */
  flows: Set<SinkKind>;
  /** Sink kinds present at all. */
  sinks: Set<SinkKind>;
}

interface Sink {
  id: string;
  kind: SinkKind;
  re: RegExp;
  /** Points when the sink's arguments carry request data, and when they do not. */
  flow: number;
  bare: number;
  what: string;
  /** Only counts when this also occurs in the file. */
  needs?: RegExp;
  /** Literals one of which the sink's pattern contains: a cheap test before the regex runs. */
  lits: string[];
  /** Only the first argument carries what the sink does (SqlCommand(text, connection)). */
  firstArg?: boolean;
}

const SINKS: Sink[] = [
  { id: "eval", lits: ["eval"], kind: "code", re: /(?<![.\w$#])eval\s*\(/g, flow: 10, bare: 0, what: "eval" },
  {
    id: "execute",
    lits: ["execute"],
    kind: "code",
    re: /(?<![.\w])execute(?:global)?\b\s*\(?/g,
    flow: 10,
    bare: 0,
    what: "VBScript Execute/ExecuteGlobal",
  },
  {
    id: "jscript-evaluate",
    lits: ["jscriptevaluate", "vsaengine"],
    kind: "code",
    re: /jscriptevaluate\s*\(|vsaengine/g,
    flow: 10,
    bare: 4,
    what: "JScript engine evaluate",
  },
  {
    id: "compile-source",
    lits: ["compileassembly"],
    kind: "code",
    re: /compileassemblyfromsource\s*\(/g,
    flow: 10,
    bare: 3,
    what: "C# compiler on source text",
  },
  {
    id: "assembly-load",
    lits: ["load"],
    kind: "load",
    re: /assembly\s*\.\s*load(?:from|file)?\s*\(|getmethod\s*\(\s*"load"|appdomain\s*\.\s*currentdomain\s*\.\s*load\s*\(/g,
    flow: 10,
    bare: 3,
    what: "Assembly.Load",
  },
  {
    id: "process-start",
    lits: ["start"],
    kind: "process",
    re: /process\s*\.\s*start\s*\(/g,
    flow: 10,
    bare: 3,
    what: "Process.Start",
  },
  {
    id: "process-info",
    lits: ["startinfo", "processstartinfo"],
    kind: "process",
    re: /\.\s*(?:arguments|filename)\s*=(?!=)|new\s+(?:system\.diagnostics\.)?processstartinfo\s*\(/g,
    flow: 10,
    bare: 3,
    what: "ProcessStartInfo",
    needs: /processstartinfo|\.startinfo\b/,
  },
  {
    id: "wscript-run",
    lits: ["shell"],
    kind: "process",
    re: /\.\s*(?:run|exec)\s*\(/g,
    flow: 10,
    bare: 3,
    what: "WScript.Shell Run/Exec",
    needs: /wscript\.shell|shell\.application/,
  },
  {
    id: "process-stdin",
    lits: ["standardinput"],
    kind: "process",
    re: /\.\s*standardinput\s*\.\s*write(?:line)?\s*\(/g,
    flow: 10,
    bare: 0,
    what: "write to a started process's standard input",
  },
  {
    id: "script-control",
    lits: ["scriptcontrol"],
    kind: "code",
    re: /\.\s*(?:executestatement|addcode|eval)\s*\(/g,
    flow: 10,
    bare: 3,
    what: "MSScriptControl statement/eval",
    needs: /scriptcontrol/,
  },
  {
    id: "shell-execute",
    lits: ["shellexecute"],
    kind: "process",
    re: /shellexecute\s*\(/g,
    flow: 10,
    bare: 3,
    what: "ShellExecute",
  },
  {
    // Windows process creation through P/Invoke instead of Process.Start: CreateProcess(AsUser),
    // ShellExecute(Ex), WinExec, NtCreate(User)Process, or the command line put into the struct
    // such a call takes (SHELLEXECUTEINFO.lpParameters, lpFile, lpCommandLine).
    id: "native-process",
    lits: ["createprocess", "shellexecute", "winexec", "lpparameters", "lpfile", "lpcommandline"],
    kind: "process",
    re: /(?<![\w.])(?:createprocess(?:asuser|withlogon|withtoken)?[aw]?|shellexecute(?:ex)?[aw]?|winexec|ntcreate(?:user)?process(?:ex)?)\(|\.\s*lp(?:parameters|file|commandline)\s*=(?!=)/g,
    flow: 10,
    bare: 3,
    what: "native process creation (P/Invoke)",
    needs: /dllimport|getprocaddress|getdelegateforfunctionpointer/,
  },
  {
    // WMI's Win32_Process.Create: the command line set on the method parameters, or passed to Create.
    id: "wmi-process",
    lits: ["win32_process"],
    kind: "process",
    re: /\[\s*"commandline"\s*\]\s*=(?!=)|\.\s*invokemethod\s*\(\s*"create"|win32_process["']\s*\)\s*\.\s*create\s*\(/g,
    flow: 10,
    bare: 3,
    what: "WMI Win32_Process.Create",
    needs: /win32_process/,
  },
  {
    // Bytes copied into memory the page allocated or made executable (shellcode, patched code).
    id: "native-code",
    lits: ["marshal"],
    kind: "load",
    re: /marshal\s*\.\s*copy\s*\(/g,
    flow: 10,
    bare: 2,
    what: "bytes copied into memory allocated or made executable (VirtualAlloc/VirtualProtect)",
    needs: /virtualalloc|ntallocatevirtualmemory|virtualprotect/,
  },
  {
    id: "csharp-script",
    lits: ["csharpscript"],
    kind: "code",
    re: /csharpscript\s*\.\s*(?:evaluate|run|create)(?:async)?\s*(?:<[^>(\n]*>)?\s*\(/g,
    flow: 10,
    bare: 3,
    what: "Roslyn C# scripting",
  },
  {
    // An XSLT stylesheet may carry <msxsl:script>; with scripts enabled, loading a stylesheet from the
    // request runs the caller's code.
    id: "xslt-script",
    lits: ["xslcompiledtransform"],
    kind: "code",
    re: /\.\s*load\s*\(/g,
    flow: 10,
    bare: 0,
    what: "XSLT stylesheet with scripts enabled",
    needs: /enablescript\s*=\s*true|xsltsettings\s*\(\s*\w+\s*,\s*true|xsltsettings\s*\.\s*trustedxslt/,
  },
  {
    id: "powershell",
    lits: ["automation"],
    kind: "process",
    re: /powershell\s*\.\s*create\s*\(|runspacefactory\s*\.\s*createrunspace|\.\s*add(?:script|command)\s*\(/g,
    flow: 10,
    bare: 3,
    what: "PowerShell runspace",
    needs: /system\.management\.automation/,
  },
  {
    id: "invoke",
    lits: ["invoke", "createinstance", "gettype", "getmethod"],
    kind: "reflect",
    re: /\.\s*invoke(?:member)?\s*\(|\bcreateinstance\s*\(|type\s*\.\s*gettype\s*\(|\.\s*getmethod\s*\(/g,
    flow: 6,
    bare: 0,
    what: "reflection",
  },
  {
    id: "file-write",
    lits: [
      "streamwriter",
      "file",
      "saveas",
      "savetofile",
      "createtextfile",
      "opentextfile",
      "directory",
      "deletefile",
    ],
    kind: "write",
    re: /streamwriter\s*\(|file\s*\.\s*(?:writeall\w*|appendall\w*|create|delete|copy|move)\s*\(|\.\s*saveas\s*\(|filestream\s*\(|\.\s*savetofile\b|createtextfile\s*\(|opentextfile\s*\(|directory\s*\.\s*(?:delete|move|createdirectory)\s*\(|\.\s*deletefile\s*\(/g,
    flow: 4,
    bare: 0,
    what: "file write/delete",
  },
  {
    id: "file-read",
    lits: ["file", "streamreader", "directory", "getfolder"],
    kind: "read",
    re: /file\s*\.\s*(?:readall\w*|openread)\s*\(|streamreader\s*\(|response\s*\.\s*(?:writefile|transmitfile)\s*\(|directory\s*\.\s*get(?:files|directories)\s*\(|new\s+directoryinfo\s*\(|\.\s*getfolder\s*\(/g,
    flow: 2,
    bare: 0,
    what: "file read/listing",
  },
  {
    id: "sql",
    lits: ["command", "adodb"],
    kind: "sql",
    re: /(?:sql|oledb|odbc)command\s*\(|\.\s*commandtext\s*=(?!=)|adodb\.connection/g,
    firstArg: true,
    flow: 2,
    bare: 0,
    what: "SQL command",
  },
  {
    // Applications read their connection string from configuration; a page that takes it from the
    // request lets the caller pick the database server and credentials.
    id: "db-connect",
    lits: ["connection"],
    kind: "dbconnect",
    re: /new\s+(?:[\w.]*\.)?(?:sql|oledb|odbc|mysql|oracle|npgsql)connection\s*\(|\.\s*connectionstring\s*=(?!=)/g,
    flow: 4,
    bare: 0,
    what: "database connection string",
    firstArg: true,
  },
  {
    id: "socket",
    lits: ["socket", "tcpclient"],
    kind: "socket",
    re: /new\s+(?:system\.net\.sockets\.)?(?:socket|tcpclient)\s*\(|\.\s*(?:begin)?connect\s*\(/g,
    flow: 5,
    bare: 1,
    what: "socket connect",
    needs: /system\.net\.sockets|\bsocket\b|tcpclient/,
  },
  {
    id: "registry",
    lits: ["registry", "reg"],
    kind: "registry",
    re: /registry\s*\.\s*(?:localmachine|currentuser)|registrykey|\bregwrite\b|\bregread\b/g,
    flow: 3,
    bare: 1,
    what: "registry",
  },
];

/** Request data in ASP, ASP.NET pages and handlers: Request.Form/QueryString/Item/[..]/(..)/headers/body. */
const REQUEST =
  /\brequest\s*(?:\.\s*(?:form|querystring|item|params|headers|cookies|inputstream|binaryread|files|servervariables|getbuffer(?:less|ed)inputstream|unvalidated|totalbytes)\b|\[|\()/;
/** WebForms controls that carry posted input: their ids become sources. */
const INPUT_CONTROL =
  /<(?:asp:(?:textbox|hiddenfield|dropdownlist|listbox|fileupload)|input|textarea|select)\b[^>]*?\bid\s*=\s*["']?(\w+)/g;
const CONTROL_PROPS = "(?:text|value|postedfile|filebytes|filecontent|innertext|selectedvalue)";

const VB_DIM_BEFORE = /\bdim\s+([a-z_]\w*)\s+as\s+(?:new\s+)?[\w.()]+\s*$/;
const IDENT_CHAR = /[\w]/;

/**
 * Every `name = value` (also `name[i] = ...`, `Dim name As T = ...`), found from each `=` backwards:
 * a scan, because a regex that starts at an identifier is tried at every position of the text.
 */
function assignments(t: string): { name: string; rhs: string }[] {
  const out: { name: string; rhs: string }[] = [];
  for (let i = t.indexOf("="); i >= 0; i = t.indexOf("=", i + 1)) {
    const prev = t[i - 1];
    const next = t[i + 1];
    if (next === "=" || next === ">" || prev === "=" || prev === "!" || prev === "<" || prev === ">")
      continue;
    let j = i - 1;
    if (prev === "+" || prev === "&" || prev === "-" || prev === "|") j--;
    while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    if (t[j] === "]") {
      const open = t.lastIndexOf("[", j);
      if (open < 0 || j - open > 40) continue;
      j = open - 1;
      while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    }
    const end = j + 1;
    while (j >= 0 && IDENT_CHAR.test(t[j])) j--;
    if (end - j - 1 < 1 || end - j - 1 > 40 || t[j] === ".") continue;
    let name = t.slice(j + 1, end);
    const dim = VB_DIM_BEFORE.exec(t.slice(Math.max(0, j - 80), end));
    if (dim) name = dim[1];
    if (!/^[a-z_]/.test(name)) continue;
    let k = i + 1;
    const stop = Math.min(t.length, i + 401);
    while (k < stop && t[k] !== ";" && t[k] !== "\n") k++;
    out.push({ name, rhs: t.slice(i + 1, k) });
  }
  return out;
}
const SESSION_STORE =
  /\b(?:session|application)\s*(?:\[\s*[^\]\n]{1,40}\]\s*=(?!=)|\(\s*(?:"[^"\n]{1,40}"|[a-z_]\w{0,40})\s*\)\s*=(?!=)|\.\s*add\s*\(\s*[^,\n]{1,40},)\s*([^;\n:]{1,400})/g;
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
/** A socket kept across requests (Session/Application): the shape of every HTTP tunnel. */
const SOCKET_VAR = /([a-z_]\w*)\s*=\s*new\s+(?:system\.net\.sockets\.)?(?:socket|tcpclient)\s*\(/g;
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

/** The names of a parameter list: the last word of each C# or JScript parameter, the first of VB's `x As T`. */
function paramNames(list: string): string[] {
  return list
    .split(",")
    .map(
      (p) =>
        /([a-z_]\w*)\s*(?:as\s+[\w.]+\s*)?(?:=[^,]*)?$/.exec(
          p.trim().replace(/^(?:byval|byref|optional)\s+/, ""),
        )?.[1],
    )
    .filter((p): p is string => !!p && !KEYWORDS.has(p));
}

const KEYWORDS = new Set([
  "if",
  "while",
  "for",
  "return",
  "new",
  "var",
  "dim",
  "set",
  "string",
  "byte",
  "object",
  "else",
]);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches nothing: the taint of code without any request source. */
const NOTHING = /(?!)/;
const CALL = /(?<!\w)([a-z_]\w*)\s*\((?=([^;\n]{0,300}))/g;

/**
 * Which names carry request data: direct sources, then assignments, calls of the page's own functions
 * (their parameters) and Session slots fed from them, to a fixed point. Returns null when the code has
 * no request source at all (no flow is then possible, and the rest is skipped).
 */
function taintOf(t: string): RegExp | null {
  const controls = [...t.matchAll(INPUT_CONTROL)].map((m) => m[1]);
  const parts = [REQUEST.source];
  if (controls.length) parts.push(`\\b(?:${controls.map(escapeRe).join("|")})\\s*\\.\\s*${CONTROL_PROPS}\\b`);
  let re = new RegExp(parts.join("|"));
  const websocket = ACCEPTS_WEBSOCKET.test(t);
  if (!re.test(t) && !t.includes("webmethod") && !websocket) return null;
  const names = new Set<string>();
  for (const m of t.matchAll(READ_INTO)) names.add(m[1]);
  if (websocket) for (const m of t.matchAll(WEBSOCKET_INTO)) names.add(m[1]);
  if (t.includes("webmethod"))
    for (const m of t.matchAll(WEB_METHOD)) for (const p of paramNames(m[1])) names.add(p);
  // Collected once; each round only re-tests what is not yet known to carry request data.
  const assigns = assignments(t).filter((a) => !KEYWORDS.has(a.name) && a.name !== "request");
  const stores = [...t.matchAll(SESSION_STORE)].map((m) => m[1]);
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
  const calls = defs.size
    ? [...t.matchAll(CALL)].filter((c) => defs.has(c[1])).map((c) => ({ name: c[1], args: c[2] }))
    : [];
  let sessionTainted = false;
  const build = () => {
    const p = [...parts];
    if (names.size) p.push(`\\b(?:${[...names].map(escapeRe).join("|")})\\b`);
    if (sessionTainted) p.push(String.raw`\b(?:session|application)\s*[[(]`);
    return new RegExp(p.join("|"));
  };
  // Names known before the rounds (buffers read from the body, web-method parameters) count in the first.
  if (names.size) re = build();
  for (let round = 0; round < 4; round++) {
    const before = names.size + (sessionTainted ? 1 : 0);
    for (const c of calls)
      if (!names.has(defs.get(c.name)?.[0] ?? "") && re.test(c.args))
        for (const p of defs.get(c.name) ?? []) names.add(p);
    for (const a of assigns) if (!names.has(a.name) && re.test(a.rhs)) names.add(a.name);
    for (const c of puts) if (!names.has(c.name) && re.test(c.args)) names.add(c.name);
    for (const f of fills) if (!names.has(f.name) && re.test(f.args)) names.add(f.name);
    if (!sessionTainted) sessionTainted = stores.some((x) => re.test(x));
    re = build();
    if (names.size + (sessionTainted ? 1 : 0) === before) break;
  }
  return re;
}

/** The rest of the statement from a sink: up to `;`, a line end or 400 characters. */
/** A call's first argument (to the first comma outside brackets), or the whole text after `=`. */
function firstArgument(rest: string): string {
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") {
      if (depth === 0) return rest.slice(0, i);
      depth--;
    } else if (c === "," && depth === 0) return rest.slice(0, i);
  }
  return rest;
}

function statementFrom(t: string, at: number): string {
  const end = Math.min(t.length, at + 400);
  let i = at;
  while (i < end && t[i] !== ";" && t[i] !== "\n") i++;
  return t.slice(at, i);
}

const CODE_OF_ENCODED =
  /(?<![.\w])(?:eval|execute(?:global)?|executestatement)\b\s*\(?\s*\w+\s*\(\s*"(?=[^"\n]{16,}")(?![a-z ,.!?']*")[^"\n]*"/;
/** What a writer object writes (not Response.Write), and the content argument of File.WriteAll*. */
const WRITE_CONTENT =
  /(?<!response)\s*\.\s*write(?:line|text)?\s*(?:\(|=(?!=)|[ \t]+(?=[\w"(]))([^;\n]{0,300})|writeall\w*\s*\([^,\n]{1,200},([^;\n]{0,300})/g;
/** Listing a folder: .NET Directory/DirectoryInfo, the FileSystemObject's GetFolder. */
const FOLDER_LISTING =
  /directory\s*\.\s*(?:get|enumerate)(?:files|directories|filesystementries)\s*\(|new\s+directoryinfo\s*\(|\.\s*getfolder\s*\(/g;
/** The whole disk: drive enumeration, or a drive root as a literal ("c:\\", "d:/"). */
const WHOLE_DISK = /getlogicaldrives|driveinfo\s*\.\s*getdrives|\.\s*drives\b|["'][a-z]:[\\/]{0,2}["']/;
const ENCODED_SCRIPT = /language\s*=\s*["']?\s*(?:vb|j)script\.encode|<%\s*#@~\^/;
const HANDLER_EXT = /\.(?:ashx|asmx)$/i;
const HTML = /<(?:html|body|div|form|table|head|p|span|asp:\w+|ul|h[1-6])\b/;
const PAGE_EXT = /\.(?:aspx|asp|asa|cer|cdx|shtml|stm|ascx)$/i;
const DECRYPT =
  /createdecryptor|transformfinalblock|rijndaelmanaged|aes\s*\.\s*create|aescryptoserviceprovider|descryptoserviceprovider/;
const XOR_LOOP =
  /\w\s*\[\s*\w+\s*\]\s*\^=?\s*\(?\s*(?:byte\s*\)\s*)?\w+\s*\[|\^\s*\w+\s*\[\s*\w+\s*(?:[+]\s*\d+\s*)?[%&]|\w\s*\[\s*\w+\s*\]\s*\^=\s*(?:\(\s*byte\s*\)\s*)?(?:0x[0-9a-f]{1,2}|\d{1,3}|[a-z_]\w*)\s*[;\n)]/;
const SHELL_WORDS = /cmd\.exe|cmd\s*\/c|"\/c\s|powershell(?:\.exe)?\s+-|\bwhoami\b|net\s+user\b|\/bin\/sh/;
const SESSION_ASSEMBLY =
  /session\s*\[\s*"[^"\n]+"\s*\]\s*=\s*\(?\s*(?:system\.reflection\.)?assembly|\(\s*(?:system\.reflection\.)?assembly\s*\)\s*(?:context\.)?session\s*\[/;
/** A native function pointer turned into a callable: `f = Marshal.GetDelegateForFunctionPointer(...)`. */
const NATIVE_DELEGATE =
  /([a-z_]\w*)\s*=\s*(?:\(\s*[\w.]+\s*\)\s*)?marshal\s*\.\s*getdelegateforfunctionpointer\b/g;
/** A call through an unmanaged function pointer: `((delegate* unmanaged<...>)ptr)(args)`. */
const UNMANAGED_CALL = /\(\s*delegate\s*\*\s*unmanaged\b[^;\n]{0,200}?\)\s*[a-z_]\w*\s*\)\s*\(/g;
/** The entry points of AMSI and ETW, named as strings (resolved with GetProcAddress to be patched). */
const SECURITY_ENTRY =
  /["'](?:amsiscanbuffer|amsiscanstring|amsiinitialize|amsiopensession|etweventwrite(?:full)?|nttraceevent)["']/;
const MEMORY_WRITE =
  /virtualprotect|writeprocessmemory|marshal\s*\.\s*(?:copy|write(?:byte|int16|int32|int64|intptr))\s*\(/;
/** Where a path expression starts: up to the first top-level `+` or `&`. */
function headOf(expr: string): string {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if ((c === "+" || c === "&") && depth === 0) return expr.slice(0, i).trim();
  }
  return expr.trim();
}

/** Shannon entropy of the bytes, bits per byte. */
export function entropy(b: Buffer): number {
  const counts = new Array<number>(256).fill(0);
  for (const c of b) counts[c]++;
  let h = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / b.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Words without which no sink, family or decoding cue can fire (lower case). */
const GATE_WORDS = [
  "eval",
  "execute",
  "assembly",
  "process",
  "startinfo",
  "wscript",
  "shell.application",
  "shellexecute",
  "automation",
  "invoke",
  "createinstance",
  "gettype",
  "getmethod",
  "streamwriter",
  "writeall",
  "appendall",
  "saveas",
  "filestream",
  "savetofile",
  "createtextfile",
  "opentextfile",
  "file.",
  "directory.",
  "deletefile",
  "getfolder",
  "socket",
  "tcpclient",
  "registry",
  "regwrite",
  "command",
  "adodb",
  "scriptcontrol",
  "jscriptevaluate",
  "vsaengine",
  "compileassembly",
  "standardinput",
  "dllimport",
  "getprocaddress",
  "unmanaged",
  "win32_process",
  "csharpscript",
  "xslcompiledtransform",
  "websocket",
  "marshal",
  "frombase64",
  "unsafe",
  "#@~^",
  ".encode",
  "scriptprocessor",
  "aspxspy",
  "bin_",
  "antak",
  "\\x",
  "\\u",
  "%u",
  "&#",
  "chr",
  "fromcharcode",
  "reverse",
  "char)",
  "/*",
];
const GATE_RE = new RegExp(GATE_WORDS.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
const GATE_CONCAT = /["'][ \t]*[+&][ \t]*["']/;
const GATE_BLOB = /["'][a-z0-9+/]{16}/;

/**
 * A cheap look at the raw lower-case text: false when it holds none of the words any rule needs, no
 * string concatenation and no encoded literal, so the analysis (which costs a few ms) cannot score.
 */
export function mayScore(lower: string, name: string): boolean {
  // One pass for all the words: fifty `includes` would read a large page fifty times.
  if (GATE_RE.test(lower)) return true;
  if (/\.config$/i.test(name) && lower.includes("<%")) return true;
  return GATE_CONCAT.test(lower) || GATE_BLOB.test(lower);
}

/** Analyse server-side code. `name` (file name) decides which structural cues apply. */
export function analyse(
  content: Buffer,
  name: string,
  norm: Normalised = normalise(content.toString("latin1")),
): Analysis {
  const t = norm.text;
  const tainted = taintOf(t) ?? NOTHING;
  const signals: Signal[] = [];
  const flows = new Set<SinkKind>();
  const sinks = new Set<SinkKind>();
  const best = new Map<SinkKind, Signal>();
  for (const s of SINKS) {
    if (!s.lits.some((l) => t.includes(l))) continue;
    if (s.needs && !s.needs.test(t)) continue;
    for (const m of t.matchAll(s.re)) {
      const stmt = statementFrom(t, m.index);
      const arg = s.firstArg ? firstArgument(stmt.slice(m[0].length)) : stmt.slice(m[0].length - 1);
      const flow = tainted.test(arg);
      const points = flow ? s.flow : s.bare;
      sinks.add(s.kind);
      if (flow) flows.add(s.kind);
      const cur = best.get(s.kind);
      if (!cur || points > cur.points)
        best.set(s.kind, {
          rule: `${flow ? "flow" : "sink"}-${s.id}`,
          line: norm.lineAt(m.index),
          points,
          what: flow ? `request data reaches ${s.what}` : `${s.what} (no request data in its arguments)`,
          kind: s.kind,
          flow,
        });
      if (flow && points === s.flow) break;
    }
  }
  for (const sig of best.values()) if (sig.points > 0) signals.push(sig);
  const found = (re: RegExp) => {
    const m = re.exec(t);
    return m ? norm.lineAt(m.index) : null;
  };
  const sinkScore = signals.reduce((n, s) => n + s.points, 0);
  const strongSink = sinks.has("load") || sinks.has("code") || sinks.has("reflect");
  const cue = (rule: string, line: number | null, points: number, what: string) => {
    if (line !== null) signals.push({ rule, line, points, what });
  };
  if (strongSink) {
    cue("decrypt-then-run", found(DECRYPT), 3, "decrypts data next to a load/eval/reflection sink");
    cue("xor-then-run", found(XOR_LOOP), 2, "XOR-decodes data next to a load/eval/reflection sink");
  }
  cue(
    "session-stored-assembly",
    found(SESSION_ASSEMBLY),
    4,
    "keeps a loaded assembly in Session (memory-resident payload)",
  );
  if (sinks.has("process"))
    cue("shell-command-words", found(SHELL_WORDS), 2, "command-shell words (cmd.exe /c, whoami, ...)");
  if (norm.embeddedPe !== null)
    cue("embedded-executable", norm.embeddedPe, 6, "an encoded literal decodes to a Windows executable (MZ)");
  if (norm.longestBlob >= 2000)
    cue(
      "long-encoded-blob",
      found(/["'][a-z0-9+/=]{2000}/) ?? 1,
      3,
      `encoded literal of ${norm.longestBlob} characters`,
    );
  // Code run from a literal that only a decoder makes readable: eval(fn("%167%184...")).
  const encodedRun = t.includes("eval") || t.includes("execute") ? CODE_OF_ENCODED.exec(t) : null;
  if (encodedRun)
    cue("run-decoded-literal", norm.lineAt(encodedRun.index), 8, "eval/Execute of a decoded literal");
  // eval/Execute with the words of the code spelled out one character at a time (character-code
  // arrays, arrays of single letters, "e|v|a|l"): the page hides that it runs request data.
  const spelled = norm.layers
    .filter((l) => l.how === "spelled")
    .map((l) => l.text)
    .join(" ");
  if (sinks.has("code") && /\b(?:eval|execute(?:global)?)\b/.test(spelled) && /\brequest\b/.test(spelled)) {
    const first = norm.layers.find((l) => l.how === "spelled");
    cue(
      "spelled-out-eval",
      first?.line ?? 1,
      10,
      "eval/Execute of code whose words (eval, request) are spelled out character by character",
    );
  }
  // Script-Encoded code is decoded as a whole (its own cue says it was hidden); a request access inside it
  // is ordinary code, not a literal that hides one.
  const hidden = norm.layers.find((l) => l.how !== "script-encoder" && REQUEST.test(l.text));
  if (hidden)
    cue("hidden-request-access", hidden.line, 6, `request access hidden in a ${hidden.how} literal`);
  if (flows.has("write")) {
    const content = [...t.matchAll(WRITE_CONTENT)].find((m) => tainted.test(m[1]));
    if (content)
      cue(
        "request-chooses-file-content",
        norm.lineAt(content.index),
        6,
        "the request chooses a file and what is written to it",
      );
  }
  // A file browser over the whole disk: the request picks the folder to list, and the code offers
  // drives or a drive root. Applications list folders under their own root (Server.MapPath), not C:\.
  if (flows.has("read") || flows.has("write")) {
    const listing = [...t.matchAll(FOLDER_LISTING)].find((m) => tainted.test(statementFrom(t, m.index)));
    const disk = listing ? WHOLE_DISK.exec(t) : null;
    if (listing && disk)
      cue(
        "request-browses-disk",
        norm.lineAt(listing.index),
        6,
        "the request chooses which folder to list, and the code offers drives or a drive root",
      );
  }
  const sockets =
    t.includes("socket") || t.includes("tcpclient") ? [...t.matchAll(SOCKET_VAR)].map((m) => m[1]) : [];
  if (sockets.length) {
    const kept = new RegExp(
      String.raw`\b(?:session|application)\s*(?:\[[^\]\n]{1,40}\]\s*=\s*|\.\s*add\s*\([^,\n]{1,40},\s*)(?:${sockets.map(escapeRe).join("|")})\b`,
    ).exec(t);
    if (kept)
      cue(
        "socket-in-session",
        norm.lineAt(kept.index),
        4,
        "keeps an open socket in Session/Application between requests",
      );
  }
  const encoded = t.includes("encode") || t.includes("#@~^") ? ENCODED_SCRIPT.exec(t) : null;
  if (encoded)
    cue(
      "script-encoder",
      norm.lineAt(encoded.index),
      6,
      "server script hidden with the Script Encoder (#@~^)",
    );
  // A native function pointer called with request data: process creation or code run without
  // Process.Start or Assembly.Load (dynamic P/Invoke, direct syscall stubs).
  if (t.includes("getdelegateforfunctionpointer") || t.includes("unmanaged")) {
    const fns = [...t.matchAll(NATIVE_DELEGATE)].map((m) => m[1]);
    const calls = fns.length
      ? [...t.matchAll(new RegExp(String.raw`(?<![\w.])(?:${fns.map(escapeRe).join("|")})\s*\(`, "g"))]
      : [];
    calls.push(...t.matchAll(UNMANAGED_CALL));
    const hit = calls.find((m) => tainted.test(statementFrom(t, m.index + m[0].length)));
    if (hit && !flows.has("load")) {
      const sig: Signal = {
        rule: "flow-native-call",
        line: norm.lineAt(hit.index),
        points: 10,
        what: "request data reaches a call through a native function pointer",
        kind: "load",
        flow: true,
      };
      signals.push(sig);
      flows.add("load");
      sinks.add("load");
    }
  }
  // AMSI or ETW resolved by name next to a memory write: the page patches the scanner or event
  // tracing in its own process. No application does this.
  if (t.includes("amsi") || t.includes("etw") || t.includes("nttraceevent")) {
    const entry = SECURITY_ENTRY.exec(t);
    if (entry && MEMORY_WRITE.test(t))
      cue(
        "patches-amsi-etw",
        norm.lineAt(entry.index),
        10,
        "resolves an AMSI/ETW entry point and writes process memory (disables scanning or event tracing)",
      );
  }
  // A posted file saved under a path the request chooses from its start (a folder typed into the
  // form): applications save uploads under their own root (Server.MapPath, a configured folder).
  if (flows.has("write") && t.includes("saveas")) {
    const assigned = new Map<string, string>();
    for (const a of assignments(t)) if (!assigned.has(a.name)) assigned.set(a.name, a.rhs);
    const controls = [...t.matchAll(INPUT_CONTROL)].map((m) => m[1]);
    const rooted = (expr: string, depth: number): boolean => {
      const head = headOf(expr);
      if (/^(?:(?:httpcontext\s*\.\s*current|context|page|this)\s*\.\s*)?request\b/.test(head)) return true;
      const ctl = /^(?:this\s*\.\s*)?([a-z_]\w*)\s*\.\s*(?:text|value)\b/.exec(head);
      if (ctl && controls.includes(ctl[1])) return true;
      const name = /^[a-z_]\w*$/.exec(head)?.[0];
      const rhs = name ? assigned.get(name) : undefined;
      return depth < 3 && rhs !== undefined && rooted(rhs, depth + 1);
    };
    const save = [...t.matchAll(/\.\s*saveas\s*\(/g)].find((m) =>
      rooted(firstArgument(statementFrom(t, m.index + m[0].length)), 0),
    );
    if (save)
      cue(
        "upload-to-request-path",
        norm.lineAt(save.index),
        6,
        "saves a posted file under a path that starts with request data (a folder chosen by the caller)",
      );
  }
  // The caller names the database and the SQL it runs: a database client, not an application page
  // (an installer takes connection details but runs its own scripts).
  if (flows.has("dbconnect") && flows.has("sql")) {
    const line = signals.find((x) => x.kind === "sql")?.line ?? null;
    cue(
      "request-sql-client",
      line,
      6,
      "request data chooses both the database connection and the SQL command",
    );
  }
  const pageOnly = !HTML.test(t) && (PAGE_EXT.test(name) || HANDLER_EXT.test(name));
  if (sinkScore >= 3 && PAGE_EXT.test(name) && content.length <= 3000 && !HTML.test(t))
    cue("tiny-code-page", 1, 2, `a ${content.length}-byte page that is only server code (no HTML)`);
  const acting = [...flows].some((k) => k !== "read" && k !== "sql" && k !== "registry");
  if ((acting || hidden || encodedRun) && pageOnly && content.length <= 400)
    cue("one-liner", 1, 4, `a ${content.length}-byte one-liner`);
  if (content.length >= 1024 && sinkScore >= 3) {
    const h = entropy(content);
    if (h > 5.7) cue("high-entropy", 1, 2, `entropy ${h.toFixed(2)} bits/byte`);
  }
  const score = signals.reduce((n, s) => n + s.points, 0);
  return { norm, signals, score, flows, sinks };
}
