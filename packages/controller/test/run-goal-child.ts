// A controller in its own process (for the SIGKILL tests): runGoal on <stateRoot> <goalId> <book.json> [<bundled scripted agent>].
import { openStore } from "@omk/state";
import { scriptBookProvider } from "@omk/sessions";
import { runGoal } from "../src/index.js";

const [root, goalId, book, agent] = process.argv.slice(2) as [string, string, string, string | undefined];
const engine = scriptBookProvider(book, agent === undefined ? {} : { agent: { command: process.execPath, args: [agent] } });
if (!engine.ok) throw new Error(engine.error.message);
const result = await runGoal({ store: openStore({ root }), goalId, engine: engine.value, untilReady: true, scheduler: { pollMs: 50 } });
process.stdout.write(`${JSON.stringify(result)}\n`);
