// The NDJSON export read back (`fleet import export FILE`): servers, runs with their full results,
// acknowledgements with who/when/why (and their revocation), status notes in order. Runs keep their
// key and time, so importing the same export twice stores everything once.

import type { ExportRecord, FleetStore, RunKind, ServerStatus } from "./types.js";
import { STATUSES, StoreError } from "./types.js";

const KINDS: readonly RunKind[] = ["scan", "probe", "shadowserver", "result", "build"];

function parseLine(line: string, n: number): ExportRecord {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new StoreError(`line ${n}: not JSON (${(e as Error).message})`);
  }
  const t = (v as { type?: unknown }).type;
  if (t !== "server" && t !== "run" && t !== "ack" && t !== "note")
    throw new StoreError(`line ${n}: not an exhunt fleet export record (type ${JSON.stringify(t)})`);
  if (t === "run") {
    const r = v as { run?: { kind?: unknown }; result?: { findings?: unknown } };
    if (!KINDS.includes(r.run?.kind as RunKind) || !Array.isArray(r.result?.findings))
      throw new StoreError(`line ${n}: a run record without a known kind or a result with findings`);
  }
  if (t === "note" && !STATUSES.includes((v as { status?: ServerStatus }).status as ServerStatus))
    throw new StoreError(`line ${n}: a note without a known status`);
  return v as ExportRecord;
}

export interface RestoreCounts {
  servers: number;
  runs: number;
  runsAlreadyStored: number;
  acknowledgements: number;
  notes: number;
}

/** The export's lines, from the start each time it is called (a file is read twice, never held whole). */
export type ExportLines = () => AsyncIterable<string>;

async function* records(lines: ExportLines): AsyncGenerator<ExportRecord> {
  let n = 0;
  for await (const l of lines()) {
    n++;
    if (l.trim() !== "") yield parseLine(l, n);
  }
}

/**
 * Replay an export into `store`. Every line is checked before anything is written (a first pass, which
 * also keeps the server records: small), then the second pass writes: a store of a million findings is
 * never in memory at once (a run at a time).
 */
export async function restoreExport(
  store: FleetStore,
  lines: ExportLines,
  /** Records checked (total unknown), then records written of the total. */
  onProgress?: (done: number, total: number | null) => void,
): Promise<RestoreCounts> {
  const counts: RestoreCounts = { servers: 0, runs: 0, runsAlreadyStored: 0, acknowledgements: 0, notes: 0 };
  const servers = new Map<string, Extract<ExportRecord, { type: "server" }>>();
  let total = 0;
  for await (const r of records(lines)) {
    if (r.type === "server") servers.set(r.name.toLowerCase(), r);
    onProgress?.(++total, null);
  }
  let done = 0;
  for await (const r of records(lines)) {
    onProgress?.(done++, total);
    if (r.type === "server") counts.servers++;
    else if (r.type === "run") {
      const info = servers.get(r.server.toLowerCase());
      const { digest: _d, ...meta } = r.run;
      const out = await store.recordRun(meta, {
        server: info
          ? {
              name: info.name,
              addresses: info.addresses,
              owner: info.owner,
              contact: info.contact,
              asn: info.asn,
              tags: info.tags,
            }
          : { name: r.server },
        result: r.result,
      });
      if (out.inserted) counts.runs++;
      else counts.runsAlreadyStored++;
    } else if (r.type === "ack") {
      // The same acknowledgement (target, who, when) already here: a second import of this export.
      const known = await store.acknowledgements(r.server, true);
      if (
        known.some(
          (k) => k.fingerprint === r.fingerprint && k.rule === r.rule && k.by === r.by && k.at === r.at,
        )
      )
        continue;
      const target = r.fingerprint
        ? { fingerprint: r.fingerprint, server: r.server }
        : { rule: r.rule ?? undefined, server: r.server };
      await store.acknowledge({ ...target, reason: r.reason, by: r.by, at: r.at });
      if (r.revokedAt) await store.unacknowledge({ ...target, by: r.revokedBy ?? r.by, at: r.revokedAt });
      counts.acknowledgements++;
    } else {
      const known = await store.notes(r.server);
      if (known.some((k) => k.at === r.at && k.by === r.by && k.status === r.status && k.text === r.text))
        continue;
      await store.setStatus(r.server, r.status, r.text, r.by, r.at);
      counts.notes++;
    }
  }
  onProgress?.(done, total);
  return counts;
}
