// Log sources to records, as data: which event-log channel and event ids a Windows `service` or
// `category` means (pySigma's Windows and Sysmon pipelines), the field renames for Security 4688, and
// the W3C names of the webserver taxonomy's fields. A rule whose log source is not here is counted as
// "log source not in this evidence", not dropped silently.

export const SYSMON = "Microsoft-Windows-Sysmon/Operational";
const PS = "Microsoft-Windows-PowerShell/Operational";
const PS_CLASSIC = "Windows PowerShell";

/** One place a rule's events come from. */
export interface EventTarget {
  channel: string;
  /** null: every event of the channel. */
  eventIds: number[] | null;
  /** Sigma field → the field the events of this target carry. */
  renames?: Readonly<Record<string, string>>;
}

/** `product: windows` + `service` → channel(s). */
export const WINDOWS_SERVICES: Readonly<Record<string, string[]>> = {
  security: ["Security"],
  system: ["System"],
  application: ["Application"],
  sysmon: [SYSMON],
  powershell: [PS],
  "powershell-classic": [PS_CLASSIC],
  "msexchange-management": ["MSExchange Management"],
  taskscheduler: ["Microsoft-Windows-TaskScheduler/Operational"],
  wmi: ["Microsoft-Windows-WMI-Activity/Operational"],
  windefend: ["Microsoft-Windows-Windows Defender/Operational"],
  "dns-server": ["DNS Server"],
  "dns-server-audit": ["Microsoft-Windows-DNS-Server/Audit"],
  "dns-server-analytic": ["Microsoft-Windows-DNS-Server/Analytical"],
  "dns-client": ["Microsoft-Windows-DNS Client Events/Operational"],
  "driver-framework": ["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
  ntlm: ["Microsoft-Windows-NTLM/Operational"],
  dhcp: ["Microsoft-Windows-DHCP-Server/Operational"],
  applocker: [
    "Microsoft-Windows-AppLocker/MSI and Script",
    "Microsoft-Windows-AppLocker/EXE and DLL",
    "Microsoft-Windows-AppLocker/Packaged app-Deployment",
    "Microsoft-Windows-AppLocker/Packaged app-Execution",
  ],
  "printservice-admin": ["Microsoft-Windows-PrintService/Admin"],
  "printservice-operational": ["Microsoft-Windows-PrintService/Operational"],
  "codeintegrity-operational": ["Microsoft-Windows-CodeIntegrity/Operational"],
  "smbclient-security": ["Microsoft-Windows-SmbClient/Security"],
  "smbclient-connectivity": ["Microsoft-Windows-SmbClient/Connectivity"],
  "smbserver-connectivity": ["Microsoft-Windows-SMBServer/Connectivity"],
  "firewall-as": ["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
  "bits-client": ["Microsoft-Windows-Bits-Client/Operational"],
  "terminalservices-localsessionmanager": [
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
  ],
  "microsoft-servicebus-client": ["Microsoft-ServiceBus-Client"],
  "servicebus-client": ["Microsoft-ServiceBus-Client"],
  ldap: ["Microsoft-Windows-LDAP-Client/Debug"],
  ldap_debug: ["Microsoft-Windows-LDAP-Client/Debug"],
  "security-mitigations": [
    "Microsoft-Windows-Security-Mitigations/Kernel Mode",
    "Microsoft-Windows-Security-Mitigations/User Mode",
  ],
  "diagnosis-scripted": ["Microsoft-Windows-Diagnosis-Scripted/Operational"],
  "shell-core": ["Microsoft-Windows-Shell-Core/Operational"],
  openssh: ["OpenSSH/Operational"],
  bitlocker: ["Microsoft-Windows-BitLocker/BitLocker Management"],
  vhdmp: ["Microsoft-Windows-VHDMP/Operational"],
  "appxdeployment-server": ["Microsoft-Windows-AppXDeploymentServer/Operational"],
  "appxpackaging-om": ["Microsoft-Windows-AppxPackaging/Operational"],
  "appmodel-runtime": ["Microsoft-Windows-AppModel-Runtime/Admin"],
  "lsa-server": ["Microsoft-Windows-LSA/Operational"],
  capi2: ["Microsoft-Windows-CAPI2/Operational"],
  "certificateservicesclient-lifecycle-system": [
    "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
  ],
  "iis-configuration": ["Microsoft-IIS-Configuration/Operational"],
  "kernel-shimengine": ["Microsoft-Windows-Kernel-ShimEngine/Operational"],
  "hyper-v-worker": ["Microsoft-Windows-Hyper-V-Worker"],
};

/** Security 4688 carries process creation under other names (pySigma's windows pipeline). */
export const SECURITY_4688_RENAMES: Readonly<Record<string, string>> = {
  Image: "NewProcessName",
  ParentImage: "ParentProcessName",
  ProcessId: "NewProcessId",
  ParentProcessId: "ProcessId",
  User: "SubjectUserName",
  LogonId: "SubjectLogonId",
  IntegrityLevel: "MandatoryLabel",
};

const sysmon = (...ids: number[]): EventTarget => ({ channel: SYSMON, eventIds: ids });

/** `product: windows` + `category` → targets. */
export const WINDOWS_CATEGORIES: Readonly<Record<string, EventTarget[]>> = {
  process_creation: [sysmon(1), { channel: "Security", eventIds: [4688], renames: SECURITY_4688_RENAMES }],
  file_change: [sysmon(2)],
  network_connection: [sysmon(3)],
  sysmon_status: [sysmon(4, 16)],
  process_termination: [sysmon(5)],
  driver_load: [sysmon(6)],
  image_load: [sysmon(7)],
  create_remote_thread: [sysmon(8)],
  raw_access_thread: [sysmon(9)],
  raw_access_read: [sysmon(9)],
  process_access: [sysmon(10)],
  file_event: [sysmon(11)],
  registry_add: [sysmon(12)],
  registry_delete: [sysmon(12)],
  registry_set: [sysmon(13)],
  registry_rename: [sysmon(14)],
  registry_event: [sysmon(12, 13, 14)],
  create_stream_hash: [sysmon(15)],
  pipe_created: [sysmon(17, 18)],
  wmi_event: [sysmon(19, 20, 21)],
  dns_query: [sysmon(22)],
  file_delete: [sysmon(23, 26)],
  file_delete_detected: [sysmon(26)],
  clipboard_capture: [sysmon(24)],
  process_tampering: [sysmon(25)],
  file_block_executable: [sysmon(27)],
  file_block_shredding: [sysmon(28)],
  file_executable_detected: [sysmon(29)],
  sysmon_error: [sysmon(255)],
  ps_module: [{ channel: PS, eventIds: [4103] }],
  ps_script: [{ channel: PS, eventIds: [4104] }],
  ps_classic_start: [{ channel: PS_CLASSIC, eventIds: [400] }],
  ps_classic_provider_start: [{ channel: PS_CLASSIC, eventIds: [600] }],
  ps_classic_script: [{ channel: PS_CLASSIC, eventIds: [800] }],
  antivirus: [
    {
      channel: "Microsoft-Windows-Windows Defender/Operational",
      eventIds: [1006, 1007, 1008, 1009, 1010, 1116, 1117, 1118, 1119],
    },
  ],
};

/** System fields every event has, by their Sigma names. */
export const EVENT_SYSTEM_FIELDS = [
  "EventID",
  "Channel",
  "Provider_Name",
  "Computer",
  "EventRecordID",
  "Level",
] as const;

/**
 * The webserver taxonomy (`category: webserver`) in IIS W3C names. Fields not listed are looked up
 * under their own name (`cs-uri-stem`, `c-ip`, `cs-method`, `sc-status`, `cs-host`, ...).
 * `cs-uri-query` is the whole request URI (stem, `?`, query): SigmaHQ's webserver rules put paths
 * there (`cs-uri-query|contains: '/owa/auth/Current/'`), as web servers that log one URI field do.
 */
export const WEBSERVER_FIELDS: Readonly<Record<string, string>> = {
  "cs-user-agent": "cs(User-Agent)",
  "cs-referer": "cs(Referer)",
  "cs-referrer": "cs(Referer)",
  "cs-cookie": "cs(Cookie)",
  "c-useragent": "cs(User-Agent)",
  "cs-uri": "cs-uri-stem",
};

/** The Sigma field that stands for the whole request URI in IIS logs. */
export const WEBSERVER_FULL_URI = "cs-uri-query";

/**
 * Fields where IIS writes `+` for a space: both the rule's values and the log's are read with spaces
 * (rules are written either way: `Mozilla/5.0+(compatible;` and `Nmap Scripting Engine`).
 */
export const W3C_PLUS_FIELDS: Readonly<Record<string, (s: string) => string>> = Object.fromEntries(
  ["cs-user-agent", "c-useragent", "cs-referer", "cs-referrer", "cs-cookie"].map((f) => [
    f,
    (s: string) => s.replaceAll("+", " "),
  ]),
);

/** Where a rule's records come from: events (targets), web-server rows, or not in this evidence. */
export type Placement =
  | { kind: "event"; targets: EventTarget[] }
  | { kind: "web" }
  | { kind: "none"; reason: string };

export function placeRule(ls: { product?: string; service?: string; category?: string }): Placement {
  const product = ls.product?.toLowerCase();
  const category = ls.category?.toLowerCase();
  const service = ls.service?.toLowerCase();
  if (category === "webserver") return { kind: "web" };
  const what = [product, category, service].filter(Boolean).join("/") || "(none)";
  if (product !== "windows") return { kind: "none", reason: `log source ${what} not in this evidence` };
  const byService = service ? WINDOWS_SERVICES[service] : undefined;
  const byCategory = category ? WINDOWS_CATEGORIES[category] : undefined;
  if (byCategory) {
    if (!byService) return { kind: "event", targets: byCategory };
    const both = byCategory.filter((t) => byService.includes(t.channel));
    return { kind: "event", targets: both.length ? both : byCategory };
  }
  if (byService && !category)
    return { kind: "event", targets: byService.map((channel) => ({ channel, eventIds: null })) };
  return {
    kind: "none",
    reason: `log source ${what} has no event-log channel mapping (not in this evidence)`,
  };
}
