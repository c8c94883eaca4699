// Cues around the sinks, in normalised server code: payloads hidden or decrypted before they run
// (decryption or XOR next to a load, encoded or spelled-out literals, Script Encoder, an embedded
// executable, long blobs), and what a web shell does that applications do not (the request choosing a
// file's content, browsing the whole disk, a socket kept in Session, calls through native function
// pointers, AMSI/ETW patching, uploads to a path the caller picks, a caller-chosen database and SQL).
import { append } from "../../model/arrays.js";
import { applicationPath } from "./asp-objects.js";
import { assignments, escapeRe, firstArgument, headOf, statementFrom } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal, SinkKind } from "./signals.js";
import { INPUT_CONTROL, REQUEST } from "./taint.js";

const CODE_OF_ENCODED =
  /(?<![.\w])(?:eval|execute(?:global)?|executestatement)\b\s*\(?\s*\w+\s*\(\s*"(?=[^"\n]{16,}")(?![a-z ,.!?']*")[^"\n]*"/;
/** What a writer object writes (not Response.Write), and the content argument of File.WriteAll*. */
const WRITE_CONTENT =
  /(?<!response)\s*\.\s*write(?:line|text)?\s*(?:\(|=(?!=)|[ \t]+(?=[\w"(]))([^;\n]{0,300})|writeall\w*\s*\(([^,\n]{1,200}),([^;\n]{0,300})/g;
/** The response's output stream just before a `.Write` (the body sent to the caller, not a file). */
const RESPONSE_STREAM = /\bresponse\s*\.\s*(?:outputstream|output)\s*$/;
/** The receiver just before a `.Write`: the writer or stream whose file is being written. */
const RECEIVER_BEFORE = /(?<![\w.])([a-z_]\w*)\s*$/;
/** Listing a folder: .NET Directory/DirectoryInfo, the FileSystemObject's GetFolder. */
const FOLDER_LISTING =
  /directory\s*\.\s*(?:get|enumerate)(?:files|directories|filesystementries)\s*\(|new\s+directoryinfo\s*\(|\.\s*getfolder\s*\(/g;
/** The whole disk: drive enumeration, or a drive root as a literal ("c:\\", "d:/"). */
const WHOLE_DISK = /getlogicaldrives|driveinfo\s*\.\s*getdrives|\.\s*drives\b|["'][a-z]:[\\/]{0,2}["']/;
const ENCODED_SCRIPT = /language\s*=\s*["']?\s*(?:vb|j)script\.encode|<%\s*#@~\^/;
const DECRYPT =
  /createdecryptor|transformfinalblock|rijndaelmanaged|aes\s*\.\s*create|aescryptoserviceprovider|descryptoserviceprovider/;
const XOR_LOOP =
  /\w\s*\[\s*\w+\s*\]\s*\^=?\s*\(?\s*(?:byte\s*\)\s*)?\w+\s*\[|\^\s*\w+\s*\[\s*\w+\s*(?:[+]\s*\d+\s*)?[%&]|\w\s*\[\s*\w+\s*\]\s*\^=\s*(?:\(\s*byte\s*\)\s*)?(?:0x[0-9a-f]{1,2}|\d{1,3}|[a-z_]\w*)\s*[;\n)]/;
const SHELL_WORDS = /cmd\.exe|cmd\s*\/c|"\/c\s|powershell(?:\.exe)?\s+-|\bwhoami\b|net\s+user\b|\/bin\/sh/;
/** A Session/Application/Cache slot, C# `[k]` or VB `(k)`, under any key (a literal, a name, a decoded literal). */
const SLOT = String.raw`\b(?:session|application|cache)\s*(?:\[[^\]\n]{1,60}\]|\([^()\n]{1,60}\))`;
const ASM = String.raw`(?:system\s*\.\s*reflection\s*\.\s*)?\[?assembly\]?`;
/**
 * An assembly loaded from bytes kept across requests: a slot given `Assembly.Load(bytes)` (not a name
 * literal; not LoadFrom/LoadFile of a path, as plug-in caches do) or `GetMethod("Load")…Invoke`, a
 * Session slot given a cast `(Assembly)`, or an Assembly read back out of Session (C# cast or `as`,
 * VB CType/DirectCast/TryCast).
 */
const SESSION_ASSEMBLY = new RegExp(
  [
    String.raw`${SLOT}\s*=\s*(?:\(\s*${ASM}\s*\)\s*)?(?:[^;\n]{0,200}?\bgetmethod\s*\(\s*"load"|${ASM}\s*\.\s*load\s*\((?!\s*["')]))`,
    String.raw`\bsession\s*(?:\[[^\]\n]{1,60}\]|\([^()\n]{1,60}\))\s*=\s*\(\s*${ASM}\s*\)`,
    String.raw`\(\s*${ASM}\s*\)\s*(?:[\w.]+\.)?session\s*[[(]`,
    String.raw`(?:ctype|directcast|trycast)\s*\(\s*(?:[\w.]+\.)?session\s*\([^()\n]{1,60}\)\s*,\s*${ASM}\s*\)`,
    String.raw`\bsession\s*\[[^\]\n]{1,60}\]\s+as\s+${ASM}\b`,
  ].join("|"),
);
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
/** A socket kept across requests (Session/Application): the shape of every HTTP tunnel. */
const SOCKET_VAR = /([a-z_]\w*)\s*=\s*new\s+(?:system\.net\.sockets\.)?(?:socket|tcpclient)\s*\(/g;

export interface CueInput {
  norm: Normalised;
  /** Matches text that carries request data. */
  tainted: RegExp;
  /** The sink signals so far; cues are appended. */
  signals: Signal[];
  /** Sink kinds reached by request data, and present at all (a native call adds "load" to both). */
  flows: Set<SinkKind>;
  sinks: Set<SinkKind>;
}

/** Text up to a `)` that closes a bracket opened before it (`using (var w = new X(p)) w.Write(b)`). */
function toUnbalanced(s: string): string {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth < 0) return s.slice(0, i);
  }
  return s;
}

/**
 * Whether the file a content write goes to is chosen by the request: the path of `File.WriteAllText`,
 * or of the writer the `.Write` is called on (what it was made from, or where it is saved). A write on
 * a name the page never assigns (a VB `With` block, an inline `new StreamWriter(p).Write`) counts when
 * any write sink took request data, as before.
 */
function chosenFile(
  t: string,
  m: RegExpMatchArray,
  tainted: RegExp,
  fromApplication: (expr: string) => boolean,
): boolean {
  if (m[2] !== undefined) return tainted.test(m[2]) && !fromApplication(m[2]);
  const at = m.index ?? 0;
  const before = t.slice(Math.max(0, at - 60), at);
  // The response's own stream (`context.Response.OutputStream.Write(bytes, …)`) is no file.
  if (RESPONSE_STREAM.test(before)) return false;
  const receiver = RECEIVER_BEFORE.exec(before)?.[1];
  if (!receiver || receiver === "response") return true;
  const name = escapeRe(receiver);
  const made = new RegExp(
    String.raw`(?<![\w.])${name}\s*(?:=(?![=>])|\s+as\s+new\b)([^;\n]{0,300})|(?<![\w.])${name}\s*\.\s*(?:savetofile|saveas)\b\s*\(?([^;\n]{0,300})`,
    "g",
  );
  let seen = false;
  for (const d of t.matchAll(made)) {
    seen = true;
    const made = toUnbalanced(d[1] ?? d[2]);
    if (tainted.test(made) && !fromApplication(made)) return true;
  }
  return !seen;
}

/**
 * Appends the cues that apply to `signals`, in a fixed order. Returns what the structural cues need:
 * whether request access is hidden in a literal, and whether a decoded literal is run.
 */
export function addCues({ norm, tainted, signals, flows, sinks }: CueInput): {
  hidden: boolean;
  encodedRun: boolean;
} {
  const t = norm.text;
  const found = (re: RegExp) => {
    const m = re.exec(t);
    return m ? norm.lineAt(m.index) : null;
  };
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
    // A file the application's own code names (FileIO.GetFilePath(folder, name)) is not the request's choice.
    const fromApplication = applicationPath(t, tainted);
    const content = [...t.matchAll(WRITE_CONTENT)].find(
      (m) => tainted.test(m[1] ?? m[3]) && chosenFile(t, m, tainted, fromApplication),
    );
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
    append(calls, t.matchAll(UNMANAGED_CALL));
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
  return { hidden: hidden !== undefined, encodedRun: encodedRun !== null };
}
