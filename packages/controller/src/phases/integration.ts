/**
 * Integration: the phase that integrates. Its merge step (run first in
 * the round's verification, where the log records it: the head must exist
 * before it is verified) merges the round's done tasks (superseded ones
 * aside) into the integration branch. A task whose merge conflicts is
 * recorded (integration_recorded, outcome conflict) and left out with the
 * tasks that depend on it, and the rest is integrated without it, so the
 * next round starts from the work that fits together; the conflicting task
 * is superseded from then on (its work stays on its branch), and the
 * conflict's files go to the follow-up.
 * After review, the integration phase hands over the integrated head: the
 * task checkouts of integrated tasks are removed when clean and their
 * commits kept (@omk/worktree cleanup refuses otherwise, so no work is
 * lost). The base branch is never touched: accepting is `omk goal accept`,
 * merging is the user's.
 */
import type { Task } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { integrate, taskBranch } from "@omk/worktree";
import type { GoalRun, Integrated } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { executableGraph } from "../internal/run-records.js";
import { REVIEW_ROLES } from "@omk/proof";
import type { FailingItem } from "../internal/run-verdict.js";
import { supersededTasks, withDependents } from "@omk/proof";
import type { ControllerProblem } from "../types.js";
import { end, next, type Step } from "./step.js";
import { removeTaskWorktree } from "@omk/sessions";

/** The merge step: it opens the verification phase (phase_changed, phase_started) and leaves `ctx.integrated` for the verification step. Re-runs idempotently on resume. */
export async function mergePhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "verification");
  const integrated = await integrateRound(ctx, ctx.goal.taskGraph?.tasks ?? []);
  if (!integrated.ok) {
    finishPhase(ctx, "verification", "failed", integrated.error.message);
    return end({ status: "failed_infra", cause: { code: "infra_error", message: `${integrated.error.message} (fix: ${integrated.error.fix})` } });
  }
  ctx.integrated = integrated.value;
  return next("verification");
}

/** After review: the integrated head is the goal's; clean task checkouts go. */
export async function integrationPhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "integration");
  const removed = await removeIntegratedWorktrees(ctx);
  finishPhase(
    ctx,
    "integration",
    "passed",
    `omk/${ctx.goalId}/integration at ${(ctx.goal.headCommit ?? ctx.baseCommit).slice(0, 12)}; ${removed} worktree(s) removed`,
  );
  return next("proof");
}

/** The checkouts of the done tasks, removed when clean (a problem is a warning: the commits stay on their branches). */
async function removeIntegratedWorktrees(ctx: GoalRun): Promise<number> {
  let removed = 0;
  for (const task of ctx.goal.taskGraph?.tasks ?? []) {
    if (REVIEW_ROLES.has(task.role) || task.status !== "done") continue;
    const r = await removeTaskWorktree({ repo: ctx.repo, stateRoot: ctx.store.root, goalId: ctx.goalId, task, base: ctx.baseCommit, deps: ctx.deps });
    if (r.removed) removed += 1;
    else if (r.problem !== undefined) ctx.emit({ type: "note", level: "warn", message: ctx.redactor.redact(`${r.problem.message} (fix: ${r.problem.fix})`) });
  }
  return removed;
}

type ConflictData = { task: string; files: string[]; conflictsWith: string[] };

async function integrateRound(ctx: GoalRun, graph: readonly Task[]): Promise<Result<Integrated, ControllerProblem>> {
  const events = await ctx.store.readEvents(ctx.goalId);
  const executable = executableGraph({ schemaVersion: 1, tasks: [...graph] }).tasks;
  const tasks = executable.map((t) => ({ id: t.id, dependencies: t.dependencies }));
  const superseded = supersededTasks(events, ctx.round, executable);
  const recordedNow = new Set(
    events.flatMap((e) => (e.type === "integration_recorded" && e.data.outcome === "conflict" && e.data.round === ctx.round ? [e.data.taskId] : [])),
  );
  let accepted = graph.filter((t) => !REVIEW_ROLES.has(t.role) && t.status === "done" && !superseded.has(t.id)).map((t) => t.id);
  const conflicts: FailingItem[] = [];
  for (;;) {
    const integrated = await integrate({ repo: ctx.repo, goalId: ctx.goalId, base: ctx.baseCommit, tasks, accepted });
    if (integrated.ok) {
      const head = integrated.value.head;
      await ctx.append([
        {
          type: "integration_recorded",
          actor: ctx.actor,
          data: {
            outcome: "integrated",
            round: ctx.round,
            branch: integrated.value.branch,
            head,
            merged: integrated.value.merged.map((m) => ({ taskId: m.taskId, commit: m.commit })),
          },
        },
      ]);
      return ok({ head, conflicts });
    }
    const e = integrated.error;
    if (e.code !== "conflict") return err({ code: "integration_failed", message: `integration: ${e.message}`, fix: e.fix });
    const data = e as unknown as ConflictData;
    const message = ctx.redactor.redact(e.message);
    if (!recordedNow.has(data.task)) {
      const recorded = await ctx.append([
        {
          type: "integration_recorded",
          actor: ctx.actor,
          data: {
            outcome: "conflict",
            round: ctx.round,
            branch: `omk/${ctx.goalId}/integration`,
            taskId: data.task,
            files: data.files,
            conflictsWith: data.conflictsWith,
            message,
          },
        },
      ]);
      if (!recorded.ok)
        return err({
          code: "integration_failed",
          message: `recording the conflict: ${recorded.error.message}`,
          fix: "check the goal's state dir, then resume the goal",
        });
      recordedNow.add(data.task);
    }
    const left = withDependents(tasks, [data.task]);
    const dependents = [...left].filter((id) => id !== data.task && accepted.includes(id));
    conflicts.push({
      kind: "integration",
      key: `conflict:${data.task}`,
      detail: `${message}. Task ${data.task}${dependents.length > 0 ? ` (and ${dependents.join(", ")}, which build on it)` : ""} is not integrated again: its work stays on ${taskBranch(ctx.goalId, data.task)}; redo its change to ${data.files.join(", ")} on the integrated head`,
      files: data.files,
    });
    const before = accepted.length;
    accepted = accepted.filter((id) => !left.has(id));
    if (accepted.length === before) return err({ code: "integration_failed", message: `integration: ${message}`, fix: e.fix });
  }
}
