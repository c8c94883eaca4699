// Benchmark: the web-shell file sweep over >= 50,000 files / >= 2 GB of web folders (mostly benign
// Exchange-like pages, scripts, styles, images and DLLs, a few planted inert shells), with the built-in
// rules and with a YARA rule set, against Debian's `yara -r` on the same folder with the same rules.
// With --pages DIR the tree is instead real pages: the files of DIR (e.g. the pages of real ASP.NET
// applications, kept outside the repository) copied round-robin into IIS site folders until --files,
// and yara -r also carries the shipped signature-base rules; that run is recorded as the lane
// `sweep-real-pages`. --out DIR puts the generated tree elsewhere than .bench/.
// Usage: npx tsx bench/sweep.bench.ts [--quick] [--files N] [--mb N] [--runs N] [--pages DIR] [--out DIR]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { rng } from "../examples/generate.js";
import { median, numArg, pair, type Run, recordLane, runOnce, table, which } from "./lib.js";

const quick = process.argv.includes("--quick");
const FILES = numArg("--files", quick ? 5_000 : 50_000);
const TARGET_MB = numArg("--mb", quick ? 200 : 2_100);
const RUNS = numArg("--runs", quick ? 3 : 3);
const VERSION = "sweep-v2";
const strArg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const PAGES = strArg("--pages");
const OUT = strArg("--out") ?? join(process.cwd(), ".bench");
const BASE = join(OUT, PAGES ? `sweep-pages-${FILES}` : `sweep-${FILES}-${TARGET_MB}`);
/** The signature-base rule files exhunt ships (it runs them on pages whenever yara-x loads). */
const SHIPPED_DIR = join(process.cwd(), "data/rules/signature-base");
const SHIPPED = readdirSync(SHIPPED_DIR)
  .filter((f) => f.endsWith(".yar"))
  .sort()
  .map((f) => join(SHIPPED_DIR, f));
const ROOT = join(BASE, "EXCH01");
const RULES = join(BASE, "rules.yar");

const FE = "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy";
const CA = "C/Program Files/Microsoft/Exchange Server/V15/ClientAccess";
/** Folders of a real server's web content (where files go), with a weight. */
const FOLDERS: [string, number][] = [
  [`${FE}/owa/auth/15.1.2176/scripts/premium`, 2],
  [`${FE}/owa/auth/15.1.2176/themes/resources`, 2],
  [`${FE}/owa/auth/Current/themes/resources`, 1],
  [`${CA}/Owa/prem/15.1.2176/scripts`, 8],
  [`${CA}/Owa/prem/15.1.2176/resources/images`, 6],
  [`${CA}/ecp/15.1.2176/scripts`, 6],
  [`${CA}/ecp/15.1.2176/themes/default`, 4],
  [`${CA}/ecp/Reporting`, 3],
  [`${CA}/ecp/Organize`, 3],
  [`${CA}/ecp/bin`, 1],
  ["C/inetpub/wwwroot", 1],
  ["C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/7a1b/3c2d", 2],
];
const KINDS: { ext: string; text: boolean; weight: number; mean: number }[] = [
  { ext: "js", text: true, weight: 30, mean: 60_000 },
  { ext: "css", text: true, weight: 12, mean: 20_000 },
  { ext: "aspx", text: true, weight: 14, mean: 12_000 },
  { ext: "ascx", text: true, weight: 6, mean: 8_000 },
  { ext: "htm", text: true, weight: 4, mean: 6_000 },
  { ext: "png", text: false, weight: 18, mean: 14_000 },
  { ext: "gif", text: false, weight: 8, mean: 4_000 },
  { ext: "dll", text: false, weight: 6, mean: 220_000 },
  { ext: "woff", text: false, weight: 2, mean: 60_000 },
];

/** Inert planted shells: only what the rules key on, inside ASP.NET server comments. */
const PLANTED: [string, string | Buffer][] = [
  [
    "C/inetpub/wwwroot/aspnet_client/system_web/discover.aspx",
    '<%@ Page Language="Jscript"%>\n<%-- inert: eval(Request.Item["x"],"unsafe"); --%>\n',
  ],
  [
    `${FE}/owa/auth/OutlookZH.aspx`,
    '<%@ Page Language="Jscript"%>\n<%-- inert: eval (Request["k"], "unsafe") --%>\n',
  ],
  [
    "C/inetpub/wwwroot/aspnet_client/oab.aspx",
    'PollInterval : 480\r\nOfflineAddressBooks : {}\r\nExternalUrl : http://f/<script language="JScript" runat="server">function Page_Load(){/*inert*/}</script>\r\nInternalAuthenticationMethods : {WindowsIntegrated}\r\n',
  ],
  [`${FE}/ecp/auth/x.aspx`, Buffer.concat([Buffer.from("!BDN"), Buffer.alloc(270_000, 7)])],
  [
    `${FE}/owa/auth/Current/themes/resources/t.ashx`,
    '<%@ WebHandler Language="C#" Class="T" %>\n<%-- inert: using System.Net.Sockets; Request.Headers.Get("X-CMD"); new Socket( --%>\n',
  ],
  [
    "C/inetpub/wwwroot/aspnet_client/p.aspx",
    '<%@ Page Language="C#"%>\n<%-- inert: new ProcessStartInfo("cmd.exe", Request.Form["c"]); Process.Start( --%>\n',
  ],
];

