// From a build number to: product, CU, update level, per-CVE status and the update to install.
// Logic of exchange-builds-notes.md §4–§5.4: match the CU (third component) first; a CU whose base
// ships the fix is fixed at every revision; otherwise the CU's fixing SU decides by revision; a CU
// with neither is vulnerable with no fix on that CU (HealthChecker's rule, notes §3.7).
import type { CveStatus, Exposure, Recommendation, UpdateStep } from "../model/types.js";
import { CVES, END_OF_SUPPORT } from "./cves.js";
import { type BuildRow, buildTable, type CuLine, type FixRow, lineFor } from "./table.js";
import { type BuildNumber, formatBuild, type ParsedVersion, parseVersion, VersionError } from "./version.js";

export interface CveState {
  status: CveStatus;
  fixedIn: string | null;
  /** Why, when the table alone is not the whole story. */
  note?: string;
}

export type { Recommendation, UpdateStep } from "../model/types.js";

export interface Assessment {
  input: string;
  build: string;
  product: string;
  cu: string;
  update: string;
  warnings: string[];
  cves: Record<string, CveState>;
  recommendation: Recommendation;
}

const TABLE_END = "November 2023";

function openText(n: number): string {
  return n === CVES.length ? "all nine CVEs are open" : `${n} of the nine CVEs are open`;
}

function cuOf(line: CuLine): string {
  return line.product === "Exchange 2013" && line.cu === "CU4" ? "CU4 (SP1)" : line.cu;
}

function step(r: BuildRow): UpdateStep {
  return { name: r.name, build: r.short, kb: r.kb };
}

function newest(line: CuLine): BuildRow {
  return line.updates[line.updates.length - 1] ?? line.base;
}

/** The update level of a build inside its CU: the exact row, or the nearest lower one with a remark. */
function updateName(line: CuLine, b: BuildNumber): string {
  if (b.revision === null) return "unknown (CU only)";
  const rows = [line.base, ...line.updates];
  const exact = rows.find((r) => r.build.revision === b.revision);
  if (exact)
    return exact === line.base
      ? line.base.kind === "ru"
        ? line.base.update
        : "none (CU build)"
      : exact.update;
  const lower = rows.filter((r) => (r.build.revision ?? 0) < b.revision!).pop();
  if (!lower)
    return `none (revision ${b.revision} is below the CU build ${line.base.short}; OWA may report a lower revision)`;
  const last = rows[rows.length - 1];
  if (lower === last && last !== line.base)
    return `${last.update} or later (revision ${b.revision} is newer than the table, which ends in ${TABLE_END})`;
  return `${lower === line.base ? "CU build" : lower.update} + (revision ${b.revision} not in the table)`;
}

function fixRowsFor(product: string, cve: string): FixRow[] {
  return buildTable().fixes.filter((f) => f.product === product && f.cve === cve);
}

/** Exchange 2013 SP1 (CU4): MSRC lists it only for 26857/27065; judge 26855/26858 by the same SU (notes §3.3). */
function sp1Fix(product: string, line: CuLine, cve: string): FixRow | undefined {
  if (product !== "Exchange 2013" || line.cu !== "CU4") return undefined;
  if (cve !== "CVE-2021-26855" && cve !== "CVE-2021-26858") return undefined;
  return fixRowsFor(product, "CVE-2021-26857").find((f) => f.cu === "CU4");
}

function cveState(line: CuLine, b: BuildNumber, cve: string, revisionKnown: boolean): CveState {
  const rows = fixRowsFor(line.product, cve);
  const baseFix = rows.filter((f) => f.cuBase).sort((a, c) => a.fixedIn.build - c.fixedIn.build)[0];
  if (baseFix && b.build >= baseFix.fixedIn.build) return { status: "fixed", fixedIn: baseFix.fixedInShort };
  const suFix = rows.find((f) => f.cu === line.cu && !f.cuBase) ?? sp1Fix(line.product, line, cve);
  if (suFix) {
    const fixedIn = suFix.fixedInShort;
    if (!revisionKnown || b.revision === null)
      return {
        status: "unknown",
        fixedIn,
        note: `CU known, update level not: fixed from ${fixedIn} (${suFix.fixedBy})`,
      };
    if (b.revision >= (suFix.fixedIn.revision ?? 0)) {
      const note =
        suFix.cve !== cve
          ? "MSRC does not list Exchange 2013 SP1 for this CVE; judged by the SP1 March 2021 SU (notes §3.3)"
          : undefined;
      return note ? { status: "fixed", fixedIn, note } : { status: "fixed", fixedIn };
    }
    const tolerant = tolerantCss(line, b);
    return tolerant ? { status: "vulnerable", fixedIn, note: tolerant } : { status: "vulnerable", fixedIn };
  }
  return {
    status: "vulnerable",
    fixedIn: null,
    note: `no fix was released for ${line.product} ${cuOf(line)}: upgrade the CU`,
  };
}

