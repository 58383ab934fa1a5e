/**
 * The round's integration: the done tasks (superseded ones aside) merged into
 * the integration branch. A task whose merge conflicts is recorded
 * (integration_recorded, outcome conflict) and left out with the tasks that
 * depend on it, and the rest is integrated without it, so the next round
 * starts from the work that fits together; the conflicting task is
 * superseded from then on (its work stays on its branch), and the conflict's
 * files go to the follow-up.
 */
import { err, ok, type Result, type Task } from "@omk/state";
import { integrate, taskBranch } from "@omk/worktree";
import type { RunContext } from "../context.js";
import { executableGraph, REVIEW_ROLES } from "../phases/execution.js";
import type { ControllerProblem } from "../types.js";
import type { FailingItem } from "./run-verdict.js";
import { supersededTasks, withDependents } from "./superseded.js";

export type RoundIntegration = { readonly head: string; readonly conflicts: readonly FailingItem[] };

type ConflictData = { task: string; files: string[]; conflictsWith: string[] };

export async function integrateRound(ctx: RunContext, graph: readonly Task[]): Promise<Result<RoundIntegration, ControllerProblem>> {
  const events = await ctx.store.readEvents(ctx.goalId);
  const executable = executableGraph({ schemaVersion: 1, tasks: [...graph] }).tasks;
  const tasks = executable.map((t) => ({ id: t.id, dependencies: t.dependencies }));
  const superseded = supersededTasks(events, ctx.round, executable);
  const recordedNow = new Set(events.flatMap((e) => (e.type === "integration_recorded" && e.data.outcome === "conflict" && e.data.round === ctx.round ? [e.data.taskId] : [])));
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
          data: { outcome: "integrated", round: ctx.round, branch: integrated.value.branch, head, merged: integrated.value.merged.map((m) => ({ taskId: m.taskId, commit: m.commit })) },
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
        { type: "integration_recorded", actor: ctx.actor, data: { outcome: "conflict", round: ctx.round, branch: `omk/${ctx.goalId}/integration`, taskId: data.task, files: data.files, conflictsWith: data.conflictsWith, message } },
      ]);
      if (!recorded.ok) return err({ code: "integration_failed", message: `recording the conflict: ${recorded.error.message}`, fix: "check the goal's state dir, then resume the goal" });
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