/** The same rule set for exhunt --yara and yara -r (YARA 4 syntax; compiles in both engines). */
const RULE_TEXT = `rule Chopper_JScript_Marker {
  strings:
    $a = "eval(Request" nocase
    $b = "eval (Request" nocase
    $u = "unsafe"
  condition:
    ($a or $b) and $u
}
rule OAB_Settings_Script {
  strings:
    $s = "<script" nocase
    $e = "ExternalUrl" nocase
    $i = "InternalAuthenticationMethods" nocase
  condition:
    all of them
}
rule PST_Magic {
  condition:
    uint32(0) == 0x4e444221
}
rule Process_With_Request {
  strings:
    $p = "ProcessStartInfo" nocase
    $r = /Request\\.(Form|QueryString|Item)/ nocase
  condition:
    $p and $r
}
rule Socket_Tunnel {
  strings:
    $s = "System.Net.Sockets" nocase
    $x = "X-CMD" nocase
  condition:
    all of them
}
rule Reflective_Load {
  strings:
    $b = "FromBase64String" nocase
    $l = "Assembly.Load" nocase
  condition:
    all of them
}
`;

function pickWeighted<T>(r: () => number, xs: T[], w: (x: T) => number): T {
  const total = xs.reduce((n, x) => n + w(x), 0);
  let v = r() * total;
  for (const x of xs) {
    v -= w(x);
    if (v <= 0) return x;
  }
  return xs[xs.length - 1];
}

/** Text that looks like minified web code (and never contains a rule's markers). */
function textPool(r: () => number, bytes: number): Buffer {
  const words = [
    "function",
    "var",
    "return",
    "this",
    "prototype",
    "window",
    "document",
    "getElementById",
    "addEventListener",
    "XMLHttpRequest",
    "JSON.parse",
    "className",
    "style",
    "margin:0;padding:0",
    "background-color:#fff",
    '<div class="x">',
    "</div>",
    "Owa.Client",
    "ecp.Reporting",
  ];
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = words[Math.floor(r() * words.length)];
    const sep = "(){};,.=+ \n"[Math.floor(r() * 11)];
    parts.push(w, sep);
    n += w.length + 1;
  }
  return Buffer.from(parts.join(""), "latin1");
}

