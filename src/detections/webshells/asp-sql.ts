// Classic ASP SQL consoles: an ADODB Connection/Command/Recordset running SQL text that the request
// supplies whole (`conn.Execute Request("sql")`, `rs.Open Request("q"), conn`), and `xp_cmdshell`
// given request text (a command run through the database server). A page that puts request data into
// a fixed query shape (`"SELECT … WHERE id=" & Request("id")`) is injection-prone but not a console:
// its text starts with the application's own SQL, so it is not counted here.
import { argumentAt, type MethodCall, methodCalls, objectNames, receiversOf } from "./asp-objects.js";
import { statementFrom } from "./code-scan.js";
import type { Normalised } from "./normalise.js";
import type { Signal } from "./signals.js";

const DB_OBJECT = /^adodb\.(?:connection|recordset|command)(?:\.\d+)?$/;
/** Receivers named like a connection or recordset when the object is made in an include file. */
const DB_NAME = /^(?:\w*conn\w*|cn|db|\w*rs|\w*recordset|\w*cmd)$/;
const XP_CMDSHELL = /xp_cmdshell/g;

export interface SqlInput {
  norm: Normalised;
  tainted: RegExp;
  rooted: (expr: string) => boolean;
}

export function aspSqlSignals({ norm, tainted, rooted }: SqlInput): Signal[] {
  const t = norm.text;
  const out: Signal[] = [];
  const objects = objectNames(t, DB_OBJECT);
  const recordsets = objectNames(t, /^adodb\.recordset(?:\.\d+)?$/);
  // Without "adodb" in the file (the connection made in an include), only a name like a connection.
  const adodb = t.includes("adodb");
  if (t.includes("execute") || t.includes(".open") || t.includes("commandtext")) {
    const receivers = receiversOf(t, /\.\s*(?:execute|open)\b/g).filter(
      (r) => objects.includes(r) || (DB_NAME.test(r) && (adodb || /conn/.test(r))),
    );
    let run: MethodCall | undefined;
    let query: MethodCall | undefined;
    let connect: MethodCall | undefined;
    for (const c of methodCalls(t, receivers, "adodb\\.\\w+", ["execute", "open"])) {
      const opensQuery =
        c.method === "execute" || recordsets.includes(c.receiver) || /rs$|recordset/.test(c.receiver);
      const first = argumentAt(c.args, 0);
      if (opensQuery && rooted(first)) {
        run = c;
        break;
      }
      if (!tainted.test(first)) continue;
      if (opensQuery) query ??= c;
      else connect ??= c;
    }
    // Request data in the SQL text (a fixed query shape) or in the connection string (the server and
    // credentials): a flow each, weighed like the .NET SQL and connection sinks; both together make
    // the request-chosen database client of cues.ts.
    if (!run && query)
      out.push({
        rule: "asp-sql-request",
        line: norm.lineAt(query.at),
        points: 2,
        what: "request data in the SQL text ADODB runs",
        kind: "sql",
        flow: true,
      });
    if (connect)
      out.push({
        rule: "asp-db-connect",
        line: norm.lineAt(connect.at),
        points: 4,
        what: "request data in the ADODB connection string (the caller picks the server and credentials)",
        kind: "dbconnect",
        flow: true,
      });
    const text = /\.\s*commandtext\s*=(?!=)([^\n]{0,300})/.exec(t);
    const at = run?.at ?? (text && rooted(text[1]) ? text.index : null);
    if (at !== null && at !== undefined)
      out.push({
        rule: "asp-sql-console",
        line: norm.lineAt(at),
        points: 10,
        what: "ADODB runs SQL text the request supplies whole (a SQL console)",
        kind: "sql",
        flow: true,
      });
  }
  // xp_cmdshell with request text: an OS command run through the database server.
  if (t.includes("xp_cmdshell")) {
    const hit = [...t.matchAll(XP_CMDSHELL)].find((m) => {
      const lineStart = t.lastIndexOf("\n", m.index) + 1;
      return tainted.test(statementFrom(t, lineStart));
    });
    if (hit)
      out.push({
        rule: "asp-xp-cmdshell",
        line: norm.lineAt(hit.index),
        points: 10,
        what: "request text reaches xp_cmdshell (OS commands through the database server)",
        kind: "process",
        flow: true,
      });
  }
  return out;
}
