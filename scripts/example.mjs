// `npm run example`: build the example evidence, then scan it as a user would. exhunt exits 1 when it
// finds something (EXCH01 is compromised by design); that is the expected outcome here, not an npm error.
import { spawnSync } from "node:child_process";

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit" }).status ?? 2;
const gen = run(process.execPath, ["--import", "tsx", "examples/generate.ts", "examples/evidence"]);
if (gen !== 0) process.exit(gen);
const args = ["dist/cli/exhunt.js", "scan", "--each", "examples/evidence"];
args.push("--ioc", "examples/evidence/iocs.txt", "--html", "examples/report.html");
const code = run(process.execPath, args);
if (code === 1) {
  process.stderr.write("\nexhunt exited 1: findings (expected: EXCH01 is the compromised example).\n");
  process.exit(0);
}
process.exit(code);
