// A controller in its own process: runs the goal's task graph with described tasks, appending to the goal's log.
// The recovery test SIGKILLs it mid-run.
import { openStore } from "@omk/state";
import { runGraph } from "../../src/index.js";
import { runDescribed, storeSink } from "../helpers/process-runners.js";

const goalId = process.argv[2] as string;
const store = openStore();
const goal = await store.readGoal(goalId);
if (goal.taskGraph === null) throw new Error("the goal has no task graph");
const result = await runGraph(
  goal.taskGraph,
  { runTask: runDescribed, onEvent: storeSink(store, goalId), readGoal: () => store.readGoal(goalId) },
  { concurrency: 3, retry: { baseDelayMs: 20 } },
);
process.stdout.write(`${result.ok ? result.value.outcome : result.error.message}\n`);
