/**
 * Integration: the integration branch holds the verified head (recorded in
 * verification); the task checkouts of integrated tasks are removed when
 * clean and their commits kept (@omk/worktree cleanup refuses otherwise, so
 * no work is lost). The base branch is
 * never touched: accepting is `omk goal accept`, merging is the user's.
 */
import type { RunContext } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { removeTaskWorktree } from "../internal/task-worktree.js";
import { REVIEW_ROLES } from "./execution.js";

export async function integrationPhase(ctx: RunContext): Promise<null> {
  await enterPhase(ctx, "integration");
  let removed = 0;
  for (const task of ctx.goal.taskGraph?.tasks ?? []) {
    if (REVIEW_ROLES.has(task.role) || task.status !== "done") continue;
    const r = await removeTaskWorktree({ repo: ctx.repo, stateRoot: ctx.store.root, goalId: ctx.goalId, task, base: ctx.baseCommit, deps: ctx.deps });
    if (r.removed) removed += 1;
    else if (r.problem !== undefined) ctx.emit({ type: "note", level: "warn", message: ctx.redactor.redact(`${r.problem.message} (fix: ${r.problem.fix})`) });
  }
  finishPhase(ctx, "integration", "passed", `omk/${ctx.goalId}/integration at ${(ctx.goal.headCommit ?? ctx.baseCommit).slice(0, 12)}; ${removed} worktree(s) removed`);
  return null;
}
