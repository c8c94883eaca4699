// What to do about a build: the update to install on its CU line (or the CU to move to), the
// product's and the line's support status with the path to Exchange SE, and the newer updates the
// table knows of. Servicing is read from the table itself: a line is serviced while its newest
// update is the product's newest (notes §3.14).
import type { Recommendation, SupportStatus, UpdateStep } from "../model/types.js";
import { CONFIG_CHECKS, END_OF_SUPPORT, SUCCESSOR, UNMAPPED_CVES } from "./cves.js";
import { type BuildRow, type BuildTable, type CuLine, tableMonth } from "./table.js";
import type { BuildNumber } from "./version.js";

/** The per-CVE answer the recommendation needs (assess.ts's CveState). */
export interface CveAnswer {
  status: string;
  fixedIn: string | null;
}

export function newest(line: CuLine): BuildRow {
  return line.updates[line.updates.length - 1] ?? line.base;
}

export function cuOf(line: CuLine): string {
  return line.product === "Exchange 2013" && line.cu === "CU4" ? "CU4 (SP1)" : line.cu;
}

function esuOnly(r: BuildRow): boolean {
  const eos = END_OF_SUPPORT[r.product];
  return !!eos && r.date > eos;
}

export function step(r: BuildRow): UpdateStep {
  const s: UpdateStep = { name: r.name, build: r.short, kb: r.kb, date: r.date };
  if (esuOnly(r)) s.esuOnly = true;
  return s;
}

function say(s: UpdateStep): string {
  return `${s.name} (${s.kb ?? "no KB"}, ${s.build})`;
}

/** The line still gets updates: its newest update is its product's newest, or it is newer than that. */
export function lineServiced(t: BuildTable, line: CuLine): boolean {
  const lines = t.byProduct.get(line.product) ?? [];
  const newestUpdate = lines.reduce(
    (d, l) => (l.updates.length && newest(l).date > d ? newest(l).date : d),
    "",
  );
  return (line.updates.length > 0 && newest(line).date === newestUpdate) || line.base.date > newestUpdate;
}

/** The newest serviced CU line of a product (the one to move to). */
export function bestLine(t: BuildTable, product: string): CuLine | undefined {
  const lines = t.byProduct.get(product) ?? [];
  return lines.filter((l) => lineServiced(t, l)).pop() ?? lines[lines.length - 1];
}

/** The way to Exchange SE (notes §4.4: in-place upgrade from 2019 CU14/CU15; otherwise a migration). */
function upgradePath(t: BuildTable, line: CuLine): { steps: UpdateStep[]; how: string } {
  const se = bestLine(t, SUCCESSOR);
  if (!se || line.product === SUCCESSOR) return { steps: [], how: "" };
  const seSteps = [step(se.base), ...(se.updates.length ? [step(newest(se))] : [])];
  if (line.product === "Exchange 2019") {
    if (line.index >= 14) return { steps: seSteps, how: "in-place upgrade from 2019 CU14/CU15" };
    const cu15 = (t.byProduct.get("Exchange 2019") ?? []).find((l) => l.index === 15);
    return {
      steps: cu15 ? [step(cu15.base), ...seSteps] : seSteps,
      how: "in-place upgrade once the server is on 2019 CU14 or CU15",
    };
  }
  return { steps: seSteps, how: "install Exchange SE servers and move the mailboxes (no in-place upgrade)" };
}

export function supportOf(t: BuildTable, line: CuLine, now: Date): SupportStatus {
  const eos = END_OF_SUPPORT[line.product];
  const passed = !!eos && now.toISOString().slice(0, 10) >= eos;
  const serviced = lineServiced(t, line);
  const last = newest(line);
  const name = `${line.product} ${cuOf(line)}`;
  const up = upgradePath(t, line);
  const toSe = up.steps.length ? `move to ${SUCCESSOR} (${up.how})` : "";
  if (!passed) {
    if (serviced)
      return { status: "supported", lineServiced: true, notice: `${name} receives updates`, upgradePath: [] };
    const best = bestLine(t, line.product);
    const steps = best ? [step(best.base), ...(best.updates.length ? [step(newest(best))] : [])] : [];
    return {
      status: "unsupported",
      lineServiced: false,
      notice: `${name} no longer receives security updates (last: ${last === line.base ? "the CU build" : last.update}, ${last.date})${best ? `: move to ${best.product} ${cuOf(best)}` : ""}`,
      upgradePath: steps,
    };
  }
  const esu = line.updates.filter((u) => u.date > eos);
  if (serviced && esu.length)
    return {
      status: "esu-only",
      lineServiced: true,
      notice: `${line.product} reached end of support on ${eos}; its updates after that (${esu.map((u) => u.update).join(", ")}) are for Extended Security Update customers only${toSe ? `. Without ESU: ${toSe}` : ""}`,
      upgradePath: up.steps,
    };
  return {
    status: "unsupported",
    lineServiced: serviced,
    notice: `${line.product} reached end of support on ${eos}${serviced ? "" : `; ${cuOf(line)} got its last update in ${last.date.slice(0, 7)}`}${toSe ? `: ${toSe}` : ""}`,
    upgradePath: up.steps,
  };
}

