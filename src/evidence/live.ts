// The local Exchange server, read in place (Windows only). Everything is opened read-only.
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { UsageError } from "../model/errors.js";
import { exchangeInstallPath, SETUP_KEY } from "../readers/registry.js";
import type { EvidenceRoot } from "./discover.js";
import { LIVE_CHANNEL_FILES } from "./eventlog.js";
import { iisWebRoots } from "./iis-config.js";
import type { ServerTarget } from "./targets.js";

function slash(p: string): string {
  return p.replaceAll("\\", "/").replace(/\/$/, "");
}

function root(winPath: string, filesOnly = false, optional = true): EvidenceRoot {
  const clean = winPath.replace(/\\$/, "");
  return { abs: clean, relBase: slash(clean), winBase: clean, filesOnly, optional };
}

export async function localTarget(): Promise<ServerTarget> {
  if (process.platform !== "win32") {
    throw new UsageError(
      "no PATH given: name a copied evidence tree, a Logging folder, a log file or a .zip (the local server is read only on Windows)",
    );
  }
  const install = await exchangeInstallPath();
  if (!install) {
    throw new UsageError(
      `Exchange 2013 or later not found (no MsiInstallPath under ${SETUP_KEY}, no %ExchangeInstallPath%): name the evidence PATH`,
    );
  }
  const sysDrive = process.env.SystemDrive ?? "C:";
  const windir = process.env.WINDIR ?? `${sysDrive}\\Windows`;
  const programData = process.env.ProgramData ?? `${sysDrive}\\ProgramData`;
  const evtLogs = `${process.env.SystemRoot ?? windir}\\System32\\winevt\\Logs`;
  // Only the channels the detections read, and only those present (Sysmon is often not installed).
  const channels = LIVE_CHANNEL_FILES.filter((f) => existsSync(`${evtLogs}\\${f}`)).map((f) => ({
    ...root(evtLogs),
    only: f,
  }));
  // Every IIS site's root, not only the default one (web shells were dropped in any of them).
  const iisConfigDir = `${process.env.SystemRoot ?? windir}\\System32\\inetsrv\\config`;
  const iisConfig = `${iisConfigDir}\\applicationHost.config`;
  let siteRoots: string[] = [];
  try {
    siteRoots = iisWebRoots(readFileSync(iisConfig, "utf8"), { SystemDrive: sysDrive, SystemRoot: windir });
  } catch {
    // IIS config unreadable: the default roots below are still swept
  }
  const fixed = [`${sysDrive}\\inetpub\\wwwroot\\`, install].map((p) => p.toLowerCase());
  const extraSites = siteRoots.filter((r) => !fixed.some((f) => r.startsWith(f) || f.startsWith(r)));
  return {
    name: hostname(),
    root: `${hostname()} (live, ${install})`,
    roots: [
      root(`${install}Logging`, false, false),
      root(`${sysDrive}\\inetpub\\logs\\LogFiles`),
      root(`${windir}\\Temp`, true),
      root(`${sysDrive}\\root`, true),
      root(programData, true),
      ...channels,
      // Web folders for the file sweep (web shells, IOC hashes): never opened as logs.
      root(`${sysDrive}\\inetpub\\wwwroot`, true),
      root(`${install}FrontEnd\\HttpProxy`, true),
      root(`${install}ClientAccess`, true),
      root(`${sysDrive}\\Users`, true),
      { ...root(iisConfigDir, true), only: "applicationHost.config" },
      ...extraSites.map((r) => root(r, true)),
      root(`${windir}\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files`, true),
    ],
    skipped: [],
    live: true,
    installPath: install,
    cleanup: async () => undefined,
  };
}
