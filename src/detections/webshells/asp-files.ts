// Classic ASP file browsers and managers (VBScript or JScript): the Scripting.FileSystemObject and
// ADODB.Stream used on paths the request chooses from their start. Applications keep their files under
// their own root (Server.MapPath, a configured folder) and do one thing with them (a guestbook appends
// to its own file, a gallery lists its own album); a file manager lets the caller pick any path and do
// two or more kinds of thing with it (list, read, write, delete), and a download page that streams any
// path the caller names is an arbitrary file read.
import { argumentAt, methodCalls, objectNames } from "./asp-objects.js";
import { escapeRe } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal } from "./signals.js";

type FileKind = "list" | "read" | "write" | "delete";

const FSO = /^scripting\.filesystemobject$/;
const FSO_ID = String.raw`scripting\.filesystemobject`;
const STREAM = /^adodb\.stream$/;
/** FileSystemObject methods and what each does to the path in its first argument. */
const FSO_METHODS: Record<string, FileKind> = {
  getfolder: "list",
  getfile: "read",
  opentextfile: "read",
  createtextfile: "write",
  copyfile: "write",
  movefile: "write",
  copyfolder: "write",
  movefolder: "write",
  createfolder: "write",
  deletefile: "delete",
  deletefolder: "delete",
};
/** Methods of a File/Folder object got from a request path (`Set f = fso.GetFile(p)`). */
const ITEM_METHODS: Record<string, FileKind> = {
  files: "list",
  subfolders: "list",
  openastextstream: "read",
  copy: "write",
  move: "write",
  delete: "delete",
};

/** `name = receiver.` just before a method: the name given what the method returns. */
const BOUND_BEFORE = /([a-z_]\w*)\s*=\s*[a-z_]\w*\s*\.\s*$/;

export interface FileManagerInput {
  norm: Normalised;
  rooted: (expr: string) => boolean;
}

/** OpenTextFile's mode (second argument): 2 ForWriting and 8 ForAppending write, else it reads. */
function openMode(args: string): FileKind {
  const mode = argumentAt(args, 1);
  return /^(?:2|8|forwriting|forappending)$/.test(mode) ? "write" : "read";
}

/** The signals of classic ASP file managers and download pages. */
export function aspFileSignals({ norm, rooted }: FileManagerInput): Signal[] {
  const t = norm.text;
  const out: Signal[] = [];
  const kinds = new Map<FileKind, number>();
  const reach = (kind: FileKind, at: number) => {
    if (!kinds.has(kind)) kinds.set(kind, norm.lineAt(at));
  };
  if (t.includes("filesystemobject")) {
    const fso = objectNames(t, FSO);
    const items: string[] = [];
    for (const c of methodCalls(t, fso, FSO_ID, Object.keys(FSO_METHODS))) {
      const path = argumentAt(c.args, 0);
      if (!rooted(path)) continue;
      reach(c.method === "opentextfile" ? openMode(c.args) : FSO_METHODS[c.method], c.at);
      // `Set f = fso.GetFile(p)`: the name now stands for the caller's file or folder.
      const bound = BOUND_BEFORE.exec(t.slice(Math.max(0, c.at - 80), c.at));
      if (bound) items.push(bound[1]);
    }
    const itemNames = items.filter((n) => !fso.includes(n));
    if (itemNames.length) {
      const re = new RegExp(
        String.raw`(?<![.\w])(?:${itemNames.map(escapeRe).join("|")})\s*\.\s*(${Object.keys(ITEM_METHODS).join("|")})\b`,
        "g",
      );
      for (const m of t.matchAll(re)) reach(ITEM_METHODS[m[1]], m.index);
    }
    // Every drive of the machine offered next to a request-chosen path: the disk, not a site folder.
    const drives = fso.length
      ? new RegExp(String.raw`(?<![.\w])(?:${fso.map(escapeRe).join("|")})\s*\.\s*drives\b`).exec(t)
      : null;
    if (drives && kinds.size) reach("list", drives.index);
  }
  // ADODB.Stream LoadFromFile of a request path, sent back with Response.BinaryWrite: any file downloaded.
  if (t.includes("loadfromfile")) {
    const streams = objectNames(t, STREAM);
    const load = [...methodCalls(t, streams, String.raw`adodb\.stream`, ["loadfromfile"])].find((c) =>
      rooted(argumentAt(c.args, 0)),
    );
    if (load) {
      reach("read", load.at);
      if (/response\s*\.\s*binarywrite\b/.test(t))
        out.push({
          rule: "asp-request-file-download",
          line: norm.lineAt(load.at),
          points: 8,
          what: "ADODB.Stream loads a file the request names from its start and sends it (any file downloaded)",
        });
    }
  }
  if (kinds.size >= 2) {
    const line = Math.min(...kinds.values());
    out.push({
      rule: "asp-file-manager",
      line,
      points: 10,
      what: `FileSystemObject/ADODB.Stream on paths the request chooses: ${[...kinds.keys()].join(", ")}`,
    });
  } else if (kinds.has("list") || kinds.has("read")) {
    // One kind alone: listing any folder the caller names is browsing the disk (6); reading one file
    // is what a download page with a traversal bug also does (4).
    const list = kinds.has("list");
    out.push({
      rule: "asp-request-path",
      line: [...kinds.values()][0],
      points: list ? 6 : 4,
      what: `FileSystemObject ${list ? "lists" : "reads"} a path the request chooses from its start (not under the site root)`,
    });
  }
  return out;
}
