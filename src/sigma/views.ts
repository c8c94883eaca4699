// Field accessors: an EventRecord or a LogRow seen as a Sigma RecordView. Lower-cased values are
// computed at most once per field and record, whatever the number of rules that read them, and so
// are the values themselves (a web row's URI is decoded and joined once).
import type { EventRecord, LogRow } from "../model/records.js";
import { W3C_PLUS_FIELDS, WEBSERVER_FIELDS, WEBSERVER_FULL_URI } from "./logsources.js";
import type { RecordView } from "./types.js";

function systemField(ev: EventRecord, field: string): string | undefined {
  switch (field) {
    case "EventID":
      return String(ev.eventId);
    case "Channel":
      return ev.channel;
    case "Provider_Name":
      return ev.provider;
    case "Computer":
      return ev.computer;
    case "EventRecordID":
      return ev.recordId === null ? undefined : String(ev.recordId);
    case "Level":
      return ev.level === null ? undefined : String(ev.level);
    default:
      return undefined;
  }
}

function lazyView(get: (field: string) => string | undefined, texts: () => string[]): RecordView {
  const got = new Map<string, string | undefined>();
  const lowered = new Map<string, string | undefined>();
  let text: string[] | null = null;
  let textLower: string[] | null = null;
  const value = (field: string): string | undefined => {
    if (got.has(field)) return got.get(field);
    const v = get(field);
    got.set(field, v);
    return v;
  };
  return {
    get: value,
    lower(field) {
      if (lowered.has(field)) return lowered.get(field);
      const v = value(field)?.toLowerCase();
      lowered.set(field, v);
      return v;
    },
    text() {
      if (text === null) text = texts();
      return text;
    },
    textLower() {
      if (textLower === null) textLower = this.text().map((t) => t.toLowerCase());
      return textLower;
    },
  };
}

/**
 * An event as Sigma sees it: EventData by name (after `renames`, e.g. Security 4688's), the System
 * fields under Sigma's names, and `Data` for classic events whose values have no names. Keywords
 * search the values (joined by spaces) and the rendered message when the export has one.
 */
export function eventView(ev: EventRecord, renames?: Readonly<Record<string, string>>): RecordView {
  const data = ev.data;
  // Some providers (Windows Defender) name their data with spaces (`Source Name`); Sigma writes the
  // field without them (`SourceName`), as the Windows pipelines do. Built only on a miss.
  let despaced: Map<string, string> | null = null;
  const bySpacelessName = (field: string): string | undefined => {
    if (despaced === null) {
      despaced = new Map();
      for (const k of Object.keys(data)) if (k.includes(" ")) despaced.set(k.replaceAll(" ", ""), data[k]);
    }
    return despaced.size ? despaced.get(field) : undefined;
  };
  return lazyView(
    (field) => {
      const sys = systemField(ev, field);
      if (sys !== undefined) return sys;
      const name = renames?.[field] ?? field;
      const v = data[name];
      if (v !== undefined) return v;
      if (field === "Data" && ev.values.length > 0) return ev.values.join("\n");
      return bySpacelessName(name);
    },
    // The values joined by spaces stand in for the rendered message (offline there is no message
    // table): `Set-OabVirtualDirectory -ExternalUrl ...` is what a keyword like ' -ExternalUrl ' expects.
    () => {
      const joined = ev.values.join(" ");
      return ev.message ? [joined, ev.message] : [joined];
    },
  );
}

/** An IIS W3C row under the webserver taxonomy's names; keywords search the whole line. */
export function webView(row: LogRow): RecordView {
  return lazyView(
    (field) => {
      if (field === WEBSERVER_FULL_URI) {
        const stem = dash(row.get("cs-uri-stem"));
        const query = dash(row.get("cs-uri-query"));
        if (stem === undefined && query === undefined) return undefined;
        return query ? `${stem ?? ""}?${query}` : (stem ?? "");
      }
      const v = dash(row.get(WEBSERVER_FIELDS[field] ?? field));
      const norm = W3C_PLUS_FIELDS[field];
      return v !== undefined && norm ? norm(v) : v;
    },
    () => [row.text()],
  );
}

/** W3C writes `-` for an empty value. */
const dash = (v: string | undefined): string | undefined => (v === "-" ? "" : v);
