// Procedures the taint in taint.ts follows beyond its FUNCTION_DEF pattern: VBScript subs and functions
// called without parentheses (`Run Request("c")`; `Call Run(Request("c"))` is a call with them), and
// C#/VB methods after a modifier whose return type is not one of the fixed types FUNCTION_DEF names
// (`public static MyResult Run(string c)`, `private List<string> Split(string s)`). Their parameters
// then carry what the calls pass into the body (an Execute/eval there sees request data).
import { KEYWORDS, paramNames } from "./code-scan.js";

/** A method with modifiers, then any return type (generic, array, dotted), then name and parameters. */
const MODIFIED_DEF =
  /\b(?:public|private|protected|internal|static|friend)\s+(?:(?:static|virtual|override|async|unsafe|shared|overridable|sealed|new|extern)\s+)*[a-z_][\w.]*(?:\s*<[^<>()\n]{0,80}>)?(?:\s*\[\s*,*\s*\])?\s+([a-z_]\w*)\s*\(([^()\n]{0,200})\)/g;
/**
 * A C# method without modifiers (private by default) and any return type, at a statement's start,
 * whose parameter list is followed by its body: `ExecuteResult Run(string arg) {`.
 */
const PLAIN_DEF =
  /(?:^|[\n;{}])[ \t]*(?!(?:new|return|else|throw|await|yield|case|goto|using|lock)\b)[a-z_][\w.]*(?:\s*<[^<>()\n]{0,80}>)?(?:\s*\[\s*,*\s*\])?[ \t]+([a-z_]\w*)\s*\(([^()\n]{0,200})\)\s*\{/g;
/** A VBScript `Sub`/`Function` (or JScript `function`) definition's name. */
const PROCEDURE = /\b(?:sub|function)\s+([a-z_]\w*)/g;

/** A statement that starts with a name and then arguments without parentheses (the name checked after). */
const BARE_CALL =
  /(?:^|[:\n]|\bthen\b|\belse\b)[ \t]*(?:call[ \t]+)?(?!(?:if|elseif|else|while|for|do|loop|select|case|dim|set|redim|const|end|exit|on|option|call|return|next|with|sub|function|private|public)\b)([a-z_]\w*)[ \t]+(?![=(:]|then\b|and\b|or\b)([^\n:]{1,300})/g;

/** Definitions FUNCTION_DEF does not see, name -> parameter names. */
export function extraDefs(t: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!t.includes("(")) return out;
  const add = (name: string, list: string) => {
    if (KEYWORDS.has(name) || out.has(name)) return;
    const params = paramNames(list);
    if (params.length) out.set(name, params);
  };
  for (const m of t.matchAll(MODIFIED_DEF)) add(m[1], m[2]);
  if (t.includes("{")) for (const m of t.matchAll(PLAIN_DEF)) add(m[1], m[2]);
  return out;
}

/**
 * VBScript calls of the page's own procedures without parentheses: a statement that starts with the
 * procedure's name (at a line start, after `:`, `Then` or `Else`), optionally after `Call`, and then
 * its arguments (`Run Request("c"), 1`). Assignments to a name (`run = 1`) are not calls.
 */
export function bareCalls(t: string, defs: Map<string, string[]>): { name: string; args: string }[] {
  if (!defs.size) return [];
  // Only procedures defined with VBScript's (or JScript's) keyword: C# methods are always called with parentheses.
  const procs = new Set([...t.matchAll(PROCEDURE)].map((m) => m[1]).filter((n) => defs.has(n)));
  if (!procs.size) return [];
  return [...t.matchAll(BARE_CALL)].filter((m) => procs.has(m[1])).map((m) => ({ name: m[1], args: m[2] }));
}
