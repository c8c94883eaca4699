// `exhunt build VERSION... [--json FILE|-] [--local] [--data PATH]`: product, CU, update level,
// per-CVE status, support status and the update to install, for build numbers as typed or read
// from the local ExSetup.exe, against the shipped build table or a newer copy of it.
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type Assessment,
  assessBuild,
  buildTable,
  dataFiles,
  EXSETUP_SOURCE,
  exposureDrafts,
  loadBuildTable,
  localBuild,
  parseVersion,
  UsageError,
} from "../index.js";
import { buildJson, renderAssessment } from "../outputs/exposure.js";
import { useColor } from "./color.js";
import { EXIT } from "./exit.js";

interface BuildCliOptions {
  json?: string;
  local?: boolean;
  installPath?: string;
  data?: string;
  color?: boolean;
}

/** `--json` once took no value: a build number right after it is a build, not a file name. */
function jsonTarget(json: string | undefined, inputs: string[]): string | null {
  if (json === undefined) return null;
  if (json === "-") return "-";
  try {
    parseVersion(json);
    inputs.push(json);
    return "-";
  } catch {
    return json;
  }
}

export function registerBuild(program: Command): void {
  program
    .command("build")
    .description(
      "which tracked Exchange CVEs a build leaves open, its support status, and the exact update that closes them",
    )
    .argument("[versions...]", 'builds: 15.1.2176.2, 15.01.2176.002 or "Version 15.1 (Build 2176.2)"')
    .option("--json <file|->", "write { builds: [...] } as JSON to FILE (-: stdout)")
    .option("--local", "read the local server's ExSetup.exe file version (Windows)")
    .option("--install-path <path>", "with --local: the Exchange install path (default: from the registry)")
    .option(
      "--data <path>",
      "a newer build table in the shipped format: a folder with exchange-builds.csv (and optionally exchange-cve-fixed-builds.csv, update-kbs.csv) or that CSV itself",
    )
    .option("--color", "force colour")
    .option("--no-color", "no colour")
    .action(async (versions: string[], o: BuildCliOptions) => {
      const inputs = [...versions];
      const json = jsonTarget(o.json, inputs);
      let table = buildTable();
      if (o.data) {
        try {
          table = loadBuildTable(dataFiles(o.data));
        } catch (e) {
          throw new UsageError(`--data: ${(e as Error).message}`);
        }
        process.stderr.write(`build table: ${table.source} (newest build ${table.newestDate})\n`);
      }
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
          results.push(assessBuild(v, new Date(), table));
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      if (json) {
        const text = `${JSON.stringify({ builds: results.map(buildJson) }, null, 2)}\n`;
        if (json === "-") process.stdout.write(text);
        else await writeFile(json, text);
      }
      if (json !== "-" && results.length)
        process.stdout.write(
          `${results.map((a) => renderAssessment(a, useColor(o.color, process.stdout))).join("\n\n")}\n`,
        );
      for (const e of errors) process.stderr.write(`exhunt: ${e}\n`);
      // Findings = what a scan would report for the build: open CVEs, support, newer updates.
      const open = results.some((a) => exposureDrafts(a, "build", null).length > 0);
      process.exitCode = errors.length ? EXIT.usage : open ? EXIT.findings : EXIT.clean;
    });
}
