// `exhunt example [DIR]`: write the example evidence (inert payloads only) where an installed package
// can scan it: a compromised server and a busy clean one in a KAPE-like layout, plus an indicator feed.
// The generator is bundled into the CLI (it is plain file writing), so `npx exhunt example` works from
// the package without the repository.
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { writeExamples } from "../../examples/generate.js";
import { UsageError } from "../index.js";
import { forTerminal } from "../outputs/safe.js";
import { EXIT } from "./exit.js";

export function registerExample(program: Command): void {
  program
    .command("example")
    .description(
      "write example evidence to scan (EXCH01 compromised, EXCH02 clean with look-alike traffic; inert payloads), then print the scan command",
    )
    .argument("[dir]", "where to write it (must be empty or new)", "exhunt-example")
    .option("--small", "only EXCH01, over the four days around the attack (quick to scan)")
    .action((dir: string, o: { small?: boolean }) => {
      const out = resolve(dir);
      // Never writes into a folder that holds something: evidence or work of the user's could be there.
      if (existsSync(out) && readdirSync(out).length > 0)
        throw new UsageError(`${dir}: not empty; name a new or empty folder`);
      writeExamples(out, 1, !!o.small);
      const d = forTerminal(dir);
      process.stdout.write(
        `example evidence written to ${d}\nscan it: exhunt scan --each ${d} --ioc ${d}/iocs.txt --html ${d}/report.html\n`,
      );
      process.exitCode = EXIT.clean;
    });
}
