// The sections of one server in the HTML report (html.ts assembles the page). Every string from the
// result goes through esc(); class names come only from the fixed tables below; table ids are numbered
// per server by an ids object passed down (no module state).
import { count, plural } from "../model/plural.js";
import type { Finding, ServerResult, Severity, VerdictName } from "../model/types.js";
import { clientIp, describeRequest, firstMaliciousRequest, userAgent } from "../verdict/facts.js";
import { raisingFindings } from "../verdict/ladder.js";
import { namedShells } from "../verdict/plan.js";
import { chartSeries, onChart } from "./html-chart.js";
import { esc, jsonForScript, link } from "./html-page.js";

/** Rows per table per server; the rest stays in the JSON result. */
export const HTML_ROW_LIMIT = 2000;
/** Rows per check in one table: one noisy check cannot push the others out. */
export const HTML_ROWS_PER_CHECK = 250;

export const VERDICT_TEXT: Record<VerdictName, string> = {
  compromised: "Compromised",
  attempted: "Attacked (no sign of success)",
  suspicious: "Suspicious (not proven)",
  vulnerable: "Vulnerable",
  clean: "No sign of exploitation",
  unknown: "Unknown",
};

export const VERDICT_RANK: Record<VerdictName, number> = {
  compromised: 0,
  suspicious: 0.5,
  attempted: 1,
  vulnerable: 2,
  unknown: 3,
  clean: 4,
};

const SEVERITIES: Severity[] = ["critical", "high", "medium", "low", "info"];

/** A class name from a fixed table: an enum value outside it (a hand-edited file) falls back. */
export function verdictClass(v: VerdictName): VerdictName {
  return v in VERDICT_RANK ? v : "unknown";
}
function severityClass(v: Severity): string {
  return SEVERITIES.includes(v) ? v : "info";
}
export function verdictText(v: VerdictName): string {
  return VERDICT_TEXT[v] ?? VERDICT_TEXT.unknown;
}

export function fmtTime(t: string | null): string {
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
  return `<td class="rec mono small" data-label="Record" title="${esc(full)}">${esc(short)}</td>`;
}

/** Table ids of one server section, numbered in order: state passed explicitly, never module-wide. */
interface Ids {
  next(): string;
}
function idsFor(server: number): Ids {
  let n = 0;
  return { next: () => `t${server}-${++n}` };
}

/** At most `perCheck` items per check and `limit` in all, in the given order; the rest counted per check. */
export function capPerCheck<T extends { check: string }>(
  items: readonly T[],
  perCheck = HTML_ROWS_PER_CHECK,
  limit = HTML_ROW_LIMIT,
): { shown: T[]; omitted: Map<string, number> } {
  const shown: T[] = [];
  const seen = new Map<string, number>();
  const omitted = new Map<string, number>();
  for (const x of items) {
    const n = seen.get(x.check) ?? 0;
    if (n < perCheck && shown.length < limit) {
      shown.push(x);
      seen.set(x.check, n + 1);
    } else omitted.set(x.check, (omitted.get(x.check) ?? 0) + 1);
  }
  return { shown, omitted };
}

function omittedNote(omitted: Map<string, number>, what: string): string {
  if (omitted.size === 0) return "";
  const parts = [...omitted].map(([check, n]) => `${esc(check)} ${esc(n)}`).join(", ");
  return `<p class="small">${esc(what)} not listed here (at most ${HTML_ROWS_PER_CHECK} per check, ${HTML_ROW_LIMIT} per table; all are in the JSON result): ${parts}.</p>`;
}

// ---- sections -----------------------------------------------------------------------------------

