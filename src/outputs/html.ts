// One self-contained HTML report: no network, uPlot and styles inlined, a CSP meta tag that only lets
// the two inline scripts run (by hash; html-page.ts). Everything from the result is attacker-controlled
// (the ProxyLogon attack writes `<script>` into the logs by design) or hand-edited: every string goes
// through `esc()`; class names come only from fixed tables; chart data sits in a
// `<script type="application/json">` block per server with `<`, `>`, `&`, U+2028 and U+2029 escaped,
// read by the script with JSON.parse and written with textContent. No string from the result is ever
// put in an href, an id, a class or a style.
//
// The writer streams: each server's section goes to a temporary file as the server arrives (its tables
// capped per check, with counts), and the page is assembled at the end, when the fleet summary that
// opens it is known. Memory holds one server and one summary line per server.
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScanResult, VerdictName } from "../model/types.js";
import { CAMPAIGN_WINDOW } from "../model/types.js";
import { esc, pageFrame } from "./html-page.js";
import { fmtTime, serverSection, VERDICT_RANK, verdictClass, verdictText } from "./html-sections.js";
import { openSink, type Sink } from "./sink.js";
import { type RunMeta, type RunSummary, type ServerSummary, summarizeServer, type Writer } from "./writer.js";

export { chartSeries } from "./html-chart.js";
export { esc, jsonForScript } from "./html-page.js";
export { capPerCheck, HTML_ROW_LIMIT, HTML_ROWS_PER_CHECK, serverSection } from "./html-sections.js";

export function fleetSummary(servers: readonly ServerSummary[]): string {
  const rows = servers
    .map((s, i) => {
      const open = s.openCves ?? [];
      const v = verdictClass(s.verdict);
      const cves = open.map((c) => `<span class="nowrap">${esc(c)}</span>`).join(", ");
      return `<tr class="v-${v}"><td><a href="#srv-${i}">${esc(s.name)}</a></td><td data-v="${VERDICT_RANK[v]}"><span class="badge b-${v}">${esc(verdictText(s.verdict))}</span></td><td class="mono" data-label="Build">${esc(s.build ?? "unknown")}</td><td data-v="${open.length}" data-label="Open CVEs" class="cves">${open.length ? cves : s.openCves ? "none known" : "—"}</td><td data-v="${esc(s.findings)}" data-label="Findings">${esc(s.findings)}</td><td data-v="${esc(s.firstActivity ?? "~")}" data-label="First attack activity">${esc(fmtTime(s.firstActivity))}</td><td>${esc(s.headline ?? "")}</td></tr>`;
    })
    .join("\n");
  const counts = new Map<VerdictName, number>();
  for (const s of servers)
    counts.set(verdictClass(s.verdict), (counts.get(verdictClass(s.verdict)) ?? 0) + 1);
  const line = (Object.keys(VERDICT_RANK) as VerdictName[])
    .filter((v) => counts.has(v))
    .map((v) => `<span class="badge b-${v}">${counts.get(v)} ${v}</span>`)
    .join(" ");
  return `<section id="fleet"><h2>Fleet summary: ${servers.length} servers</h2><p>${line}</p>
<p class="hint">Click a column title to sort. Findings counts what weighs in the verdict (compromise, attempt, exposure); context findings and log-coverage notes are listed in each server's section.</p>
<div class="scroll"><table class="sortable stack" id="fleet-table"><thead><tr><th data-sort>Server</th><th data-sort>Verdict</th><th data-sort>Build</th><th data-sort>Open CVEs</th><th data-sort>Findings</th><th data-sort>First attack activity</th><th>Headline</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`;
}

// ---- the page -------------------------------------------------------------------------------------

export interface HtmlOptions {
  title?: string;
}

function pageTitle(servers: readonly ServerSummary[], o: HtmlOptions): string {
  if (o.title) return o.title;
  return servers.length === 1
    ? `exhunt: ${servers[0].name} ${servers[0].verdict}`
    : `exhunt: ${servers.length} servers`;
}

function pageHeader(
  title: string,
  meta: RunMeta,
  finishedAt: string,
  servers: readonly ServerSummary[],
): string {
  return `<header><h1>${esc(title)}</h1><p class="small">${esc(meta.tool.name)} ${esc(meta.tool.version)} · scan ${esc(fmtTime(meta.startedAt))} → ${esc(fmtTime(finishedAt))} · campaign window from ${esc(CAMPAIGN_WINDOW.exploitationFrom.slice(0, 10))} · all times UTC</p>
<p class="small">Read top down: the coloured banner is the verdict, the boxes under it are the facts to act on (first malicious request, web shells, update), then the plan in order. Every value taken from the evidence is shown as text; nothing in it is a link.</p></header>
${servers.length > 1 ? fleetSummary(servers) : ""}
`;
}

/** The whole report as one string (small results, tests); `--html` streams through htmlWriter. */
export function renderHtml(result: ScanResult, o: HtmlOptions = {}): string {
  const summaries = result.servers.map(summarizeServer);
  const title = pageTitle(summaries, o);
  const frame = pageFrame(title);
  const meta: RunMeta = {
    tool: result.tool,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    live: false,
  };
  return [
    frame.start,
    pageHeader(title, meta, result.finishedAt, summaries),
    ...result.servers.map((s, i) => serverSection(s, i)),
    frame.end,
  ].join("");
}

export function htmlWriter(target: string, o: HtmlOptions = {}): Writer {
  let out: Sink | undefined;
  let sections: Sink | undefined;
  let dir: string | undefined;
  let meta: RunMeta | undefined;
  let n = 0;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  };
  return {
    name: "html",
    async begin(m) {
      meta = m;
      out = await openSink(target);
      dir = await mkdtemp(join(tmpdir(), "exhunt-html-"));
      sections = await openSink(join(dir, "sections.html"));
    },
    async server(s) {
      if (!sections) throw new Error("html writer: server() before begin()");
      await sections.write(serverSection(s, n++));
    },
    async end(summary: RunSummary) {
      if (!out || !sections || !meta || !dir) throw new Error("html writer: end() before begin()");
      await sections.close();
      const title = pageTitle(summary.servers, o);
      const frame = pageFrame(title);
      await out.write(frame.start);
      await out.write(pageHeader(title, meta, summary.finishedAt, summary.servers));
      for await (const chunk of createReadStream(join(dir, "sections.html"), { encoding: "utf8" }))
        await out.write(chunk as string);
      await out.write(frame.end);
      await out.close();
      await cleanup();
      return target === "-" ? null : `wrote the HTML report to ${target}`;
    },
    async abort() {
      await sections?.discard();
      await out?.discard();
      await cleanup().catch(() => {});
    },
  };
}
