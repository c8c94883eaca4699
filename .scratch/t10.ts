import { scan } from "../src/index.ts";
import { renderConsole } from "../src/report/console.ts";
const r = await scan([process.argv[2]], { workers: 0 });
console.log(renderConsole(r, { color: false }).split("\n").slice(-14).join("\n"));