function keyFacts(s: ServerResult): string {
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
  let firstCompromise: Finding | undefined;
  for (const f of s.findings)
    if (
      f.effect === "compromise" &&
      f.time &&
      (!firstCompromise || f.time < (firstCompromise.time as string))
    )
      firstCompromise = f;
  if (firstCompromise)
    items.push(
      `<div class="fact"><h4>First sign of compromise</h4><p class="mono">${esc(fmtTime(firstCompromise.time))}</p><p>${esc(firstCompromise.title)}</p></div>`,
    );
  const shells = namedShells(s.findings);
  if (shells.length)
    items.push(
      `<div class="fact"><h4>${plural(shells.length, "Web shell")} to remove</h4><ul>${shells
        .slice(0, 50)
        .map(
          (x) =>
            `<li class="mono">${esc(x.path)}${x.sha256 ? `<br><span class="small">SHA-256 ${esc(x.sha256)}</span>` : ""}</li>`,
        )
        .join(
          "",
        )}</ul>${shells.length > 50 ? `<p class="small">… ${shells.length - 50} more in the plan below</p>` : ""}</div>`,
    );
  const upd = s.plan.find((p) => p.id === "update");
  const update: string[] = [];
  if (upd && s.verdict !== "clean")
    update.push(
      `<div class="fact wide"><h4>Update to install</h4><ul>${upd.actions.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></div>`,
    );
  const ips = new Set<string>();
  for (const f of s.findings) {
    const e = f.effect;
    const ip = clientIp(f);
    if (ip && (e === "compromise" || e === "attempt")) ips.add(ip);
  }
  if (ips.size)
    items.push(
      `<div class="fact"><h4>${plural(ips.size, "Attacking address", "Attacking addresses")}</h4><p class="mono">${[...ips].sort().slice(0, 50).map(esc).join(", ")}${ips.size > 50 ? ` … ${ips.size - 50} more` : ""}</p></div>`,
    );
  // The update card spans the row (its lines are long), so it comes last: no half-empty row above it.
  items.push(...update);
  return items.length ? `<div class="facts">${items.join("")}</div>` : "";
}

const STEP_IDS = new Set([
  "contain",
  "preserve",
  "report",
  "remove-webshells",
  "hunt-webshells",
  "credentials",
  "update",
  "mitigate",
  "collect",
  "rescan",
]);

/** Where each finding is listed: its row in the findings table, or the table when the row is capped. */
interface Anchors {
  table: string;
  row: Map<string, string>;
}

/**
 * "Because of" of each step: the checks' titles (once each, with counts), each a link to its first row
 * in the findings table. A check already named by an earlier step is not named again: the step points
 * back to that step instead.
 */
function planSection(s: ServerResult, anchors: Anchors): string {
  const ids = new Map(s.findings.map((f) => [f.id, f]));
  const namedIn = new Map<string, number>();
  const steps = s.plan
    .map((p, i) => {
      const byCheck = new Map<string, { n: number; first: Finding }>();
      for (const id of p.findingIds) {
        const f = ids.get(id);
        if (!f) continue;
        const c = byCheck.get(f.check);
        if (!c) byCheck.set(f.check, { n: 1, first: f });
        else {
          c.n++;
          if (f.time && (!c.first.time || f.time < c.first.time)) c.first = f;
        }
      }
      const earlier = new Set<number>();
      const fresh: string[] = [];
      for (const [check, { n, first }] of byCheck) {
        const before = namedIn.get(check);
        if (before !== undefined) {
          earlier.add(before);
          continue;
        }
        namedIn.set(check, i + 1);
        const href = anchors.row.get(first.id) ?? anchors.table;
        const title = first.rule?.title || first.title;
        fresh.push(
          `<a href="#${href}">${esc(title)}</a>${n > 1 ? ` ×${esc(n)}` : ""}${first.time ? ` <span class="nowrap">(first ${esc(fmtTime(first.time))})</span>` : ""}`,
        );
      }
      const back = [...earlier].sort((a, b) => a - b);
      const backText = back.length
        ? `findings named in step${back.length > 1 ? "s" : ""} ${back.join(", ")}`
        : "";
      const becauseLine =
        fresh.length || back.length
          ? `<p class="small because">Because of: ${fresh.length && back.length ? `${backText}, and ` : backText}${fresh.join("; ")}</p>`
          : "";
      const cls = STEP_IDS.has(p.id) ? ` step-${p.id}` : "";
      return `<li class="step${cls}"><h4>${esc(p.title)}</h4><p>${esc(p.why)}</p><ul>${p.actions.map((a) => `<li>${esc(a)}</li>`).join("")}</ul>${becauseLine}<p class="small">See: ${p.references.map(link).join(" · ")}</p></li>`;
    })
    .join("\n");
  return `<h3>What to do now</h3><ol class="plan">${steps}</ol>`;
}

const CVE_STATUS = new Set(["fixed", "vulnerable", "unknown", "not-affected"]);

