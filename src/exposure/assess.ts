// From a build number to: product, CU, update level, per-CVE status and the update to install.
// Logic of exchange-builds-notes.md §4–§5.4 and §7: match the CU (third component) first; a CU whose
// base ships the fix is fixed at every revision; otherwise the CU's fixing update decides by
// revision; a CU with neither is vulnerable with no fix on that CU (HealthChecker's rule, notes
// §3.7). Fixes that also need configuration are "config-check", never plain "fixed" (§3.12).
import type { ConfigCheck, CveStatus, Exposure, Recommendation } from "../model/types.js";
import { CONFIG_CHECKS, END_OF_SUPPORT, OVERRIDE_CHECK, SUCCESSOR } from "./cves.js";
import { bestLine, cuOf, newest, recommend, step, supportOf } from "./recommend.js";
import { type BuildTable, buildTable, type CuLine, type FixRow, lineFor, tableMonth } from "./table.js";
import { type BuildNumber, formatBuild, type ParsedVersion, parseVersion, VersionError } from "./version.js";

export interface CveState {
  status: CveStatus;
  fixedIn: string | null;
  /** The update that first fixes it on this line ("Aug25SU", "CU base (…)"), when there is one. */
  fixedBy: string | null;
  kb: string | null;
  /** Why, when the table alone is not the whole story. */
  note?: string;
  /** What to verify on the server: a configuration step the fix needs, or an override that undoes it. */
  check?: ConfigCheck;
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

function fixRowsFor(t: BuildTable, product: string, cve: string): FixRow[] {
  return t.fixesBy.get(`${product}|${cve}`) ?? [];
}

/** The configuration check of a CVE: a required step (notes §3.12), or a SettingOverride named in the fix table's notes. */
export function configCheck(t: BuildTable, cve: string): ConfigCheck | undefined {
  const req = CONFIG_CHECKS[cve];
  if (req) return { kind: "required", ...req };
  const o = t.overrides.get(cve);
  return o
    ? { kind: "override", what: `the fix can be switched off by a SettingOverride (${o})`, ...OVERRIDE_CHECK }
    : undefined;
}

function kbOf(t: BuildTable, f: FixRow): string | null {
  return f.kb ?? t.rows.find((r) => r.short === f.fixedInShort)?.kb ?? null;
}

function fixedState(t: BuildTable, cve: string, f: FixRow, note?: string): CveState {
  const check = configCheck(t, cve);
  const s: CveState = {
    status: check?.kind === "required" ? "config-check" : "fixed",
    fixedIn: f.fixedInShort,
    fixedBy: f.fixedBy,
    kb: kbOf(t, f),
  };
  if (note) s.note = note;
  if (check) s.check = check;
  return s;
}

/** Exchange 2013 SP1 (CU4): MSRC lists it only for 26857/27065; judge 26855/26858 by the same SU (notes §3.3). */
function sp1Fix(t: BuildTable, line: CuLine, cve: string): FixRow | undefined {
  if (line.product !== "Exchange 2013" || line.cu !== "CU4") return undefined;
  if (cve !== "CVE-2021-26855" && cve !== "CVE-2021-26858") return undefined;
  return fixRowsFor(t, line.product, "CVE-2021-26857").find((f) => f.cu === "CU4");
}

/** "upgrade to Exchange 2016 CU23 or move to Exchange SE": the lines that do have a fix. */
function moveTo(t: BuildTable, line: CuLine, cve: string): string {
  const best = bestLine(t, line.product);
  const inProduct =
    best && best !== line && cveState(t, best, newest(best).build, cve, true).fixedIn !== null
      ? `upgrade to ${best.product} ${cuOf(best)}`
      : "";
  const se = line.product !== SUCCESSOR ? bestLine(t, SUCCESSOR) : undefined;
  const toSe =
    se && cveState(t, se, newest(se).build, cve, true).status !== "vulnerable" ? `move to ${SUCCESSOR}` : "";
  return [inProduct, toSe].filter(Boolean).join(" or ") || "migrate to a supported version";
}

function cveState(
  t: BuildTable,
  line: CuLine,
  b: BuildNumber,
  cve: string,
  revisionKnown: boolean,
): CveState {
  const rows = fixRowsFor(t, line.product, cve);
  const baseFix = rows
    .filter((f) => f.cuBase && f.fixedIn)
    .sort((a, c) => (a.fixedIn?.build ?? 0) - (c.fixedIn?.build ?? 0))[0];
  if (baseFix?.fixedIn && b.build >= baseFix.fixedIn.build) return fixedState(t, cve, baseFix);
  const lineRow = rows.find((f) => f.cu === line.cu && !f.cuBase) ?? sp1Fix(t, line, cve);
  const check = configCheck(t, cve);
  const open = (s: CveState): CveState => (check?.kind === "required" ? { ...s, check } : s);
  if (lineRow?.fixedIn) {
    const fixedIn = lineRow.fixedInShort;
    const known = { fixedIn, fixedBy: lineRow.fixedBy, kb: kbOf(t, lineRow) };
    if (!revisionKnown || b.revision === null)
      return {
        status: "unknown",
        ...known,
        note: `CU known, update level not: fixed from ${fixedIn} (${lineRow.fixedBy})`,
      };
    if (b.revision >= (lineRow.fixedIn.revision ?? 0))
      return fixedState(
        t,
        cve,
        lineRow,
        lineRow.cve !== cve
          ? "MSRC does not list Exchange 2013 SP1 for this CVE; judged by the SP1 March 2021 SU (notes §3.3)"
          : undefined,
      );
    const tolerant = tolerantCss(line, b);
    return open({ status: "vulnerable", ...known, ...(tolerant ? { note: tolerant } : {}) });
  }
  // A "no fix on this CU line" row of the fix table says what to do; otherwise say it here.
  const note =
    lineRow?.note || `no fix was released for ${line.product} ${cuOf(line)}: ${moveTo(t, line, cve)}`;
  return open({ status: "vulnerable", fixedIn: null, fixedBy: null, kb: null, note });
}

/** Notes §3.1: CSS-Exchange gives lower Mar21SU builds for 2016 CU8/CU9; say so instead of hiding it. */
function tolerantCss(line: CuLine, b: BuildNumber): string | null {
  if (line.product !== "Exchange 2016" || b.revision === null) return null;
  const css: Record<string, number> = { CU8: 8, CU9: 13 };
  const min = css[line.cu];
  if (min === undefined || b.revision < min) return null;
  return `CSS-Exchange lists ${b.major}.${b.minor}.${b.build}.${min} as the March 2021 SU; MS Learn and MSRC say higher. Probably patched: verify locally`;
}

/** The update level of a build inside its CU: the exact row, or the nearest lower one with a remark. */
function updateName(t: BuildTable, line: CuLine, b: BuildNumber, newer: boolean): string {
  if (b.revision === null) return "unknown (CU only)";
  const rows = [line.base, ...line.updates];
  const exact = rows.find((r) => r.build.revision === b.revision);
  if (exact)
    return exact === line.base
      ? line.base.kind === "ru"
        ? line.base.update
        : "none (CU build)"
      : exact.update;
  const rev = b.revision;
  const lower = rows.filter((r) => (r.build.revision ?? 0) < rev).pop();
  if (!lower)
    return `none (revision ${rev} is below the CU build ${line.base.short}; OWA may report a lower revision)`;
  if (newer)
    return `newer than the known builds (table of ${tableMonth(t)}; newest on this line: ${newest(line).update} ${newest(line).short})`;
  return `${lower === line.base ? "CU build" : lower.update} + (revision ${rev} not in the table)`;
}

function assess2010(t: BuildTable, parsed: ParsedVersion, now: Date): Assessment {
  const b = parsed.build;
  if (b.minor !== 3)
    throw new VersionError(`${parsed.input}: Exchange 2010 before SP3 is not in the build table`);
  const rus = t.rows.filter((r) => r.product === "Exchange 2010");
  const ru32 = rus.find((r) => r.update === "Update Rollup 32");
  if (!ru32) throw new VersionError(`${parsed.input}: the build table has no Exchange 2010 Update Rollup 32`);
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
  const none = { fixedBy: null, kb: null };
  for (const cve of t.cves) {
    if (cve === "CVE-2021-26857") {
      const fixed =
        b.build > ru32.build.build ||
        (b.build === ru32.build.build && (b.revision ?? 0) >= (ru32.build.revision ?? 0));
      cves[cve] = {
        status: fixed ? "fixed" : "vulnerable",
        fixedIn: ru32.short,
        fixedBy: ru32.update,
        kb: ru32.kb,
        note: "Exchange 2010 is exposed only with the Unified Messaging role",
      };
    } else if (cve.startsWith("CVE-2021-2")) {
      cves[cve] = {
        status: "not-affected",
        fixedIn: null,
        ...none,
        note: "MSRC lists Exchange 2010 SP3 only for CVE-2021-26857",
      };
    } else cves[cve] = { status: "unknown", fixedIn: null, ...none, note: unknownNote };
  }
  const open = cves["CVE-2021-26857"]?.status === "vulnerable";
  const date = END_OF_SUPPORT["Exchange 2010"];
  const se = bestLine(t, SUCCESSOR);
  const notice = `Exchange 2010 reached end of support on ${date}: migrate to ${SUCCESSOR}`;
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
      endOfSupport: { date, passed: now.toISOString().slice(0, 10) >= date, notice },
      summary: open
        ? `Install ${ru32.name} (${ru32.kb}, ${ru32.short}) for CVE-2021-26857, then migrate: Exchange 2010 is out of support.`
        : "Exchange 2010 is out of support: migrate to a supported version.",
      notes: [
        notice,
        unknownNote,
        `The build table's newest build is of ${t.newestDate} (table of ${tableMonth(t)}).`,
      ],
      support: {
        status: "unsupported",
        lineServiced: false,
        notice,
        upgradePath: se ? [step(se.base), ...(se.updates.length ? [step(newest(se))] : [])] : [],
      },
      newerUpdates: [],
      tableDate: t.newestDate,
      newerThanTable: false,
    },
  };
}

