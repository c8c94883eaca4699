// The dashboard's pages, rendered on the server from the store: the fleet table (filter, search,
// sort), and a server page (verdict and reasons, history, timeline, plan, findings with evidence,
// acknowledge and status forms). Forms carry the CSRF token; everything stored is escaped.
import type { Finding } from "../model/finding.js";
import { type FleetRow, type FleetStore, type ListFilter, STATUSES } from "../store/types.js";
import { esc, page, qs, stackedBar, VERDICT_COLOURS, verdictBadge, verdictStrip } from "./html.js";

const VERDICTS = ["compromised", "suspicious", "attempted", "vulnerable", "clean", "unknown"] as const;
const COLUMNS: { key: keyof FleetRow; label: string }[] = [
  { key: "name", label: "Server" },
  { key: "verdict", label: "Verdict" },
  { key: "verdictAt", label: "Since" },
  { key: "build", label: "Build" },
  { key: "openCves", label: "Open CVEs" },
  { key: "logsFrom", label: "Logs from" },
  { key: "lastScan", label: "Last scan" },
  { key: "openFindings", label: "Open" },
  { key: "acknowledged", label: "Acked" },
  { key: "status", label: "Status" },
];
const RANK: Record<string, number> = {
  compromised: 0,
  suspicious: 0.5,
  attempted: 1,
  vulnerable: 2,
  unknown: 3,
  clean: 4,
};

function sortKey(r: FleetRow, key: keyof FleetRow): string | number {
  if (key === "verdict") return RANK[r.verdict] ?? 9;
  if (key === "openCves") return r.openCves.length;
  const v = r[key];
  return typeof v === "number" ? v : String(v ?? "").toLowerCase();
}

export function fleetPage(rows: FleetRow[], q: URLSearchParams): string {
  const sort = (COLUMNS.find((c) => c.key === q.get("sort"))?.key ?? "verdict") as keyof FleetRow;
  const desc = q.get("dir") === "desc";
  const sorted = [...rows].sort((a, b) => {
    const x = sortKey(a, sort);
    const y = sortKey(b, sort);
    const c = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name);
    return desc ? -c : c;
  });
  const keep = {
    q: q.get("q") ?? undefined,
    verdict: q.get("verdict") ?? undefined,
    tag: q.get("tag") ?? undefined,
  };
  const head = COLUMNS.map((c) => {
    const dir = c.key === sort && !desc ? "desc" : "asc";
    return `<th><a href="/${qs({ ...keep, sort: c.key, dir })}">${esc(c.label)}${c.key === sort ? (desc ? " ▼" : " ▲") : ""}</a></th>`;
  }).join("");
  const body = sorted
    .map(
      (r) =>
        `<tr data-server="${esc(r.name)}"><td><a href="/server${qs({ name: r.name })}">${esc(r.name)}</a></td><td>${verdictBadge(r.verdict)}${r.verdict !== r.scannedVerdict ? ` <span class="muted">scanned ${esc(r.scannedVerdict)}</span>` : ""}</td><td>${esc(r.verdictAt?.slice(0, 10))}</td><td>${esc(r.build ?? "?")}</td><td class="num">${r.openCves.length}</td><td>${esc(r.logsFrom?.slice(0, 10) ?? "no logs")}${r.coversWindow === false ? " (late)" : ""}</td><td>${esc(r.lastScan?.slice(0, 10))}</td><td class="num">${r.openFindings}</td><td class="num">${r.acknowledged}</td><td>${esc(r.status ?? "")}</td></tr>`,
    )
    .join("");
  const options = ["", ...VERDICTS]
    .map(
      (v) =>
        `<option value="${v}"${q.get("verdict") === v ? " selected" : ""}>${v || "any verdict"}</option>`,
    )
    .join("");
  const form = `<form method="get" action="/" id="filter"><fieldset><input type="search" name="q" value="${esc(q.get("q"))}" placeholder="name, address, owner, tag"> <select name="verdict">${options}</select> <input name="tag" value="${esc(q.get("tag"))}" placeholder="tag"> <label><input type="checkbox" name="unpatched" value="1"${q.get("unpatched") ? " checked" : ""}> unpatched</label> <label><input type="checkbox" name="stale" value="1"${q.get("stale") ? " checked" : ""}> stale logs</label> <button type="submit">Filter</button></fieldset></form>`;
  return page(
    `exhunt fleet: ${rows.length} servers`,
    `${charts(rows)}${form}<table id="fleet"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table><p class="muted">${rows.length} server${rows.length === 1 ? "" : "s"}</p>`,
  );
}

function charts(rows: FleetRow[]): string {
  const count = (f: (r: FleetRow) => boolean) => rows.filter(f).length;
  return `<div class="charts">${stackedBar(
    "Verdicts",
    VERDICTS.map((v) => ({ label: v, n: count((r) => r.verdict === v), colour: VERDICT_COLOURS[v] })),
  )}${stackedBar("Patch progress", [
    { label: "open CVEs", n: count((r) => r.openCves.length > 0), colour: "#b3261e" },
    { label: "patched", n: count((r) => !!r.build && r.openCves.length === 0), colour: "#2e7d32" },
    { label: "build unknown", n: count((r) => !r.build), colour: "#9e9e9e" },
  ])}${stackedBar("Log coverage", [
    { label: "covers the window", n: count((r) => r.coversWindow === true), colour: "#2e7d32" },
    { label: "starts too late", n: count((r) => r.coversWindow === false), colour: "#d9822b" },
    { label: "no logs scanned", n: count((r) => r.coversWindow === null), colour: "#9e9e9e" },
  ])}</div>`;
}

