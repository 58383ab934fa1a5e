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
  signal?: AbortSignal,
): Promise<{ ok: true; added: Task[] } | { ok: false; reason: string }> {
  if (validate === undefined) return { ok: false, reason: "no follow-up validation is configured" };
  let result: Awaited<ReturnType<FollowUpValidator>>;
  try {
    result = await validate(signal === undefined ? { graph, proposedBy, proposals } : { graph, proposedBy, proposals, signal });
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

/** A follow-up validation still waiting for the planner's answer. */
export type PendingValidation = { readonly proposedBy: string; readonly count: number; readonly controller: AbortController };

/**
 * Follow-up validations in flight: while one is open the run does not finish
 * on its own. A stop releases them all at once (their signals are aborted)
 * and an answer that comes after is ignored.
 */
export class ValidationsInFlight {
  private readonly open = new Set<PendingValidation>();

  get size(): number {
    return this.open.size;
  }

  start(proposedBy: string, count: number): PendingValidation {
    const pending = { proposedBy, count, controller: new AbortController() };
    this.open.add(pending);
    return pending;
  }

  isOpen(pending: PendingValidation): boolean {
    return this.open.has(pending);
  }

  /** Close one that answered; false when a stop released it already. */
  close(pending: PendingValidation): boolean {
    return this.open.delete(pending);
  }

  /** Release every open validation, aborting its signal with `reason`; returns them. */
  releaseAll(reason: unknown): PendingValidation[] {
    const released = [...this.open];
    this.open.clear();
    for (const pending of released) pending.controller.abort(reason);
    return released;
  }
}
