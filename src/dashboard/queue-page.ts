// The dashboard's /queue page: the job queue of a PostgreSQL store (counts per state, overall
// progress, the running jobs with their progress, the last errors). Labels are evidence paths and
// errors quote file names and hosts: attacker-controlled text, escaped like everything else. The
// CSP forbids scripts, so the page refreshes itself with a meta refresh (a navigation, which the CSP
// does not govern) and draws its progress with <progress> elements.
import type { JobRow, QueueStatus } from "../store/queue.js";
import { esc, page, stackedBar } from "./html.js";

const REFRESH_SECONDS = 10;

const STATE_COLOURS: Record<string, string> = {
  queued: "#757575",
  running: "#1565c0",
  retrying: "#d9822b",
  done: "#2e7d32",
  dead: "#b3261e",
};
const STATES = Object.keys(STATE_COLOURS);

function when(iso: string | null): string {
  return iso ? esc(iso.slice(0, 19).replace("T", " ")) : "";
}

function progressCell(j: JobRow): string {
  if (j.done === null) return '<span class="muted">starting</span>';
  const of = j.total === null ? "?" : String(j.total);
  const bar = j.total ? `<progress value="${j.done}" max="${j.total}"></progress> ` : "";
  return `${bar}${j.done}/${esc(of)} ${esc(j.unit ?? "")}`;
}

/** The page for a store without a queue: SQLite (`sqlite`), or PostgreSQL before the first `queue add`. */
export function noQueuePage(why: "sqlite" | "empty", where: string): string {
  const text =
    why === "sqlite"
      ? `<p id="no-queue">The job queue needs a PostgreSQL store: this dashboard reads the SQLite store <code>${esc(where)}</code>. Start it with <code>--store postgres://…</code> to see the queue of <code>exhunt queue add</code> and <code>exhunt worker</code>.</p>`
      : `<p id="no-queue">No job queue in <code>${esc(where)}</code> yet: <code>exhunt queue add</code> creates it.</p>`;
  return page("exhunt queue", `<h1>Job queue</h1>${text}`);
}

export function queuePage(s: QueueStatus, where: string): string {
  const n = (k: string) => s.jobs[k] ?? 0;
  const total = STATES.reduce((a, k) => a + n(k), 0);
  const finished = n("done") + n("dead");
  const pct = total ? Math.floor((100 * finished) / total) : 0;
  const counts = STATES.map(
    (k) =>
      `<tr data-state="${k}"><th>${k === "retrying" ? "waiting to retry" : k}</th><td class="num">${n(k)}</td></tr>`,
  ).join("");
  const boss =
    Object.entries(s.states)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${esc(k)} ${v}`)
      .join(", ") || "empty";
  const running = s.active
    .map(
      (j) =>
        `<tr data-job="${esc(j.id)}"><td>${esc(j.kind)}</td><td class="label">${esc(j.label)}</td><td>${esc(j.worker ?? "")}</td><td class="num">${j.attempts}</td><td class="progress">${progressCell(j)}</td><td>${when(j.startedAt)}</td></tr>`,
    )
    .join("");
  const failed = s.failed
    .map(
      (j) =>
        `<tr data-job="${esc(j.id)}" data-state="${esc(j.state)}"><td>${esc(j.state === "dead" ? "dead" : "waiting to retry")}</td><td class="label">${esc(j.label)}</td><td class="num">${j.attempts}</td><td>${when(j.updatedAt)}</td><td><pre class="error">${esc(j.error ?? "")}</pre></td></tr>`,
    )
    .join("");
  const body = `<h1>Job queue</h1>
<p class="muted">${esc(where)} · refreshes every ${REFRESH_SECONDS} s</p>
<div class="charts">${stackedBar(
    "jobs by state",
    STATES.map((k) => ({ label: k, n: n(k), colour: STATE_COLOURS[k] })),
  )}<figure><figcaption>progress</figcaption><progress id="overall" value="${finished}" max="${Math.max(1, total)}"></progress> <span id="overall-text">${finished} of ${total} jobs finished (${pct}%)</span></figure></div>
<table id="counts" style="width:auto"><tbody>${counts}</tbody></table>
<p class="muted" id="boss">pg-boss: ${boss}; dead-letter queue ${s.dead}</p>
<h2>Running</h2>
${running ? `<table id="running"><thead><tr><th>Kind</th><th>Job</th><th>Worker</th><th>Attempt</th><th>Progress</th><th>Started</th></tr></thead><tbody>${running}</tbody></table>` : '<p class="muted" id="running">No job running.</p>'}
<h2>Last errors</h2>
${failed ? `<table id="failed"><thead><tr><th>State</th><th>Job</th><th>Attempts</th><th>When</th><th>Error</th></tr></thead><tbody>${failed}</tbody></table>` : '<p class="muted" id="failed">No failed job.</p>'}`;
  return page("exhunt queue", body, `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`);
}
