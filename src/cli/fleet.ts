// `exhunt fleet …`: the fleet store's commands (list, show, diff, ack, unack, status, import, export).
// Every command takes --store FILE (or $EXHUNT_STORE), and --json / --csv <file|-> for machines.

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { type Command, Option } from "commander";
import type { Acknowledgement, FleetStore, ListFilter, ServerStatus } from "../fleet.js";
import { UsageError } from "../index.js";
import { count } from "../model/plural.js";
import { findingsCsv, fleetCsv, renderDiff, renderFleetTable, renderServer } from "../outputs/fleet.js";
import { csvRow, forTerminal } from "../outputs/safe.js";
import { type CountProgress, countProgress } from "./progress.js";

interface Common {
  store?: string;
  json?: string;
  csv?: string;
  /** false with --no-progress (imports and export). */
  progress?: boolean;
}

/**
 * A progress line for fleet-wide work: on a terminal (stderr) only, and not when a machine reads the
 * result (--json for imports; NDJSON or CSV on stdout for the export) or with --no-progress.
 */
function fleetProgress(o: Common, label: string, machine: boolean): CountProgress {
  return countProgress(label, process.stderr, o.progress !== false && !machine);
}

const VERDICTS = ["compromised", "suspicious", "attempted", "vulnerable", "clean", "unknown"];