function exposureSection(s: ServerResult): string {
  const e = s.exposure;
  if (!e)
    return `<h3>Exposure</h3><p>Build not known from this evidence: run <span class="mono">exhunt build</span> on the server.</p>`;
  const cves = Object.entries(e.cves)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([id, c]) =>
        `<tr class="cve-${CVE_STATUS.has(c.status) ? c.status : "unknown"}"><td class="mono nowrap" data-label="CVE">${esc(id)}</td><td data-label="Status">${esc(c.status)}</td><td class="mono" data-label="Fixed in">${esc(c.fixedIn ?? "")}</td></tr>`,
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
${cves ? `<div class="scroll"><table class="stack"><thead><tr><th>CVE</th><th>Status</th><th>Fixed in</th></tr></thead><tbody>${cves}</tbody></table></div>` : ""}${rec ? `<h4>Recommendation</h4>${rec}` : ""}`;
}

/** A column: its title and a width class from the fixed table in html-page.ts. */
type Column = [title: string, width: string];

function filterable(
  id: string,
  title: string,
  head: Column[],
  rows: string[],
  withSeverity: boolean,
  note: string,
): string {
  const sev = withSeverity
    ? `<select data-sev="${id}" aria-label="severity"><option value="">all severities</option>${SEVERITIES.map((v) => `<option>${v}</option>`).join("")}</select>`
    : "";
  return `<h3>${esc(title)} <span class="count" data-count="${id}">${rows.length}</span></h3>
<div class="controls"><input type="search" placeholder="filter (IP, path, check…)" data-filter="${id}" aria-label="filter">${sev}</div>
<div class="scroll"><table id="${id}" class="sortable filterable stack fixed"><thead><tr>${head.map(([h, w]) => `<th data-sort class="${w}">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("\n")}</tbody></table></div>${note}`;
}

function evidenceCell(ev: Record<string, string>): string {
  return Object.entries(ev)
    .map(([k, v]) => `<div><b>${esc(k)}</b> <span class="mono">${esc(v)}</span></div>`)
    .join("");
}

/** Severity first (critical at the top), then time: coverage notes (info) never sort above an attack. */
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
function bySeverityThenTime(a: Finding, b: Finding): number {
  const r = (SEVERITY_RANK[a.severity] ?? 4) - (SEVERITY_RANK[b.severity] ?? 4);
  return r || (a.time ?? "~").localeCompare(b.time ?? "~");
}

function timelineSection(s: ServerResult, idx: number, tableId: string): string {
  const tl = s.timeline;
  const groups = tl.groups
    .slice(0, 200)
    .map(
      (g) =>
        `<li><b>${esc(g.key)}</b>: ${esc(fmtTime(g.first))} → ${esc(fmtTime(g.last))}, ${esc(count(g.findingIds.length, "finding"))} (${esc(g.checks.join(", "))})${g.ips.length ? `<br>addresses: <span class="mono">${g.ips.slice(0, 50).map(esc).join(", ")}${g.ips.length > 50 ? " …" : ""}</span>` : ""}${g.paths.length ? `<br>files: <span class="mono">${g.paths.slice(0, 50).map(esc).join(", ")}${g.paths.length > 50 ? " …" : ""}</span>` : ""}<br><span class="small">linked by ${esc(g.links.slice(0, 6).join(", "))}${g.links.length > 6 ? " …" : ""}</span></li>`,
    )
    .join("");
  // Build results are not events: a result file written before they were left out still shows none.
  const effect = new Map(s.findings.map((f) => [f.id, f.effect]));
  const activity = tl.entries.filter((e) => !e.findingIds.some((id) => !onChart(effect.get(id))));
  const { shown, omitted } = capPerCheck(activity);
  const rows = shown.map(
    (e) =>
      `<tr data-sev="${severityClass(e.severity)}"><td class="mono nowrap">${esc(fmtTime(e.time))}</td><td data-label="Source">${esc(e.source)}</td><td><span class="sev s-${severityClass(e.severity)}">${esc(e.severity)}</span> ${esc(e.summary)}</td><td data-label="Incident">${esc(e.groupKey ?? "")}</td>${recordCell(e)}</tr>`,
  );
  const more =
    tl.groups.length > 200
      ? `<p class="small">… ${tl.groups.length - 200} more incidents in the JSON result</p>`
      : "";
  return `<h3>Timeline (UTC)</h3><div class="chart" data-idx="${idx}"></div>
${groups ? `<h4>Incidents (findings linked by address, request, canary or file)</h4><ul class="groups">${groups}</ul>${more}` : ""}
${filterable(
  tableId,
  "Timeline entries",
  [
    ["Time", "w-time"],
    ["Source", "w-source"],
    ["What", "w-auto"],
    ["Incident", "w-incident"],
    ["Record", "w-record"],
  ],
  rows,
  true,
  omittedNote(omitted, "Timeline entries"),
)}`;
}

/**
 * The findings in table order, capped per check, with an anchor per listed row: those that move the
 * verdict (by the evidence ladder) first, then the ones listed only, each by severity then time, so a
 * context-only match of a critical-level rule never sits above the evidence that decided the verdict.
 */
function findingsRows(s: ServerResult, idx: number, tableId: string) {
  const raising = raisingFindings(s.findings);
  const fs = [...s.findings].sort(
    (a, b) => Number(raising.has(b)) - Number(raising.has(a)) || bySeverityThenTime(a, b),
  );
  const { shown, omitted } = capPerCheck(fs);
  const anchors: Anchors = { table: tableId, row: new Map() };
  shown.forEach((f, i) => {
    if (!anchors.row.has(f.id)) anchors.row.set(f.id, `f${idx}-${i + 1}`);
  });
  return { shown, omitted, anchors, raising };
}

function findingsSection(s: ServerResult, rows: ReturnType<typeof findingsRows>): string {
  const { shown, omitted, anchors, raising } = rows;
  const html = shown.map(
    (f) =>
      `<tr id="${anchors.row.get(f.id)}" data-sev="${severityClass(f.severity)}"><td class="mono nowrap">${esc(fmtTime(f.time))}</td><td><span class="sev s-${severityClass(f.severity)}">${esc(f.severity)}</span>${raising.has(f) ? "" : '<br><span class="small" title="listed for the responder: does not change the verdict">listed only</span>'}</td><td class="mono" data-label="Check">${esc(f.check)}${f.cves.length ? `<br><span class="small">${f.cves.map((c) => `<span class="nowrap">${esc(c)}</span>`).join(" ")}</span>` : ""}</td><td>${esc(f.title)}</td><td class="ev">${evidenceCell(f.evidence)}</td>${recordCell(f.source)}</tr>`,
  );
  const counted = Object.entries(s.omittedFindings);
  return `${filterable(
    anchors.table,
    "Findings",
    [
      ["Time", "w-time"],
      ["Severity", "w-sev"],
      ["Check", "w-check"],
      ["Title", "w-auto"],
      ["Evidence", "w-ev"],
      ["Record", "w-record"],
    ],
    html,
    true,
    omittedNote(omitted, "Findings"),
  )}${counted.length ? `<p class="small">Counted but not listed (per-check limit of the scan): ${counted.map(([k, n]) => `${esc(k)} ${esc(n)}`).join(", ")}</p>` : ""}`;
}

function coverageSection(s: ServerResult): string {
  const from = s.coverage.window.exploitationFrom;
  const rows = s.coverage.sources
    .map((c) => {
      const ok = c.oldest !== null && c.oldest <= from;
      return `<tr><td>${esc(c.source)}</td><td data-v="${esc(c.files)}" data-label="Files">${esc(c.files)}</td><td data-v="${esc(c.bytes)}" data-label="Size">${esc(fmtBytes(c.bytes))}</td><td class="mono" data-label="Oldest">${esc(fmtTime(c.oldest))}</td><td class="mono" data-label="Newest">${esc(fmtTime(c.newest))}</td><td class="${ok ? "ok" : "warn"}" data-label="Reaches ${esc(from.slice(0, 10))}?">${ok ? "yes" : "no"}</td></tr>`;
    })
    .join("");
  const st = s.stats;
  return `<h3>Coverage</h3><p>Exploitation began ${esc(from.slice(0, 10))}; patches shipped ${esc(s.coverage.window.patchedOn.slice(0, 10))}. A source that starts later cannot show what happened before.</p>
${rows ? `<div class="scroll"><table class="sortable stack"><thead><tr><th data-sort>Source</th><th data-sort>Files</th><th data-sort>Size</th><th data-sort>Oldest</th><th data-sort>Newest</th><th data-sort>Reaches ${esc(from.slice(0, 10))}?</th></tr></thead><tbody>${rows}</tbody></table></div>` : '<p class="warn">No logs were read.</p>'}
${s.coverage.missing.length ? `<p class="warn">Missing: ${s.coverage.missing.map(esc).join(", ")}</p>` : ""}${s.coverage.notes.map((n) => `<p class="warn">${esc(n)}</p>`).join("")}
<p class="small">${esc(count(st.files, "file"))} (${esc(fmtBytes(st.bytes))}), ${esc(count(st.logFiles, "log file"))} (${esc(fmtBytes(st.logBytes))}), ${esc(count(st.records, "record"))}, ${esc(count(st.badRows, "bad row"))}, ${esc((st.durationMs / 1000).toFixed(1))} s. Root: <span class="mono">${esc(s.root)}</span>${s.installPath ? `; Exchange at <span class="mono">${esc(s.installPath)}</span>` : ""}</p>`;
}

function skippedSection(s: ServerResult, ids: Ids): string {
  if (s.skipped.length === 0) return `<h3>Skipped evidence</h3><p>None: every file found was read.</p>`;
  const rows = s.skipped
    .slice(0, HTML_ROW_LIMIT)
    .map(
      (k) =>
        `<tr><td class="mono">${esc(k.file)}</td><td data-label="Reason">${esc(k.reason)}</td><td data-label="Detail">${esc(k.detail)}</td></tr>`,
    );
  const more =
    s.skipped.length > HTML_ROW_LIMIT
      ? `<p class="small">${esc(s.skipped.length - HTML_ROW_LIMIT)} more are in the JSON result.</p>`
      : "";
  return filterable(
    ids.next(),
    "Skipped or partly read evidence",
    [
      ["File", "w-auto"],
      ["Reason", "w-reason"],
      ["Detail", "w-auto"],
    ],
    rows,
    false,
    more,
  );
}

/** How sure the verdict is, what decided it and what would change it (the result's basis), all escaped. */
export function basisSection(s: Pick<ServerResult, "confidence" | "basis">): string {
  const conf = CONFIDENCES.includes(s.confidence) ? s.confidence : "low";
  const b = s.basis;
  const list = (title: string, items: readonly string[]) =>
    items.length ? `<h4>${title}</h4><ul>${items.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : "";
  const rules = b?.rules.length
    ? ` · <strong>Ladder rule${b.rules.length > 1 ? "s" : ""}:</strong> ${b.rules.map((r) => `<span class="mono">${esc(r)}</span>`).join(", ")}`
    : "";
  return `<div class="basis"><p><strong>Confidence:</strong> <span class="conf conf-${conf}">${esc(s.confidence)}</span>${rules}</p>${b ? list("Decided by", b.decidedBy) + list("What would change it", b.wouldChange) : ""}</div>`;
}

const CONFIDENCES: readonly string[] = ["high", "medium", "low"];

/** One server's section, with its chart data in its own JSON block (read by the page script). */
export function serverSection(s: ServerResult, idx: number): string {
  const ids = idsFor(idx);
  const v = verdictClass(s.verdict);
  // Table ids in page order (timeline, findings, skipped); the findings' anchors are known before the
  // plan that links to them is written.
  const timelineId = ids.next();
  const findings = findingsRows(s, idx, ids.next());
  return `<section class="server" id="srv-${idx}">
<div class="banner b-${v}"><div class="name">${esc(s.name)}</div><div class="verdict">${esc(verdictText(s.verdict))}</div><p class="headline">${esc(s.reasons[0] ?? "")}</p></div>
${basisSection(s)}
${keyFacts(s)}
${
  s.reasons.length > 1
    ? `<details open><summary>Why this verdict</summary><ul>${s.reasons
        .slice(1)
        .map((r) => `<li>${esc(r)}</li>`)
        .join("")}</ul></details>`
    : ""
}
${planSection(s, findings.anchors)}
${exposureSection(s)}
${timelineSection(s, idx, timelineId)}
${findingsSection(s, findings)}
${coverageSection(s)}
${skippedSection(s, ids)}
<script type="application/json" id="chart-${idx}">${jsonForScript(chartSeries(s))}</script>
</section>
`;
}
