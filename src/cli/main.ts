// exhunt command line: parse, dispatch, map errors to exit codes. Nothing below the CLI prints.
import { Command, CommanderError, type Option } from "commander";
import { VERSION } from "../version.js";
import { registerBuild } from "./build.js";
import { registerDashboard } from "./dashboard.js";
import { registerEvents } from "./events.js";
import { registerExample } from "./example.js";
import { EXIT } from "./exit.js";
import { registerFleet } from "./fleet.js";
import { registerMitigate } from "./mitigate.js";
import { registerProbe } from "./probe.js";
import { registerQueue } from "./queue.js";
import { registerReport } from "./report.js";
import { registerScan } from "./scan.js";
import { registerSigma } from "./sigma.js";

/** Every command's help ends with the exit codes (README): one text, so they cannot drift apart. */
export const EXIT_CODES_HELP =
  "\nExit codes:\n  0  nothing found\n  1  findings (compromised, attempted or vulnerable)\n  2  usage or fatal error (also: a result file exhunt report cannot use)\n  3  the scan finished, but some evidence was skipped or a verdict is unknown\n";

/** Error lines as every other exhunt error: "exhunt: …", not commander's "error: …". */
function errorLine(str: string): string {
  return `exhunt: ${str.replace(/^error: /, "")}`;
}

/** A default as the user would type it: unquoted, and none shown for an empty repeatable option. */
function defaultText(o: Option): string | undefined {
  if (o.defaultValueDescription !== undefined) return o.defaultValueDescription;
  const v: unknown = o.defaultValue;
  if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) return undefined;
  return Array.isArray(v) ? v.join(", ") : String(v);
}

function optionDescription(o: Option): string {
  const extra: string[] = [];
  if (o.argChoices) extra.push(`choices: ${o.argChoices.join(", ")}`);
  // Booleans and --no-x carry a default for the program, not for the reader.
  const d = o.required || o.optional ? defaultText(o) : undefined;
  if (d !== undefined && !/\(default[ :]/.test(o.description)) extra.push(`default: ${d}`);
  if (o.envVar) extra.push(`env: ${o.envVar}`);
  return extra.length ? `${o.description} (${extra.join(", ")})` : o.description;
}

function everyCommand(c: Command): Command[] {
  return [c, ...c.commands.flatMap(everyCommand)];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("exhunt")
    .description(
      "Is this Exchange server vulnerable? Was it compromised? What now? (ProxyLogon, ProxyShell, ProxyNotShell)",
    )
    .version(VERSION)
    .showHelpAfterError("(exhunt --help for usage)")
    // Inherited by every command made after this (commander copies these settings to subcommands).
    .configureHelp({ optionDescription })
    .configureOutput({ outputError: (str, write) => write(errorLine(str)) })
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
  registerExample(program);
  for (const c of everyCommand(program)) c.addHelpText("after", EXIT_CODES_HELP);
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
