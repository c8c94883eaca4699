// One self-contained HTML report: no network, uPlot and styles inlined, a CSP meta tag that only lets
// the two inline scripts run (by hash). Everything from the evidence is attacker-controlled (the
// ProxyLogon attack writes `<script>` into the logs by design): every string goes through `esc()`;
// data for the script sits in a `<script type="application/json">` block with `<`, `>`, `&`, U+2028
// and U+2029 escaped, and the script only writes it with textContent. No string from the evidence is
// ever put in an href, an id, a class or a style.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ScanResult, ServerResult, VerdictName } from "../model/types.js";
import { CAMPAIGN_WINDOW } from "../model/types.js";
import { clientIp, describeRequest, firstMaliciousRequest, userAgent } from "../verdict/facts.js";
import { namedShells, type PlanStep, remediationPlan } from "../verdict/plan.js";
import { serverTimeline, type Timeline } from "../verdict/timeline.js";

/** Rows per table per server; the rest stays in the JSON result. */
export const HTML_ROW_LIMIT = 2000;

/** Text or attribute value: `& < > " '` escaped; NUL and other C0 controls but tab/newline replaced. */
export function esc(value: unknown): string {
  const s = value == null ? "" : String(value);
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c === 0x26) rep = "&amp;";
    else if (c === 0x3c) rep = "&lt;";
    else if (c === 0x3e) rep = "&gt;";
    else if (c === 0x22) rep = "&quot;";
    else if (c === 0x27) rep = "&#39;";
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) rep = "\ufffd";
    else continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** JSON that can sit inside a `<script type="application/json">` block whatever the strings hold. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** A link only for https URLs (references come from check metadata); anything else is text. */
