// The NDJSON export of a PostgreSQL store, in the same order and shape as the SQLite driver's (so an
// export of either store reads back into the other). Runs are read a page at a time: a large fleet is
// never held whole.
import type { Finding } from "../model/finding.js";
import type { Pg } from "./pg-pool.js";
import { translatePg } from "./pg-pool.js";
import { ackRow, json, type Row, runExport, str } from "./row-map.js";
import type { ExportRecord, Note, ServerStatus } from "./types.js";

const PAGE = 200;

export async function* exportAllPg(
  pool: Pg,
  where: string,
  findingsOf: (ids: number[]) => Promise<Map<number, Finding[]>>,
): AsyncGenerator<ExportRecord> {
  try {
    const servers = (await pool.query(`SELECT * FROM exhunt.servers ORDER BY name_key COLLATE "C"`))
      .rows as Row[];
    for (const s of servers)
      yield {
        type: "server",
        name: s.name as string,
        addresses: json<string[]>(s.addresses, []),
        owner: str(s.owner),
        contact: str(s.contact),
        asn: str(s.asn),
        tags: json<string[]>(s.tags, []),
        status: (s.status as ServerStatus | null) ?? null,
      };
    // Keyset pages over (at, id), the SQLite driver's order.
    let after: { at: string; id: number } | null = null;
    for (;;) {
      const page: Row[] = (
        await pool.query(
          `SELECT r.*, s.name AS server FROM exhunt.runs r JOIN exhunt.servers s ON s.id = r.server_id
           ${after ? `WHERE (r.at COLLATE "C", r.id) > ($1 COLLATE "C", $2)` : ""}
           ORDER BY r.at COLLATE "C", r.id LIMIT ${PAGE}`,
          after ? [after.at, after.id] : [],
        )
      ).rows;
      if (page.length === 0) break;
      const findings = await findingsOf(page.map((r) => r.id as number));
      for (const r of page) {
        yield runExport(r, findings.get(r.id as number) ?? []);
      }
      const last = page[page.length - 1];
      after = { at: last.at as string, id: last.id as number };
    }
    const acks = (
      await pool.query(
        "SELECT a.*, s.name AS server FROM exhunt.acknowledgements a JOIN exhunt.servers s ON s.id = a.server_id ORDER BY a.id",
      )
    ).rows as Row[];
    for (const a of acks) {
      const { id: _id, ...rest } = ackRow(a);
      yield { type: "ack", ...rest };
    }
    const notes = (
      await pool.query(
        `SELECT n.at, n."by", n.status, n.text, s.name AS server FROM exhunt.notes n JOIN exhunt.servers s ON s.id = n.server_id ORDER BY n.id`,
      )
    ).rows as (Note & { server: string })[];
    for (const n of notes)
      yield { type: "note", server: n.server, at: n.at, by: n.by, status: n.status, text: n.text };
  } catch (e) {
    translatePg(where, e);
  }
}
