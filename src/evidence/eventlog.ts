// Windows event-log channel files: which ones a live scan reads, and what to tell the user when one
// cannot be opened (the Event Log service holds the active channels open).
import { basename } from "node:path";

/** Channel files a live scan reads from %SystemRoot%\System32\winevt\Logs (only those present). */
export const LIVE_CHANNEL_FILES = [
  "Application.evtx",
  "MSExchange Management.evtx",
  "Security.evtx",
  "Microsoft-Windows-Sysmon%4Operational.evtx",
];

/** The channel a `.evtx` file name stands for (`Microsoft-Windows-Sysmon%4Operational.evtx` → `…/Operational`). */
export function channelOfFile(name: string): string {
  return basename(name.replaceAll("\\", "/"))
    .replace(/\.evtx$/i, "")
    .replaceAll("%4", "/");
}

/** A reason an .evtx could not be opened, with the command that exports a readable copy. */
export function withExportHint(rel: string, message: string): string {
  if (!/\.evtx$/i.test(rel)) return message;
  const channel = channelOfFile(rel);
  const copy = `${channel.replace(/[^A-Za-z0-9_-]+/g, "_")}.evtx`;
  return (
    `${message}. The Event Log service keeps active channels open: export a copy and scan it, ` +
    `e.g. wevtutil epl "${channel}" C:\\exhunt-export\\${copy}`
  );
}
