import type { Task, TaskGraph } from "@omk/state";
import { graphProblems } from "../graph.js";
import type { FollowUpValidator } from "../ports.js";
import { messageOf } from "./outcomes.js";

/**
 * Proposed follow-up tasks, through the planner's validation (the port) and
 * the scheduler's own check of the extended graph (ids, dependencies,
 * cycles). Accepted tasks start pending, with no retries and no lease.
 */
export async function checkFollowUps(
  validate: FollowUpValidator | undefined,
  graph: TaskGraph,
  proposedBy: Task,
  proposals: readonly unknown[],
): Promise<{ ok: true; added: Task[] } | { ok: false; reason: string }> {
  if (validate === undefined) return { ok: false, reason: "no follow-up validation is configured" };
  let result: Awaited<ReturnType<FollowUpValidator>>;
  try {
    result = await validate({ graph, proposedBy, proposals });
  } catch (error) {
    return { ok: false, reason: `the validation failed: ${messageOf(error)}` };
  }
  if (!result.ok) return { ok: false, reason: result.error.message };
  const added = result.value.map((t): Task => ({ ...t, status: "pending", retries: 0, lease: null }));
  if (added.length === 0) return { ok: false, reason: "the validation accepted none of them" };
  const problems = graphProblems([...graph.tasks, ...added]);
  if (problems.length > 0) return { ok: false, reason: problems.join("; ") };
  return { ok: true, added };
}