/** Notes §3.1: CSS-Exchange gives lower Mar21SU builds for 2016 CU8/CU9; say so instead of hiding it. */
function tolerantCss(line: CuLine, b: BuildNumber): string | null {
  if (line.product !== "Exchange 2016" || b.revision === null) return null;
  const css: Record<string, number> = { CU8: 8, CU9: 13 };
  const min = css[line.cu];
  if (min === undefined || b.revision < min) return null;
  return `CSS-Exchange lists ${b.major}.${b.minor}.${b.build}.${min} as the March 2021 SU; MS Learn and MSRC say higher. Probably patched: verify locally`;
}

function eos(product: string, now: Date): Recommendation["endOfSupport"] {
  const date = END_OF_SUPPORT[product];
  if (!date) return null;
  const passed = now.toISOString().slice(0, 10) >= date;
  return {
    date,
    passed,
    notice: passed
      ? `${product} reached end of support on ${date}: no further security updates; plan the move to a supported Exchange Server version`
      : `${product} extended support ends on ${date}`,
  };
}

function recommend(line: CuLine, cves: Record<string, CveState>, b: BuildNumber, now: Date): Recommendation {
  const { byProduct } = buildTable();
  const lines = byProduct.get(line.product) ?? [];
  // The table's security-update cut-off for this product: a CU whose newest SU is that recent, or a
  // CU released after it, is still serviced as far as the table can tell.
  const newestSu = lines.reduce((d, l) => (l.updates.length && newest(l).date > d ? newest(l).date : d), "");
  const serviced = (line.updates.length > 0 && newest(line).date === newestSu) || line.base.date > newestSu;
  const open = Object.entries(cves)
    .filter(([, s]) => s.status === "vulnerable")
    .map(([c]) => c);
  const unknown = Object.entries(cves)
    .filter(([, s]) => s.status === "unknown")
    .map(([c]) => c);
  // The fix table marks the March 2021 SUs built for out-of-support CUs as "interim" (notes §4.1).
  const special = buildTable().fixes.find(
    (f) =>
      f.product === line.product &&
      f.cu === line.cu &&
      f.fixedBy === "Mar21SU" &&
      f.note.startsWith("interim"),
  );
  const interimOnly = !!special && b.revision !== null && b.revision >= (special.fixedIn.revision ?? 0);
  const notes: string[] = [];
  const endOfSupport = eos(line.product, now);
  if (interimOnly)
    notes.push(
      "This is a March 2021 SU for an out-of-support CU (KB5000871): it fixes only the four ProxyLogon CVEs, not earlier SUs, ProxyShell or ProxyNotShell. Interim only: upgrade to the latest CU and install its latest SU.",
    );
  let action: Recommendation["action"];
  let steps: UpdateStep[];
  let cuUpgradeNeeded = false;
  if (serviced) {
    const target = newest(line);
    const atTarget = b.revision !== null && b.revision >= (target.build.revision ?? 0);
    if (open.length === 0 && unknown.length === 0) action = "none";
    else if (unknown.length > 0 && open.length === 0) action = "verify";
    else action = "install-su";
    steps = atTarget ? [] : [step(target)];
  } else {
    const best = lines[lines.length - 1];
    if (best.updates.length === 0)
      notes.push(
        `${best.base.name} is newer than the table's last security update: install its newest SU too.`,
      );
    cuUpgradeNeeded = true;
    steps = [step(best.base), ...(best.updates.length ? [step(newest(best))] : [])];
    action =
      open.length === 0 && unknown.length === 0
        ? "none"
        : unknown.length > 0 && open.length === 0
          ? "verify"
          : "upgrade-cu";
    if (action === "none") {
      cuUpgradeNeeded = false;
      notes.push(
        `${line.product} ${cuOf(line)} no longer receives security updates: move to ${best.base.name} and its latest SU for everything fixed after the nine CVEs.`,
      );
    }
  }
  const target = steps.length ? steps[steps.length - 1] : null;
  const summary =
    action === "none"
      ? `The nine ProxyLogon/ProxyShell/ProxyNotShell CVEs are fixed on this build${target ? `; newest update in the table: ${target.name} (${target.kb ?? "no KB"}, ${target.build})` : ""}.`
      : action === "verify"
        ? `Update level unknown: check ExSetup.exe's file version; if below the fixed builds, install ${target ? `${target.name} (${target.kb ?? "no KB"}, ${target.build})` : "the latest SU"}.`
        : cuUpgradeNeeded
          ? `Upgrade to ${steps[0].name} (${steps[0].kb ?? "no KB"}, ${steps[0].build})${steps[1] ? `, then install ${steps[1].name} (${steps[1].kb ?? "no KB"}, ${steps[1].build})` : ""}: ${openText(open.length)} and ${line.product} ${cuOf(line)} has no fix for some of them.`
          : `Install ${target?.name} (${target?.kb ?? "no KB"}, ${target?.build}): ${openText(open.length)}.`;
  if (endOfSupport?.passed) notes.push(endOfSupport.notice);
  notes.push(`The build table ends with the ${TABLE_END} security updates; newer updates exist.`);
  return { action, cuUpgradeNeeded, target, steps, interimOnly, endOfSupport, summary, notes };
}

