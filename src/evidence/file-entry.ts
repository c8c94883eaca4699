// One file of the inventory, kept small: a walk of a large disk lists hundreds of thousands of files
// and keeps them to the end of the scan. The relative path is the one string stored per file; the
// absolute path and the Windows path are made from the folder's (shared by all its files) when asked.
import type { FileEntry } from "../model/records.js";
import { windowsPathIn, windowsPathOf } from "./layout.js";

/** What the files of one folder share. */
export interface FolderOfFiles {
  /** Absolute path of the folder with a trailing separator ("" when `relCut` covers no name). */
  absPrefix: string;
  /** Length of the folder's part of each file's relative path (the name starts there). */
  relCut: number;
  /**
   * How the Windows path is made: "layout" from the relative path (`prefix` is windowsFolderOf of the
   * folder); "base" from a known Windows folder (`prefix` ends with a backslash); "whole" by
   * windowsPathOf on each file's whole relative path.
   */
  win: { how: "layout"; prefix: string | null } | { how: "base"; prefix: string } | { how: "whole" };
}

export class InventoryFile implements FileEntry {
  constructor(
    readonly path: string,
    readonly size: number,
    /** Last write time, whole milliseconds since the epoch (as fs.Stats.mtime has it). */
    readonly mtimeMs: number,
    private readonly folder: FolderOfFiles,
  ) {}

  get abs(): string {
    return this.folder.absPrefix + this.path.slice(this.folder.relCut);
  }

  get mtime(): string {
    return new Date(this.mtimeMs).toISOString();
  }

  get winPath(): string | null {
    const w = this.folder.win;
    const name = this.path.slice(this.folder.relCut);
    if (w.how === "layout") return windowsPathIn(w.prefix, this.path, name);
    if (w.how === "base") return w.prefix + name.replaceAll("/", "\\");
    return windowsPathOf(this.path).path;
  }
}