function sizeAround(r: () => number, mean: number): number {
  // Roughly log-normal: many small files, a tail of large ones.
  const f = Math.exp((r() + r() + r() - 1.5) * 1.6);
  return Math.max(200, Math.min(Math.round(mean * f), 8 * mean));
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** Real pages copied round-robin into IIS site folders (never into Exchange's), plus the planted shells. */
function pagesCorpus(pagesDir: string, marker: string): { files: number; bytes: number } {
  const pages = walk(pagesDir).map((p) => ({ name: basename(p), data: readFileSync(p) }));
  if (!pages.length) throw new Error(`no files in ${pagesDir}`);
  process.stderr.write(`copying ${pages.length} pages to ${FILES} files in ${BASE} ...\n`);
  let bytes = 0;
  const made = new Set<string>();
  for (let i = 0; i < FILES - PLANTED.length; i++) {
    const page = pages[i % pages.length];
    const dir = join(ROOT, "C/inetpub/wwwroot", `site${i % 25}`, `d${i % 97}`);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(join(dir, `p${i}-${page.name}`), page.data);
    bytes += page.data.length;
  }
  for (const [rel, data] of PLANTED) {
    const abs = join(ROOT, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, data);
    bytes += data.length;
  }
  writeFileSync(RULES, RULE_TEXT);
  const facts = { files: FILES, bytes };
  writeFileSync(marker, `${VERSION} ${JSON.stringify(facts)}`);
  return facts;
}

function corpus(): { files: number; bytes: number } {
  const marker = join(BASE, "READY");
  if (existsSync(marker) && readFileSync(marker, "utf8").startsWith(VERSION)) {
    return JSON.parse(readFileSync(marker, "utf8").slice(VERSION.length + 1));
  }
  rmSync(BASE, { recursive: true, force: true });
  if (PAGES) return pagesCorpus(PAGES, marker);
  process.stderr.write(`generating ${FILES} files (~${TARGET_MB} MB) in ${BASE} ...\n`);
  const r = rng(7);
  const text = textPool(r, 4 << 20);
  const binary = Buffer.alloc(4 << 20);
  for (let i = 0; i < binary.length; i++) binary[i] = Math.floor(r() * 256);
  const meanTarget = (TARGET_MB * 2 ** 20) / FILES;
  const meanKinds =
    KINDS.reduce((n, k) => n + k.mean * k.weight, 0) / KINDS.reduce((n, k) => n + k.weight, 0);
  const scale = meanTarget / meanKinds;
  let bytes = 0;
  const made = new Set<string>();
  for (let i = 0; i < FILES - PLANTED.length; i++) {
    const kind = pickWeighted(r, KINDS, (k) => k.weight);
    let folder = pickWeighted(r, FOLDERS, (f) => f[1])[0];
    // Exchange ships no page in the front-end folders (that is what the unexpected-script rule knows).
    if ((kind.ext === "aspx" || kind.ext === "ascx") && folder.startsWith(FE)) folder = `${CA}/ecp/Organize`;
    const size = Math.min(sizeAround(r, kind.mean * scale), 4 << 20);
    const pool = kind.text ? text : binary;
    const off = Math.floor(r() * (pool.length - size));
    let data = pool.subarray(off, off + size);
    if (kind.ext === "aspx" || kind.ext === "ascx")
      data = Buffer.concat([
        Buffer.from('<%@ Page language="c#" Inherits="Microsoft.Exchange.Page" %>\n'),
        data,
      ]);
    const dir = join(ROOT, folder, `d${i % 97}`);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(join(dir, `f${i}.${kind.ext}`), data);
    bytes += data.length;
  }
  for (const [rel, data] of PLANTED) {
    const abs = join(ROOT, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, data);
    bytes += data.length;
  }
  writeFileSync(RULES, RULE_TEXT);
  const facts = { files: FILES, bytes };
  writeFileSync(marker, `${VERSION} ${JSON.stringify(facts)}`);
  return facts;
}

function summarise(name: string, runs: Run[], files: number, mb: number): (string | number)[] {
  const s = median(runs.map((x) => x.seconds));
  const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
  return [
    name,
    s.toFixed(2),
    Math.round(files / s),
    (mb / s).toFixed(0),
    rss.length ? Math.max(...rss).toFixed(0) : "n/a",
  ];
}

async function main(): Promise<void> {
  const bin = join(process.cwd(), "dist/cli/exhunt.js");
  if (!existsSync(bin)) throw new Error("run `npm run build` first");
  const { files, bytes } = corpus();
  const mb = bytes / 2 ** 20;
  // Built-in rules alone (the shipped signature-base rules would otherwise run too when yara-x loads),
  // then the same plus --yara with the bench's rule file and the shipped rules.
  const builtIn: [string, string[]] = [
    process.execPath,
    [bin, "scan", ROOT, "--no-progress", "--brief", "--no-community-rules"],
  ];
  const withYara: [string, string[]] = [
    process.execPath,
    [bin, "scan", ROOT, "--no-progress", "--brief", "--yara", RULES],
  ];
  // Sanity: every planted shell is found, by the built-in rules and by the same rules in both engines.
  const out = join(BASE, "check.json");
  await runOnce(process.execPath, [
    bin,
    "scan",
    ROOT,
    "--no-progress",
    "--brief",
    "--json",
    out,
    "--yara",
    RULES,
  ]);
  const result = JSON.parse(readFileSync(out, "utf8")) as {
    servers: { findings: { check: string; source: { file: string } }[]; stats: { sweptFiles?: number } }[];
  };
  const findings = result.servers[0].findings;
  const hitFiles = (pred: (c: string) => boolean) =>
    new Set(findings.filter((f) => pred(f.check)).map((f) => f.source.file));
  const builtInHits = hitFiles((c) => c.startsWith("webshell-"));
  const other = findings.filter((f) => !f.check.startsWith("yara-") && !f.check.startsWith("webshell-"));
  if (other.length > 20) throw new Error(`unexpected findings on benign files: ${other.length}`);
  const yaraHits = hitFiles((c) => c === "yara-match");
  const yaraAvailable = !findings.length || yaraHits.size > 0;
  console.log(
    `${files} files, ${mb.toFixed(0)} MB; exhunt swept ${result.servers[0].stats.sweptFiles}; planted ${PLANTED.length}: ` +
      `built-in content rules flagged ${builtInHits.size}, exhunt+YARA ${yaraHits.size}`,
  );
  if (builtInHits.size < PLANTED.length) throw new Error("the built-in rules missed a planted shell");
  const rows: (string | number)[][] = [["command", "median s", "files/s", "MB/s", "peak RSS MiB"]];
  if (!which("yara")) {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce(...builtIn));
    rows.push(summarise("exhunt scan (built-in rules)", runs, files, mb));
    console.log(table(rows));
    console.log("Debian yara not installed: no reference ratio");
    return;
  }
  // With real pages the reference also carries the shipped signature-base rules (the built-ins'
  // counterpart on pages); the synthetic tree keeps the bench's own rule file alone, as before.
  const yaraRules = PAGES ? [RULES, ...SHIPPED] : [RULES];
  const yara: [string, string[]] = ["yara", ["-r", "-w", ...yaraRules, ROOT]];
  const ref = await runOnce(...yara);
  const refHits = new Set(
    ref.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(l.indexOf(" ") + 1)),
  );
  console.log(`yara -r matched ${refHits.size} files`);
  // exhunt with YARA also runs the shipped rules (on pages): its reference carries them too.
  const yaraAll: [string, string[]] = ["yara", ["-r", "-w", RULES, ...SHIPPED, ROOT]];
  const a = await pair(builtIn, yara, RUNS);
  const b = yaraAvailable ? await pair(withYara, PAGES ? yara : yaraAll, RUNS) : null;
  rows.push(summarise("exhunt scan (built-in rules)", a.a, files, mb));
  if (b) rows.push(summarise("exhunt scan --yara rules.yar (+ shipped rules)", b.a, files, mb));
  if (PAGES)
    rows.push(summarise("yara -r rules.yar + shipped (Debian 4.2.3)", [...a.b, ...(b?.b ?? [])], files, mb));
  else {
    rows.push(summarise("yara -r rules.yar (Debian 4.2.3)", a.b, files, mb));
    if (b) rows.push(summarise("yara -r rules.yar + shipped rules", b.b, files, mb));
  }
  console.log(table(rows));
  if (PAGES) {
    const ex = median(a.a.map((x) => x.seconds));
    const ref = median([...a.b, ...(b?.b ?? [])].map((x) => x.seconds));
    const rss = a.a.map((x) => x.peakMiB).filter((x): x is number => x !== null);
    recordLane("sweep-real-pages", {
      input: `${files} real ASP/ASP.NET pages (${mb.toFixed(0)} MB), built-in content rules`,
      exhunt: {
        figure: files / ex,
        unit: "files/s",
        seconds: ex,
        peakMiB: rss.length ? Math.max(...rss) : null,
      },
      reference: {
        tool: "yara -r (bench rules + shipped signature-base)",
        figure: files / ref,
        unit: "files/s",
        seconds: ref,
      },
      timeRatio: a.ratio,
      goal: "at most yara -r's time",
      runs: RUNS,
    });
  }
  console.log(
    `\nexhunt / yara -r time ratio (median of paired runs): built-in ${a.ratio.toFixed(2)}x` +
      (b ? `, with YARA ${b.ratio.toFixed(2)}x` : ", YARA unavailable in exhunt here") +
      ` (below 1 = exhunt faster). Warm page cache; default threads (the main thread and cores - 1 workers).`,
  );
  const lane = (
    runs: Run[],
    ref: Run[],
    ratio: number,
    how: string,
    tool = "yara -r (same rules, same tree)",
  ) => {
    const s = median(runs.map((x) => x.seconds));
    const r = median(ref.map((x) => x.seconds));
    const rss = runs.map((x) => x.peakMiB).filter((x): x is number => x !== null);
    return {
      input: `${files} web files (${mb.toFixed(0)} MB) in one tree, ${how}`,
      exhunt: {
        figure: files / s,
        unit: "files/s",
        seconds: s,
        peakMiB: rss.length ? Math.max(...rss) : null,
      },
      reference: { tool, figure: files / r, unit: "files/s", seconds: r },
      timeRatio: ratio,
      goal: "<= 1x yara's time, <= 256 MiB",
      runs: runs.length,
    };
  };
  recordLane("sweep", lane(a.a, a.b, a.ratio, "built-in content rules"));
  if (b)
    recordLane(
      "sweep-yara",
      lane(
        b.a,
        b.b,
        b.ratio,
        "built-in rules + --yara rules.yar + the shipped signature-base rules",
        `yara -r rules.yar + the ${SHIPPED.length} shipped signature-base files (same tree)`,
      ),
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
