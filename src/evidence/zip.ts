// Collections as .zip (triage packages, Velociraptor offline collections): unpacked to a private
// temporary folder that is removed afterwards. Entry names that would escape the folder are refused,
// and size limits (total, per entry, compression ratio, entry count) stop zip bombs: the actual bytes
// written are counted, the sizes the archive declares are not trusted.
import { createWriteStream, statfsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import type { Skipped } from "../model/types.js";

export interface ZipLimits {
  /** Bytes written for the whole archive. */
  maxTotalBytes: number;
  /** Bytes written for one entry. */
  maxEntryBytes: number;
  /** Uncompressed / compressed, for entries larger than 1 MiB. */
  maxRatio: number;
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxTotalBytes: 64 * 2 ** 30,
  maxEntryBytes: 16 * 2 ** 30,
  // Deflate tops out near 1032:1, so only all-zero data (or a bomb) comes this close.
  maxRatio: 1000,
  maxEntries: 2_000_000,
};

/** Never fill the disk: keep 1 GiB free in the temporary folder whatever the limits say. */
function freeSpaceCap(dir: string): number {
  try {
    const s = statfsSync(dir);
    return Math.max(0, s.bavail * s.bsize - 2 ** 30);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export interface Unpacked {
  dir: string;
  skipped: Skipped[];
  entries: number;
  bytes: number;
  remove(): Promise<void>;
}

class LimitError extends Error {}

/** A safe relative path for an entry name, or a reason to refuse it. */
export function safeEntryPath(raw: string): { path: string } | { refuse: string } {
  if (raw.includes("\0")) return { refuse: "name contains a NUL byte" };
  const name = raw.replaceAll("\\", "/");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return { refuse: "absolute path" };
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) return { refuse: "path climbs out of the archive (..)" };
  if (parts.length === 0) return { refuse: "empty name" };
  return { path: parts.join("/") };
}

function decodeName(buf: Buffer, utf8Flag: boolean): string {
  const utf8 = buf.toString("utf8");
  if (utf8Flag || !utf8.includes("\uFFFD")) return utf8;
  return buf.toString("latin1"); // close enough to CP437 for the ASCII paths collectors write
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((ok, fail) =>
    yauzl.open(
      path,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true },
      (err, zip) => (err || !zip ? fail(err ?? new Error("cannot open")) : ok(zip)),
    ),
  );
}

function counter(limit: number, onBytes: (n: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      onBytes(chunk.length);
      if (seen > limit) cb(new LimitError(`entry grows past ${limit} bytes`));
      else cb(null, chunk);
    },
  });
}

/** Unpack `zipPath` into a new temporary folder. Problems with entries are returned as skipped. */
export async function unpackZip(zipPath: string, given: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<Unpacked> {
  const dir = await mkdtemp(join(tmpdir(), "exhunt-zip-"));
  const limits = { ...given, maxTotalBytes: Math.min(given.maxTotalBytes, freeSpaceCap(dir)) };
  const root = resolve(dir);
  const out: Unpacked = {
    dir,
    skipped: [],
    entries: 0,
    bytes: 0,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (e) {
    await out.remove();
    throw new Error(`not a readable zip archive: ${(e as Error).message}`);
  }
  try {
    await new Promise<void>((done, fail) => {
      let stopped = false;
      const stop = (e: Error | null) => {
        if (stopped) return;
        stopped = true;
        zip.close();
        if (e) fail(e);
        else done();
      };
      zip.on("error", (e: Error) => {
        out.skipped.push({
          file: "(archive)",
          reason: "corrupt",
          detail: `zip reading stopped: ${e.message}`,
        });
        stop(null);
      });
      zip.on("end", () => stop(null));
      zip.on("entry", (entry: yauzl.Entry) => {
        void (async () => {
          const raw = decodeName(
            entry.fileName as unknown as Buffer,
            (entry.generalPurposeBitFlag & 0x800) !== 0,
          );
          const isDir = raw.endsWith("/") || raw.endsWith("\\");
          const safe = safeEntryPath(raw);
          if ("refuse" in safe) {
            out.skipped.push({ file: raw, reason: "refused", detail: `zip entry refused: ${safe.refuse}` });
            return zip.readEntry();
          }
          const target = resolve(root, safe.path);
          if (!target.startsWith(root + sep)) {
            out.skipped.push({
              file: raw,
              reason: "refused",
              detail: "zip entry refused: resolves outside the folder",
            });
            return zip.readEntry();
          }
          if (isDir) {
            await mkdir(target, { recursive: true });
            return zip.readEntry();
          }
          out.entries++;
          if (out.entries > limits.maxEntries) {
            out.skipped.push({
              file: "(archive)",
              reason: "too-large",
              detail: `more than ${limits.maxEntries} entries: the rest was not unpacked`,
            });
            return stop(null);
          }
          const declared = entry.uncompressedSize;
          const ratioBad =
            declared > 2 ** 20 &&
            entry.compressedSize > 0 &&
            declared / entry.compressedSize > limits.maxRatio;
          if (declared > limits.maxEntryBytes || ratioBad || out.bytes + declared > limits.maxTotalBytes) {
            out.skipped.push({
              file: safe.path,
              reason: "too-large",
              detail: ratioBad
                ? `compression ratio above ${limits.maxRatio}:1 (zip bomb guard): not unpacked`
                : `declared ${declared} bytes exceeds the unpack limits (entry ${limits.maxEntryBytes}, total ${limits.maxTotalBytes} incl. free disk space): not unpacked`,
            });
            return zip.readEntry();
          }
          try {
            await mkdir(dirname(target), { recursive: true });
            const stream = await new Promise<NodeJS.ReadableStream>((ok, fail2) =>
              zip.openReadStream(entry, (err, s) =>
                err || !s ? fail2(err ?? new Error("no stream")) : ok(s),
              ),
            );
            const room = Math.min(limits.maxEntryBytes, limits.maxTotalBytes - out.bytes);
            await pipeline(
              stream,
              counter(room, (n) => {
                out.bytes += n;
              }),
              createWriteStream(target, { flags: "wx" }),
            );
            const t = entry.getLastModDate();
            await utimes(target, t, t).catch(() => undefined);
          } catch (e) {
            const err = e as Error;
            await rm(target, { force: true }).catch(() => undefined); // a partial entry is not evidence
            out.skipped.push({
              file: safe.path,
              reason: err instanceof LimitError ? "too-large" : "corrupt",
              detail: `zip entry not fully unpacked: ${err.message}`,
            });
          }
          zip.readEntry();
        })().catch((e: Error) => stop(e));
      });
      zip.readEntry();
    });
  } catch (e) {
    await out.remove();
    throw e;
  }
  return out;
}
