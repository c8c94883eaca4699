// The local server's build: ExSetup.exe's file version (the reliable value; notes §5.2), found via
// the registry's MsiInstallPath. Windows only; the PE parsing itself is portable.
import { join } from "node:path";
import { UsageError } from "../model/errors.js";
import { exchangeInstallPath } from "../readers/registry.js";
import { readPeFileVersion } from "./pe-version.js";

export const EXSETUP_SOURCE = "ExSetup.exe file version";

export function exSetupPath(installPath: string): string {
  return join(installPath, "Bin", "ExSetup.exe");
}

/** The build of the Exchange server this runs on. Throws UsageError off Windows or without Exchange. */
export async function localBuild(installPath?: string | null): Promise<{ version: string; path: string }> {
  if (process.platform !== "win32" && !installPath)
    throw new UsageError("--local reads ExSetup.exe on the Exchange server itself (Windows only)");
  const install = installPath ?? (await exchangeInstallPath());
  if (!install) throw new UsageError("Exchange 2013 or later not found (no MsiInstallPath in the registry)");
  const path = exSetupPath(install);
  return { version: await readPeFileVersion(path), path };
}
