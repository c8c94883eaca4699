// .NET file browsers and managers (C# or VB in a page or handler): System.IO used on paths the request
// chooses from their start. The classic ASP counterpart is asp-files.ts, and the reasoning is the same:
// an application keeps its files under its own root (Server.MapPath, Path.Combine of a configured
// folder) and does one thing with them; a file manager lets the caller pick any path on the disk and do
// two or more kinds of thing with it (list, read, write, delete). Offering the machine's drives
// (DriveInfo.GetDrives, GetLogicalDrives) next to a request-chosen path is listing the disk.
import { callArgs, escapeRe } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal } from "./signals.js";

type FileKind = "list" | "read" | "write" | "delete";

const IO = String.raw`(?:system\s*\.\s*io\s*\.\s*)?`;

/** Static System.IO calls, what each does, and which arguments are paths. */
const CALLS: { re: RegExp; kind: FileKind | ((args: string[]) => FileKind); paths: number[] }[] = [
  {
    re: new RegExp(
      String.raw`(?<![\w.])${IO}directory\s*\.\s*(?:get|enumerate)(?:files|directories|filesystementries)\s*\(`,
      "g",
    ),
    kind: "list",
    paths: [0],
  },
  {
    re: new RegExp(
      String.raw`(?<![\w.])${IO}file\s*\.\s*(?:readall(?:text|bytes|lines)|readlines|openread|opentext)\s*\(|response\s*\.\s*(?:writefile|transmitfile)\s*\(`,
      "g",
    ),
    kind: "read",
    paths: [0],
  },
  {
    re: new RegExp(
      String.raw`(?<![\w.])${IO}file\s*\.\s*(?:writeall(?:text|bytes|lines)|appendall(?:text|lines)|appendtext|create(?:text)?|openwrite|set(?:attributes|(?:creation|lastwrite|lastaccess)time(?:utc)?)|encrypt|decrypt)\s*\(|(?<![\w.])${IO}directory\s*\.\s*(?:createdirectory|set(?:creation|lastwrite|lastaccess)time(?:utc)?)\s*\(|new\s+${IO}streamwriter\s*\(|\.\s*saveas\s*\(`,
      "g",
    ),
    kind: "write",
    paths: [0],
  },
  {
    // Copy and move write the destination; either end chosen by the caller is enough.
    re: new RegExp(String.raw`(?<![\w.])${IO}(?:file|directory)\s*\.\s*(?:copy|move|replace)\s*\(`, "g"),
    kind: "write",
    paths: [0, 1],
  },
  {
    re: new RegExp(String.raw`(?<![\w.])${IO}(?:file|directory)\s*\.\s*delete\s*\(`, "g"),
    kind: "delete",
    paths: [0],
  },
  {
    re: new RegExp(String.raw`new\s+${IO}streamreader\s*\(`, "g"),
    kind: "read",
    paths: [0],
  },
  {
    // A FileStream reads unless its mode creates, appends or truncates.
    re: new RegExp(String.raw`new\s+${IO}filestream\s*\(`, "g"),
    kind: (args) => (/create|append|truncate/.test(args[1] ?? "") ? "write" : "read"),
    paths: [0],
  },
];

