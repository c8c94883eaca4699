// Channel and provider names as exports spell them: lower-cased by some SIEMs, abbreviated by Hayabusa
// (`Sec`, `Sysmon`), or missing where a tool keeps only the channel. Names Windows defines are given
// their one spelling, so that coverage and detections see one channel whatever the export.

const CANONICAL_CHANNELS = [
  "Application",
  "Security",
  "System",
  "Setup",
  "ForwardedEvents",
  "MSExchange Management",
  "Windows PowerShell",
  "Microsoft-Windows-Sysmon/Operational",
  "Microsoft-Windows-PowerShell/Operational",
  "Microsoft-Windows-WMI-Activity/Operational",
  "Microsoft-Windows-TaskScheduler/Operational",
  "Microsoft-Windows-Windows Defender/Operational",
  "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
];

const BY_LOWER = new Map(CANONICAL_CHANNELS.map((c) => [c.toLowerCase(), c]));

/** Hayabusa's channel abbreviations (its `channel_abbreviations` table) for the channels above. */
const ABBREVIATIONS: Record<string, string> = {
  sec: "Security",
  sys: "System",
  app: "Application",
  sysmon: "Microsoft-Windows-Sysmon/Operational",
  pwsh: "Microsoft-Windows-PowerShell/Operational",
  pwshclassic: "Windows PowerShell",
  wmi: "Microsoft-Windows-WMI-Activity/Operational",
  defender: "Microsoft-Windows-Windows Defender/Operational",
  taskschop: "Microsoft-Windows-TaskScheduler/Operational",
};

/** A channel name in Windows' spelling when it is one Windows defines; otherwise as given. */
export function canonicalChannel(name: string, abbreviated = false): string {
  const t = name.trim();
  const lower = t.toLowerCase();
  if (abbreviated && ABBREVIATIONS[lower]) return ABBREVIATIONS[lower];
  return BY_LOWER.get(lower) ?? t;
}

/** The provider an export left out, where the channel and event id leave no doubt. */
export function impliedProvider(channel: string, eventId: number): string {
  if (channel === "Microsoft-Windows-Sysmon/Operational") return "Microsoft-Windows-Sysmon";
  if (channel === "Security" && eventId === 1102) return "Microsoft-Windows-Eventlog";
  if (channel === "Security" && eventId >= 4608 && eventId < 7000)
    return "Microsoft-Windows-Security-Auditing";
  if (channel === "System" && eventId === 104) return "Microsoft-Windows-Eventlog";
  if (channel === "MSExchange Management") return "MSExchange CmdletLogs";
  return "";
}
