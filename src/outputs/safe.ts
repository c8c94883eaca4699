// Evidence strings are attacker-controlled. These make them safe for each place they are written.

/** For a terminal: control characters (ANSI escapes, carriage returns, bells) shown as \xNN. */
export function forTerminal(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
    if (!control) continue;
    out +=
      s.slice(from, i) + (c === 0x0a ? "\\n" : c === 0x09 ? " " : `\\x${c.toString(16).padStart(2, "0")}`);
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * One CSV cell: always quoted, quotes doubled, and a leading = + - @ tab or CR neutralised with a
 * single quote so that spreadsheets never evaluate it as a formula (OWASP CSV injection).
 */
export function csvCell(value: string | number | null | undefined): string {
  let s = value == null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

export function csvRow(values: (string | number | null | undefined)[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** A string usable as part of a file name on every OS. */
export function safeFileName(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_");
  return clean.slice(0, 120) || "server";
}