function whoAmI(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

async function withStore<T>(o: Common, fn: (s: FleetStore) => Promise<T>): Promise<T> {
  const path = o.store ?? process.env.EXHUNT_STORE;
  if (!path) throw new UsageError("name the store: --store FILE (or set EXHUNT_STORE)");
  // Loaded here: the native SQLite module costs nothing to commands that do not use it.
  const { openStore } = await import("../fleet.js");
  const store = await openStore(path);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Write machine output; `-` is stdout. Returns true when stdout was used (the table then goes to stderr). */
async function emit(target: string | undefined, text: string | (() => string)): Promise<boolean> {
  if (!target) return false;
  // Made only when asked for: the CSV of 10,000 servers cost `fleet list` ~90 ms it did not need.
  const body = typeof text === "string" ? text : text();
  if (target === "-") {
    process.stdout.write(body);
    return true;
  }
  await writeFile(target, body);
  return false;
}

async function outputs(o: Common, human: string, json: unknown, csv: string | (() => string)): Promise<void> {
  if (o.json === "-" && o.csv === "-") throw new UsageError("only one of --json and --csv can be - (stdout)");
  const toStdout =
    (await emit(o.json, () => `${JSON.stringify(json, null, 2)}\n`)) || (await emit(o.csv, csv));
  (toStdout ? process.stderr : process.stdout).write(human);
}

function common(c: Command): Command {
  return c
    .option("--store <file>", "the fleet store (default: $EXHUNT_STORE)")
    .option("--json <file|->", "write JSON (- for stdout)")
    .option("--csv <file|->", "write CSV (- for stdout)");
}

function split(v: string | undefined): string[] | undefined {
  return v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command("fleet")
    .description(
      "one store for every server's results: list, show, diff, acknowledge, track, import, export",
    );

  common(fleet.command("list"))
    .description(
      "one row per server: verdict, exposure, log coverage, last scan, open and acknowledged findings, status",
    )
    .option("--verdict <list>", `only these verdicts (comma-separated: ${VERDICTS.join(", ")})`)
    .option("--unpatched", "only servers whose known build leaves a CVE open")
    .option(
      "--stale-logs",
      "only servers whose logs do not reach back to the campaign window (or were never scanned)",
    )
    .option("--tag <tag>", "only servers with this tag")
    .option("--search <text>", "name, address, owner or tag contains TEXT")
    .action(
      async (
        o: Common & {
          verdict?: string;
          unpatched?: boolean;
          staleLogs?: boolean;
          tag?: string;
          search?: string;
        },
      ) => {
        const verdict = split(o.verdict);
        const bad = verdict?.filter((v) => !VERDICTS.includes(v)) ?? [];
        if (bad.length)
          throw new UsageError(`--verdict: unknown ${bad.join(", ")} (known: ${VERDICTS.join(", ")})`);
        const filter: ListFilter = {
          verdict: verdict as ListFilter["verdict"],
          unpatched: o.unpatched,
          staleLogs: o.staleLogs,
          tag: o.tag,
          search: o.search,
        };
        await withStore(o, async (s) => {
          const rows = await s.list(filter);
          await outputs(o, renderFleetTable(rows), { servers: rows }, () => fleetCsv(rows));
        });
      },
    );

  common(fleet.command("show"))
    .description("a server's verdict, history of runs, timeline, plan, findings, acknowledgements and notes")
    .argument("<server>", "server name or address")
    .action(async (name: string, o: Common) => {
      await withStore(o, async (s) => {
        const resolved = (await s.resolveName(name)) ?? name;
        const row = await s.server(resolved);
        if (!row) throw new UsageError(`no server named ${JSON.stringify(name)} in the store`);
        const runs = await s.runs(resolved);
        const latest = runs[0] ? await s.run(runs[0].id) : null;
        const acks = await s.acknowledgements(resolved);
        const notes = await s.notes(resolved);
        const view = { row, runs, latest, acks, notes };
        await outputs(o, renderServer(view), view, () => findingsCsv(latest?.findingList ?? []));
      });
    });

  common(fleet.command("diff"))
    .description("what is new, gone or changed on a server since its previous run of the same kind")
    .argument("<server>", "server name or address")
    .addOption(
      new Option("--kind <kind>", "compare runs of this kind").choices([
        "scan",
        "probe",
        "shadowserver",
        "result",
      ]),
    )
    .action(async (name: string, o: Common & { kind?: "scan" | "probe" | "shadowserver" | "result" }) => {
      const { serverDiff } = await import("../fleet.js");
      await withStore(o, async (s) => {
        const d = await serverDiff(s, (await s.resolveName(name)) ?? name, o.kind);
        const csv =
          csvRow(["change", "fingerprint", "check", "severity", "title"]) +
          [
            ...d.added.map((f) => csvRow(["new", f.fingerprint, f.check, f.severity, f.title])),
            ...d.removed.map((f) => csvRow(["gone", f.fingerprint, f.check, f.severity, f.title])),
            ...d.changed.map((c) =>
              csvRow(["changed", c.fingerprint, c.check, c.after.severity, c.after.title]),
            ),
          ].join("");
        await outputs(o, renderDiff(d), d, csv);
      });
    });

  const ackTarget = (c: Command) =>
    c
      .argument("[fingerprint]", "the finding's fingerprint (fleet show lists them)")
      .option(
        "--rule <check>",
        "every finding of this rule (check id) on --server, now and in later runs (repeatable)",
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      )
      .option("--server <name>", "the server (with --rule)")
      .option("--by <who>", "who decides (default: the user name)");

  common(ackTarget(fleet.command("ack")))
    .description("acknowledge a finding: it stays listed, but no longer raises the verdict, across rescans")
    .requiredOption("--reason <text>", "why (kept with who and when)")
    .action(
      async (
        fp: string | undefined,
        o: Common & { rule: string[]; server?: string; by?: string; reason: string },
      ) => {
        await withStore(o, async (s) => {
          const acks: Acknowledgement[] = [];
          for (const rule of o.rule.length ? o.rule : [undefined])
            acks.push(
              ...(await s.acknowledge({
                fingerprint: fp,
                rule,
                server: o.server,
                reason: o.reason,
                by: o.by ?? whoAmI(),
              })),
            );
          const rows = await Promise.all([...new Set(acks.map((a) => a.server))].map((n) => s.server(n)));
          const human = rows
            .filter((r) => r !== null)
            .map(
              (r) =>
                `${forTerminal(r.name)}: acknowledged; verdict now ${r.verdict} (${r.openFindings} open, ${r.acknowledged} acknowledged)\n`,
            )
            .join("");
          await outputs(
            o,
            human,
            { acknowledgements: acks, servers: rows },
            fleetCsv(rows.filter((r) => r !== null)),
          );
        });
      },
    );

  common(ackTarget(fleet.command("unack")))
    .description("withdraw an acknowledgement (it stays in the history, marked revoked)")
    .action(async (fp: string | undefined, o: Common & { rule: string[]; server?: string; by?: string }) => {
      await withStore(o, async (s) => {
        let n = 0;
        for (const rule of o.rule.length ? o.rule : [undefined])
          n += await s.unacknowledge({ fingerprint: fp, rule, server: o.server, by: o.by ?? whoAmI() });
        await outputs(
          o,
          `${count(n, "acknowledgement")} withdrawn\n`,
          { withdrawn: n },
          csvRow(["withdrawn"]) + csvRow([n]),
        );
      });
    });

  common(fleet.command("status"))
    .description("record a server's notification workflow state")
    .argument("<server>", "server name or address")
    .argument("<state>", "notified | in-progress | remediated | false-positive")
    .option("--note <text>", "what was done or said", "")
    .option("--by <who>", "who (default: the user name)")
    .action(async (name: string, state: string, o: Common & { note: string; by?: string }) => {
      const { STATUSES } = await import("../fleet.js");
      if (!(STATUSES as readonly string[]).includes(state))
        throw new UsageError(`status must be one of ${STATUSES.join(", ")}`);
      await withStore(o, async (s) => {
        const resolved = (await s.resolveName(name)) ?? name;
        await s.setStatus(resolved, state as ServerStatus, o.note, o.by ?? whoAmI());
        const row = await s.server(resolved);
        await outputs(o, `${forTerminal(resolved)}: ${state}\n`, { server: row }, fleetCsv(row ? [row] : []));
      });
    });

  const imp = fleet.command("import").description("add servers and results from other sources");
  common(imp.command("shadowserver"))
    .description(
      "a Shadowserver Exchange report CSV (scan_exchange, or scan_http_vulnerable rows tagged for Exchange)",
    )
    .argument("<file>", "the report CSV")
    .option("--no-progress", "no progress line")
    .action(async (file: string, o: Common) => {
      const { importShadowserver } = await import("../fleet.js");
      const bar = fleetProgress(o, "importing servers", o.json !== undefined || o.csv === "-");
      await withStore(o, async (s) => {
        const c = await importShadowserver(s, file, bar.update).finally(bar.done);
        await report(o, c);
      });
    });
  common(imp.command("probe"))
    .description("`exhunt probe --json` output: servers by host/IP with the build they reported")
    .argument("<file>", "the probe JSON")
    .option("--no-progress", "no progress line")
    .action(async (file: string, o: Common) => {
      const { importProbe } = await import("../fleet.js");
      const bar = fleetProgress(o, "importing hosts", o.json !== undefined || o.csv === "-");
      await withStore(o, async (s) => {
        const c = await importProbe(s, file, bar.update).finally(bar.done);
        await report(o, c);
      });
    });
  common(imp.command("export"))
    .description("an `exhunt fleet export --json` NDJSON file (another store's whole fleet)")
    .argument("<file>", "the NDJSON export")
    .option("--no-progress", "no progress line")
    .action(async (file: string, o: Common) => {
      const { importExport } = await import("../fleet.js");
      const machine = o.json !== undefined || o.csv === "-";
      const checking = fleetProgress(o, "checking records", machine);
      const writing = fleetProgress(o, "importing records", machine);
      await withStore(o, async (s) => {
        const c = await importExport(s, file, (done, total) => {
          if (total === null) return checking.update(done, null);
          checking.done();
          writing.update(done, total);
        }).finally(() => {
          checking.done();
          writing.done();
        });
        const human = `${c.servers} servers, ${c.runs} runs added (${c.runsAlreadyStored} already stored), ${c.acknowledgements} acknowledgements, ${c.notes} notes\n`;
        await outputs(o, human, c, csvRow(Object.keys(c)) + csvRow(Object.values(c)));
      });
    });

  fleet
    .command("export")
    .description(
      "the whole fleet: NDJSON (every server, run, finding, acknowledgement, note) and/or the CSV table",
    )
    .option("--store <file>", "the fleet store (default: $EXHUNT_STORE)")
    .option("--json <file|->", "write NDJSON, one record per line (default: stdout when --csv is not given)")
    .option("--csv <file|->", "write the fleet table as CSV")
    .option("--no-progress", "no progress line")
    .action(async (o: Common) => {
      if (o.json === "-" && o.csv === "-")
        throw new UsageError("only one of --json and --csv can be - (stdout)");
      const ndjson = o.json ?? (o.csv ? undefined : "-");
      await withStore(o, async (s) => {
        if (ndjson) {
          const bar = fleetProgress(o, "exporting", ndjson === "-" || o.csv === "-");
          // Servers and runs are what takes the time (a run carries its findings); counted from the table.
          const rows = bar.active ? await s.list() : [];
          const total = rows.length + rows.reduce((n, r) => n + r.runs, 0);
          let done = 0;
          await streamLines(ndjson, s.exportAll(), (r) => {
            const t = (r as { type?: string }).type;
            if (t === "server" || t === "run") bar.update(++done, total);
          }).finally(bar.done);
        }
        if (o.csv) await emit(o.csv, fleetCsv(await s.list()));
      });
    });
}

/** NDJSON written as it is read, with backpressure: a store of a million findings never sits in memory. */
async function streamLines(
  target: string,
  records: AsyncIterable<unknown>,
  onRecord?: (r: unknown) => void,
): Promise<void> {
  const out = target === "-" ? process.stdout : createWriteStream(target);
  for await (const r of records) {
    onRecord?.(r);
    if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, "drain");
  }
  if (out !== process.stdout)
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}

async function report(
  o: Common,
  c: { servers: number; alreadyStored: number; skipped: string[]; report?: string },
) {
  const lines = [
    `${c.report ? `${c.report}: ` : ""}${count(c.servers, "server result")} stored, ${c.alreadyStored} already stored`,
    ...(c.skipped.length
      ? [`${c.skipped.length} skipped:`, ...c.skipped.slice(0, 20).map((s) => `  ${forTerminal(s)}`)]
      : []),
  ];
  if (c.skipped.length > 20) lines.push(`  ... ${c.skipped.length - 20} more (--json for all)`);
  await outputs(
    o,
    `${lines.join("\n")}\n`,
    c,
    csvRow(["skipped"]) + c.skipped.map((s) => csvRow([s])).join(""),
  );
}
