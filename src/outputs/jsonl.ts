// JSON lines: one finding per line, exactly the Finding schema of the JSON result (docs/output.md).
import type { ScanResult } from "../model/types.js";

export function findingsJsonl(result: ScanResult): string {
  let out = "";
  for (const s of result.servers) for (const f of s.findings) out += `${JSON.stringify(f)}\n`;
  return out;
}
