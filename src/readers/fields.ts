// Field maps, declared as data: which column of which log format holds each canonical field of a
// record family (in the spirit of Sigma's field mappings). The first column present in a file wins.
// Detections ask for canonical names (`row.field("uri")`); a new log format is a new map here.
import type { HttpRequestSubject } from "../model/finding.js";
import type { HttpField, LogKind, LogRow, RecordFamily } from "../model/records.js";

export type FieldMap = Readonly<Record<HttpField, readonly string[]>>;

/** IIS W3C extended log columns (the `#Fields:` names IIS writes). */
const IIS_W3C: FieldMap = {
  method: ["cs-method"],
  uri: ["cs-uri-stem"],
  query: ["cs-uri-query"],
  status: ["sc-status"],
  clientIp: ["c-ip"],
  serverIp: ["s-ip"],
  userAgent: ["cs(User-Agent)"],
  user: ["cs-username"],
  requestId: [],
  target: [],
  site: ["s-sitename"],
  timeTaken: ["time-taken"],
  forwardedFor: ["x-forwarded-for", "X-Forwarded-For"],
  host: ["cs-host"],
  referer: ["cs(Referer)"],
  cookie: ["cs(Cookie)"],
};

/** Exchange HttpProxy logs (every protocol folder; CSS-Exchange Test-ProxyLogon's column names). */
const HTTPPROXY: FieldMap = {
  method: ["Method"],
  uri: ["UrlStem"],
  query: ["UrlQuery"],
  status: ["HttpStatus"],
  clientIp: ["ClientIpAddress"],
  serverIp: ["ServerLocatorHost", "ServerHostName"],
  userAgent: ["UserAgent"],
  user: ["AuthenticatedUser"],
  requestId: ["RequestId"],
  target: ["AnchorMailbox", "TargetServer"],
  site: [],
  timeTaken: ["TotalRequestTime"],
  forwardedFor: [],
  host: ["UrlHost"],
  referer: [],
  // The request's own cookies are not logged; BackEndCookie is the routing cookie Exchange keeps.
  cookie: [],
};

export const FIELD_MAPS: Partial<Record<LogKind, FieldMap>> = {
  "iis-w3c": IIS_W3C,
  httpproxy: HTTPPROXY,
};

/**
 * The column whose value names a log's coverage source, per kind, and the values taken as a name (the
 * value is attacker-controlled: anything else is ignored and the folder path names the source).
 */
export const SOURCE_COLUMNS: Partial<Record<LogKind, { column: string; valid: RegExp }>> = {
  "iis-w3c": { column: "s-sitename", valid: /^W3SVC\d{1,9}$/i },
  httpproxy: { column: "Protocol", valid: /^[A-Za-z][A-Za-z0-9]{0,31}$/ },
};

/** What a row's own content says its source is (IIS site, HttpProxy protocol), or null. */
export function sourceHintOf(row: LogRow): string | null {
  const s = SOURCE_COLUMNS[row.kind];
  const v = s ? row.get(s.column) : undefined;
  return v !== undefined && s?.valid.test(v) ? v : null;
}

export function familyOf(kind: LogKind): RecordFamily {
  return FIELD_MAPS[kind] ? "http-request" : "log-line";
}

/** A canonical field through a format's map: the first mapped column the row has, else undefined. */
export function mappedField(
  kind: LogKind,
  name: HttpField,
  get: (column: string) => string | undefined,
): string | undefined {
  const cols = FIELD_MAPS[kind]?.[name];
  if (!cols) return undefined;
  for (const c of cols) {
    const v = get(c);
    if (v !== undefined) return v;
  }
  return undefined;
}

function orNull(v: string | undefined): string | null {
  return v === undefined || v === "" || v === "-" ? null : v;
}

/** The typed subject of a finding made from an HTTP-request row. */
export function httpRequestSubject(row: LogRow): HttpRequestSubject {
  const status = orNull(row.field("status"));
  const ua = orNull(row.field("userAgent"));
  return {
    kind: "http-request",
    method: orNull(row.field("method")),
    uri: orNull(row.field("uri")),
    query: orNull(row.field("query")),
    status: status && /^\d{3}$/.test(status) ? Number(status) : null,
    clientIp: orNull(row.field("clientIp")),
    serverIp: orNull(row.field("serverIp")),
    // IIS writes a space as `+`.
    userAgent: ua && row.kind === "iis-w3c" ? ua.replaceAll("+", " ") : ua,
    user: orNull(row.field("user")),
    requestId: orNull(row.field("requestId")),
    target: orNull(row.field("target")),
  };
}
