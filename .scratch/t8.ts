import { fillFromMessage } from "../src/readers/events/message.ts";
const rec: any = { eventId: 1102, provider: "Microsoft-Windows-Eventlog", channel: "Security", computer: "", recordId: 1, time: null, level: 4, data: {}, values: ["S-1", "administrator", "CONTOSO", "0x1"], message: "The audit log was cleared.\r\nSubject:\r\n\tSecurity ID:\tS-1\r\n\tAccount Name:\tadministrator\r\n\tDomain Name:\tCONTOSO\r\n\tLogon ID:\t0x1" };
fillFromMessage(rec); console.log(rec.data);
