import { scenarioRecords } from "../test/events-scenario.ts";
import { powershellJson } from "../test/export-writers.ts";
import { fromDocument } from "../src/readers/events/apply.ts";
const arr = JSON.parse(powershellJson(scenarioRecords()));
const x = arr.find((o: any) => o.Id === 1102);
console.log(JSON.stringify(x.Message));
console.log(fromDocument(x));
