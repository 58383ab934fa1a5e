// Tries to take the controller lock once the test says go; prints the outcome as JSON.
// A winner keeps the lock until the test says release, so no racer can arrive after
// the winner has exited (which would make its lock legitimately stale).
import { existsSync } from "node:fs";
import { acquireControllerLock, openStore } from "../../src/index.js";

const [goalId, goFile, releaseFile] = process.argv.slice(2) as [string, string, string];
const store = openStore();
await store.readGoal(goalId);
process.stdout.write("ready\n");
const waitFor = async (file: string) => {
  const deadline = Date.now() + 60_000;
  while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};
await waitFor(goFile);
const result = await acquireControllerLock(store, goalId, { staleAfterMs: 60_000, heartbeatMs: 0 });
process.stdout.write(
  `${JSON.stringify(result.ok ? { won: true, pid: process.pid } : { won: false, holder: result.error.holder?.pid, message: result.error.message })}\n`,
);
if (result.ok) await waitFor(releaseFile);
