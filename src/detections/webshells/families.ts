// Named web-shell families, as data: each rule is a set of patterns over the normalised, lower-case code
// (so "un"+"safe", \u0075nsafe and String.fromCharCode(117,...) all read "unsafe"), written from the
// public descriptions of each family (references per check). A rule may also ask for a flow the
// behaviour analysis found (request data into a sink kind). The first pattern of `all` names the line.
import type { CheckInfo } from "../../model/types.js";
import type { Analysis, SinkKind } from "./analyse.js";
import { REFS } from "./common.js";

export interface FamilyRule {
  id: string;
  /** Every pattern must occur (the first names the line). */
  all: RegExp[];
  /** At least one must occur, when given. */
  any?: RegExp[];
  /** Request data must reach one of these sink kinds. */
  flow?: SinkKind[];
  /** Only in files of at most this many bytes. */
  maxBytes?: number;
  /** Only for files whose name matches. */
  name?: RegExp;
  /** A further condition on the analysis (e.g. capability counts). */
  test?: (a: Analysis) => boolean;
}

export interface Family {
  check: CheckInfo;
  rules: FamilyRule[];
}

const base: Pick<CheckInfo, "cves" | "severity" | "effect"> = {
  cves: [],
  severity: "critical",
  effect: "compromise",
};
const REQ = /\brequest\b/;
const LOAD = /assembly\s*\.\s*load\s*\(|getmethod\s*\(\s*"load"/;
const POWERFUL: readonly SinkKind[] = ["process", "sql", "registry", "socket"];
/** The capabilities of `capabilities` that the analysis' sink kinds tell. */
const SINK_CAPABILITIES: readonly SinkKind[] = ["read", "write", ...POWERFUL];
const SOCKET = /system\.net\.sockets|new\s+(?:system\.net\.sockets\.)?socket\s*\(|tcpclient\s*\(/;

export const FAMILIES: Family[] = [
  {
    check: {
      ...base,
      cves: ["CVE-2021-26858", "CVE-2021-27065"],
      id: "webshell-chopper",
      title: "China Chopper web shell",
      description:
        'China Chopper in its public forms: JScript `eval(Request.Item["x"],"unsafe")` (also with the "unsafe" ' +
        'string split, \\x/\\u-escaped or built from char codes, and HAFNIUM\'s `<script language="JScript" ' +
        'runat="server">` Page_Load form), the FromBase64String variant, and the C# file writers ' +
        "(`StreamWriter(Request.Form[...])`, a tiny page saving `Request.Files[0]` under its own name).",
      references: [REFS.msBlog, REFS.sigbase, REFS.cisa, REFS.fireeyeChopper],
    },
    rules: [
      { id: "chopper-eval-unsafe", all: [/(?<![.\w])eval\s*\([^\n]{0,300}?["']unsafe["']/, REQ] },
      // The "unsafe" flag as eval's second argument is the family's signature even when the request
      // access itself is hidden (decoded at run time, passed in through a wrapper function).
      // JScript.NET's eval takes a second argument only for its security flag.
      {
        id: "chopper-jscript-eval-flag-argument",
        all: [/(?<![.\w])eval\s*\(\s*\w+\s*,\s*\w+\s*\)/, /language\s*=\s*["']?\s*jscript\b/],
      },
      { id: "chopper-eval-unsafe-flag", all: [/(?<![.\w])eval\s*\([^\n]{0,300}?,\s*["']unsafe["']\s*\)/] },
      {
        id: "chopper-eval-base64-request",
        all: [/(?<![.\w])eval\s*\([^\n]{0,120}frombase64string\s*\(\s*(?:\w+\.)*request\b/],
      },
      {
        id: "hafnium-jscript-page-load-eval",
        all: [
          /<script\s+language\s*=\s*["']?jscript["']?\s+runat\s*=\s*["']?server/,
          /function\s+page_load\s*\(/,
          /(?<![.\w])eval\s*\(/,
        ],
      },
      { id: "chopper-cs-streamwriter-form", all: [/streamwriter\s*\(\s*request\s*\.\s*form\s*\[/] },
      {
        id: "chopper-cs-upload-own-name",
        all: [
          /request\s*\.\s*files\s*\[[^\]]*\]\s*\.\s*saveas\s*\(/,
          /request\s*\.\s*files\s*\[[^\]]*\]\s*\.\s*filename/,
        ],
        maxBytes: 1500,
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-godzilla",
      title: "Godzilla web shell (encrypted in-memory .NET payload)",
      description:
        "Godzilla's ASP.NET shells: posted data is Base64-decoded, AES- or XOR-decrypted with a key derived from " +
        'a password, loaded with Assembly.Load (often through GetMethod("Load").Invoke), kept in ' +
        'Session["payload"] and driven through `CreateInstance("LY")` and Equals() calls.',
      references: [REFS.godzilla, REFS.sigbase],
    },
    rules: [
      { id: "godzilla-session-payload", all: [/session\s*\[\s*["']payload["']\s*\]/, LOAD] },
      { id: "godzilla-ly-instance", all: [/createinstance\s*\(\s*["']ly["']\s*\)/] },
      {
        id: "godzilla-md5-pass-key-decrypt",
        all: [
          /computehash\s*\([^\n]{0,120}getbytes\s*\(\s*\w+\s*\+\s*\w+\s*\)/,
          /transformfinalblock|\^/,
          LOAD,
        ],
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-behinder",
      title: "Behinder (Ice Scorpion) web shell",
      description:
        "Behinder's ASP.NET shell: the request body (`Request.BinaryRead(Request.ContentLength)`) is decrypted " +
        "with AES where key and IV are the same session-held key, loaded with Assembly.Load and run through " +
        '`CreateInstance("U").Equals(this)`.',
      references: [REFS.behinder, REFS.sigbase],
    },
    rules: [
      { id: "behinder-createinstance-u", all: [/createinstance\s*\(\s*["']u["']\s*\)\s*\.\s*equals\s*\(/] },
      {
        id: "behinder-aes-key-iv-body",
        all: [LOAD, /createdecryptor\s*\(\s*(\w+)\s*,\s*\1\s*\)/, /binaryread|inputstream/],
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-memory-loader",
      title: "In-memory .NET payload loader (AntSword, Behinder, Godzilla style)",
      description:
        "Server-side code that loads an assembly from request data (Assembly.Load of posted, Base64- or " +
        "XOR/AES-decoded bytes): the shape of AntSword's and other managers' ASP.NET agents, which receive " +
        "every command as a compiled .NET payload. No page of an ordinary application loads code it was sent.",
      references: [REFS.antsword, REFS.behinder, REFS.godzilla],
    },
    rules: [{ id: "loader-request-to-assembly-load", all: [LOAD], flow: ["load"] }],
  },
  {
    check: {
      ...base,
      id: "webshell-sharpyshell",
      title: "SharPyShell web shell",
      description:
        "SharPyShell's agent: an XOR-encrypted .NET assembly (embedded or posted) is decrypted with the password, " +
        "loaded with Assembly.Load, and its `SharPy` class invoked with the posted `data` field.",
      references: [REFS.sharpyshell],
    },
    rules: [
      { id: "sharpyshell-instance", all: [/createinstance\s*\(\s*["']sharpy["']\s*\)/] },
      {
        id: "sharpyshell-xor-load-invoke",
        all: [LOAD, /\^=?\s*\(?\s*(?:byte\s*\)\s*)?\w+\s*\[\s*\w+\s*%/, /\.\s*invoke\s*\(/],
        flow: ["reflect", "load"],
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-antak",
      title: "Antak or other PowerShell-hosting web shell",
      description:
        "A page that hosts PowerShell (System.Management.Automation runspace, PowerShell.Create/AddScript) and " +
        "feeds it request input: Nishang's Antak and its copies. Web applications do not run PowerShell " +
        "scripts typed into a form.",
      references: [REFS.antak],
    },
    rules: [
      { id: "antak-marker", all: [/\bantak\b/, /system\.management\.automation/] },
      { id: "powershell-host-request", all: [/system\.management\.automation/], flow: ["process"] },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-cmd-runner",
      title: "Command-runner web shell (cmd.aspx style)",
      description:
        "A page that starts a process (Process.Start, ProcessStartInfo, WScript.Shell Run/Exec, ShellExecute, " +
        "CreateProcess/ShellExecuteEx/NtCreateProcess through P/Invoke, WMI Win32_Process.Create) " +
        "with request input, from `Request.*` or a posted form control (e.g. `txtArg.Text`): a command shell " +
        "over HTTP such as fuzzdb's cmd.aspx and the many `cmdasp` copies.",
      references: [REFS.certlv, REFS.sigbase],
    },
    rules: [
      {
        id: "process-with-request-input",
        all: [/process|wscript\.shell|shellexecute|shell\.application/],
        flow: ["process"],
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-socket-tunnel",
      title: "HTTP-to-socket tunnel (reGeorg, Neo-reGeorg, Tunna)",
      description:
        "A page that opens raw sockets and is driven by the request: reGeorg's X-CMD/X-STATUS/X-TARGET headers " +
        "and CONNECT/FORWARD/READ commands, Neo-reGeorg's encoded headers with the socket kept in Session, " +
        "Tunna's query-string driven connect. It turns the web server into a pivot into the internal network.",
      references: [REFS.regeorg, REFS.volexity, REFS.certlv],
    },
    rules: [
      { id: "regeorg-x-headers", all: [SOCKET, /x-cmd|x-target|x-status/] },
      {
        id: "tunnel-session-socket",
        all: [SOCKET],
        test: (a) => a.signals.some((x) => x.rule === "socket-in-session"),
      },
      { id: "tunnel-request-connect", all: [SOCKET], flow: ["socket"] },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-file-manager",
      title: "File-manager web shell (ASPXSpy and kin)",
      description:
        "ASPXSpy by its markers, or a page that combines at least four capabilities a web application never " +
        "offers together to a visitor — listing drives and folders, reading, writing or deleting files, " +
        "running processes, SQL, the registry, sockets — and feeds at least one of them request input: " +
        "ASPXSpy, the WSO/devilzShell ports and the other file managers.",
      references: [REFS.sigbase, REFS.certlv],
    },
    rules: [
      { id: "aspxspy-marker", all: [/aspxspy|\bbin_(?:list|filelist|button\w*)\b/] },
      {
        id: "file-manager-capabilities",
        all: [],
        test: (a) => {
          // The analysis' own facts first: the two text searches of `capabilities` add at most two.
          if (a.flows.size === 0 || !POWERFUL.some((k) => a.sinks.has(k))) return false;
          if (SINK_CAPABILITIES.filter((k) => a.sinks.has(k)).length < 2) return false;
          return capabilities(a).length >= 4;
        },
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-asp-eval",
      title: "Classic ASP eval/execute of request data",
      description:
        'A classic ASP page that runs request data as VBScript/JScript: `<%eval request("x")%>`, ' +
        "`execute request(...)`, `ExecuteGlobal`, also through a variable or an obfuscated keyword.",
      references: [REFS.sigbase, REFS.certlv],
    },
    rules: [
      { id: "asp-eval-execute-request", all: [/(?<![.\w])(?:eval|execute(?:global)?)\b\s*\(?\s*request\b/] },
      {
        id: "asp-eval-execute-flow",
        all: [/(?<![.\w])(?:eval|execute(?:global)?)\b/],
        flow: ["code"],
        // The request data must reach eval/Execute itself, not another code sink (XSLT, C# scripting).
        test: (a) => a.signals.some((s) => s.flow && /^flow-(?:eval|execute|script-control)$/.test(s.rule)),
      },
    ],
  },
  {
    check: {
      ...base,
      id: "webshell-web-config",
      title: "web.config carrying server-side code",
      description:
        "A .config file with inline server code (`<% ... %>`), usually together with a handler that maps " +
        "*.config to asp.dll or a requestFiltering change that lets IIS serve it: the web.config web shell. " +
        "A legitimate configuration file holds no script.",
      references: [REFS.webConfig, REFS.sigbase],
    },
    rules: [
      {
        id: "config-handler-script-processor",
        all: [
          /path\s*=\s*["']\*\.config["'][^>]*scriptprocessor|scriptprocessor[^>]*path\s*=\s*["']\*\.config["']/,
        ],
        name: /\.config$/i,
      },
      {
        id: "config-inline-code",
        all: [/<%(?!@)[^%]{0,2000}(?:response\s*\.\s*write|eval|execute|createobject|request|process)/],
        name: /\.config$/i,
      },
    ],
  },
];

/** Capability groups for the file-manager rule (what each file does at all, not only with request data). */
export function capabilities(a: Analysis): string[] {
  const t = a.norm.text;
  const out: string[] = [];
  if (
    /driveinfo\s*\.\s*getdrives|directory\s*\.\s*get(?:files|directories)|new\s+directoryinfo|getlogicaldrives|\.\s*drives\b/.test(
      t,
    )
  )
    out.push("listing");
  if (a.sinks.has("read")) out.push("read");
  if (a.sinks.has("write")) out.push("write");
  if (/file\s*\.\s*delete|directory\s*\.\s*delete|\.\s*deletefile|\.\s*deletefolder/.test(t))
    out.push("delete");
  if (a.sinks.has("process")) out.push("process");
  if (a.sinks.has("sql")) out.push("sql");
  if (a.sinks.has("registry")) out.push("registry");
  if (a.sinks.has("socket")) out.push("socket");
  return out;
}
