// The command line is consistent across commands: every command's --help ends with the exit codes,
// shows defaults as the user types them, every --json takes FILE or -, and every error line starts
// with "exhunt: ".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command } from "commander";
import { buildProgram } from "../src/cli/main.js";
import { runCli } from "./helpers.js";

function everyCommand(c: Command, path: string[] = []): { path: string[]; c: Command }[] {
  return [{ path, c }, ...c.commands.flatMap((s) => everyCommand(s, [...path, s.name()]))];
}

function helpOf(c: Command): string {
  let text = "";
  c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  c.outputHelp();
  return text;
}

describe("CLI consistency", () => {
  const all = everyCommand(buildProgram()).filter(({ c }) => c.name() !== "help");

  it("every command's --help lists the exit codes", () => {
    assert.ok(all.length > 15, String(all.length));
    for (const { path, c } of all)
      assert.match(helpOf(c), /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /, path.join(" "));
  });

  it("defaults are shown unquoted, empty repeatable options show none", () => {
    for (const { path, c } of all) {
      const help = helpOf(c);
      assert.doesNotMatch(help, /default: "/, path.join(" "));
      assert.doesNotMatch(help, /default: \[/, path.join(" "));
      assert.doesNotMatch(help, /choices: "/, path.join(" "));
    }
    const probe = all.find(({ path }) => path.join(" ") === "probe");
    assert.match(helpOf(probe!.c), /\(default: 443\)/);
  });

  it("--json takes FILE or - on every command that has it", () => {
    let n = 0;
    for (const { path, c } of all)
      for (const o of c.options)
        if (o.long === "--json") {
          n++;
          assert.equal(o.flags, "--json <file|->", path.join(" "));
        }
    assert.ok(n >= 8, `${n} commands with --json`);
  });

  it("one error prefix: commander's own errors too", () => {
    const unknown = runCli(["scan", "--bogus"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^exhunt: unknown option '--bogus'/);
    const missing = runCli(["probe"]);
    assert.match(missing.stderr, /^exhunt: missing required argument 'targets'/);
    const events = runCli(["events", "/nonexistent/x.evtx"]);
    assert.match(events.stderr, /^exhunt: \/nonexistent\/x\.evtx: cannot read/);
  });
});
