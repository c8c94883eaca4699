// HTML building blocks of the dashboard: escaping, the page frame, and small server-drawn SVG charts.
// Every stored string can come from evidence or a scanned host, so nothing reaches the page unescaped,
// and the page runs no script at all (the CSP forbids it): a payload can only ever be text.

export function esc(v: string | number | null | undefined): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/** A query string from parts, each value URL-encoded. */
export function qs(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const VERDICT_COLOURS: Record<string, string> = {
  compromised: "#b3261e",
  attempted: "#d9822b",
  suspicious: "#d9822b",
  vulnerable: "#c9a400",
  clean: "#2e7d32",
  unknown: "#757575",
};

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#1d2733;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px;max-width:1400px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
th a{color:inherit}td.num{text-align:right}
.v{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px;background:#f3f3f3;padding:4px}
form.inline{display:inline}fieldset{border:1px solid #ddd;background:#fff;margin:0 0 12px}
.charts{display:flex;gap:24px;flex-wrap:wrap;margin-bottom:12px}.charts figure{margin:0}
.muted{color:#666}.acked{opacity:.6}
`;

/** The page frame; `head`: extra trusted markup for <head> (never stored text). */
export function page(title: string, body: string, head = ""): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${head}<title>${esc(title)}</title><style>${STYLE}</style></head><body><header><a href="/">exhunt fleet</a> &nbsp; <a href="/queue" id="nav-queue">queue</a></header><main>${body}</main></body></html>`;
}

export function verdictBadge(v: string): string {
  return `<span class="v" data-verdict="${esc(v)}" style="background:${VERDICT_COLOURS[v] ?? "#555"}">${esc(v)}</span>`;
}

/** One horizontal stacked bar with a legend: a share of the fleet per category. */
export function stackedBar(title: string, parts: { label: string; n: number; colour: string }[]): string {
  const total = parts.reduce((a, p) => a + p.n, 0);
  const width = 320;
  let x = 0;
  const rects = parts
    .filter((p) => p.n > 0)
    .map((p) => {
      const w = total ? (p.n / total) * width : 0;
      const r = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="18" fill="${p.colour}"><title>${esc(p.label)}: ${p.n}</title></rect>`;
      x += w;
      return r;
    })
    .join("");
  const legend = parts
    .map((p) => `<span style="color:${p.colour}">■</span> ${esc(p.label)} ${p.n}`)
    .join(" &nbsp; ");
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${width}" height="18" role="img" aria-label="${esc(title)}">${rects || `<rect width="${width}" height="18" fill="#eee"/>`}</svg><div class="muted">${legend}</div></figure>`;
}

/** A strip of one square per run, oldest first, coloured by the run's verdict: the server's history at a glance. */
export function verdictStrip(runs: { at: string; verdict: string; kind: string }[]): string {
  const size = 14;
  const cells = runs
    .map(
      (r, i) =>
        `<rect x="${i * (size + 2)}" y="0" width="${size}" height="${size}" fill="${VERDICT_COLOURS[r.verdict] ?? "#555"}"><title>${esc(r.at.slice(0, 19))} ${esc(r.kind)}: ${esc(r.verdict)}</title></rect>`,
    )
    .join("");
  return `<svg width="${Math.max(1, runs.length) * (size + 2)}" height="${size}" role="img" aria-label="verdicts over time">${cells}</svg>`;
}