function eos(product: string, now: Date): Recommendation["endOfSupport"] {
  const date = END_OF_SUPPORT[product];
  if (!date) return null;
  const passed = now.toISOString().slice(0, 10) >= date;
  return {
    date,
    passed,
    notice: passed
      ? `${product} reached end of support on ${date}: no further public security updates; plan the move to ${SUCCESSOR}`
      : `${product} extended support ends on ${date}`,
  };
}

export interface RecommendInput {
  table: BuildTable;
  line: CuLine;
  cves: Record<string, CveAnswer>;
  /** The build; revision null when only the CU is known. */
  build: BuildNumber;
  now: Date;
  /** The build is newer than every build of its (serviced) line. */
  newerThanTable: boolean;
  /** Open CVEs an update of this line (or of the line to move to) closes: judged by the caller. */
  closes: (line: CuLine, cve: string) => boolean;
}

function openText(n: number, of: number): string {
  return n === of
    ? `all ${of} tracked CVEs are open`
    : `${n} of the ${of} tracked CVEs ${n === 1 ? "is" : "are"} open`;
}

export function recommend(i: RecommendInput): Recommendation {
  const { table: t, line, cves, build: b, now } = i;
  const total = Object.keys(cves).length;
  const ids = (s: string) =>
    Object.entries(cves)
      .filter(([, c]) => c.status === s)
      .map(([k]) => k);
  const open = ids("vulnerable");
  const unknown = ids("unknown");
  const config = ids("config-check");
  const serviced = lineServiced(t, line);
  const support = supportOf(t, line, now);
  const endOfSupport = eos(line.product, now);
  // The fix table marks the March 2021 SUs built for out-of-support CUs as "interim" (notes §4.1).
  const special = t.fixes.find(
    (f) =>
      f.product === line.product &&
      f.cu === line.cu &&
      f.fixedBy === "Mar21SU" &&
      f.note.startsWith("interim"),
  );
  const interimOnly = !!special && b.revision !== null && b.revision >= (special.fixedIn?.revision ?? 0);
  const newerUpdates =
    b.revision === null
      ? []
      : line.updates
          .filter(
            (u) => (u.build.revision ?? 0) > (b.revision ?? 0) && (u.kind === "su" || u.fixes.length > 0),
          )
          .map(step);
  const notes: string[] = [];
  if (interimOnly)
    notes.push(
      "This is a March 2021 SU for an out-of-support CU (KB5000871): it fixes only the four ProxyLogon CVEs, not earlier SUs, ProxyShell or ProxyNotShell. Interim only: upgrade to the latest CU and install its latest SU.",
    );
  const best = serviced ? line : (bestLine(t, line.product) ?? line);
  const cuUpgradeNeeded = best !== line;
  const target = newest(best);
  const atTarget = !cuUpgradeNeeded && b.revision !== null && b.revision >= (target.build.revision ?? 0);
  const steps = cuUpgradeNeeded
    ? [step(best.base), ...(best.updates.length ? [step(target)] : [])]
    : atTarget
      ? []
      : [step(target)];
  const fixable = open.filter((c) => i.closes(best, c));
  const unfixable = open.filter((c) => !fixable.includes(c));
  let action: Recommendation["action"];
  if (fixable.length) action = cuUpgradeNeeded ? "upgrade-cu" : "install-su";
  else if (unfixable.length) action = support.status === "supported" ? "upgrade-cu" : "unsupported";
  else if (unknown.length || i.newerThanTable) action = "verify";
  else if (newerUpdates.length) action = "install-su";
  else action = "none";
  const last = steps.length ? steps[steps.length - 1] : null;
  const month = tableMonth(t);
  const esuNames = newerUpdates.filter((u) => u.esuOnly).map((u) => u.name.split(" ").pop());
  const esu = esuNames.length ? ` (${esuNames.join(", ")}: ESU customers only)` : "";
  let summary: string;
  if (action === "none")
    summary = `Current: every tracked CVE (${total}) is fixed on this build${config.length ? ` (${config.length} with configuration to check)` : ""}, the newest update of its line in the table of ${month}.`;
  else if (action === "verify")
    summary = i.newerThanTable
      ? `Newer than the known builds (table of ${month}): the CVEs the table tracks are fixed on this line by this build; newer CVEs are not known to it (load a newer table with --data).`
      : `Update level unknown: check ExSetup.exe's file version; if below the fixed builds, install ${last ? say(last) : "the latest update"}.`;
  else if (action === "install-su")
    summary = open.length
      ? `Install ${say(steps[0])}${steps[0].esuOnly ? ` (ESU customers only; without ESU: move to ${SUCCESSOR})` : ""}: ${openText(open.length, total)}.`
      : `Every tracked CVE is fixed on this build${config.length ? ` (${config.length} with configuration to check)` : ""}, but newer security updates exist: install ${say(steps[0])}${esu}.`;
  else if (action === "upgrade-cu")
    summary = cuUpgradeNeeded
      ? `Upgrade to ${say(steps[0])}${steps[1] ? `, then install ${say(steps[1])}${steps[1].esuOnly ? ` (ESU customers only; without ESU: move to ${SUCCESSOR})` : ""}` : ""}: ${openText(open.length, total)} and ${line.product} ${cuOf(line)} has no fix for some of them.`
      : `${openText(open.length, total)} and no update of ${line.product} fixes them: ${support.notice}.`;
  else
    summary = `${openText(open.length, total)}; no update of ${line.product} ${cuOf(line)} fixes ${unfixable.length > 3 ? `${unfixable.length} of them` : unfixable.join(", ")}: ${support.upgradePath.length ? `move to ${SUCCESSOR}` : "migrate to a supported version"}.`;
  if (unfixable.length && action !== "unsupported")
    notes.push(
      `No update of ${line.product} fixes ${unfixable.join(", ")}${support.upgradePath.length ? `: move to ${SUCCESSOR}` : ""}.`,
    );
  for (const c of unfixable.filter((c) => CONFIG_CHECKS[c]))
    notes.push(`${c}: no build fix here, but ${CONFIG_CHECKS[c].what}.`);
  if (config.length)
    notes.push(
      `Build fixed, configuration to check: ${config.map((c) => `${c} (${CONFIG_CHECKS[c]?.what ?? "see the CVE note"})`).join("; ")}.`,
    );
  if (newerUpdates.length && !open.length && action !== "install-su")
    notes.push(`Newer security updates exist: ${newerUpdates.map(say).join(", ")}${esu}.`);
  // Updates after the newest one the table maps a CVE to (notes §3.13), not v1/v2 re-releases before it.
  const lastMapped = t.rows.reduce((d, r) => (r.fixes.length && r.date > d ? r.date : d), "");
  const unmapped = newerUpdates.filter((u) => (u.date ?? "") > lastMapped);
  if (unmapped.length) {
    const names = unmapped.map((u) => u.name.split(" ").pop() ?? u.name);
    const known = names.filter((n) => UNMAPPED_CVES[n]).map((n) => `${n}: ${UNMAPPED_CVES[n]}`);
    notes.push(
      `The table names no CVE for ${names.join(", ")}: the CVEs they fix are not assessed here (first fixed build unconfirmed, notes §3.13${known.length ? `; ${known.join("; ")}` : ""}); install them anyway.`,
    );
  }
  if (support.status !== "supported") notes.push(support.notice);
  if (endOfSupport?.passed && !(support.status !== "supported" && support.notice.includes("end of support")))
    notes.push(endOfSupport.notice);
  notes.push(`The build table's newest build is of ${t.newestDate} (table of ${month}).`);
  return {
    action,
    cuUpgradeNeeded,
    target: last,
    steps,
    interimOnly,
    endOfSupport,
    summary,
    notes,
    support,
    newerUpdates,
    tableDate: t.newestDate,
    newerThanTable: i.newerThanTable,
  };
}