/** A CU the table does not know, above the newest of its product (a later SE CU, notes §7.2–§7.3). */
function newerThanTable(t: BuildTable, parsed: ParsedVersion, last: CuLine, now: Date): Assessment {
  const cves: Record<string, CveState> = {};
  for (const cve of t.cves) {
    const base = fixRowsFor(t, last.product, cve).find((f) => f.cuBase && f.fixedIn);
    cves[cve] = base
      ? fixedState(t, cve, base, `newer CU than ${last.cu}, which ships with the fix`)
      : {
          status: "unknown",
          fixedIn: null,
          fixedBy: null,
          kb: null,
          note: `CU newer than the known builds (table of ${tableMonth(t)}): a later CU contains the fixes released before it, but the table cannot say which`,
        };
  }
  const month = tableMonth(t);
  const rec = recommend({
    table: t,
    line: last,
    cves,
    build: { ...parsed.build, revision: null },
    now,
    newerThanTable: true,
    closes: () => false,
  });
  rec.action = "verify";
  rec.steps = [];
  rec.target = null;
  rec.cuUpgradeNeeded = false;
  rec.summary = `Newer than the known builds (table of ${month}): the CVEs fixed in ${last.product} ${last.cu} itself are fixed; for the others load a newer table (--data) or check HealthChecker.`;
  rec.support = {
    ...supportOf(t, last, now),
    notice: `${last.product} build newer than the table of ${month}`,
  };
  return {
    input: parsed.input,
    build: formatBuild(parsed.build),
    product: last.product,
    cu: `newer than ${last.cu} (not in the table)`,
    update: `newer than the known builds (table of ${month})`,
    warnings: [
      ...(parsed.warning ? [parsed.warning] : []),
      `build ${formatBuild(parsed.build)} is newer than the newest ${last.product} CU in the table (${last.cu}, ${last.base.short}; table of ${month})`,
    ],
    cves,
    recommendation: rec,
  };
}

