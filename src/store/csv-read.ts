// RFC 4180 CSV reading for imported reports: quoted fields with commas, doubled quotes and line breaks;
// CRLF or LF; a UTF-8 byte-order mark is dropped. An unterminated quote is an error with its line,
// never a silently shortened file.

export class CsvError extends Error {}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      quoteLine = line;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      line++;
    } else field += c;
  }
  if (quoted) throw new CsvError(`unterminated quoted field starting on line ${quoteLine}`);
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  // A blank line is no record.
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/** Rows as objects keyed by the header (lower-cased, trimmed); `line` is the record's number (header = 1). */
export function csvRecords(text: string): {
  header: string[];
  records: { line: number; values: Record<string, string> }[];
} {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new CsvError("the file is empty");
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const records = rows.slice(1).map((r, n) => {
    const values: Record<string, string> = {};
    header.forEach((h, k) => {
      values[h] = (r[k] ?? "").trim();
    });
    return { line: n + 2, values };
  });
  return { header, records };
}
