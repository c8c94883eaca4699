// Shared test helpers: temporary folders, the shared corpus, and running the CLI.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/**
 * The read-only shared corpus next to the project. Outside CI, tests that need it skip visibly without
 * it; in CI (CI=true) they never skip: they run and fail, and test/shared.test.ts says why.
 */
export const SHARED = resolve(ROOT, "..", "shared");
export const CORPUS = join(SHARED, "corpus");
export const HAVE_CORPUS = existsSync(CORPUS);
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
export const NO_CORPUS: string | false =
  HAVE_CORPUS || IN_CI ? false : "../shared/corpus not found: corpus conformance skipped";

export function tempDir(t: { after(fn: () => void): void }, prefix = "exhunt-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file at `name` (subfolders made) in a fresh temporary folder removed after the test; its path. */
export function tempFile(t: { after(fn: () => void): void }, name: string, content: string | Buffer): string {
  const p = join(tempDir(t), name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI run: NO_COLOR so output is plain, and no parsed-Sigma-rule cache, so that
 * tests never write into the user's cache folder (test/sigma/cache.test.ts gives it a temp folder).
 */
const CLI_ENV = { NO_COLOR: "1", EXHUNT_SIGMA_CACHE: "off" };

/** Run the CLI from source (through tsx). */
export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...CLI_ENV, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** runCli without blocking this process: for a CLI that talks to servers the test itself runs. */
export function runCliAsync(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), ...args], {
      env: { ...process.env, ...CLI_ENV },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

import { createHuntContext, type HuntContext } from "../src/detections/context.js";
import type { MatchContext } from "../src/detections/types.js";
import type { LogKind, LogRow } from "../src/model/records.js";
import { type RowSink, scanFileDelimited } from "../src/readers/delimited.js";
import { familyOf, mappedField } from "../src/readers/fields.js";
import type { Dialect, LiteralPlan } from "../src/readers/types.js";
import { MAX_LITERALS } from "../src/readers/wasm/multi.js";

/** A LogRow built from named values, for detection unit tests (the readers have their own tests). */
export function fakeRow(
  kind: LogKind,
  values: Record<string, string>,
  opts: { line?: number; text?: string; time?: string | null } = {},
): LogRow {
  const names = Object.keys(values);
  const get = (f: string) =>
    values[f] ?? Object.entries(values).find(([k]) => k.toLowerCase() === f.toLowerCase())?.[1];
  return {
    kind,
    family: familyOf(kind),
    field: (name) => mappedField(kind, name, get),
    line: opts.line ?? 1,
    fieldCount: names.length,
    headerCount: names.length,
    get,
    text: () => opts.text ?? names.map((n) => values[n]).join(","),
    time: () => (opts.time !== undefined ? opts.time : (values.DateTime ?? values.TimeStamp ?? null)),
  };
}

export function ctx(
  file = "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
  installPath: string | null = null,
  hunt: HuntContext = createHuntContext(),
): MatchContext {
  return { server: "TEST", file, installPath, hunt };
}

/** The plan with enough extra literals that the one-pass search refuses it: the indexOf path. */
export function indexOfPlan(plan: LiteralPlan): LiteralPlan {
  const pad = Array.from({ length: MAX_LITERALS + 1 - plan.literals.length }, (_, i) => ({
    bytes: Buffer.from(`\u0001pad${i}\u0001`),
    consumers: [],
  }));
  return { ...plan, literals: [...plan.literals, ...pad] };
}

/** A whole log file of `kind` through the real delimited reader and `plan`, each row to `sink`. */
export function scanWholeFile(
  abs: string,
  kind: LogKind,
  dialect: Dialect,
  plan: LiteralPlan,
  sink: RowSink,
): void {
  const size = statSync(abs).size;
  scanFileDelimited(
    abs,
    {
      start: 0,
      end: size,
      header: null,
      kind,
      preamble: { software: null, version: null, logType: null, date: null },
    },
    dialect,
    plan,
    sink,
    size,
  );
}
