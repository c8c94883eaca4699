// A progress line on stderr, only when stderr is a terminal (never in pipes, files or CI logs).
import type { Progress } from "../index.js";

export function progressBar(stream: NodeJS.WriteStream = process.stderr): {
  update(p: Progress): void;
  done(): void;
} {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  const start = Date.now();
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.phase !== "done") return;
      last = now;
      const width = 28;
      const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
      const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
      const secs = (now - start) / 1000;
      const mbs = secs > 0 ? (p.bytesDone / 2 ** 20 / secs).toFixed(0) : "0";
      const label =
        p.phase === "discover" ? "finding evidence" : `${p.filesDone}/${p.filesTotal} files ${mbs} MB/s`;
      const name = p.server.replace(/[^\x20-\x7e]/g, "?").slice(0, 24);
      stream.write(`\r\x1b[2K${name} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${label}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}

/** A counter for fleet-wide work (imports, exports) on stderr; nothing when stderr is not a terminal. */
export interface CountProgress {
  /** Whether anything is shown (callers skip counting a total otherwise). */
  active: boolean;
  /** `done` items of `total` (null: not known yet). */
  update(done: number, total: number | null): void;
  done(): void;
}

export function countProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  wanted = true,
): CountProgress {
  if (!wanted || !stream.isTTY) return { active: false, update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    active: true,
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      const n = done.toLocaleString("en-US");
      if (total && total > 0) {
        const width = 28;
        const frac = Math.min(1, done / total);
        const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
        stream.write(
          `\r\x1b[2K${label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${n}/${total.toLocaleString("en-US")}`,
        );
      } else stream.write(`\r\x1b[2K${label} ${n}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}
