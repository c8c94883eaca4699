// Dangerous sinks in normalised server code (eval/Execute, Assembly.Load, process start, reflection,
// file writes, SQL, sockets, registry) and whether request data reaches their arguments. One signal per
// sink kind: the strongest seen (a flow of request data beats a bare sink).
import { callArgs, firstArgument, ownValue, statementFrom, vbStatement } from "./code-scan.js";
import { literalGate, presentIn } from "./literal-gate.js";
import type { Normalised } from "./normalise.js";
import type { Signal, SinkKind } from "./signals.js";

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
  /** Arguments that make the match no sink at all (a reader over the request body reads no file). */
  notArg?: RegExp;
  /** The object the method is called on (group 1) stands for the file: it counts as an argument. */
  receiver?: boolean;
  /** A VBScript statement: not in ASP.NET code (C#, VB.NET, JScript.NET have no such statement). */
  classicOnly?: boolean;
}

/** A FileStream that creates, appends, truncates or opens for writing (the rest of its statement). */
const FILESTREAM_WRITES = String.raw`[^;\n]{0,300}?(?:filemode\s*\.\s*(?:create|append|truncate|openorcreate)|fileaccess\s*\.\s*(?:readwrite|write))`;

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
    classicOnly: true,
  },
  {
    // VBScript calls a function as a statement without parentheses: `eval str`.
    id: "eval-statement",
    lits: ["eval"],
    kind: "code",
    re: /(?<![.\w$#])eval[ \t]+(?=[a-z_"(])/g,
    flow: 10,
    bare: 0,
    what: "VBScript Eval called as a statement",
    classicOnly: true,
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
    re: /assembly\s*\.\s*(?:load(?:from|file|withpartialname)?|unsafeloadfrom)\s*\(|getmethod\s*\(\s*"load"|appdomain\s*\.\s*currentdomain\s*\.\s*load\s*\(/g,
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
    // Also VBScript's call without parentheses: `sh.Run "cmd /c " & x, 0, True`.
    re: /\.\s*(?:run|exec)\s*(?:\(|[ \t]+(?=["\w(]))/g,
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
    re: new RegExp(
      String.raw`streamwriter\s*\(|file\s*\.\s*(?:writeall\w*|appendall\w*|create|delete|copy|move)\s*\(|\.\s*saveas\s*\(|filestream\s*\((?=${FILESTREAM_WRITES})|\.\s*savetofile\b|createtextfile\s*\(|opentextfile\s*\((?=[^\n]{0,200}?,\s*(?:2|8|forwriting|forappending)\s*[,)])|directory\s*\.\s*(?:delete|move|createdirectory)\s*\(|\.\s*deletefile\s*\(`,
      "g",
    ),
    flow: 4,
    bare: 0,
    what: "file write/delete",
  },
  {
    // FileInfo's writers (`new FileInfo(path).CreateText()`, `fi.AppendText()`, `fi.OpenWrite()`): the
    // file is the object's, so the object carries the request's choice.
    id: "file-info-write",
    lits: ["createtext", "appendtext", "openwrite"],
    kind: "write",
    re: /(?<![\w.])([a-z_]\w*)\s*\.\s*(?:createtext|appendtext|openwrite)\s*\(/g,
    receiver: true,
    flow: 4,
    bare: 0,
    what: "file write (FileInfo)",
  },
  {
    id: "file-read",
    lits: ["file", "streamreader", "directory", "getfolder", "opentextfile"],
    kind: "read",
    re: new RegExp(
      String.raw`file\s*\.\s*(?:readall\w*|openread)\s*\(|streamreader\s*\(|filestream\s*\((?!${FILESTREAM_WRITES})|response\s*\.\s*(?:writefile|transmitfile)\s*\(|directory\s*\.\s*get(?:files|directories)\s*\(|new\s+directoryinfo\s*\(|\.\s*getfolder\s*\(|opentextfile\s*\(`,
      "g",
    ),
    flow: 2,
    bare: 0,
    what: "file read/listing",
    notArg:
      /^\s*(?:[\w.]+\.\s*)?(?:request\s*\.\s*(?:inputstream|getbufferlessinputstream)|[\w.]*(?:inputstream|postedfile|filecontent)\b)/,
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

/** Every sink literal, longest first, as one alternation: one pass over the code finds those present. */
export const SINK_LITERALS = [...new Set(SINKS.flatMap((s) => s.lits))].sort(
  (a, b) => b.length - a.length || (a < b ? -1 : 1),
);
const SINK_GATE = literalGate(SINK_LITERALS);

/** The sink literals `t` contains, in one pass (most are absent from most pages). */
export function presentLiterals(t: string): Set<string> {
  return presentIn(SINK_GATE, t);
}

export interface SinkFindings {
  /** The strongest signal of each sink kind that scores (kinds in the order the table first reaches them). */
  signals: Signal[];
  /** Sink kinds reached by request data. */
  flows: Set<SinkKind>;
  /** Sink kinds present at all. */
  sinks: Set<SinkKind>;
}

/** Every sink of the code; `tainted` matches text that carries request data. */
export function sinkSignals(norm: Normalised, tainted: RegExp, dotnet = false): SinkFindings {
  const t = norm.text;
  const signals: Signal[] = [];
  const flows = new Set<SinkKind>();
  const sinks = new Set<SinkKind>();
  const best = new Map<SinkKind, Signal>();
  const present = presentLiterals(t);
  for (const s of SINKS) {
    if (dotnet && s.classicOnly) continue;
    if (!s.lits.some((l) => present.has(l))) continue;
    if (s.needs && !s.needs.test(t)) continue;
    for (const m of t.matchAll(s.re)) {
      const stmt = statementFrom(t, m.index);
      // Up to the next statement on the line (VB `:`): what follows is not this call's argument.
      // A call without parentheses is a VB statement, which ends at `:`.
      const rest = m[0].endsWith("(") ? stmt : vbStatement(stmt);
      // A call's arguments end at its closing parenthesis: in `new StreamWriter(path)) w.Write(body)`
      // the body is written to the file, it does not choose it.
      const arg = s.firstArg
        ? firstArgument(rest.slice(m[0].length))
        : m[0].endsWith("(")
          ? callArgs(t, m.index + m[0].length - 1).join(",")
          : ownValue(rest.slice(m[0].length - 1));
      if (s.notArg?.test(arg)) continue;
      const flow = tainted.test(arg) || (s.receiver === true && m[1] !== undefined && tainted.test(m[1]));
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
  return { signals, flows, sinks };
}
