// A controller in its own process (for the SIGKILL tests): runGoal on <stateRoot> <goalId> <book.json>.
import { openStore } from "@omk/state";
import { runGoal, scriptBookProvider } from "../src/index.js";

const [root, goalId, book] = process.argv.slice(2) as [string, string, string];
const engine = scriptBookProvider(book);
if (!engine.ok) throw new Error(engine.error.message);
const result = await runGoal({ store: openStore({ root }), goalId, engine: engine.value, untilReady: true, scheduler: { pollMs: 50 } });
process.stdout.write(`${JSON.stringify(result)}\n`);
