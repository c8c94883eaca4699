// .NET process starts the sink table does not read, and the one it over-reads. A ProcessStartInfo
// object initializer spread over lines (`new ProcessStartInfo { FileName = "cmd.exe", Arguments =
// "/c " + cmd }`, also VB `With { .FileName = ... }`): request data in FileName or Arguments is a
// command runner. And the admin page that starts one fixed program (not a shell) with an argument it
// validated first (int.Parse, Regex.IsMatch, a whitelist): the argument cannot become a command, so
// that flow is not a command runner.
import { braceBlock, callArgs } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal, SinkKind } from "./signals.js";

/** An object initializer of ProcessStartInfo (C# `{`, VB `With {`). */
const INITIALIZER =
  /new\s+(?:system\s*\.\s*diagnostics\s*\.\s*)?processstartinfo\s*(?:\(\s*\))?\s*(?:with\s*)?\{/g;
const MEMBER = /(?<![\w])\.?(filename|arguments)\s*=(?!=)\s*/g;
/** Programs that run whatever command line they are given. */
const SHELL_PROGRAM =
  /\b(?:cmd|command|powershell|pwsh|wscript|cscript|mshta|rundll32|regsvr32|bash|sh|wsl|certutil|bitsadmin|msbuild|installutil|forfiles|schtasks|wmic)(?:\.exe|\.com)?\b/;
/** The value was checked before use: parsed as a number/enum/GUID, matched against a pattern or a list. */
const VALIDATED =
  /\b(?:int|int32|int64|long|uint)\s*\.\s*(?:try)?parse\s*\(|\bcint\s*\(|\benum\s*\.\s*(?:try)?parse\b|\bguid\s*\.\s*(?:try)?parse\s*\(|regex\s*\.\s*ismatch\s*\(|\.\s*ismatch\s*\(|\ballowed\w*\s*\.\s*contains\s*\(|\.\s*contains\s*\(/;
const START =
  /process\s*\.\s*start\s*\(|new\s+(?:system\.diagnostics\.)?processstartinfo\s*\(|\.\s*filename\s*=(?!=)|\bfilename\s*=(?!=)/g;

/** How far an initializer's block is followed. */
const INITIALIZER_REACH = 1500;

/** A member's value in an initializer: up to the next top-level `,` or the end of the line. */
function memberValue(s: string): string {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if ((c === "," && depth === 0) || c === "\n") return s.slice(0, i);
  }
  return s;
}

/**
 * Adds a process flow for request data in a ProcessStartInfo initializer (when the sink table saw no
 * process flow), and withdraws the process flows of a page that only starts one fixed, non-shell
 * program with a validated argument.
 */
export function dotnetProcess(
  norm: Normalised,
  tainted: RegExp,
  signals: Signal[],
  flows: Set<SinkKind>,
  sinks: Set<SinkKind>,
): void {
  const t = norm.text;
  if (!t.includes("processstartinfo") && !t.includes("process")) return;
  if (!flows.has("process") && t.includes("processstartinfo"))
    for (const m of t.matchAll(INITIALIZER)) {
      const open = m.index + m[0].length - 1;
      const body = braceBlock(t, open, INITIALIZER_REACH);
      sinks.add("process");
      const hit = [...body.matchAll(MEMBER)].find((x) =>
        tainted.test(memberValue(body.slice(x.index + x[0].length))),
      );
      if (!hit) continue;
      signals.push({
        rule: "flow-process-initializer",
        line: norm.lineAt(open + 1 + hit.index),
        points: 10,
        what: `request data reaches ProcessStartInfo.${hit[1] === "filename" ? "FileName" : "Arguments"} (object initializer)`,
        kind: "process",
        flow: true,
      });
      flows.add("process");
      break;
    }
  if (flows.has("process") && VALIDATED.test(t) && fixedPrograms(t)) {
    for (const s of signals)
      if (s.kind === "process" && s.flow) {
        s.points = 3;
        s.flow = false;
        s.rule = s.rule.replace(/^flow-/, "sink-");
        s.what = `${s.what.replace(/^request data reaches /, "")}: a fixed program with a validated argument`;
      }
    flows.delete("process");
  }
}

/** Every program the page starts is a literal path or name that is not a shell, and no shell word appears. */
function fixedPrograms(t: string): boolean {
  if (SHELL_PROGRAM.test(t.replace(/["'][^"'\n]*\.(?:aspx|ashx|asmx)["']/g, ""))) return false;
  if (/"\/c\s|\/c\s*"|-command\b|-enc\b/.test(t)) return false;
  let seen = 0;
  for (const m of t.matchAll(START)) {
    const head = m[0].endsWith("(")
      ? (callArgs(t, m.index + m[0].length - 1)[0] ?? "")
      : memberValue(t.slice(m.index + m[0].length));
    const v = head.trim();
    // `Process.Start(psi)` names the info object; its FileName is judged where it is set.
    if (m[0].startsWith("process") && /^[a-z_]\w*$/.test(v)) continue;
    if (!/^@?"[^"\n]+"$/.test(v)) return false;
    seen++;
  }
  return seen > 0;
}
