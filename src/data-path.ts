// Where the shipped data files (data/builds, data/iocs) are: found by walking up from this module, so
// that the same code works from src/ under tsx, from dist/ as compiled, and from the bundled CLI.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "./model/once.js";

/** The package folder holding `data/` (found once: it never moves while the process runs). */
const packageRoot = once((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !existsSync(join(dir, "data", "builds")); i++) dir = dirname(dir);
  if (!existsSync(join(dir, "data", "builds")))
    throw new Error("exhunt's data folder (data/builds) is missing");
  return dir;
});

/** The path of `data/<parts...>` in the installed package. */
export function dataPath(...parts: string[]): string {
  return join(packageRoot(), "data", ...parts);
}
