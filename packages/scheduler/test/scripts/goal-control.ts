// `pause`, `resume` or `cancel` a goal from another process, as `omk goal pause|resume|cancel` does.
import { openStore, requestCancel, requestPause, requestResume } from "@omk/state";

const [action, goalId] = process.argv.slice(2) as [string, string];
const store = openStore();
const result =
  action === "cancel"
    ? await requestCancel(store, goalId, "user", "cross-process test")
    : action === "pause"
      ? await requestPause(store, goalId)
      : await requestResume(store, goalId);
if (!result.ok) {
  process.stderr.write(`${action} failed: ${result.error.message}\n`);
  process.exit(1);
}
process.stdout.write(`${result.value.status}\n`);