const MINOR_PRODUCT: Record<number, string> = { 0: "Exchange 2013", 1: "Exchange 2016", 2: "Exchange 2019" };

/** 15.2 is shared: the product is that of the nearest CU at or below the build (SE from 15.2.2562). */
function lineBelow(t: BuildTable, b: BuildNumber): CuLine | undefined {
  let best: CuLine | undefined;
  for (const l of t.lines.values()) {
    const lb = l.base.build;
    if (lb.major !== b.major || lb.minor !== b.minor || lb.build > b.build) continue;
    if (!best || lb.build > best.base.build.build) best = l;
  }
  return best;
}

/** Assess one build (any input form) against the shipped table or one given. Throws VersionError for malformed or unknown builds. */
export function assessBuild(
  input: string | ParsedVersion,
  now = new Date(),
  table: BuildTable = buildTable(),
): Assessment {
  const t = table;
  const parsed = typeof input === "string" ? parseVersion(input) : input;
  const b = parsed.build;
  if (b.major === 14) return assess2010(t, parsed, now);
  if (!MINOR_PRODUCT[b.minor])
    throw new VersionError(
      `${parsed.input}: 15.${b.minor} is not Exchange 2013 (15.0), 2016 (15.1), 2019 or SE (15.2)`,
    );
  const line = lineFor(b, t);
  if (!line) {
    const below = lineBelow(t, b);
    const lines = below ? (t.byProduct.get(below.product) ?? []) : [];
    if (below && below === lines[lines.length - 1]) return newerThanTable(t, parsed, below, now);
    const product = below?.product ?? MINOR_PRODUCT[b.minor];
    const known = (t.byProduct.get(product) ?? []).map((l) => `${l.cu}=${l.base.build.build}`).join(", ");
    throw new VersionError(`${parsed.input}: no ${product} CU has build ${b.build} (known: ${known})`);
  }
  const revisionKnown = parsed.warning === null && b.revision !== null;
  const serviced = supportOf(t, line, now).lineServiced;
  const top = newest(line).build.revision ?? 0;
  const beyond = revisionKnown && (b.revision ?? 0) > top;
  const warnings = parsed.warning ? [parsed.warning] : [];
  if (beyond && !serviced)
    warnings.push(
      `revision ${b.revision} is above the last update of ${line.product} ${cuOf(line)} (${newest(line).short}), a line that no longer gets updates: verify the build`,
    );
  else if (beyond)
    warnings.push(
      `build ${formatBuild(b)} is newer than the known builds (table of ${tableMonth(t)}): CVEs published after the table are not assessed`,
    );
  const cves: Record<string, CveState> = {};
  for (const cve of t.cves) cves[cve] = cveState(t, line, b, cve, revisionKnown);
  const rb = revisionKnown ? b : { ...b, revision: null };
  return {
    input: parsed.input,
    build: formatBuild(b),
    product: line.product,
    cu: cuOf(line),
    update: revisionKnown ? updateName(t, line, b, beyond && serviced) : "unknown (CU only)",
    warnings,
    cves,
    recommendation: recommend({
      table: t,
      line,
      cves,
      build: rb,
      now,
      newerThanTable: beyond && serviced,
      closes: (l, cve) => cveState(t, l, newest(l).build, cve, true).status !== "vulnerable",
    }),
  };
}

/** The per-CVE form shared by `build --json`, the probe and ServerResult.exposure. */
export function cveJson(s: CveState): Exposure["cves"][string] {
  const o: Exposure["cves"][string] = { status: s.status, fixedIn: s.fixedIn, fixedBy: s.fixedBy, kb: s.kb };
  if (s.check) o.check = s.check;
  return o;
}

/** The ServerResult.exposure form of an assessment. */
export function toExposure(a: Assessment, buildSource: string, asOf: string | null): Exposure {
  const cves: Exposure["cves"] = {};
  for (const [k, v] of Object.entries(a.cves)) cves[k] = cveJson(v);
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