export function listFilter(q: URLSearchParams): ListFilter {
  const verdict = q.get("verdict");
  return {
    search: q.get("q") || undefined,
    verdict:
      verdict && (VERDICTS as readonly string[]).includes(verdict)
        ? [verdict as FleetRow["verdict"]]
        : undefined,
    tag: q.get("tag") || undefined,
    unpatched: !!q.get("unpatched"),
    staleLogs: !!q.get("stale"),
  };
}

function evidenceCell(f: Finding): string {
  const lines = Object.entries(f.evidence).map(([k, v]) => `${k}: ${v}`);
  if (f.source.excerpt) lines.push(`excerpt: ${f.source.excerpt}`);
  return `<pre>${esc(lines.join("\n"))}</pre>`;
}

export async function serverPage(store: FleetStore, name: string, csrf: string): Promise<string | null> {
  const row = await store.server(name);
  if (!row) return null;
  const runs = await store.runs(name);
  const latest = runs[0] ? await store.run(runs[0].id) : null;
  const acks = await store.acknowledgements(name);
  const notes = await store.notes(name);
  const ackedFp = new Set(acks.map((a) => a.fingerprint));
  const ackedRule = new Set(acks.map((a) => a.rule));
  const hidden = (extra: Record<string, string>) =>
    Object.entries({ csrf, server: row.name, ...extra })
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join("");
  const findings = (latest?.findingList ?? [])
    .map((f) => {
      const acked = ackedFp.has(f.fingerprint) || ackedRule.has(f.check);
      const action = acked
        ? ackedFp.has(f.fingerprint)
          ? `<form class="inline" method="post" action="/unack">${hidden({ fingerprint: f.fingerprint })}<button type="submit">Withdraw ack</button></form>`
          : `acknowledged by rule`
        : `<form class="inline ack" method="post" action="/ack">${hidden({ fingerprint: f.fingerprint })}<input name="reason" required placeholder="why" size="14"> <button type="submit">Acknowledge</button></form>`;
      return `<tr class="${acked ? "acked" : ""}" data-fingerprint="${esc(f.fingerprint)}"><td>${esc(f.severity)}</td><td>${esc(f.effect)}</td><td>${esc(f.title)}<div class="muted">${esc(f.check)} · ${esc(f.fingerprint)}</div></td><td>${esc(f.time ?? "")}</td><td>${esc(f.source.file ?? "")}${f.source.line ? `:${f.source.line}` : ""}</td><td>${evidenceCell(f)}</td><td>${action}</td></tr>`;
    })
    .join("");
  const statusOptions = STATUSES.map(
    (s) => `<option value="${s}"${row.status === s ? " selected" : ""}>${s}</option>`,
  ).join("");
  const history = runs
    .map(
      (r) =>
        `<tr><td>#${r.id}</td><td>${esc(r.at.slice(0, 19))}</td><td>${esc(r.kind)}</td><td>${verdictBadge(r.verdict)}</td><td class="num">${r.findings}</td><td>${esc(r.build ?? "")}</td></tr>`,
    )
    .join("");
  const timeline = (latest?.timeline.entries ?? [])
    .slice(0, 200)
    .map((e) => `<tr><td>${esc(e.time ?? "")}</td><td>${esc(e.source)}</td><td>${esc(e.summary)}</td></tr>`)
    .join("");
  const plan = (latest?.plan ?? [])
    .map(
      (p) =>
        `<li><strong>${esc(p.title)}</strong><div>${esc(p.why)}</div><ul>${p.actions.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></li>`,
    )
    .join("");
  const body = `<h1 id="server-name">${esc(row.name)}</h1>
<p id="verdict">${verdictBadge(row.verdict)} <span class="muted">${esc(row.confidence)} confidence${row.verdict !== row.scannedVerdict ? `; scanned ${esc(row.scannedVerdict)}, ${row.acknowledged} acknowledged` : ""}</span></p>
<ul id="reasons">${row.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>
<p>Build ${esc(row.build ?? "unknown")}${row.openCves.length ? `, open: ${esc(row.openCves.join(" "))}` : ""} · addresses ${esc(row.addresses.join(", ") || "-")} · logs ${esc(row.logsFrom?.slice(0, 10) ?? "none")}–${esc(row.logsTo?.slice(0, 10) ?? "")}</p>
<form method="post" action="/status" id="status">${hidden({})}<fieldset><legend>Status: ${esc(row.status ?? "none")}</legend><select name="status">${statusOptions}</select> <input name="note" placeholder="note" size="40"> <button type="submit">Set status</button></fieldset></form>
<h2>Verdicts over time</h2>${verdictStrip([...runs].reverse())}
<h2>Findings (latest run)</h2><table id="findings"><thead><tr><th>Severity</th><th>Effect</th><th>Finding</th><th>Time</th><th>Source</th><th>Evidence</th><th></th></tr></thead><tbody>${findings}</tbody></table>
<h2>Plan</h2><ol>${plan}</ol>
<h2>Timeline</h2><table><tbody>${timeline}</tbody></table>
<h2>History</h2><table><tbody>${history}</tbody></table>
<h2>Acknowledgements and notes</h2><ul>${acks.map((a) => `<li>${esc(a.fingerprint ?? `rule ${a.rule}`)} by ${esc(a.by)} ${esc(a.at.slice(0, 10))}: ${esc(a.reason)}</li>`).join("")}${notes.map((n) => `<li>${esc(n.at.slice(0, 10))} ${esc(n.status)} by ${esc(n.by)}: ${esc(n.text)}</li>`).join("")}</ul>`;
  return page(`exhunt: ${row.name}`, body);
}
