// What the page's own functions return: request data returned by a wrapper (`HttpFileCollection
// Files() { return Request.Files; }`, VB `Function Cmd() : Cmd = Request("c")`) is request data wherever
// the wrapper is called. Used by taint.ts, which decides which returned values carry request data.
import { braceBlock, KEYWORDS } from "./code-scan.js";

export interface Returned {
  /** The function's name (lower case, as the normalised text). */
  name: string;
  /** The expressions it returns. */
  values: string[];
}

/** A C#/JScript method or function head followed by its body's `{` (a call or statement is not). */
const BRACE_HEAD = /(?<![.\w])([a-z_]\w*)\s*\([^()\n]{0,200}\)\s*\{/g;
/** A VB function, up to its `End Function`. */
const VB_FUNCTION =
  /\bfunction\s+([a-z_]\w*)\s*(?:\([^()\n]{0,200}\))?[^\n]*\n([\s\S]{0,4000}?)\bend\s+function\b/g;
const RETURN = /\breturn\s+([^;\n]{1,300})/g;
/** Control statements whose parenthesised head is followed by a block, as a method's is. */
const NOT_FUNCTIONS = new Set([
  ...KEYWORDS,
  "switch",
  "catch",
  "using",
  "lock",
  "foreach",
  "fixed",
  "checked",
]);
/** How far a body is followed. */
const BODY_REACH = 4000;

/** The page's own functions and what each returns (normalised, lower-case code). */
export function returnedValues(t: string): Returned[] {
  const out: Returned[] = [];
  if (!t.includes("return") && !t.includes("function")) return out;
  if (t.includes("return"))
    for (const m of t.matchAll(BRACE_HEAD)) {
      if (NOT_FUNCTIONS.has(m[1])) continue;
      const values = [...braceBlock(t, m.index + m[0].length - 1, BODY_REACH).matchAll(RETURN)].map(
        (r) => r[1],
      );
      if (values.length) out.push({ name: m[1], values });
    }
  if (t.includes("end function"))
    for (const m of t.matchAll(VB_FUNCTION)) {
      const name = m[1];
      // VB returns by assigning the function's own name, or with Return.
      const own = new RegExp(`(?<![.\\w])${name}\\s*=(?!=)\\s*([^\\n:]{1,300})`, "g");
      const values = [...m[2].matchAll(own), ...m[2].matchAll(RETURN)].map((r) => r[1]);
      if (values.length) out.push({ name, values });
    }
  return out;
}
