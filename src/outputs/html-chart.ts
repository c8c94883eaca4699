// The chart data of one server: findings per hour (per day over longer spans), by effect, compact.
// Only activity is charted: a build result is dated when the build was read, a coverage note when its
// log starts; neither is something that happened on the server then.
import type { Effect, ServerResult } from "../model/types.js";

/** Effects drawn on the chart and listed as timeline rows (as the verdict's timeline has them). */
export function onChart(e: Effect | undefined): boolean {
  return e === "compromise" || e === "attempt" || e === "context";
}

export interface ChartSeries {
  name: string;
  step: number;
  t: number[];
  compromise: number[];
  attempt: number[];
  /** Context findings (listed, not weighed). */
  other: number[];
}

export function chartSeries(s: ServerResult): ChartSeries {
  const dated = s.findings.filter((f) => f.time && onChart(f.effect));
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
