// Scripts where Exchange ships none (aspnet_client), or that are not among the pages Exchange ships in
// FrontEnd\HttpProxy\owa\auth, ecp\auth, the other front-end folders and directly in the back-end
// roots ClientAccess\ecp and \Autodiscover (list and source in ../webfolders.ts). A web shell need not match any content rule to be found this way.
import type { CheckInfo } from "../../model/types.js";
import type { ContentDetection } from "../types.js";
import { insideFolder, isShippedScript, SCRIPT_EXT } from "../webfolders.js";
import { REFS, sweptDraft } from "./common.js";

export const checks = {
  aspnetClient: {
    id: "script-in-aspnet-client",
    title: "Script in aspnet_client (Exchange ships none there)",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "high",
    effect: "compromise",
    description:
      "An ASP.NET page or handler under %IIS%\\wwwroot\\aspnet_client (incl. system_web). IIS and Exchange " +
      "leave only empty version folders there; it was the favourite drop folder of the ProxyLogon shells " +
      "(MSTIC lists 22 of them). Microsoft's MSERT guidance and cert-lv's script treat every file there as " +
      "suspect.",
    references: [REFS.msert, REFS.certlv, REFS.msBlog],
  },
  unexpected: {
    id: "unexpected-exchange-script",
    title: "Script that is not one of Exchange's own in a front-end folder",
    cves: ["CVE-2021-26858", "CVE-2021-27065"],
    severity: "high",
    effect: "compromise",
    description:
      "An ASP.NET page or handler in FrontEnd\\HttpProxy (owa\\auth incl. Current\\themes\\resources and " +
      "<build>\\, ecp\\auth, OAB, EWS, ...) that is not among the files Exchange ships there (per " +
      "Microsoft's CompareExchangeHashes baselines: logon.aspx, errorFE.aspx, ... in owa\\auth; " +
      "TimeoutLogout.aspx in ecp\\auth; only global.asax and web.config in each other front-end folder; " +
      "About.aspx, default.aspx, ... directly in ClientAccess\\ecp and Autodiscover.svc, Global.asax directly in " +
      "ClientAccess\\Autodiscover).",
    references: [REFS.compareHashes, REFS.msert, REFS.msBlog],
  },
} satisfies Record<string, CheckInfo>;

export const unexpectedScript: ContentDetection = {
  type: "content",
  id: "unexpected-script",
  checks: Object.values(checks),
  select: (file) =>
    file.winPath !== null &&
    (file.folder === "aspnet_client" ||
      file.folder === "owa-auth" ||
      file.folder === "ecp-auth" ||
      file.folder === "httpproxy" ||
      file.folder === "clientaccess") &&
    SCRIPT_EXT.test(file.winPath),
  match(file) {
    const folder = file.folder!;
    const inside = insideFolder(file.winPath!, folder);
    if (isShippedScript(folder, inside) !== false) return null;
    if (folder === "aspnet_client")
      return sweptDraft(checks.aspnetClient.id, file, `script in aspnet_client: ${inside}`);
    return sweptDraft(checks.unexpected.id, file, `not shipped by Exchange in ${folder}: ${inside}`);
  },
};
