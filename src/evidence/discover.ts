// Find what to read in a server's evidence: walk the tree (no symlink loops, nothing modified), list
// every file with its Windows path, and recognise each log by its first bytes.
import { type Stats, statSync } from "node:fs";
import { type lstat, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import type { FileEntry } from "../model/records.js";
import type { Skipped } from "../model/types.js";
import { isLogCandidate } from "./classify.js";
import { type FolderOfFiles, InventoryFile } from "./file-entry.js";
import { installPathOf, windowsFolderOf } from "./layout.js";

export interface Inventory {
  files: FileEntry[];
  /** Files to open as possible logs (read tasks sniff their first bytes). */
  candidates: FileEntry[];
  skipped: Skipped[];
  /** Exchange install path as it was on the server, when the layout shows it. */
  installPath: string | null;
  bytes: number;
}

/** One place to read from, and how its files are named in the result. */
export interface EvidenceRoot {
  abs: string;
  /** Prefix for `file` in findings (empty for a copied tree; `C:/...` style for a live server). */
  relBase: string;
  /** Only this file (when the PATH given was a single log file). */
  only?: string;
  /** Known Windows path of `abs` on a live server (e.g. `C:\\inetpub`). */
  winBase?: string;
  /** Offer these files to file checks only; do not open them as logs (e.g. ProgramData on a live server). */
  filesOnly?: boolean;
  /** A folder that may be absent without that being a gap (e.g. C:\\root on a live server). */
  optional?: boolean;
}

function relJoin(base: string, name: string): string {
  return base ? `${base}/${name}` : name;
}

function withSep(dir: string): string {
  return dir.endsWith(sep) ? dir : dir + sep;
}

/** Where the names of a folder's files start in their relative paths. */
function cutOf(rel: string): number {
  return rel ? rel.length + 1 : 0;
}

/** What the files of the folder `dir` (relative path `rel`) of a root share. */
function folderOf(dir: string, rel: string, root: EvidenceRoot): FolderOfFiles {
  if (!root.winBase)
    return {
      absPrefix: withSep(dir),
      relCut: cutOf(rel),
      win: { how: "layout", prefix: windowsFolderOf(rel) },
    };
  const inRoot = rel.slice(cutOf(root.relBase));
  const prefix = `${root.winBase}\\${inRoot ? `${inRoot.split("/").join("\\")}\\` : ""}`;
  return { absPrefix: withSep(dir), relCut: cutOf(rel), win: { how: "base", prefix } };
}

/**
 * Walk the roots and classify every file. Never throws for a bad file; errors land in `skipped`.
 * `onBytes` hears the bytes found so far after each file (the engine starts its worker threads while
 * the walk goes on, once the evidence is large enough to need them).
 */
export async function discover(roots: EvidenceRoot[], onBytes?: (bytes: number) => void): Promise<Inventory> {
  const inv: Inventory = { files: [], candidates: [], skipped: [], installPath: null, bytes: 0 };
  const seenDirs = new Set<string>();

  const addFile = (abs: string, rel: string, root: EvidenceRoot, folder: FolderOfFiles): void => {
    let st: Stats;
    try {
      // Synchronous: on local disks a stat is a few microseconds and the promise costs more.
      st = statSync(abs);
    } catch (e) {
      inv.skipped.push({ file: rel, reason: "unreadable", detail: (e as Error).message });
      return;
    }
    if (!st.isFile()) {
      // Devices, FIFOs and sockets are never opened (a FIFO would block the scan).
      if (isLogCandidate(rel))
        inv.skipped.push({ file: rel, reason: "unreadable", detail: "not a regular file" });
      return;
    }
    const entry: FileEntry = new InventoryFile(rel, st.size, Math.round(st.mtimeMs), folder);
    inv.files.push(entry);
    inv.bytes += st.size;
    onBytes?.(inv.bytes);
    if (!inv.installPath && !root.winBase) inv.installPath = installPathOf(rel);
    if (!root.filesOnly && isLogCandidate(rel)) inv.candidates.push(entry);
  };

  const walk = async (dir: string, rel: string, root: EvidenceRoot): Promise<void> => {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (e) {
      inv.skipped.push({ file: rel || ".", reason: "unreadable", detail: (e as Error).message });
      return;
    }
    if (seenDirs.has(real)) {
      inv.skipped.push({
        file: rel || ".",
        reason: "loop",
        detail: "folder already visited through a link: not read twice",
      });
      return;
    }
    seenDirs.add(real);
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      inv.skipped.push({ file: rel || ".", reason: "unreadable", detail: (e as Error).message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: [string, string][] = [];
    const folder = folderOf(dir, rel, root);
    for (const d of entries) {
      const abs = join(dir, d.name);
      const r = relJoin(rel, d.name);
      let isDir = d.isDirectory();
      if (d.isSymbolicLink()) {
        try {
          isDir = (await stat(abs)).isDirectory();
        } catch (e) {
          inv.skipped.push({ file: r, reason: "unreadable", detail: `broken link: ${(e as Error).message}` });
          continue;
        }
      }
      if (isDir) await walk(abs, r, root);
      else if (d.isFile() || d.isSymbolicLink()) files.push([abs, r]);
    }
    for (const [abs, r] of files) addFile(abs, r, root, folder);
  };

  for (const root of roots) {
    if (root.only) {
      const win: FolderOfFiles["win"] = root.winBase
        ? { how: "base", prefix: `${root.winBase}\\` }
        : { how: "whole" };
      const folder = { absPrefix: withSep(root.abs), relCut: cutOf(root.relBase), win };
      addFile(join(root.abs, root.only), relJoin(root.relBase, root.only), root, folder);
      continue;
    }
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await stat(root.abs);
    } catch (e) {
      if (!root.optional)
        inv.skipped.push({
          file: root.relBase || root.abs,
          reason: "not-found",
          detail: (e as Error).message,
        });
      continue;
    }
    if (st.isDirectory()) await walk(root.abs, root.relBase, root);
    else {
      const rel = relJoin(root.relBase, basename(root.abs));
      const win: FolderOfFiles["win"] = root.winBase
        ? { how: "base", prefix: `${root.winBase}\\${basename(root.abs)}` }
        : { how: "whole" };
      addFile(root.abs, rel, root, { absPrefix: root.abs, relCut: rel.length, win });
    }
  }
  return inv;
}
