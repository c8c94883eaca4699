// Small helpers detections share to build evidence from records.
import type { LogRow } from "../model/records.js";

/** Evidence from the named fields of a row: empty and absent values are left out. */
export function pickFields(row: LogRow, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = row.get(n);
    if (v !== undefined && v !== "") out[n] = v;
  }
  if (row.headerCount > 0 && row.fieldCount !== row.headerCount) {
    out.RowWarning = `row has ${row.fieldCount} fields, header ${row.headerCount}: values may be shifted`;
  }
  return out;
}

/** Limit evidence strings so one huge attacker value cannot bloat every report. */
export function clip(value: string, max = 2000): string {
  return value.length <= max ? value : `${value.slice(0, max)}… [${value.length - max} more characters]`;
}
