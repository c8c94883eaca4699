// Turn what the user named on the command line into servers to scan: one server per PATH (a copied
// tree, a bare Logging folder, a single log file or a .zip collection), or one per subfolder with
// --each, or the local Exchange server when no PATH is given on Windows.
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Skipped } from "../model/types.js";
import type { EvidenceRoot } from "./discover.js";
import { unpackZip, type ZipLimits } from "./zip.js";

export interface ServerTarget {
  name: string;
  /** What the user named (shown as `root` in the result). */
  root: string;
  roots: EvidenceRoot[];
  /** Problems met before discovery (refused zip entries, ...). */
  skipped: Skipped[];
  live: boolean;
  installPath: string | null;
  /** Removes temporary files made for this target (unpacked zip). */
  cleanup(): Promise<void>;
}

import { UsageError } from "../model/errors.js";

export { UsageError };

function serverNameOf(path: string): string {
  const b = basename(resolve(path)).replace(/\.zip$/i, "");
  return b || "server";
}

/** Resolve one PATH. Throws UsageError when it does not exist. */
export async function targetFor(path: string, zipLimits?: ZipLimits): Promise<ServerTarget> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new UsageError(`no such file or folder: ${path}`);
  }
  const base = {
    name: serverNameOf(path),
    root: path,
    skipped: [] as Skipped[],
    live: false,
    installPath: null,
  };
  if (st.isDirectory()) {
    return { ...base, roots: [{ abs: resolve(path), relBase: "" }], cleanup: async () => undefined };
  }
  if (/\.zip$/i.test(path)) {
    const unpacked = await unpackZip(path, zipLimits);
    return {
      ...base,
      roots: [{ abs: unpacked.dir, relBase: "" }],
      skipped: unpacked.skipped,
      cleanup: () => unpacked.remove(),
    };
  }
  // A single file: its folder is the root, the file the only thing read.
  return {
    ...base,
    name: serverNameOf(dirname(resolve(path))),
    roots: [{ abs: dirname(resolve(path)), relBase: "", only: basename(path) }],
    cleanup: async () => undefined,
  };
}

/** Every subfolder (and .zip file) of DIR, as one server each, sorted by name. */
export async function eachIn(dir: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new UsageError(`--each: not a readable folder: ${dir}`);
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    if (e.isSymbolicLink())
      isDir = await stat(p).then(
        (s) => s.isDirectory(),
        () => false,
      );
    if (isDir || (e.isFile() && /\.zip$/i.test(e.name))) out.push(p);
  }
  return out.sort();
}
