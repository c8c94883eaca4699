// Measures the web-shell content rules on two folders you assemble yourself (never inside this
// repository): one of web shells, one of benign pages of real ASP.NET applications. Every file is
// judged as if it lay in an ordinary IIS site outside every Exchange folder (C:\inetpub\evalsite\...,
// so code-behind files are judged as they would be in a web root), and only content decides (no
// Exchange placement, no IOC hashes). Prints detection rate, false positives, and every miss and false
// positive with the rule that fired, so a change can be measured rather than tuned.
// Usage: npx tsx scripts/webshell-eval.ts --shells DIR --benign DIR [--json FILE] [--quiet]
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createHuntContext } from "../src/detections/context.js";
import { checkInfo, detections } from "../src/detections/registry.js";
import { type ContentDetection, draftsOf, type SweptFile } from "../src/detections/types.js";
import { webFolderOf } from "../src/detections/webfolders.js";

const CONTENT_ONLY = detections.filter(
  (d): d is ContentDetection => d.type === "content" && !d.id.startsWith("ioc-") && d.id !== "yara",
);

const HUNT = createHuntContext();
const SITE = "C:\\inetpub\\evalsite\\";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) out.push(...walk(p));
    else if (s.isFile() && !/^(SOURCES|README)\b/i.test(name)) out.push(p);
  }
  return out.sort();
}

function sweptOf(abs: string, root: string): SweptFile {
  const content = readFileSync(abs);
  const winPath = `${SITE}${relative(root, abs).replaceAll("/", "\\")}`;
  let lower: string | null = null;
  return {
    path: relative(root, abs),
    winPath,
    size: content.length,
    mtime: statSync(abs).mtime.toISOString(),
    folder: webFolderOf(winPath),
    extraRoot: false,
    sha256: createHash("sha256").update(content).digest("hex"),
    sha1: null,
    md5: null,
    content,
    truncated: false,
    lower: () => {
      lower ??= content.toString("latin1").toLowerCase();
      return lower;
    },
  };
}

interface Verdict {
  file: string;
  strong: string[];
  weak: string[];
}

function judge(root: string): Verdict[] {
  return walk(root).map((abs) => {
    const f = sweptOf(abs, root);
    const strong: string[] = [];
    const weak: string[] = [];
    const c = { server: "EVAL", file: f.path, installPath: null, hunt: HUNT };
    for (const d of CONTENT_ONLY) {
      if (!d.select(f, c)) continue;
      for (const x of draftsOf(d.match(f, c))) {
        const effect = checkInfo(x.check)?.effect;
        const label = `${x.check}/${x.evidence.Rule}${x.line ? `@${x.line}` : ""}`;
        (effect === "compromise" ? strong : weak).push(label);
      }
    }
    return { file: f.path, strong, weak };
  });
}

const shellsDir = arg("--shells");
const benignDir = arg("--benign");
if (!shellsDir || !benignDir) {
  console.error("usage: npx tsx scripts/webshell-eval.ts --shells DIR --benign DIR [--json FILE] [--quiet]");
  process.exit(2);
}
const t0 = performance.now();
const shells = judge(shellsDir);
const benign = judge(benignDir);
const ms = performance.now() - t0;
const found = shells.filter((v) => v.strong.length > 0);
const weakOnly = shells.filter((v) => v.strong.length === 0 && v.weak.length > 0);
const fps = benign.filter((v) => v.strong.length > 0);
const benignWeak = benign.filter((v) => v.strong.length === 0 && v.weak.length > 0);
const pct = (n: number, d: number) => (d ? ((100 * n) / d).toFixed(1) : "0.0");
const quiet = process.argv.includes("--quiet");
if (!quiet) {
  for (const v of shells.filter((x) => x.strong.length === 0))
    console.log(`MISS  ${v.file}${v.weak.length ? `  (context only: ${v.weak.join(", ")})` : ""}`);
  for (const v of fps) console.log(`FP    ${v.file}  ${v.strong.join(", ")}`);
  for (const v of benignWeak) console.log(`CTX   ${v.file}  ${v.weak.join(", ")}`);
}
console.log(
  `web shells: ${found.length}/${shells.length} detected by content alone (${pct(found.length, shells.length)} %), ` +
    `${weakOnly.length} more listed as context only`,
);
console.log(
  `benign pages: ${fps.length}/${benign.length} false positives (${pct(fps.length, benign.length)} %), ` +
    `${benignWeak.length} listed as context (${pct(benignWeak.length, benign.length)} %)`,
);
console.log(`time: ${ms.toFixed(0)} ms for ${shells.length + benign.length} files`);
const json = arg("--json");
if (json) writeFileSync(json, `${JSON.stringify({ shells, benign }, null, 2)}\n`);
