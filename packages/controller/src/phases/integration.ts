/**
 * Integration: the integration branch holds the verified head (recorded in
 * verification); the task worktrees of integrated tasks are removed when
 * clean (git refuses a dirty one, so no work is lost). The base branch is
 * never touched: accepting is `omk goal accept`, merging is the user's.
 */
import { existsSync } from "node:fs";
import { git } from "../internal/git.js";
import type { RunContext } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { REVIEW_ROLES } from "./execution.js";

export async function integrationPhase(ctx: RunContext): Promise<null> {
  await enterPhase(ctx, "integration");
  let removed = 0;
  for (const task of ctx.goal.taskGraph?.tasks ?? []) {
    if (REVIEW_ROLES.has(task.role) || task.status !== "done") continue;
    const dir = ctx.worktreeDir(task.id);
    if (!existsSync(dir)) continue;
    if ((await git(ctx.repo, ["worktree", "remove", dir])).ok) removed += 1;
  }
  finishPhase(ctx, "integration", "passed", `omk/${ctx.goalId}/integration at ${(ctx.goal.headCommit ?? ctx.baseCommit).slice(0, 12)}; ${removed} worktree(s) removed`);
  return null;
}
