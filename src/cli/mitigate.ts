// `exhunt mitigate [--format xml|powershell] [--rollback]`: print (never apply) Microsoft's URL
// Rewrite mitigations for CVE-2021-26855 and ProxyNotShell.
import { type Command, Option } from "commander";
import { mitigationPowerShell, mitigationXml } from "../index.js";

export function registerMitigate(program: Command): void {
  program
    .command("mitigate")
    .description(
      "print Microsoft's IIS URL Rewrite mitigations (ProxyLogon cookie rules, ProxyNotShell rule)",
    )
    .addOption(
      new Option("--format <format>", "web.config XML or PowerShell")
        .choices(["xml", "powershell"])
        .default("xml"),
    )
    .option("--rollback", "print what removes the rules again")
    .action((o: { format: "xml" | "powershell"; rollback?: boolean }) => {
      const rollback = !!o.rollback;
      process.stdout.write(o.format === "xml" ? mitigationXml(rollback) : mitigationPowerShell(rollback));
    });
}
