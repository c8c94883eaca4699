// The JSON result object (schema in the README), to a file or stdout.
import { writeFile } from "node:fs/promises";
import type { ScanResult } from "../model/types.js";

export function resultJson(result: ScanResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export async function writeJson(result: ScanResult, target: string): Promise<void> {
  const text = resultJson(result);
  if (target === "-") {
    await new Promise<void>((ok, fail) => process.stdout.write(text, (e) => (e ? fail(e) : ok())));
  } else {
    await writeFile(target, text);
  }
}