function assess2010(parsed: ParsedVersion, now: Date): Assessment {
  const b = parsed.build;
  if (b.minor !== 3)
    throw new VersionError(`${parsed.input}: Exchange 2010 before SP3 is not in the build table`);
  const { rows } = buildTable();
  const rus = rows.filter((r) => r.product === "Exchange 2010");
  const ru32 = rus.find((r) => r.update === "Update Rollup 32")!;
  const exact = rus.find(
    (r) => r.build.build === b.build && (b.revision === null || r.build.revision === b.revision),
  );
  const below = rus.filter((r) => r.build.build <= b.build).pop();
  const update = exact
    ? exact.update
    : below
      ? `${below.update} or later (build not in the table)`
      : "older than Update Rollup 26";
  const unknownNote =
    "Exchange 2010 is out of support: no source states whether it is exposed; no fix exists";
  const cves: Record<string, CveState> = {};
  for (const cve of CVES) {
    if (cve === "CVE-2021-26857") {
      const fixed =
        b.build > ru32.build.build ||
        (b.build === ru32.build.build && (b.revision ?? 0) >= (ru32.build.revision ?? 0));
      cves[cve] = {
        status: fixed ? "fixed" : "vulnerable",
        fixedIn: ru32.short,
        note: "Exchange 2010 is exposed only with the Unified Messaging role",
      };
    } else if (cve.startsWith("CVE-2021-2")) {
      cves[cve] = {
        status: "not-affected",
        fixedIn: null,
        note: "MSRC lists Exchange 2010 SP3 only for CVE-2021-26857",
      };
    } else cves[cve] = { status: "unknown", fixedIn: null, note: unknownNote };
  }
  const open = cves["CVE-2021-26857"].status === "vulnerable";
  const endOfSupport = eos("Exchange 2010", now);
  const notes = [endOfSupport?.notice ?? "", unknownNote].filter(Boolean);
  return {
    input: parsed.input,
    build: formatBuild(b),
    product: "Exchange 2010",
    cu: "SP3",
    update,
    warnings: parsed.warning ? [parsed.warning] : [],
    cves,
    recommendation: {
      action: "unsupported",
      cuUpgradeNeeded: false,
      target: open ? step(ru32) : null,
      steps: open ? [step(ru32)] : [],
      interimOnly: false,
      endOfSupport,
      summary: open
        ? `Install ${ru32.name} (${ru32.kb}, ${ru32.short}) for CVE-2021-26857, then migrate: Exchange 2010 is out of support.`
        : "Exchange 2010 is out of support: migrate to a supported version.",
      notes,
    },
  };
}

