// China Chopper and its HAFNIUM variants: a one-line JScript page that evals request data with the
// "unsafe" flag, the FromBase64String-decoding variant, and the C# file writers (signature-base
// apt_hafnium.yar: Chopper_WebShell, Chopper_Mar21_3/_4; CISA MAR-10328929).
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { inScope, isServerScript, REFS, snippet, squeeze, sweptDraft } from "./common.js";

export const checks = {
  chopper: {
    id: "webshell-chopper",
    title: "China Chopper web shell",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "critical",
    effect: "compromise",
    description:
      'Server-side code that evaluates request data as JScript with the "unsafe" flag ' +
      '(`eval(Request.Item["x"],"unsafe")`), its Base64 variant, or a C# page that writes request data ' +
      "to a file (`StreamWriter(Request.Form[...])`, `Request.Files[0].SaveAs(Server.MapPath(...))`). " +
      "This is the shell HAFNIUM and later groups dropped through CVE-2021-26858/27065.",
    references: [REFS.msBlog, REFS.sigbase, REFS.cisa],
  },
} satisfies Record<string, CheckInfo>;

/** Each variant: strings that must all occur (in the text without whitespace), and where to quote from. */
const VARIANTS: { name: string; all: string[]; at: string }[] = [
  { name: 'jscript eval(Request ... "unsafe")', all: ["eval(request", "unsafe"], at: "eval" },
  {
    name: "jscript eval(Encoding...FromBase64String(Request",
    all: ["eval(system.text.encoding", "frombase64string(request"],
    at: "eval",
  },
  {
    name: "C# StreamWriter(Request.Form[...]) writer",
    all: ["streamwriter(request.form["],
    at: "streamwriter",
  },
  {
    name: "C# Request.Files[..].SaveAs(Server.MapPath(...)) writer",
    all: ["request.files[", ".saveas(server.mappath("],
    at: "request.files",
  },
];

export const chopper: ContentDetection = {
  type: "content",
  id: "webshell-chopper",
  checks: [checks.chopper],
  select: inScope,
  match(file) {
    if (!isServerScript(file)) return null;
    const t = file.lower();
    if (!t.includes("eval") && !t.includes("streamwriter") && !t.includes("saveas")) return null;
    const s = squeeze(t);
    for (const v of VARIANTS) {
      if (!v.all.every((x) => s.includes(x))) continue;
      const at = Math.max(0, t.indexOf(v.at));
      return sweptDraft(checks.chopper.id, file, v.name, snippet(file, at, 60));
    }
    return null;
  },
};
