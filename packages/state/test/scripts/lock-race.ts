// Waits until a shared start time, then tries to take the controller lock; prints the outcome as JSON.
import { acquireControllerLock, openStore } from "@omk/state";

const [goalId, startAt, holdMs] = process.argv.slice(2) as [string, string, string];
const store = openStore();
await store.readGoal(goalId);
const wait = Number(startAt) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const result = await acquireControllerLock(store, goalId, { staleAfterMs: 60_000, heartbeatMs: 0 });
process.stdout.write(`${JSON.stringify(result.ok ? { won: true, pid: process.pid } : { won: false, holder: result.error.holder?.pid, message: result.error.message })}\n`);
if (result.ok) {
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  if (process.argv[5] === "release") await result.value.release();
}
