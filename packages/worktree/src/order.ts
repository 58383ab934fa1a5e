// The merge order of accepted tasks: the task graph's topological order, ties broken by task id.
import { err, ok, type Result } from "@omk/core";
import { type Problem, problem } from "./errors.js";

/** The part of a task the order needs (a state Task fits). */
export type GraphTask = { readonly id: string; readonly dependencies: readonly string[] };

export type OrderError =
  | Problem<"unknown_task", { readonly taskId: string }>
  | Problem<"duplicate_task", { readonly taskId: string }>
  | Problem<"cycle", { readonly tasks: readonly string[] }>;

/** Code-unit order: the same on every machine and locale. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Kahn's algorithm over the whole graph, always taking the smallest ready id,
 * then filtered to the accepted tasks: the order depends only on the graph and
 * the accepted set, never on the order in which tasks finished.
 */
export function integrationOrder(tasks: readonly GraphTask[], accepted: readonly string[]): Result<string[], OrderError> {
  const byId = new Map<string, GraphTask>();
  for (const task of tasks) {
    if (byId.has(task.id))
      return err(problem("duplicate_task", `task ${task.id} appears twice in the graph`, "give every task its own id", { taskId: task.id }));
    byId.set(task.id, task);
  }
  for (const id of accepted) {
    if (!byId.has(id))
      return err(problem("unknown_task", `accepted task ${id} is not in the task graph`, "pass the goal's task graph and ids from it", { taskId: id }));
  }
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    indegree.set(task.id, 0);
    dependents.set(task.id, []);
  }
  for (const task of tasks) {
    for (const dep of new Set(task.dependencies)) {
      if (!byId.has(dep)) {
        return err(problem("unknown_task", `task ${task.id} depends on ${dep}, which is not in the task graph`, "pass the whole task graph", { taskId: dep }));
      }
      indegree.set(task.id, (indegree.get(task.id) ?? 0) + 1);
      dependents.get(dep)?.push(task.id);
    }
  }
  const ready = tasks.filter((t) => indegree.get(t.id) === 0).map((t) => t.id);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort(compareIds);
    const next = ready.shift() as string;
    order.push(next);
    for (const dependent of dependents.get(next) ?? []) {
      const left = (indegree.get(dependent) ?? 0) - 1;
      indegree.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length < tasks.length) {
    const stuck = tasks
      .map((t) => t.id)
      .filter((id) => !order.includes(id))
      .sort(compareIds);
    return err(problem("cycle", `the task graph has a dependency cycle among ${stuck.join(", ")}`, "break the cycle in the task graph", { tasks: stuck }));
  }
  const wanted = new Set(accepted);
  return ok(order.filter((id) => wanted.has(id)));
}
