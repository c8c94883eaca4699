// The classic ASP techniques (VBScript and JScript, in `<% %>` or `<script runat="server">` blocks) that
// the generic sinks do not weigh: file managers and download pages (asp-files.ts), SQL consoles and
// xp_cmdshell (asp-sql.ts), downloaders and requests to local admin ports (asp-net-requests.ts). Their
// signals join the sink signals; those that are flows add their kind to `flows` and `sinks`.
import { aspFileSignals } from "./asp-files.js";
import { aspHttpSignals } from "./asp-net-requests.js";
import { rootedChecker } from "./asp-objects.js";
import { aspSqlSignals } from "./asp-sql.js";
import type { Normalised } from "./normalise.js";
import type { Signal, SinkKind } from "./signals.js";

/** Words one of which each technique needs: a cheap test before any of them runs. */
const ASP_WORDS = /filesystemobject|loadfromfile|adodb|xp_cmdshell|xmlhttp|winhttp|conn\w*\s*\.\s*execute\b/;

export function aspSignals(
  norm: Normalised,
  tainted: RegExp,
  flows: Set<SinkKind>,
  sinks: Set<SinkKind>,
): Signal[] {
  const t = norm.text;
  if (!ASP_WORDS.test(t) || !tainted.test(t)) return [];
  const rooted = rootedChecker(t, tainted);
  const out = [
    ...aspFileSignals({ norm, rooted }),
    ...aspSqlSignals({ norm, tainted, rooted }),
    ...aspHttpSignals({ norm, tainted }),
  ];
  for (const s of out)
    if (s.kind) {
      sinks.add(s.kind);
      if (s.flow) flows.add(s.kind);
    }
  return out;
}
