#!/usr/bin/env node
// omk-scripted-agent: the scripted ACP engine (the engine of `omk demo` and of the tests).
//   omk-scripted-agent --scenario FILE      (or OMK_SCRIPTED_SCENARIO=FILE)
//   omk-scripted-agent --version
import { runScriptedAgent } from "./internal/scripted/agent.js";
import { loadScenario } from "./scenario.js";
import { WIRE_VERSION } from "./version.js";

const argv = process.argv.slice(2);
if (argv.includes("--version")) {
  process.stdout.write(`omk-scripted-agent ${WIRE_VERSION}\n`);
  process.exit(0);
}
const at = argv.indexOf("--scenario");
const file = at >= 0 ? argv[at + 1] : process.env["OMK_SCRIPTED_SCENARIO"];
if (file === undefined || file === "") {
  process.stderr.write("usage: omk-scripted-agent --scenario FILE (or OMK_SCRIPTED_SCENARIO=FILE)\n");
  process.exit(2);
}
const scenario = loadScenario(file);
if (!scenario.ok) {
  process.stderr.write(`omk-scripted-agent: ${scenario.error.message}\n`);
  process.exit(2);
}
await runScriptedAgent(scenario.value);
// stdin closed: the client is gone.
process.exit(0);
