// Exchange build numbers as people paste them: `15.1.2176.2`, `15.01.2176.002` (MS Learn long form),
// `15.1.2176` (a CU only, as the OWA logon page shows it) and `Version 15.1 (Build 2176.2)` (what
// Get-ExchangeServer prints as AdminDisplayVersion, which does not move with security updates).

export interface BuildNumber {
  major: number;
  minor: number;
  build: number;
  /** null when only the CU is known (three-part input, or AdminDisplayVersion). */
  revision: number | null;
}

export interface ParsedVersion {
  input: string;
  build: BuildNumber;
  /** Set when the input form hides the update level. */
  warning: string | null;
}

export class VersionError extends Error {}

export const ADMIN_DISPLAY_WARNING =
  "AdminDisplayVersion does not change when a security update is installed: it shows the CU, not the update level. " +
  "Use ExSetup.exe's file version (exhunt build --local, or Get-Command ExSetup.exe | % FileVersionInfo).";

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})(?:\.(\d{1,5}))?$/;
const ADMIN = /^Version\s+(\d{1,3})\.(\d{1,3})\s*\(Build\s+(\d{1,5})\.(\d{1,5})\)$/i;

export function parseVersion(raw: string): ParsedVersion {
  const input = raw.trim();
  let m = DOTTED.exec(input);
  let warning: string | null = null;
  let revision: number | null = null;
  if (m) {
    revision = m[4] === undefined ? null : Number(m[4]);
  } else {
    m = ADMIN.exec(input);
    if (!m) {
      throw new VersionError(
        `not an Exchange build number: ${JSON.stringify(raw.slice(0, 80))} (expected 15.1.2176.2, 15.01.2176.002 or "Version 15.1 (Build 2176.2)")`,
      );
    }
    warning = ADMIN_DISPLAY_WARNING;
  }
  const build: BuildNumber = { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]), revision };
  if (build.major !== 14 && build.major !== 15) {
    throw new VersionError(
      `${input}: major version ${build.major} is not Exchange 2010 (14), 2013, 2016 or 2019 (15)`,
    );
  }
  if (build.revision !== null && build.revision > 65535)
    throw new VersionError(`${input}: revision out of range`);
  return { input, build, warning };
}

export function formatBuild(b: BuildNumber): string {
  return b.revision === null
    ? `${b.major}.${b.minor}.${b.build}`
    : `${b.major}.${b.minor}.${b.build}.${b.revision}`;
}
