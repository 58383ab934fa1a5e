/**
 * Task graph validation: unique ids, dependencies that exist, no cycles,
 * acceptance criteria and a budget on every task, safe read/write paths (no
 * absolute path, `..`, `~` or `.git`: @omk/state's normalizeScopePath), and
 * every pair of conflicting tasks ordered by the dependency closure
 * (@omk/state's findConflicts). Every issue is reported, not just the first.
 * A graph over MAX_PLAN_TASKS is refused before any of that work.
 */
import { SCHEMA_VERSION, type Task, type TaskGraph, TaskGraphSchema } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { acceptanceIssues, cycleIssue, dependencyClosure, findCycles, type GraphIssue, issue, parseTasks, unorderedConflicts } from "./internal/graph-rules.js";

export type { GraphIssue } from "./internal/graph-rules.js";

/**
 * The most tasks a plan's graph may hold. Pair checks are quadratic, and no
 * goal OMK runs needs more: a plan of more tasks is a model gone wrong (or a
 * hostile one), refused before any graph work and named in the retry prompt.
 */
export const MAX_PLAN_TASKS = 100;

export type ValidateGraphOptions = {
  /** The oracle's criterion ids: acceptance must name them, and each must be served by some task. */
  readonly criteria?: readonly string[];
};

/** All pairs of tasks, each once. */
export function pairs<T>(items: readonly T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) out.push([items[i] as T, items[j] as T]);
  return out;
}

export function validateGraph(input: unknown, options: ValidateGraphOptions = {}): Result<TaskGraph, GraphIssue[]> {
  if (typeof input !== "object" || input === null || !Array.isArray((input as { tasks?: unknown }).tasks)) {
    return err([issue("schema", 'a task graph is an object with a "tasks" array', [])]);
  }
  const count = (input as { tasks: unknown[] }).tasks.length;
  if (count > MAX_PLAN_TASKS) {
    return err([issue("too_many_tasks", `the graph has ${count} tasks, over the limit of ${MAX_PLAN_TASKS} (MAX_PLAN_TASKS): plan fewer, larger tasks`, [])]);
  }
  const issues: GraphIssue[] = [];
  const version = (input as { schemaVersion?: unknown }).schemaVersion;
  if (version !== undefined && version !== SCHEMA_VERSION) issues.push(issue("schema", `schemaVersion is ${String(version)}, expected ${SCHEMA_VERSION}`, []));
  const { tasks, ids, issues: parseIssues } = parseTasks((input as { tasks: unknown[] }).tasks);
  issues.push(...parseIssues);
  if (ids.length === 0 && tasks.length === 0) issues.push(issue("schema", "the graph has no task", []));

  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) issues.push(issue("duplicate_id", `task id "${id}" is used more than once`, [id]));
    seen.add(id);
  }
  const known = new Set(ids);
  for (const task of tasks) {
    for (const dep of task.dependencies) {
      if (dep === task.id) issues.push(issue("self_dependency", `task "${task.id}" depends on itself`, [task.id]));
      else if (!known.has(dep)) issues.push(issue("unknown_dependency", `task "${task.id}" depends on "${dep}", which is not in the graph`, [task.id, dep]));
    }
  }
  const deps = new Map<string, string[]>(tasks.map((t) => [t.id, t.dependencies.filter((d) => d !== t.id)]));
  issues.push(...findCycles(deps).map(cycleIssue));
  issues.push(...acceptanceIssues(tasks, options.criteria, true));
  const byId = new Map<string, Task>();
  for (const t of tasks) if (!byId.has(t.id)) byId.set(t.id, t);
  const unique = [...byId.values()];
  issues.push(...unorderedConflicts(pairs(unique), dependencyClosure(deps)));

  if (issues.length > 0) return err(issues);
  return ok(TaskGraphSchema.parse({ schemaVersion: SCHEMA_VERSION, tasks }) as TaskGraph);
}

/** A task's transitive dependencies within a graph. */
export function dependenciesOf(graph: { readonly tasks: readonly Task[] }, id: string): Set<string> {
  return new Set(dependencyClosure(new Map(graph.tasks.map((t) => [t.id, t.dependencies]))).get(id));
}

/** One line per issue, for prompts and error messages. */
export function formatIssues(issues: readonly GraphIssue[]): string[] {
  return issues.map((i) => `${i.code}: ${i.message}`);
}
