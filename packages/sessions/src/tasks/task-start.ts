/**
 * Where a task's worktree starts: the round's start commit (the base in
 * round 1, the last integrated head later) with the captured work of the
 * task's dependencies. One commit that holds all the others is used as it
 * is; several are merged (`git merge-tree --write-tree` + `commit-tree`, no
 * checkout touched, dated from the parents so the same inputs give the same
 * commit). The merge commit becomes the base of the task's branch, so it is
 * never lost. Dependencies that touch the same file are ordered by the
 * graph, so their merge is clean; a conflict is a problem, never resolved by
 * picking a side.
 */
import type { GoalEvent, Task } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { combineCommits } from "@omk/worktree";
import type { SessionProblem } from "../types.js";

/** The commit each done task's successful attempt captured. */
export function capturedCommits(events: readonly GoalEvent[]): Map<string, string> {
  const captured = new Map<string, string>();
  const succeeded = new Map<string, number>();
  for (const e of events) {
    if (e.type === "attempt_captured") captured.set(`${e.data.taskId}#${e.data.attempt}`, e.data.commit);
    if (e.type === "task_succeeded") succeeded.set(e.data.taskId, e.data.attempt);
  }
  const out = new Map<string, string>();
  for (const [taskId, attempt] of succeeded) {
    const commit = captured.get(`${taskId}#${attempt}`);
    if (commit !== undefined) out.set(taskId, commit);
  }
  return out;
}

/** The start commit of `task`: `roundStart` merged with the captured commits of its dependencies (those not in it already; @omk/worktree combineCommits). */
export async function taskStartCommit(input: {
  repo: string;
  task: Task;
  roundStart: string;
  /** Captured commits of done tasks (capturedCommits). */
  captured: ReadonlyMap<string, string>;
}): Promise<Result<string, SessionProblem>> {
  const { repo, task, roundStart } = input;
  const dependencies = task.dependencies.flatMap((d) => {
    const c = input.captured.get(d);
    return c === undefined ? [] : [c];
  });
  const combined = await combineCommits(repo, [roundStart, ...dependencies], `omk: start of task ${task.id} (the work of ${task.dependencies.join(", ")})\n`);
  if (combined.ok) return ok(combined.value);
  if (combined.error.code === "merge_conflict") {
    const files = combined.error.files;
    return err({
      code: "dependencies_conflict",
      message: `the work of the dependencies of task ${task.id} (${task.dependencies.join(", ")}) conflicts${files.length > 0 ? ` in ${files.join(", ")}` : ""}: the task has no start commit`,
      fix: "order the dependencies by a dependency of their own in the plan, or re-plan the goal",
    });
  }
  return err({
    code: "start_commit_failed",
    message: `merging the dependencies of task ${task.id}: ${combined.error.detail}`,
    fix: "check the repository (git fsck), then resume the goal",
  });
}
