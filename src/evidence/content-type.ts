// What a file is when no reader claims it, told from its first bytes: so that a file left unread is
// listed with what it looked like ("an Apache/nginx access log", "JSON with keys a, b, c"), and a
// responder can tell a missing format from noise. Pure; never decides whether a file is read.
import { jsonHeadKeys } from "../readers/event-json.js";

export interface ContentType {
  /** Short name, used to count files by kind ("Apache/nginx access log", "unknown JSON", "binary"). */
  type: string;
  /** More about it (the keys a JSON document holds), when there is more to say. */
  detail?: string;
  /** Looks like an event export whose fields no map knows: worth reporting as skipped evidence. */
  eventLike?: boolean;
}

const ACCESS_LOG = /^\S+ \S+ \S+ \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "/;
const SYSLOG = /^(<\d+>)?(\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) \S+ /;
/** Keys that say "this was an event" in a JSON document no field map knows. */
const EVENTISH =
  /^(eventid|eventidentifier|eventcode|eventtype|channel|provider|providername|sourcename|timecreated|timegenerated|eventrecordid|recordnumber|eventdata|userdata|winlog|event|system|logname|logfile|eventlog)$/;

function utf16(head: Buffer): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)))
    return true;
  // ASCII text in UTF-16LE: every other byte zero, the others printable.
  let text = 0;
  const n = Math.min(head.length, 512) & ~1;
  for (let i = 0; i < n; i += 2) {
    const c = head[i];
    if (head[i + 1] === 0 && (c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f))) text++;
  }
  return n >= 16 && text >= (n / 2) * 0.9;
}

export function contentType(head: Buffer): ContentType {
  if (head.length === 0) return { type: "empty" };
  const keys = jsonHeadKeys(head);
  if (keys) {
    const eventLike = keys.some((k) =>
      EVENTISH.test(
        k
          .replace(/\{.*$/, "")
          .toLowerCase()
          .replace(/[^a-z]/g, ""),
      ),
    );
    return { type: "unknown JSON", detail: `keys: ${keys.join(", ")}`, eventLike };
  }
  if (utf16(head)) return { type: "UTF-16 text" };
  if (head.subarray(0, 4096).includes(0)) return { type: "binary" };
  let text = head.toString("utf8", 0, Math.min(head.length, 4096));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.split(/\r?\n/, 1)[0];
  if (ACCESS_LOG.test(first)) return { type: "Apache/nginx access log" };
  if (SYSLOG.test(first)) return { type: "syslog" };
  if (/^#(Software|Version|Fields):/.test(first)) return { type: "W3C-style log of another program" };
  if (/^\s*</.test(first)) return { type: "XML (not event XML)" };
  if (first.split(",").length >= 3 && !/\s{3}/.test(first)) return { type: "CSV (not an event export)" };
  return { type: "plain text" };
}
