// Test setup shared by the store's tests: a store with one running goal, and the tasks of a task graph.
import { makeTempDir } from "@omk/test-fixtures";
import { type GoalStore, openStore } from "../src/store.js";

/** A new store (in a temp dir named `prefix`…) holding one goal, "Add a --json flag", already running. */
export async function runningGoal(prefix: string): Promise<{ store: GoalStore; id: string }> {
  const store = openStore({ root: makeTempDir(prefix) });
  const created = await store.createGoal({
    text: "Add a --json flag",
    repoRoot: "/tmp/repo",
    limits: { timeMs: 3_600_000, tokens: 10_000, usd: 5 },
    maxAgents: 2,
  });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  await store.transition(id, "running");
  return { store, id };
}

/** The budget of every task `newTask` makes. */
export const TASK_BUDGET = { timeMs: 60_000, tokens: 1000, usd: 1 };

/** A task of a task graph (before parsing), named `id`, of role implementer, with the given dependencies, writes and acceptance. */
export function newTask(id: string, dependencies: string[], fields: { writes: string[]; acceptance: string[] }) {
  return {
    id,
    title: id,
    description: "",
    role: "implementer",
    dependencies,
    reads: [],
    writes: fields.writes,
    acceptance: fields.acceptance,
    budget: TASK_BUDGET,
  };
}
