// Classic ASP (VBScript and JScript) COM objects and request-rooted paths, shared by the classic ASP
// technique modules (asp-files.ts, asp-sql.ts, asp-net-requests.ts): which names hold an object of a
// ProgID (`Set fso = Server.CreateObject("Scripting.FileSystemObject")`, JScript `var x = new
// ActiveXObject("MSXML2.XMLHTTP")`), the calls of a method on such an object (also on the creation
// expression itself), and whether an argument is request data from its start (the caller picks the
// whole path or text) rather than request data put under a fixed root or into a fixed query shape.
import { assignmentsByName, escapeRe, firstArgument, headOf, IDENT_CHAR, vbStatement } from "./code-scan.js";

/** `[Server.]CreateObject("progid")` or `new ActiveXObject("progid")`, found by the word, not the name. */
const CREATE = /(?:(?:server\s*\.\s*)?createobject|new\s+activexobject)\s*\(\s*["']([\w.]+)["']/g;
/** The name the creation is assigned to: `Set x = `, `var x = `, `x = ` just before it. */
const ASSIGNED_TO = /([a-z_]\w*)\s*=\s*$/;

/** Names bound to an object whose ProgID matches `progid` (lower case, anchored by the caller). */
export function objectNames(t: string, progid: RegExp): string[] {
  const out = new Set<string>();
  if (!t.includes("createobject") && !t.includes("activexobject")) return [];
  for (const m of t.matchAll(CREATE)) {
    if (!progid.test(m[1])) continue;
    const name = ASSIGNED_TO.exec(t.slice(Math.max(0, m.index - 60), m.index))?.[1];
    if (name) out.add(name);
  }
  return [...out];
}

/**
 * The names a method is called on (`my_conn.Execute` -> `my_conn`), found from each `.method` match
 * backwards (a regex that starts at an identifier would be tried at every position of the text).
 */
export function receiversOf(t: string, method: RegExp): string[] {
  const out = new Set<string>();
  for (const m of t.matchAll(method)) {
    let j = m.index - 1;
    while (j >= 0 && (t[j] === " " || t[j] === "\t")) j--;
    const end = j + 1;
    while (j >= 0 && IDENT_CHAR.test(t[j])) j--;
    const name = t.slice(j + 1, end);
    if (name && t[j] !== "." && /^[a-z_]/.test(name)) out.add(name);
  }
  return [...out];
}

export interface MethodCall {
  /** Offset of the method name in the text. */
  at: number;
  method: string;
  /** The argument list: what follows the method (VB without parentheses, or inside them). */
  args: string;
  /** The receiver name, or "" when the call is on the creation expression. */
  receiver: string;
}

/**
 * Calls of `methods` on `names` or directly on a `CreateObject("progid")`/`ActiveXObject` expression:
 * `fso.GetFolder(p)`, `fso.DeleteFile p, True`, `CreateObject("x").Run c`.
 */
export function* methodCalls(
  t: string,
  names: string[],
  progid: string,
  methods: string[],
): Generator<MethodCall> {
  const recv = [
    ...(names.length ? [`(?<![.\\w])(${names.map(escapeRe).join("|")})`] : []),
    String.raw`(?:createobject|activexobject)\s*\(\s*["']${progid}["']\s*\)`,
  ];
  const re = new RegExp(String.raw`(?:${recv.join("|")})\s*\.\s*(${methods.join("|")})\b`, "g");
  for (const m of t.matchAll(re)) {
    const after = m.index + m[0].length;
    const rest = vbStatement(statementAt(t, after));
    const open = /^\s*\(/.exec(rest);
    const args = open ? firstArgsList(rest.slice(open[0].length)) : rest;
    yield { at: m.index + m[0].length - m[2].length, method: m[2], args, receiver: m[1] ?? "" };
  }
}

/**
 * The rest of the statement from `at`: to the line end, or a `;` outside double-quoted literals (an
 * ADODB connection string is `"Provider=…;Server=" & x`), at most 400 characters.
 */
function statementAt(t: string, at: number): string {
  const end = Math.min(t.length, at + 400);
  let quoted = false;
  let i = at;
  for (; i < end; i++) {
    const c = t[i];
    if (c === "\n" || (c === ";" && !quoted)) break;
    if (c === '"') quoted = !quoted;
  }
  return t.slice(at, i);
}

/** The text inside a call's parentheses (from after `(` to the matching `)`). */
function firstArgsList(s: string): string {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") {
      if (depth === 0) return s.slice(0, i);
      depth--;
    }
  }
  return s;
}

/** The n-th (0-based) top-level argument of an argument list. */
export function argumentAt(args: string, n: number): string {
  let rest = args;
  for (let i = 0; i < n; i++) {
    const first = firstArgument(rest);
    if (first.length >= rest.length) return "";
    rest = rest.slice(first.length + 1);
  }
  return firstArgument(rest).trim();
}

/** Under the site's own root: the expression maps a virtual path or names the application's folder. */
const UNDER_ROOT = /mappath|request\s*\.\s*servervariables\s*\(\s*["'](?:appl_physical_path|path_translated)/;

/** .NET path joins, whose result starts with their first argument (`Path.Combine(root, name)`). */
const PATH_JOIN = /^(?:system\s*\.\s*io\s*\.\s*)?path\s*\.\s*(?:combine|join)\s*\(/;

/**
 * Names that start a framework call (.NET, ASP.NET, VBScript/JScript objects): a path passed through
 * one (`Path.GetFullPath`, `Server.UrlDecode`, `Encoding.UTF8.GetString`) is still the request's.
 */
const FRAMEWORK_ROOT =
  /^(?:system|microsoft|path|file|directory|fileinfo|directoryinfo|driveinfo|convert|encoding|asciiencoding|utf8encoding|unicodeencoding|httputility|webutility|server|string|strings|request|response|context|httpcontext|page|this|me|environment|uri|regex|math|bitconverter|text|io|web|marshal|assembly|activator|type|process|array|char|enumerable|session|application|wscript|fso)$/;

/**
 * A static member of the application's own code (`FileIO.GetFilePath(folder, name)`): its first name is
 * no framework type, no variable, parameter or type of the page, and the call reads no request data
 * itself. The application decides such a path (and confines it); a page dropped by an attacker cannot
 * rely on code that is not in it.
 */
function applicationCall(t: string, head: string, assigned: Map<string, unknown>, tainted: RegExp): boolean {
  const m = /^([a-z_]\w*)(?:\s*\.\s*[a-z_]\w*)+\s*\(/.exec(head);
  if (!m || FRAMEWORK_ROOT.test(m[1]) || assigned.has(m[1]) || tainted.test(m[0])) return false;
  const name = escapeRe(m[1]);
  // Declared in the page: a variable or parameter (`HttpContext ctx`, `ctx As HttpContext`), or a type.
  const declared = new RegExp(
    String.raw`(?:[\w>\]]\s+${name}\s*[,)=;]|(?<![\w.])${name}\s+as\s+|\b(?:class|struct|structure|module|namespace|enum)\s+${name}\b)`,
  );
  return !declared.test(t);
}

/**
 * Whether an expression's path comes from the application's own code (applicationCall): the path
 * itself, the first argument of the object it makes (`new FileStream(FileIO.GetFilePath(…), …)`), or
 * a name every assignment of which is one.
 */
export function applicationPath(t: string, tainted: RegExp): (expr: string) => boolean {
  let assigned: Map<string, { rhs: string }[]> | null = null;
  const resolve = (expr: string, depth: number): boolean => {
    const e = expr.trim();
    const made = /^new\s+[\w.]+\s*\(/.exec(e);
    const path = made ? firstArgument(e.slice(made[0].length)) : e;
    const head = headOf(path.replace(/"[^"\n]*"/g, '""')).trim();
    if (!head) return false;
    assigned ??= assignmentsByName(t);
    if (applicationCall(t, head, assigned, tainted)) return true;
    const all = /^[a-z_]\w*$/.test(head) ? assigned.get(head) : undefined;
    return !!all && depth < 3 && all.every((a) => resolve(a.rhs, depth + 1));
  };
  return (expr) => resolve(expr, 0);
}

/** An expression that starts with a literal that is only a drive root (`"c:\\" & …`, `"d:/" + …`). */
const DRIVE_ROOT = /^"[a-z]:[\\/]{0,2}"\s*[&+]/;

/**
 * Whether request data decides an expression from its start: its head (up to the first top-level `&`
 * or `+`) carries request data and does not map a path under the site root (`MapPath`, or the page's
 * own helper returning one); a name is followed through its assignments (any of them, or at a known
 * place `at` the last one before it). `"SELECT … WHERE id=" & Request("id")`,
 * `Server.MapPath("files/" & Request("f"))`, `Path.Combine(root, Request["f"])` and the application's
 * own resolver (`FileIO.GetFilePath(folder, Request["f"])`) are not rooted;
 * `Request("path")`, `Trim(Request("p"))` and a name given either are.
 */
export function rootedChecker(t: string, tainted: RegExp): (expr: string, at?: number) => boolean {
  const assigned = assignmentsByName(t, 8);
  const mapping = rootMappingFunctions(t);
  const rooted = (expr: string, depth: number, at: number | undefined): boolean => {
    // Literals emptied first: their words (`"… WHERE m_name = '"`), `+`, `&` and brackets are text of
    // the SQL or path, not the page's names and operators.
    const head = headOf(expr.replace(/"[^"\n]*"/g, '""'));
    // A drive root and then request data (`"c:\\" & Request("p")`): the caller picks any path on it.
    if (DRIVE_ROOT.test(expr.trim())) return tainted.test(expr.replace(/"[^"\n]*"/g, '""'));
    if (!head || UNDER_ROOT.test(head) || !tainted.test(head)) return false;
    // .NET `Path.Combine(root, name)`: the path starts where its first part does.
    const combine = PATH_JOIN.exec(head);
    if (combine) return depth < 3 && rooted(firstArgument(head.slice(combine[0].length)), depth + 1, at);
    // The page's own helper that maps its argument under the site (`FixPath(p)` returning MapPath).
    const call = /^([a-z_]\w*)\s*\(/.exec(head);
    if (call && mapping.has(call[1])) return false;
    if (applicationCall(t, head, assigned, tainted)) return false;
    const name = /^(?:[a-z_]\w*\s*\(\s*)*([a-z_]\w*)\s*\)*$/.exec(head)?.[1];
    const all = name && !/^request$/.test(name) ? assigned.get(name) : undefined;
    if (!all) return true;
    // At a known place, the value the name holds there: its last assignment before it (when any).
    const before = at === undefined ? [] : all.filter((a) => a.at < at);
    const rhs = before.length ? [before[before.length - 1]] : all;
    return depth < 3 && rhs.some((r) => rooted(r.rhs, depth + 1, at === undefined ? undefined : r.at));
  };
  return (expr, at) => rooted(expr, 0, at);
}

/** A function definition (C#, VB, JScript): modifiers or a return type, the name, the parameters. */
const DEF =
  /\b(?:function|sub|string|object|var|public|private|protected|static|internal)\s+(?:[\w.<>[\]]+\s+)?([a-z_]\w*)\s*\([^()]*\)\s*(?:as\s+[\w.]+\s*)?(?:\{|\n)/g;

/** The page's functions that return a path mapped under the site root (a `return` of `…MapPath(…)`). */
function rootMappingFunctions(t: string): Set<string> {
  const out = new Set<string>();
  if (!t.includes("mappath")) return out;
  for (const m of t.matchAll(/\breturn\b[^;\n]{0,200}mappath\s*\(/g)) {
    // The function the return is in: the last definition before it.
    const defs = [...t.slice(Math.max(0, m.index - 1500), m.index).matchAll(DEF)];
    const def = defs.at(-1);
    if (def) out.add(def[1]);
  }
  return out;
}
