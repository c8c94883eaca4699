// exhunt command line: parse, dispatch, map errors to exit codes. Nothing below the CLI prints.
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { registerBuild } from "./build.js";
import { registerDashboard } from "./dashboard.js";
import { registerEvents } from "./events.js";
import { EXIT } from "./exit.js";
import { registerFleet } from "./fleet.js";
import { registerMitigate } from "./mitigate.js";
import { registerProbe } from "./probe.js";
import { registerQueue } from "./queue.js";
import { registerReport } from "./report.js";
import { registerScan } from "./scan.js";
import { registerSigma } from "./sigma.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("exhunt")
    .description(
      "Is this Exchange server vulnerable? Was it compromised? What now? (ProxyLogon, ProxyShell, ProxyNotShell)",
    )
    .version(VERSION)
    .showHelpAfterError("(exhunt --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes:\n  0  nothing found\n  1  findings (compromised, attempted or vulnerable)\n  2  usage or fatal error (also: a result file exhunt report cannot use)\n  3  the scan finished, but some evidence was skipped or a verdict is unknown\n",
    )
    .exitOverride();
  registerScan(program);
  registerEvents(program);
  registerBuild(program);
  registerProbe(program);
  registerMitigate(program);
  registerReport(program);
  registerSigma(program);
  registerFleet(program);
  registerDashboard(program);
  registerQueue(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return e.exitCode === 0 ? 0 : EXIT.usage;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`exhunt: ${msg}\n`);
    return EXIT.usage;
  }
}
