// `exhunt build VERSION... [--json] [--local]`: product, CU, update level, per-CVE status and the
// update to install, for build numbers as typed or read from the local ExSetup.exe.
import type { Command } from "commander";
import { type Assessment, assessBuild, EXSETUP_SOURCE, localBuild } from "../index.js";
import { buildJson, renderAssessment } from "../outputs/exposure.js";
import { EXIT } from "./exit.js";

interface BuildCliOptions {
  json?: boolean;
  local?: boolean;
  installPath?: string;
  color?: boolean;
}

function useColor(explicit: boolean | undefined): boolean {
  if (explicit === false || "NO_COLOR" in process.env) return false;
  if (explicit === true || "FORCE_COLOR" in process.env) return true;
  return !!process.stdout.isTTY;
}

export function registerBuild(program: Command): void {
  program
    .command("build")
    .description(
      "which ProxyLogon/ProxyShell/ProxyNotShell CVEs a build leaves open, and the exact update that closes them",
    )
    .argument("[versions...]", 'builds: 15.1.2176.2, 15.01.2176.002 or "Version 15.1 (Build 2176.2)"')
    .option("--json", "print { builds: [...] } as JSON")
    .option("--local", "read the local server's ExSetup.exe file version (Windows)")
    .option("--install-path <path>", "with --local: the Exchange install path (default: from the registry)")
    .option("--color", "force colour")
    .option("--no-color", "no colour")
    .action(async (versions: string[], o: BuildCliOptions) => {
      const inputs = [...versions];
      if (o.local) {
        const { version, path } = await localBuild(o.installPath ?? null);
        process.stderr.write(`${EXSETUP_SOURCE} of ${path}: ${version}\n`);
        inputs.push(version);
      }
      if (inputs.length === 0) throw new Error("name at least one build number, or use --local");
      const results: Assessment[] = [];
      const errors: string[] = [];
      for (const v of inputs) {
        try {
          results.push(assessBuild(v));
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      if (o.json) process.stdout.write(`${JSON.stringify({ builds: results.map(buildJson) }, null, 2)}\n`);
      else if (results.length)
        process.stdout.write(`${results.map((a) => renderAssessment(a, useColor(o.color))).join("\n\n")}\n`);
      for (const e of errors) process.stderr.write(`exhunt: ${e}\n`);
      const open = results.some((a) => Object.values(a.cves).some((s) => s.status === "vulnerable"));
      process.exitCode = errors.length ? EXIT.usage : open ? EXIT.findings : EXIT.clean;
    });
}
