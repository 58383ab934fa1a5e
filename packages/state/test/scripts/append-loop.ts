// Appends events to a goal forever, printing each committed seq; the crash test SIGKILLs it.
import { openStore, requestPause, requestResume } from "../../src/index.js";

const goalId = process.argv[2] as string;
const store = openStore();
let i = 0;
for (;;) {
  i++;
  const r =
    i % 5 === 0
      ? (await store.readGoal(goalId)).status === "paused"
        ? await requestResume(store, goalId)
        : await requestPause(store, goalId)
      : await store.recordUsage(goalId, { source: "loop", tokens: { input: i, cacheRead: 0, cacheWrite: 0, output: 1 } });
  if (!r.ok) {
    process.stderr.write(`append failed: ${r.error.message}\n`);
    process.exit(3);
  }
  process.stdout.write(`${r.value.lastSeq}\n`);
}
