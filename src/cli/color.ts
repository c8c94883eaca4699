// Colour on the console: an explicit --color / --no-color wins; else NO_COLOR with a non-empty value
// turns it off (no-color.org), FORCE_COLOR turns it on, and a TTY decides.
export function useColor(explicit: boolean | undefined, stream: NodeJS.WriteStream): boolean {
  if (explicit === true || explicit === false) return explicit;
  if ((process.env.NO_COLOR ?? "") !== "") return false;
  if ("FORCE_COLOR" in process.env) return true;
  return !!stream.isTTY;
}
