import type { Task } from "@omk/state";

/**
 * What the scheduler needs of a graph before it runs it: unique ids, every
 * dependency a task of the graph, no cycle. (Conflict, scope and budget
 * rules are the planner's validation.) Returns the problems; empty when the
 * graph can run.
 */
export function graphProblems(tasks: readonly Pick<Task, "id" | "dependencies">[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id)) problems.push(`task id "${task.id}" appears twice`);
    ids.add(task.id);
  }
  for (const task of tasks) {
    for (const dep of task.dependencies) {
      if (dep === task.id) problems.push(`task "${task.id}" depends on itself`);
      else if (!ids.has(dep)) problems.push(`task "${task.id}" depends on "${dep}", which is not in the graph`);
    }
  }
  if (problems.length > 0) return problems;
  const order = topologicalOrder(tasks);
  if (order.length < tasks.length) {
    const sorted = new Set(order);
    const stuck = tasks.filter((t) => !sorted.has(t.id)).map((t) => t.id);
    problems.push(`dependency cycle among: ${stuck.join(", ")}`);
  }
  return problems;
}

/** Ids with every task after its dependencies (Kahn); shorter than the graph when there is a cycle.
 * @public (a README example uses it)
 */
export function topologicalOrder(tasks: readonly Pick<Task, "id" | "dependencies">[]): string[] {
  const dependents = dependentsOf(tasks);
  const waiting = new Map(tasks.map((t) => [t.id, new Set(t.dependencies).size]));
  const queue = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  for (let i = 0; i < queue.length; i++) {
    for (const next of dependents.get(queue[i] as string) ?? []) {
      const left = (waiting.get(next) ?? 0) - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return queue;
}

/** Task ids by dependency: who waits for each task. */
export function dependentsOf(tasks: readonly Pick<Task, "id" | "dependencies">[]): Map<string, string[]> {
  const out = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const task of tasks) for (const dep of new Set(task.dependencies)) out.get(dep)?.push(task.id);
  return out;
}

/**
 * Each task's rank: the number of tasks on the longest chain from it to the
 * end of the graph (1 for a task nothing waits for). Dispatching higher
 * ranks first among equal priorities keeps the critical path moving.
 */
export function chainRanks(tasks: readonly Pick<Task, "id" | "dependencies">[]): Map<string, number> {
  const dependents = dependentsOf(tasks);
  const rank = new Map<string, number>();
  for (const id of topologicalOrder(tasks).reverse()) {
    let best = 0;
    for (const next of dependents.get(id) ?? []) best = Math.max(best, rank.get(next) ?? 0);
    rank.set(id, best + 1);
  }
  return rank;
}

/**
 * The deterministic dispatch order: higher `priority` first, then higher
 * chain rank, then id. The graph must be acyclic.
 */
export function dispatchOrder<T extends Pick<Task, "id" | "dependencies" | "priority">>(tasks: readonly T[]): T[] {
  const rank = chainRanks(tasks);
  return [...tasks].sort((a, b) => b.priority - a.priority || (rank.get(b.id) ?? 0) - (rank.get(a.id) ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
