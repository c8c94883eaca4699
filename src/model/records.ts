// What readers hand to detections. Readers know formats, detections know attacks; this is the seam.

/** Kinds of line-oriented logs the readers recognise (by their header, not their folder). */
export type LogKind =
  | "httpproxy" // Exchange HttpProxy Logs (every protocol folder)
  | "ecp-server" // Exchange ECP Server Log
  | "ecp-activity" // Exchange ECP Activity Context Log
  | "oab-generator" // Exchange OABGeneratorLog
  | "rps-cmdlet" // Exchange CmdletInfra Remote PowerShell cmdlet log (`#Log-type: Rps Cmdlet Logs`)
  | "rps-http" // Exchange CmdletInfra Remote PowerShell HTTP log (`#Log-type: Rps Http Logs`)
  | "exchange-other" // another Exchange log with a #Log-type header (read for nothing yet)
  | "iis-w3c"; // IIS W3C extended log

/**
 * The record families detections are written against. A reader maps its format onto one of them
 * through a field map declared as data (readers/fields.ts); a detection asks for named fields of a
 * family, never for column positions or raw bytes.
 */
export type RecordFamily = "http-request" | "event" | "file" | "log-line";

/** Canonical fields of an HTTP-request record (IIS W3C, Exchange HttpProxy). */
export type HttpField =
  | "method"
  | "uri"
  | "query"
  | "status"
  | "clientIp"
  | "serverIp"
  | "userAgent"
  | "user"
  | "requestId"
  | "target"
  | "site"
  | "timeTaken"
  | "forwardedFor"
  | "host" // the Host header the client sent
  | "referer"
  | "cookie"; // the Cookie header the client sent (IIS `cs(Cookie)`, when the site logs it)

/** One data row of a delimited log. Fields are decoded only when asked for. */
export interface LogRow {
  readonly kind: LogKind;
  /** http-request for IIS and HttpProxy rows, log-line for the other logs. */
  readonly family: RecordFamily;
  /** A canonical field of the row's family (through its format's field map); undefined when absent. */
  field(name: HttpField): string | undefined;
  /** 1-based line number in the file. */
  readonly line: number;
  /** A format-specific column by its header name (fields no family names); undefined when absent. */
  get(field: string): string | undefined;
  /** The whole line, decoded (UTF-8), without the line break. */
  text(): string;
  /** The row's time as ISO UTC, from the format's time column(s); null when absent or unparsable. */
  time(): string | null;
  /** Number of fields in this row and in the header that applies to it. */
  readonly fieldCount: number;
  readonly headerCount: number;
}

/** A file found in the evidence, with its path as it was on the Windows server when that can be told. */
export interface FileEntry {
  /** Relative to the scanned root, forward slashes. */
  readonly path: string;
  /** The Windows path it had on the server (`C:\Windows\Temp\lsass.dmp`), or null when the layout does not say. */
  readonly winPath: string | null;
  readonly size: number;
  /** Last write time, ISO UTC (of the copy: collectors may or may not keep it). */
  readonly mtime: string;
  /** Absolute path on this machine, for readers. */
  readonly abs: string;
}

/** A Windows event, whatever it was read from (.evtx, evtx_dump JSON, Winlogbeat ECS, wevtutil XML). */
export interface EventRecord {
  eventId: number;
  provider: string;
  channel: string;
  computer: string;
  recordId: number | null;
  /** ISO UTC. */
  time: string | null;
  /** 1 critical, 2 error, 3 warning, 4 information, 0 log always; null when absent. */
  level: number | null;
  /** EventData / UserData values by name. Unnamed <Data> elements are in `values` only. */
  data: Record<string, string>;
  /** Every data value in document order (named and unnamed), for events whose parameters have no names. */
  values: string[];
  /** The rendered message, when the export carries one (Winlogbeat `message`, wevtutil RenderedXml). */
  message?: string;
  /** Carved from an .evtx's slack space or chunks the file no longer counts (deleted, cleared, rolled over). */
  recovered?: boolean;
}
