import { type TaskGraph, TaskGraphSchema } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { graphProblems } from "./graph.js";
import { GraphRun } from "./internal/graph-run.js";
import type { SchedulerPorts } from "./ports.js";
import type { RecoveredRun } from "./recovery.js";
import { type RunReport, type SchedulerOptions, SchedulerOptionsSchema } from "./schemas.js";

export type RunGraphError = { code: "invalid_graph" | "invalid_options"; message: string; fix: string; problems: string[] };

/**
 * Run a task graph to the end, a pause, a cancel or a budget stop: ready
 * tasks (dependencies done, no read/write conflict with a running task) are
 * dispatched in priority order under the concurrency cap, each with a lease,
 * a budget reservation and an AbortSignal. Every decision is an event
 * (`ports.onEvent`). Statuses already in the graph are kept: done tasks do
 * not run again. An invalid graph or options are returned as an error value;
 * everything after the start is in the report's outcome.
 */
export async function runGraph(graph: TaskGraph, ports: SchedulerPorts, options: SchedulerOptions = {}): Promise<Result<RunReport, RunGraphError>> {
  return start(graph, ports, options, undefined);
}

/**
 * Continue a run from its goal's event log (see recoverRun) after the
 * controller stopped or crashed: done tasks stay done, tasks that were
 * running run once more (a task_recovered event each), retries, failure
 * signatures and backoff carry over.
 */
export async function resumeGraph(recovered: RecoveredRun, ports: SchedulerPorts, options: SchedulerOptions = {}): Promise<Result<RunReport, RunGraphError>> {
  return start(recovered.graph, ports, options, recovered);
}

async function start(
  graph: TaskGraph,
  ports: SchedulerPorts,
  options: SchedulerOptions,
  recovered: RecoveredRun | undefined,
): Promise<Result<RunReport, RunGraphError>> {
  const parsedOptions = SchedulerOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    const problems = parsedOptions.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`);
    return err({ code: "invalid_options", message: `invalid scheduler options: ${problems[0]}`, fix: "correct the options", problems });
  }
  const parsedGraph = TaskGraphSchema.safeParse(graph);
  if (!parsedGraph.success) {
    const problems = parsedGraph.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    return err({ code: "invalid_graph", message: `the task graph is invalid: ${problems[0]}`, fix: "fix the graph (the planner validates it)", problems });
  }
  const problems = graphProblems(parsedGraph.data.tasks);
  if (problems.length > 0) {
    return err({ code: "invalid_graph", message: `the task graph cannot run: ${problems[0]}`, fix: "fix the graph (the planner validates it)", problems });
  }
  return ok(await new GraphRun(parsedGraph.data.tasks, ports, parsedOptions.data, recovered).run());
}