/** The build beyond the newest CU of its product in the table (e.g. 2019 CU14, CU15, Exchange SE). */
function newerThanTable(parsed: ParsedVersion, lines: CuLine[], now: Date): Assessment {
  const last = lines[lines.length - 1];
  const cves: Record<string, CveState> = {};
  for (const cve of CVES) {
    const base = fixRowsFor(last.product, cve).find((f) => f.cuBase);
    cves[cve] = base
      ? {
          status: "fixed",
          fixedIn: base.fixedInShort,
          note: `newer CU than ${last.cu}, which ships with the fix`,
        }
      : { status: "unknown", fixedIn: null, note: "build newer than the table" };
  }
  const endOfSupport = eos(last.product, now);
  return {
    input: parsed.input,
    build: formatBuild(parsed.build),
    product: last.product,
    cu: `newer than ${last.cu} (not in the table)`,
    update: "unknown (not in the table)",
    warnings: [
      ...(parsed.warning ? [parsed.warning] : []),
      `build ${formatBuild(parsed.build)} is newer than the newest ${last.product} CU in the table (${last.cu}, ${last.base.short})`,
    ],
    cves,
    recommendation: {
      action: Object.values(cves).every((s) => s.status === "fixed") ? "none" : "verify",
      cuUpgradeNeeded: false,
      target: null,
      steps: [],
      interimOnly: false,
      endOfSupport,
      summary:
        "Newer than the build table: the nine CVEs are fixed in the CU itself; keep installing the latest SU.",
      notes: [
        ...(endOfSupport?.passed ? [endOfSupport.notice] : []),
        `The build table ends with the ${TABLE_END} security updates.`,
      ],
    },
  };
}

function productOf(b: BuildNumber): string | null {
  if (b.major === 14) return "Exchange 2010";
  return (
    ({ 0: "Exchange 2013", 1: "Exchange 2016", 2: "Exchange 2019" } as Record<number, string>)[b.minor] ??
    null
  );
}

/** Assess one build (any input form). Throws VersionError for malformed or unknown builds. */
export function assessBuild(input: string | ParsedVersion, now = new Date()): Assessment {
  const parsed = typeof input === "string" ? parseVersion(input) : input;
  const b = parsed.build;
  const product = productOf(b);
  if (!product)
    throw new VersionError(
      `${parsed.input}: 15.${b.minor} is not Exchange 2013 (15.0), 2016 (15.1) or 2019 (15.2)`,
    );
  if (product === "Exchange 2010") return assess2010(parsed, now);
  const line = lineFor(b);
  if (!line) {
    const lines = buildTable().byProduct.get(product) ?? [];
    const last = lines[lines.length - 1];
    if (last && b.build > last.base.build.build) return newerThanTable(parsed, lines, now);
    throw new VersionError(
      `${parsed.input}: no ${product} CU has build ${b.build} (known: ${lines.map((l) => `${l.cu}=${l.base.build.build}`).join(", ")})`,
    );
  }
  const revisionKnown = parsed.warning === null && b.revision !== null;
  const cves: Record<string, CveState> = {};
  for (const cve of CVES) cves[cve] = cveState(line, b, cve, revisionKnown);
  return {
    input: parsed.input,
    build: formatBuild(b),
    product,
    cu: cuOf(line),
    update: revisionKnown ? updateName(line, b) : "unknown (CU only)",
    warnings: parsed.warning ? [parsed.warning] : [],
    cves,
    recommendation: recommend(line, cves, revisionKnown ? b : { ...b, revision: null }, now),
  };
}

/** The ServerResult.exposure form of an assessment. */
export function toExposure(a: Assessment, buildSource: string, asOf: string | null): Exposure {
  const cves: Exposure["cves"] = {};
  for (const [k, v] of Object.entries(a.cves)) cves[k] = { status: v.status, fixedIn: v.fixedIn };
  return {
    build: a.build,
    buildSource,
    asOf,
    product: a.product,
    cu: a.cu,
    update: a.update,
    cves,
    recommendation: a.recommendation,
  };
}
