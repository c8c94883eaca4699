// The local Exchange install, read from the Windows registry (Windows only). Read-only: a fixed
// `reg query` with no shell; nothing from evidence reaches its command line.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
export const SETUP_KEY = "HKLM\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup";

/** `MsiInstallPath` from the registry (ends with a backslash), else %ExchangeInstallPath%. */
export async function exchangeInstallPath(): Promise<string | null> {
  try {
    // Fixed arguments, no shell: nothing from evidence reaches this command line.
    const { stdout } = await run("reg", ["query", SETUP_KEY, "/v", "MsiInstallPath"], { windowsHide: true });
    const m = /MsiInstallPath\s+REG_\w+\s+(.+)/i.exec(stdout);
    if (m) return m[1].trim().replace(/\\?$/, "\\");
  } catch {
    // Not an Exchange 2013+ server, or no access: fall through.
  }
  const env = process.env.ExchangeInstallPath;
  return env ? env.replace(/\\?$/, "\\") : null;
}
