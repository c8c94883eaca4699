// Behaviour analysis of server-side code, after normalisation: where request-controlled data (Request.*,
// WebForms input controls, values derived from them, Session slots filled from them) reaches a
// dangerous sink (eval/Execute, Assembly.Load, process start, reflection, file writes, SQL, sockets),
// plus structural cues (a tiny page that is only server code, long encoded blobs, high entropy,
// decryption before a load). Each signal names its rule and line and carries points; the caller decides
// what a score means. Taint sources and propagation are in taint.ts, the sinks in sinks.ts, the cues
// around them in cues.ts; this module runs them in order and adds the cues of the page's shape.
import { aspSignals } from "./asp-classic.js";
import { rootedChecker } from "./asp-objects.js";
import { escapeRe } from "./code-scan.js";
import { addCues } from "./cues.js";
import { dotnetFileSignals } from "./dotnet-files.js";
import { dotnetProcess } from "./dotnet-process.js";
import { nativeExecCues } from "./native-exec.js";
import { type Normalised, normalise } from "./normalise.js";
import type { Analysis } from "./signals.js";
import { sinkSignals } from "./sinks.js";
import { NOTHING, taintOf } from "./taint.js";

export type { Analysis, Signal, SinkKind } from "./signals.js";

/** Words one of which every .NET file-manager call holds. */
const DOTNET_FILE_WORDS =
  /directory|file\s*\.|fileinfo|streamreader|streamwriter|filestream|transmitfile|writefile|saveas/;
const HANDLER_EXT = /\.(?:ashx|asmx)$/i;
const HTML = /<(?:html|body|div|form|table|head|p|span|asp:\w+|ul|h[1-6])\b/;
const PAGE_EXT = /\.(?:aspx|asp|asa|cer|cdx|shtml|stm|ascx)$/i;
/** Files that only ever hold ASP.NET code (handlers, services, code-behind, Razor), never classic ASP. */
const DOTNET_ONLY_EXT = /\.(?:ashx|asmx|asax|master|cs|vb|cshtml|vbhtml|svc|soap|rem)$/i;
/** An ASP.NET directive: the page is compiled by ASP.NET, not run by asp.dll. */
const DOTNET_DIRECTIVE = /<%@\s*(?:page|control|webhandler|webservice|master|application)\b/;

/** Whether code is ASP.NET's (C#, VB.NET, JScript.NET): by its file type, or by its directive. */
export function isDotnetCode(t: string, name: string): boolean {
  return DOTNET_ONLY_EXT.test(name) || DOTNET_DIRECTIVE.test(t);
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
  "loadfromfile",
  "xmlhttp",
  "winhttp",
  "xp_cmdshell",
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
  "virtualalloc",
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
  "getstring",
  "/*",
];
const GATE_RE = new RegExp(GATE_WORDS.map(escapeRe).join("|"));
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
  const tainted = taintOf(t, name) ?? NOTHING;
  const { signals, flows, sinks } = sinkSignals(norm, tainted, isDotnetCode(t, name));
  dotnetProcess(norm, tainted, signals, flows, sinks);
  // Classic ASP file managers, SQL consoles, downloaders and local-port requests (asp-classic.ts).
  signals.push(...aspSignals(norm, tainted, flows, sinks));
  // .NET file browsers and managers on request-chosen paths (dotnet-files.ts).
  if (tainted !== NOTHING && DOTNET_FILE_WORDS.test(t))
    signals.push(...dotnetFileSignals({ norm, rooted: rootedChecker(t, tainted) }));
  const sinkScore = signals.reduce((n, s) => n + s.points, 0);
  const { hidden, encodedRun } = addCues({ norm, tainted, signals, flows, sinks });
  nativeExecCues(norm, signals, sinks);
  const cue = (rule: string, line: number, points: number, what: string) => {
    signals.push({ rule, line, points, what });
  };
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
