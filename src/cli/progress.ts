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