function link(url: string): string {
  return /^https:\/\/[^\s"'<>]+$/.test(url)
    ? `<a href="${esc(url)}" rel="noreferrer noopener">${esc(url)}</a>`
    : esc(url);
}

function sha256Csp(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

let assets: { js: string; css: string } | undefined;
function uplotAssets(): { js: string; css: string } {
  if (!assets) {
    const req = createRequire(import.meta.url);
    const js = readFileSync(req.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
    const css = readFileSync(req.resolve("uplot/dist/uPlot.min.css"), "utf8");
    if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error("uPlot asset cannot be inlined");
    assets = { js, css };
  }
  return assets;
}

const VERDICT_TEXT: Record<VerdictName, string> = {
  compromised: "Compromised",
  attempted: "Attacked (no sign of success)",
  vulnerable: "Vulnerable",
  clean: "No sign of exploitation",
  unknown: "Unknown",
};

const VERDICT_RANK: Record<VerdictName, number> = {
  compromised: 0,
  attempted: 1,
  vulnerable: 2,
  unknown: 3,
  clean: 4,
};

function fmtTime(t: string | null): string {
  return t ? `${t.slice(0, 19).replace("T", " ")} UTC` : "—";
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

function where(f: { file: string | null; line: number | null }): string {
  if (!f.file) return "";
  return f.line ? `${f.file}:${f.line}` : f.file;
}

/** A record cell: the last folders and the file name, the full path on hover (all escaped). */
function recordCell(f: { file: string | null; line: number | null }): string {
  const full = where(f);
  if (!full) return `<td class="rec"></td>`;
  const parts = full.split("/");
  const short = parts.length > 3 ? `…/${parts.slice(-3).join("/")}` : full;
  return `<td class="rec mono small" title="${esc(full)}">${esc(short)}</td>`;
}

function openCves(s: ServerResult): string[] {
  return Object.entries(s.exposure?.cves ?? {})
    .filter(([, c]) => c.status === "vulnerable")
    .map(([id]) => id)
    .sort();
}

// ---- sections -----------------------------------------------------------------------------------

function fleetSummary(servers: ServerResult[]): string {
  const rows = servers
    .map((s, i) => {
      const active = s.findings.filter((f) => {
        const e = f.effect;
        return (e === "compromise" || e === "attempt") && f.time;
      });
      const first = active.map((f) => f.time as string).sort()[0] ?? null;
      const open = openCves(s);
      return `<tr class="v-${esc(s.verdict)}"><td><a href="#srv-${i}">${esc(s.name)}</a></td><td data-v="${VERDICT_RANK[s.verdict]}"><span class="badge b-${esc(s.verdict)}">${esc(VERDICT_TEXT[s.verdict])}</span></td><td>${esc(s.exposure?.build ?? "unknown")}</td><td data-v="${open.length}">${open.length ? esc(open.join(", ")) : s.exposure ? "none known" : "—"}</td><td data-v="${s.findings.length}">${s.findings.length}</td><td data-v="${esc(first ?? "~")}">${esc(fmtTime(first))}</td><td>${esc(s.reasons[0] ?? "")}</td></tr>`;
    })
    .join("\n");
  const counts = new Map<VerdictName, number>();
  for (const s of servers) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  const line = (Object.keys(VERDICT_RANK) as VerdictName[])
    .filter((v) => counts.has(v))
    .map((v) => `<span class="badge b-${v}">${counts.get(v)} ${esc(v)}</span>`)
    .join(" ");
  return `<section id="fleet"><h2>Fleet summary: ${servers.length} servers</h2><p>${line}</p>
<p class="hint">Click a column title to sort.</p>
<div class="scroll"><table class="sortable" id="fleet-table"><thead><tr><th data-sort>Server</th><th data-sort>Verdict</th><th data-sort>Build</th><th data-sort>Open CVEs</th><th data-sort>Findings</th><th data-sort>First attack activity</th><th>Headline</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`;
}

function keyFacts(s: ServerResult, plan: PlanStep[]): string {
  const items: string[] = [];
  const req = firstMaliciousRequest(s.findings);
  if (req) {
    const ua = userAgent(req);
    items.push(
      `<div class="fact first-request"><h4>First malicious request</h4><p class="mono">${esc(fmtTime(req.time))} · ${esc(describeRequest(req))}</p><p>${esc(req.title)}</p>${ua ? `<p class="small">User agent: <span class="mono">${esc(ua)}</span></p>` : ""}<p class="small">Record: <span class="mono">${esc(where(req.source))}</span></p></div>`,
    );
  }
  const exploit = firstMaliciousRequest(s.findings.filter((f) => f.effect === "compromise"));
  if (exploit && exploit !== req)
    items.push(
      `<div class="fact first-exploit"><h4>First successful exploit request</h4><p class="mono">${esc(fmtTime(exploit.time))} · ${esc(describeRequest(exploit))}</p><p>${esc(exploit.title)}</p><p class="small">Record: <span class="mono">${esc(where(exploit.source))}</span></p></div>`,
    );
  const firstCompromise = s.findings
    .filter((f) => f.effect === "compromise" && f.time)
    .sort((a, b) => ((a.time as string) < (b.time as string) ? -1 : 1))[0];
  if (firstCompromise)
    items.push(
      `<div class="fact"><h4>First sign of compromise</h4><p class="mono">${esc(fmtTime(firstCompromise.time))}</p><p>${esc(firstCompromise.title)}</p></div>`,
    );
  const shells = namedShells(s.findings);
  if (shells.length)
    items.push(
      `<div class="fact"><h4>Web shell${shells.length === 1 ? "" : "s"} to remove</h4><ul>${shells.map((x) => `<li class="mono">${esc(x.path)}${x.sha256 ? `<br><span class="small">SHA-256 ${esc(x.sha256)}</span>` : ""}</li>`).join("")}</ul></div>`,
    );
  const upd = plan.find((p) => p.id === "update");
  if (upd && s.verdict !== "clean")
    items.push(
      `<div class="fact"><h4>Update to install</h4><ul>${upd.actions.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></div>`,
    );
  const ips = new Set<string>();
  for (const f of s.findings) {
    const e = f.effect;
    const ip = clientIp(f);
    if (ip && (e === "compromise" || e === "attempt")) ips.add(ip);
  }
  if (ips.size)
    items.push(
      `<div class="fact"><h4>Attacking address${ips.size === 1 ? "" : "es"}</h4><p class="mono">${[...ips].sort().slice(0, 50).map(esc).join(", ")}${ips.size > 50 ? ` … ${ips.size - 50} more` : ""}</p></div>`,
    );
  return items.length ? `<div class="facts">${items.join("")}</div>` : "";
}

function planSection(plan: PlanStep[], s: ServerResult): string {
  const ids = new Map(s.findings.map((f) => [f.id, f]));
  const steps = plan
    .map((p) => {
      const byCheck = new Map<string, { n: number; first: string | null }>();
      for (const id of p.findingIds) {
        const f = ids.get(id);
        if (!f) continue;
        const c = byCheck.get(f.check) ?? { n: 0, first: null };
        c.n++;
        if (f.time && (c.first === null || f.time < c.first)) c.first = f.time;
        byCheck.set(f.check, c);
      }
      const because = [...byCheck].map(
        ([check, c]) => `${check} ×${c.n}${c.first ? ` (first ${fmtTime(c.first)})` : ""}`,
      );
      return `<li class="step step-${p.id}"><h4>${esc(p.title)}</h4><p>${esc(p.why)}</p><ul>${p.actions.map((a) => `<li>${esc(a)}</li>`).join("")}</ul>${because.length ? `<p class="small">Because of: ${because.map(esc).join("; ")}</p>` : ""}<p class="small">See: ${p.references.map(link).join(" · ")}</p></li>`;
    })
    .join("\n");
  return `<h3>What to do now</h3><ol class="plan">${steps}</ol>`;
}

function exposureSection(s: ServerResult): string {
  const e = s.exposure;
  if (!e)
    return `<h3>Exposure</h3><p>Build not known from this evidence: run <span class="mono">exhunt build</span> on the server.</p>`;
  const cves = Object.entries(e.cves)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([id, c]) =>
        `<tr class="cve-${esc(c.status)}"><td class="mono">${esc(id)}</td><td>${esc(c.status)}</td><td class="mono">${esc(c.fixedIn ?? "")}</td></tr>`,
    )
    .join("");
  const r = e.recommendation;
  const rec = r
    ? `<p>${esc(r.summary)}</p>${
        r.steps.length
          ? `<ol>${r.steps.map((st) => `<li>${esc(st.name)}${st.kb ? ` (<span class="mono">${esc(st.kb)}</span>)` : ""}: build <span class="mono">${esc(st.build)}</span></li>`).join("")}</ol>`
          : ""
      }${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}`
    : "";
  return `<h3>Exposure</h3><table class="kv"><tr><th>Build</th><td class="mono">${esc(e.build ?? "unknown")}</td></tr><tr><th>From</th><td>${esc(e.buildSource)}${e.asOf ? ` (as of ${esc(fmtTime(e.asOf))})` : ""}</td></tr>${e.product ? `<tr><th>Product</th><td>${esc(e.product)}</td></tr>` : ""}${e.cu ? `<tr><th>CU</th><td>${esc(e.cu)}</td></tr>` : ""}${e.update ? `<tr><th>Update</th><td>${esc(e.update)}</td></tr>` : ""}</table>
${cves ? `<div class="scroll"><table><thead><tr><th>CVE</th><th>Status</th><th>Fixed in</th></tr></thead><tbody>${cves}</tbody></table></div>` : ""}${rec ? `<h4>Recommendation</h4>${rec}` : ""}`;
}

let tableSeq = 0;

function filterable(
  title: string,
  head: string[],
  rows: string[],
  total: number,
  withSeverity: boolean,
): string {
  const id = `t${++tableSeq}`;
  const sev = withSeverity
    ? `<select data-sev="${id}" aria-label="severity"><option value="">all severities</option>${["critical", "high", "medium", "low", "info"].map((v) => `<option>${v}</option>`).join("")}</select>`
    : "";
  const more =
    total > rows.length
      ? `<p class="small">${total - rows.length} more rows are in the JSON result (report limit ${HTML_ROW_LIMIT}).</p>`
      : "";
  return `<h3>${esc(title)} <span class="count" data-count="${id}">${rows.length}</span></h3>
<div class="controls"><input type="search" placeholder="filter (IP, path, check…)" data-filter="${id}" aria-label="filter">${sev}</div>
<div class="scroll"><table id="${id}" class="sortable filterable"><thead><tr>${head.map((h) => `<th data-sort>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("\n")}</tbody></table></div>${more}`;
}

function evidenceCell(ev: Record<string, string>): string {
  return Object.entries(ev)
    .map(([k, v]) => `<div><b>${esc(k)}</b> <span class="mono">${esc(v)}</span></div>`)
    .join("");
}

function timelineSection(tl: Timeline, idx: number): string {
  const groups = tl.groups
    .map(
      (g) =>
        `<li><b>${esc(g.key)}</b>: ${esc(fmtTime(g.first))} → ${esc(fmtTime(g.last))}, ${g.findingIds.length} findings (${esc(g.checks.join(", "))})${g.ips.length ? `<br>addresses: <span class="mono">${g.ips.map(esc).join(", ")}</span>` : ""}${g.paths.length ? `<br>files: <span class="mono">${g.paths.map(esc).join(", ")}</span>` : ""}<br><span class="small">linked by ${esc(g.links.slice(0, 6).join(", "))}${g.links.length > 6 ? " …" : ""}</span></li>`,
    )
    .join("");
  const rows = tl.entries
    .slice(0, HTML_ROW_LIMIT)
    .map(
      (e) =>
        `<tr data-sev="${esc(e.severity)}"><td class="mono nowrap">${esc(fmtTime(e.time))}</td><td>${esc(e.source)}</td><td><span class="sev s-${esc(e.severity)}">${esc(e.severity)}</span> ${esc(e.summary)}</td><td>${esc(e.groupKey ?? "")}</td>${recordCell(e)}</tr>`,
    );
  return `<h3>Timeline (UTC)</h3><div class="chart" data-idx="${idx}"></div>
${groups ? `<h4>Incidents (findings linked by address, request, canary or file)</h4><ul class="groups">${groups}</ul>` : ""}
${filterable("Timeline entries", ["Time", "Source", "What", "Incident", "Record"], rows, tl.entries.length, true)}`;
}

function findingsSection(s: ServerResult): string {
  const fs = [...s.findings].sort((a, b) => (a.time ?? "~").localeCompare(b.time ?? "~"));
  const rows = fs
    .slice(0, HTML_ROW_LIMIT)
    .map(
      (f) =>
        `<tr data-sev="${esc(f.severity)}"><td class="mono nowrap">${esc(fmtTime(f.time))}</td><td><span class="sev s-${esc(f.severity)}">${esc(f.severity)}</span></td><td class="mono">${esc(f.check)}${f.cves.length ? `<br><span class="small">${esc(f.cves.join(" "))}</span>` : ""}</td><td>${esc(f.title)}</td><td class="ev">${evidenceCell(f.evidence)}</td>${recordCell(f.source)}</tr>`,
    );
  const omitted = Object.entries(s.omittedFindings);
  return `${filterable("Findings", ["Time", "Severity", "Check", "Title", "Evidence", "Record"], rows, fs.length, true)}${omitted.length ? `<p class="small">Counted but not listed (per-check limit): ${omitted.map(([k, n]) => `${esc(k)} ${n}`).join(", ")}</p>` : ""}`;
}

function coverageSection(s: ServerResult): string {
  const from = s.coverage.window.exploitationFrom;
  const rows = s.coverage.sources
    .map((c) => {
      const ok = c.oldest !== null && c.oldest <= from;
      return `<tr><td>${esc(c.source)}</td><td data-v="${c.files}">${c.files}</td><td data-v="${c.bytes}">${esc(fmtBytes(c.bytes))}</td><td class="mono">${esc(fmtTime(c.oldest))}</td><td class="mono">${esc(fmtTime(c.newest))}</td><td class="${ok ? "ok" : "warn"}">${ok ? "yes" : "no"}</td></tr>`;
    })
    .join("");
  return `<h3>Coverage</h3><p>Exploitation began ${esc(from.slice(0, 10))}; patches shipped ${esc(s.coverage.window.patchedOn.slice(0, 10))}. A source that starts later cannot show what happened before.</p>
${rows ? `<div class="scroll"><table class="sortable"><thead><tr><th data-sort>Source</th><th data-sort>Files</th><th data-sort>Size</th><th data-sort>Oldest</th><th data-sort>Newest</th><th data-sort>Reaches ${esc(from.slice(0, 10))}?</th></tr></thead><tbody>${rows}</tbody></table></div>` : '<p class="warn">No logs were read.</p>'}
${s.coverage.missing.length ? `<p class="warn">Missing: ${s.coverage.missing.map(esc).join(", ")}</p>` : ""}${s.coverage.notes.map((n) => `<p class="warn">${esc(n)}</p>`).join("")}
<p class="small">${s.stats.files} files (${esc(fmtBytes(s.stats.bytes))}), ${s.stats.logFiles} log files (${esc(fmtBytes(s.stats.logBytes))}), ${s.stats.records.toLocaleString("en-US")} records, ${s.stats.badRows} bad rows, ${(s.stats.durationMs / 1000).toFixed(1)} s. Root: <span class="mono">${esc(s.root)}</span>${s.installPath ? `; Exchange at <span class="mono">${esc(s.installPath)}</span>` : ""}</p>`;
}

function skippedSection(s: ServerResult): string {
  if (s.skipped.length === 0) return `<h3>Skipped evidence</h3><p>None: every file found was read.</p>`;
  const rows = s.skipped
    .slice(0, HTML_ROW_LIMIT)
    .map(
      (k) =>
        `<tr><td class="mono">${esc(k.file)}</td><td>${esc(k.reason)}</td><td>${esc(k.detail)}</td></tr>`,
    );
  return filterable(
    "Skipped or partly read evidence",
    ["File", "Reason", "Detail"],
    rows,
    s.skipped.length,
    false,
  );
}

function serverSection(s: ServerResult, idx: number, tl: Timeline): string {
  const plan = remediationPlan(s);
  return `<section class="server" id="srv-${idx}">
<div class="banner b-${esc(s.verdict)}"><div class="name">${esc(s.name)}</div><div class="verdict">${esc(VERDICT_TEXT[s.verdict])}</div><p class="headline">${esc(s.reasons[0] ?? "")}</p></div>
${keyFacts(s, plan)}
${
  s.reasons.length > 1
    ? `<details open><summary>Why this verdict</summary><ul>${s.reasons
        .slice(1)
        .map((r) => `<li>${esc(r)}</li>`)
        .join("")}</ul></details>`
    : ""
}
${planSection(plan, s)}
${exposureSection(s)}
${timelineSection(tl, idx)}
${findingsSection(s)}
${coverageSection(s)}
${skippedSection(s)}
</section>`;
}

// ---- chart data -----------------------------------------------------------------------------------

interface ChartSeries {
  name: string;
  step: number;
  t: number[];
  compromise: number[];
  attempt: number[];
  other: number[];
}

export function chartSeries(s: ServerResult): ChartSeries {
  const dated = s.findings.filter((f) => f.time && f.effect !== "coverage");
  const secs = dated.map((f) => Math.floor(Date.parse(f.time as string) / 1000)).filter(Number.isFinite);
  const empty = { name: s.name, step: 3600, t: [], compromise: [], attempt: [], other: [] };
  if (secs.length === 0) return empty;
  // A loop, not Math.min(...secs): spreading 160k+ arguments overflows the stack.
  let min = secs[0];
  let max = secs[0];
  for (const x of secs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  // Hours over a few days, days over longer spans; never more than ~2000 bars (bogus years included).
  const step =
    max - min <= 10 * 86400 ? 3600 : Math.max(86400, Math.ceil((max - min) / 2000 / 86400) * 86400);
  // One empty bucket on each side, so that the first and last bars are drawn whole.
  const start = Math.floor(min / step) * step - step;
  const n = Math.floor((max - start) / step) + 2;
  const out: ChartSeries = {
    name: s.name,
    step,
    t: Array.from({ length: n }, (_, i) => start + i * step),
    compromise: new Array(n).fill(0),
    attempt: new Array(n).fill(0),
    other: new Array(n).fill(0),
  };
  dated.forEach((f) => {
    const t = Math.floor(Date.parse(f.time as string) / 1000);
    if (!Number.isFinite(t)) return;
    const i = Math.floor((t - start) / step);
    const e = f.effect;
    if (e === "compromise") out.compromise[i]++;
    else if (e === "attempt") out.attempt[i]++;
    else out.other[i]++;
  });
  return out;
}

// ---- the page -------------------------------------------------------------------------------------

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--comp:#b3001b;--att:#a85d00;--vul:#7a2a9c;--ok:#1a7f37;--unk:#57606a}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:12px;max-width:1200px;margin:auto}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.25em;border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:1.6em}h3{font-size:1.1em;margin-top:1.4em}h4{margin:.2em 0}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}.small{font-size:.85em;color:var(--muted)}.nowrap{white-space:nowrap}.hint{color:var(--muted);font-size:.85em}
.banner{border-radius:8px;padding:12px 16px;color:#fff;margin:1em 0}.banner .name{font-size:1.1em;opacity:.9;overflow-wrap:anywhere}.banner .verdict{font-size:1.8em;font-weight:700}.banner .headline{font-size:1.05em;margin:.3em 0 0}
.b-compromised{background:var(--comp)}.b-attempted{background:var(--att)}.b-vulnerable{background:var(--vul)}.b-clean{background:var(--ok)}.b-unknown{background:var(--unk)}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;color:#fff;font-weight:600;font-size:.9em}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px}.fact{border:1px solid var(--line);border-left:4px solid var(--comp);border-radius:6px;padding:8px 12px}.fact ul{margin:.2em 0;padding-left:1.1em}.fact p{margin:.2em 0}
.plan>li{margin-bottom:.8em}.plan ul{margin:.2em 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:after{content:" \\2195";color:var(--muted)}
td.ev div{overflow-wrap:anywhere;max-width:60ch}td.rec{min-width:14em;overflow-wrap:anywhere}table.kv th{width:10em}
.sev{display:inline-block;border-radius:3px;padding:0 4px;font-size:.8em;color:#fff}.s-critical{background:var(--comp)}.s-high{background:#d1242f}.s-medium{background:var(--att)}.s-low{background:#0969da}.s-info{background:var(--unk)}
.ok{color:var(--ok)}.warn{color:var(--att)}.cve-vulnerable td{color:var(--comp);font-weight:600}
.controls{display:flex;gap:8px;flex-wrap:wrap;margin:.3em 0}.controls input{flex:1;min-width:12em;padding:6px;font-size:1em}.controls select{padding:6px;font-size:1em}
.count{color:var(--muted);font-weight:400;font-size:.85em}.chart{min-height:20px;margin:.5em 0}
.u-legend{font-size:.85em}
footer{margin-top:2em;color:var(--muted);font-size:.85em}
@media (max-width:600px){body{padding:6px;font-size:14px}.banner .verdict{font-size:1.4em}td.ev div{max-width:40ch}}
`;

/** The page script: filters, sorting, charts. It reads data with JSON.parse and writes text only. */
const SCRIPT = `(function(){
"use strict";
var data=JSON.parse(document.getElementById("exhunt-data").textContent);
function apply(id){
  var box=document.querySelector('[data-filter="'+id+'"]');var sel=document.querySelector('[data-sev="'+id+'"]');
  var q=box?box.value.toLowerCase():"";var sev=sel?sel.value:"";var n=0;
  var rows=document.getElementById(id).tBodies[0].rows;
  for(var i=0;i<rows.length;i++){var r=rows[i];var show=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(!sev||r.getAttribute("data-sev")===sev);r.hidden=!show;if(show)n++;}
  var c=document.querySelector('[data-count="'+id+'"]');if(c)c.textContent=String(n);
}
document.querySelectorAll("[data-filter]").forEach(function(el){el.addEventListener("input",function(){apply(el.getAttribute("data-filter"));});});
document.querySelectorAll("[data-sev]").forEach(function(el){if(el.tagName==="SELECT")el.addEventListener("change",function(){apply(el.getAttribute("data-sev"));});});
document.querySelectorAll("table.sortable").forEach(function(t){
  var ths=t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths,function(th,col){
    if(!th.hasAttribute("data-sort"))return;
    th.addEventListener("click",function(){
      var dir=th.getAttribute("data-dir")==="asc"?-1:1;th.setAttribute("data-dir",dir===1?"asc":"desc");
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      function key(r){var c=r.cells[col];if(!c)return "";var v=c.getAttribute("data-v");return v!==null?v:c.textContent;}
      rows.sort(function(a,b){var x=key(a),y=key(b);var nx=Number(x),ny=Number(y);
        if(x!==""&&y!==""&&!isNaN(nx)&&!isNaN(ny))return (nx-ny)*dir;return x.localeCompare(y)*dir;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
if(typeof uPlot==="function"){
  document.querySelectorAll(".chart[data-idx]").forEach(function(el){
    var s=data.charts[Number(el.getAttribute("data-idx"))];
    if(!s||s.t.length===0){el.textContent="No dated finding to chart.";return;}
    var a=s.compromise,b=s.attempt,c=s.other;
    var ab=a.map(function(v,i){return v+b[i];});var abc=ab.map(function(v,i){return v+c[i];});
    var raw=[null,c,b,a];
    function gap(xs){return xs.map(function(v){return v>0?v:null;});}
    var bars=uPlot.paths.bars({size:[0.9,60],align:1});
    function fmt(si){return function(u,v,sidx,i){return i==null?"":String(raw[si][i]);};}
    var w=Math.max(280,el.clientWidth||600);
    new uPlot({width:w,height:220,tzDate:function(ts){return uPlot.tzDate(new Date(ts*1e3),"Etc/UTC");},
      scales:{x:{time:true}},
      series:[{label:"UTC"},
        {label:"listed/other",stroke:"#57606a",fill:"rgba(87,96,106,.45)",paths:bars,points:{show:false},value:fmt(1)},
        {label:"attempts",stroke:"#a85d00",fill:"rgba(168,93,0,.65)",paths:bars,points:{show:false},value:fmt(2)},
        {label:"compromise",stroke:"#b3001b",fill:"rgba(179,0,27,.85)",paths:bars,points:{show:false},value:fmt(3)}],
      axes:[{},{label:"findings per "+(s.step===3600?"hour":s.step===86400?"day":(s.step/86400)+" days")}]},[s.t,gap(abc),gap(ab),gap(a)],el);
  });
}
document.body.setAttribute("data-exhunt-ready","1");
})();`;

export interface HtmlOptions {
  title?: string;
}

/** The whole report as one HTML string. */
export function renderHtml(result: ScanResult, o: HtmlOptions = {}): string {
  tableSeq = 0;
  const { js, css } = uplotAssets();
  const servers = [...result.servers];
  const timelines = servers.map(serverTimeline);
  const data = { charts: servers.map(chartSeries) };
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${sha256Csp(js)} ${sha256Csp(SCRIPT)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const title =
    o.title ??
    (servers.length === 1
      ? `exhunt: ${servers[0].name} ${servers[0].verdict}`
      : `exhunt: ${servers.length} servers`);
  const body = [
    `<header><h1>${esc(title)}</h1><p class="small">${esc(result.tool.name)} ${esc(result.tool.version)} · scan ${esc(fmtTime(result.startedAt))} → ${esc(fmtTime(result.finishedAt))} · campaign window from ${esc(CAMPAIGN_WINDOW.exploitationFrom.slice(0, 10))} · all times UTC</p>
<p class="small">Read top down: the coloured banner is the verdict, the boxes under it are the facts to act on (first malicious request, web shells, update), then the plan in order. Every value taken from the evidence is shown as text; nothing in it is a link.</p></header>`,
    servers.length > 1 ? fleetSummary(servers) : "",
    ...servers.map((s, i) => serverSection(s, i, timelines[i])),
    `<footer>Generated by exhunt. This file is self-contained: it loads nothing from the network. Chart: uPlot (MIT).</footer>`,
  ].join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${css}</style><style>${CSS}</style>
</head><body>
${body}
<script type="application/json" id="exhunt-data">${jsonForScript(data)}</script>
<script>${js}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
