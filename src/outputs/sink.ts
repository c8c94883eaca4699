// Where a writer's text goes: a file or stdout (`-`), written in 64 KiB pieces with backpressure, so
// that a writer can hand over a result finding by finding and memory stays flat however large the run.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { Writable } from "node:stream";

export interface Sink {
  /** The target as given (`-` for stdout), for messages. */
  readonly target: string;
  /** Queues text; waits only when the queue was flushed into a stream that is full. */
  write(text: string): Promise<void>;
  /** Flushes and closes (stdout is flushed, never closed). */
  close(): Promise<void>;
  /** After a failed run: drops what is queued, closes, and removes the file (stdout: drops only). */
  discard(): Promise<void>;
}

const FLUSH_AT = 64 * 1024;

function waitFor(stream: Writable, event: string): Promise<void> {
  return new Promise((ok) => {
    const done = () => {
      stream.off(event, done);
      stream.off("error", done);
      ok();
    };
    stream.on(event, done);
    stream.on("error", done);
  });
}

function bufferedSink(
  target: string,
  stream: Writable,
  finish: () => Promise<void>,
  remove: () => Promise<void>,
): Sink {
  let failed: Error | null = null;
  // A stream error (disk full, EPIPE) is kept and thrown by the next write, never left unhandled.
  stream.on("error", (e) => {
    failed ??= e;
  });
  let pending: string[] = [];
  let size = 0;
  const check = () => {
    if (failed)
      throw new Error(
        `cannot write ${target === "-" ? "stdout" : target}: ${(failed as NodeJS.ErrnoException).code ?? failed.message}`,
      );
  };
  const flush = async () => {
    check();
    if (size === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    if (!stream.write(text)) await waitFor(stream, "drain");
    check();
  };
  return {
    target,
    async write(text) {
      pending.push(text);
      size += text.length;
      if (size >= FLUSH_AT) await flush();
    },
    async close() {
      await flush();
      await finish();
      check();
    },
    async discard() {
      pending = [];
      size = 0;
      await finish().catch(() => {});
      await remove().catch(() => {});
    },
  };
}

/** A file (created or truncated now, so that an unwritable path fails before any work) or stdout. */
export async function openSink(target: string, stdout: Writable = process.stdout): Promise<Sink> {
  if (target === "-")
    return bufferedSink(
      target,
      stdout,
      () => new Promise<void>((ok) => stdout.write("", () => ok())),
      async () => {},
    );
  const stream = createWriteStream(target);
  await new Promise<void>((ok, fail) => {
    stream.once("open", () => ok());
    stream.once("error", (e) =>
      fail(new Error(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
    );
  });
  return bufferedSink(
    target,
    stream,
    () => new Promise<void>((ok) => (stream.writableFinished ? ok() : stream.end(() => ok()))),
    () => rm(target, { force: true }),
  );
}

/** Writes every piece of an iterable (rows of a table, lines of a file) to a sink. */
export async function writeAll(sink: Sink, pieces: Iterable<string>): Promise<void> {
  for (const p of pieces) await sink.write(p);
}
