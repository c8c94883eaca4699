// Classic ASP (VBScript and JScript) COM objects and request-rooted paths, shared by the classic ASP
// technique modules (asp-files.ts, asp-sql.ts, asp-net-requests.ts): which names hold an object of a
// ProgID (`Set fso = Server.CreateObject("Scripting.FileSystemObject")`, JScript `var x = new
// ActiveXObject("MSXML2.XMLHTTP")`), the calls of a method on such an object (also on the creation
// expression itself), and whether an argument is request data from its start (the caller picks the
// whole path or text) rather than request data put under a fixed root or into a fixed query shape.
import { assignments, escapeRe, firstArgument, headOf, statementFrom, vbStatement } from "./code-scan.js";

/** `name = [Server.]CreateObject("progid")` or `name = new ActiveXObject("progid")` (VB Set, JScript var). */
const BIND =
  /([a-z_]\w*)\s*=\s*(?:(?:server\s*\.\s*)?createobject|new\s+activexobject)\s*\(\s*["']([\w.]+)["']/g;

/** Names bound to an object whose ProgID matches `progid` (lower case, anchored by the caller). */
export function objectNames(t: string, progid: RegExp): string[] {
  const out = new Set<string>();
  for (const m of t.matchAll(BIND)) if (progid.test(m[2])) out.add(m[1]);
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
export function methodCalls(t: string, names: string[], progid: string, methods: string[]): MethodCall[] {
  const recv = [
    ...(names.length ? [`(?<![.\\w])(${names.map(escapeRe).join("|")})`] : []),
    String.raw`(?:createobject|activexobject)\s*\(\s*["']${progid}["']\s*\)`,
  ];
  const re = new RegExp(String.raw`(?:${recv.join("|")})\s*\.\s*(${methods.join("|")})\b`, "g");
  const out: MethodCall[] = [];
  for (const m of t.matchAll(re)) {
    const after = m.index + m[0].length;
    const rest = vbStatement(statementFrom(t, after));
    const open = /^\s*\(/.exec(rest);
    const args = open ? firstArgsList(rest.slice(open[0].length)) : rest;
    out.push({ at: m.index + m[0].length - m[2].length, method: m[2], args, receiver: m[1] ?? "" });
  }
  return out;
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

/**
 * Whether request data decides an expression from its start: its head (up to the first top-level `&`
 * or `+`) carries request data and does not map a path under the site root; a name is followed
 * through its assignments (any of them). `"SELECT … WHERE id=" & Request("id")` and
 * `Server.MapPath("files/" & Request("f"))` are not rooted; `Request("path")`, `Trim(Request("p"))`
 * and a name given either are.
 */
export function rootedChecker(t: string, tainted: RegExp): (expr: string) => boolean {
  const assigned = new Map<string, string[]>();
  for (const a of assignments(t)) {
    const list = assigned.get(a.name) ?? [];
    if (list.length < 8) list.push(a.rhs);
    assigned.set(a.name, list);
  }
  const rooted = (expr: string, depth: number): boolean => {
    // Literals emptied first: their words (`"… WHERE m_name = '"`), `+`, `&` and brackets are text of
    // the SQL or path, not the page's names and operators.
    const head = headOf(expr.replace(/"[^"\n]*"/g, '""'));
    if (!head || UNDER_ROOT.test(head) || !tainted.test(head)) return false;
    const name = /^(?:[a-z_]\w*\s*\(\s*)*([a-z_]\w*)\s*\)*$/.exec(head)?.[1];
    const rhs = name && !/^request$/.test(name) ? assigned.get(name) : undefined;
    if (!rhs) return true;
    return depth < 3 && rhs.some((r) => rooted(r, depth + 1));
  };
  return (expr) => rooted(expr, 0);
}