/** `new FileInfo(p)` / `new DirectoryInfo(p)`: an object standing for the path. */
const INFO = new RegExp(String.raw`new\s+${IO}(?:fileinfo|directoryinfo)\s*\(`, "g");
/** Members of a FileInfo/DirectoryInfo and what each does to its path. */
const INFO_MEMBERS: [RegExp, FileKind][] = [
  [/^(?:get|enumerate)(?:files|directories|filesysteminfos)\s*\(/, "list"],
  [/^(?:openread|opentext|open)\s*\(/, "read"],
  [/^delete\s*\(/, "delete"],
  [
    /^(?:moveto|copyto|create(?:text|subdirectory)?|appendtext|openwrite|replace|encrypt|decrypt)\s*\(|^(?:attributes|(?:creation|lastwrite|lastaccess)time(?:utc)?)\s*=(?!=)/,
    "write",
  ],
];
/** The name given the object: C# `var d = new …`, `DirectoryInfo d = new …`, VB `Dim d As New …`/`d = New …`. */
const BOUND = /(?:\bdim\s+([a-z_]\w*)\s+as\s+|([a-z_]\w*)\s*=\s*)$/;
const DRIVES = /driveinfo\s*\.\s*getdrives\s*\(|(?:directory|environment)\s*\.\s*getlogicaldrives\s*\(/;
/** Arguments that are the request's own streams or posted files, not paths. */
const NOT_A_PATH = /inputstream|outputstream|\.\s*files\s*[[(.]|postedfile|filecontent|\bstream\b/;

export interface DotnetFileInput {
  norm: Normalised;
  /** Whether request data decides the path from its start (at `at`: the values names hold there). */
  rooted: (expr: string, at?: number) => boolean;
}

function infoKind(rest: string): FileKind | null {
  for (const [re, kind] of INFO_MEMBERS) if (re.test(rest)) return kind;
  return null;
}

/** The signals of .NET file managers: two kinds of file operation on request-chosen paths, or listing one. */
export function dotnetFileSignals({ norm, rooted }: DotnetFileInput): Signal[] {
  const t = norm.text;
  const kinds = new Map<FileKind, number>();
  const reach = (kind: FileKind, at: number) => {
    if (!kinds.has(kind)) kinds.set(kind, norm.lineAt(at));
  };
  const isPath = (a: string | undefined, at: number): boolean => !!a && !NOT_A_PATH.test(a) && rooted(a, at);
  for (const c of CALLS) {
    for (const m of t.matchAll(c.re)) {
      const args = callArgs(t, m.index + m[0].length - 1);
      if (!c.paths.some((i) => isPath(args[i], m.index))) continue;
      reach(typeof c.kind === "string" ? c.kind : c.kind(args), m.index);
    }
  }
  const objects: string[] = [];
  for (const m of t.matchAll(INFO)) {
    const args = callArgs(t, m.index + m[0].length - 1);
    if (!isPath(args[0], m.index)) continue;
    // `new DirectoryInfo(p).GetFiles()`: the member right after the call.
    const close = t.indexOf(")", m.index + m[0].length + args[0].length);
    const inline = close >= 0 ? /^\)\s*\.\s*(.{0,40})/.exec(t.slice(close, close + 60)) : null;
    const k = inline ? infoKind(inline[1]) : null;
    if (k) reach(k, m.index);
    const bound = BOUND.exec(t.slice(Math.max(0, m.index - 80), m.index));
    const name = bound?.[1] ?? bound?.[2];
    if (name) objects.push(name);
  }
  if (objects.length) {
    const re = new RegExp(String.raw`(?<![\w.])(?:${objects.map(escapeRe).join("|")})\s*\.\s*`, "g");
    for (const m of t.matchAll(re)) {
      const k = infoKind(t.slice(m.index + m[0].length, m.index + m[0].length + 40));
      if (k) reach(k, m.index);
    }
  }
  const drives = kinds.size ? DRIVES.exec(t) : null;
  if (drives) reach("list", drives.index);
  if (kinds.size >= 2)
    return [
      {
        rule: "dotnet-file-manager",
        line: Math.min(...kinds.values()),
        points: 10,
        what: `System.IO on paths the request chooses from their start: ${[...kinds.keys()].join(", ")}`,
      },
    ];
  if (kinds.has("list") || kinds.has("read")) {
    const list = kinds.has("list");
    return [
      {
        rule: "dotnet-request-path",
        line: [...kinds.values()][0],
        points: list ? 6 : 4,
        what: `System.IO ${list ? "lists" : "reads"} a path the request chooses from its start (not under the site root)`,
      },
    ];
  }
  return [];
}
