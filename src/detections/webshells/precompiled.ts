// Web shells compiled by ASP.NET: the App_Web_*.dll that ASP.NET builds in Temporary ASP.NET Files the
// first time a page runs (or that aspnet_compiler puts in a precompiled site's bin\). The source is gone,
// but the assembly keeps the names it calls (metadata, ASCII) and its string literals (user strings,
// UTF-16LE): JScriptEvaluate with "unsafe", Process/ProcessStartInfo with "cmd.exe", Assembly.Load next
// to a decryptor, sockets with reGeorg's headers. Read as strings, judged by the same families.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection, SweptFile } from "../types.js";
import { REFS, sweptDraft } from "./common.js";

export const checks = {
  precompiled: {
    id: "webshell-precompiled",
    title: "Web shell compiled by ASP.NET (App_Web_*.dll)",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "critical",
    effect: "compromise",
    description:
      "An assembly ASP.NET compiled from a page (App_Web_*.dll, or any DLL in Temporary ASP.NET Files) whose " +
      'names and string literals show a web shell: JScript evaluation with the "unsafe" flag (China Chopper), ' +
      "a process start with cmd.exe and request input (command runner), Assembly.Load next to a decryptor and " +
      "request input (Godzilla, Behinder, AntSword), or a socket with reGeorg's X-CMD header. The page ran on " +
      "this server even when its source has been deleted.",
    references: [REFS.msert, REFS.sigbase],
  },
} satisfies Record<string, CheckInfo>;

/** Printable ASCII runs and UTF-16LE runs of at least 4 characters, lower case, one per line. */
export function assemblyStrings(b: Buffer, max = 200_000): string {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < b.length && out.length < max; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f) cur += String.fromCharCode(c);
    else {
      if (cur.length >= 4) out.push(cur);
      cur = "";
    }
  }
  if (cur.length >= 4) out.push(cur);
  // UTF-16LE at both alignments: user strings need not start on an even offset of the file.
  for (const start of [0, 1]) {
    cur = "";
    for (let i = start; i + 1 < b.length && out.length < max; i += 2) {
      const c = b[i];
      if (b[i + 1] === 0 && c >= 0x20 && c < 0x7f) cur += String.fromCharCode(c);
      else {
        if (cur.length >= 4) out.push(cur);
        cur = "";
      }
    }
    if (cur.length >= 4) out.push(cur);
  }
  return out.join("\n").toLowerCase();
}

const REQUEST =
  /\bget_(?:form|querystring|item|params|headers|inputstream|cookies)\b|\bbinaryread\b|\bget_text\b/;
const RULES: { id: string; all: RegExp[]; what: string }[] = [
  {
    id: "compiled-jscript-eval-unsafe",
    all: [/jscriptevaluate|\beval\b/, /unsafe/, /\bget_item\b|\bget_request\b/],
    what: 'JScript eval with "unsafe"',
  },
  {
    id: "compiled-process-cmd-request",
    all: [/\bprocessstartinfo\b|\bprocess\b/, /cmd\.exe|powershell/, REQUEST],
    what: "process start with cmd.exe and request input",
  },
  {
    id: "compiled-decrypt-load-request",
    all: [/\bassembly\b/, /\bload\b/, /createdecryptor|transformfinalblock/, REQUEST],
    what: "Assembly.Load of decrypted request data",
  },
  {
    id: "compiled-socket-x-cmd",
    all: [/x-cmd|x-target/, /\bsocket\b/],
    what: "socket driven by reGeorg headers",
  },
];

function isCompiledPage(file: SweptFile): boolean {
  const name = (file.winPath ?? file.path).replaceAll("\\", "/").split("/").pop() ?? "";
  if (!/\.dll$/i.test(name)) return false;
  return /^app_web_/i.test(name) || file.folder === "temp-aspnet";
}

export const precompiledShell: ContentDetection = {
  type: "content",
  id: "webshell-precompiled",
  checks: [checks.precompiled],
  select: isCompiledPage,
  match(file) {
    // A PE whose first bytes are not MZ is not an assembly ASP.NET wrote.
    if (file.content.length < 64 || file.content[0] !== 0x4d || file.content[1] !== 0x5a) return null;
    const s = assemblyStrings(file.content);
    for (const r of RULES) {
      if (!r.all.every((re) => re.test(s))) continue;
      const m = r.all[1].exec(s);
      const d = sweptDraft(checks.precompiled.id, file, r.id, m ? m[0] : undefined);
      d.evidence.Why = r.what;
      d.evidence.Engine = "exhunt built-in";
      return d;
    }
    return null;
  },
};
