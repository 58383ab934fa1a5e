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
import { err, type GoalEvent, ok, type Result, type Task } from "@omk/state";
import { git as runGit } from "@omk/git";
import type { ControllerProblem } from "../types.js";

const IDENTITY = { GIT_AUTHOR_NAME: "omk", GIT_AUTHOR_EMAIL: "omk@localhost", GIT_COMMITTER_NAME: "omk", GIT_COMMITTER_EMAIL: "omk@localhost" };

const git = (repo: string, args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
  runGit(repo, args, { ...(options.input === undefined ? {} : { input: options.input }), env: { ...IDENTITY, ...options.env } });

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

async function isAncestor(repo: string, a: string, b: string): Promise<boolean> {
  return (await git(repo, ["merge-base", "--is-ancestor", a, b])).exitCode === 0;
}

async function committerTime(repo: string, commit: string): Promise<number> {
  const r = await git(repo, ["show", "-s", "--format=%ct", commit]);
  return Number(String(r.stdout).trim()) || 0;
}

/** The start commit of `task`: `roundStart` merged with the captured commits of its dependencies (those not in it already). */
export async function taskStartCommit(input: {
  repo: string;
  task: Task;
  roundStart: string;
  /** Captured commits of done tasks (capturedCommits). */
  captured: ReadonlyMap<string, string>;
}): Promise<Result<string, ControllerProblem>> {
  const { repo, task, roundStart } = input;
  const wanted = [roundStart, ...task.dependencies.flatMap((d) => {
    const c = input.captured.get(d);
    return c === undefined ? [] : [c];
  })];
  // Keep only the commits no other one holds (distinct commits never hold each other both ways).
  const unique = [...new Set(wanted)];
  const tips: string[] = [];
  for (const c of unique) {
    let held = false;
    for (const other of unique) if (other !== c && !held) held = await isAncestor(repo, c, other);
    if (!held) tips.push(c);
  }
  let current = tips[0] ?? roundStart;
  for (const next of tips.slice(1)) {
    const merged = await git(repo, ["merge-tree", "--write-tree", "--name-only", current, next]);
    if (merged.exitCode !== 0) {
      const lines = String(merged.stdout).split("\n").filter((l) => l.trim() !== "");
      const files = lines.slice(1).filter((l) => !l.startsWith("Auto-merging") && !l.startsWith("CONFLICT"));
      return err({
        code: "dependencies_conflict",
        message: `the work of the dependencies of task ${task.id} (${task.dependencies.join(", ")}) conflicts${files.length > 0 ? ` in ${files.join(", ")}` : ""}: the task has no start commit`,
        fix: "order the dependencies by a dependency of their own in the plan, or re-plan the goal",
      });
    }
    const tree = String(merged.stdout).split("\n")[0]?.trim() ?? "";
    const date = Math.max(await committerTime(repo, current), await committerTime(repo, next));
    const stamp = `${date} +0000`;
    const commit = await git(repo, ["commit-tree", "--no-gpg-sign", tree, "-p", current, "-p", next], {
      input: `omk: start of task ${task.id} (the work of ${task.dependencies.join(", ")})\n`,
      env: { GIT_AUTHOR_DATE: stamp, GIT_COMMITTER_DATE: stamp },
    });
    if (commit.exitCode !== 0) {
      return err({ code: "start_commit_failed", message: `merging the dependencies of task ${task.id}: ${String(commit.stderr).trim()}`, fix: "check the repository (git fsck), then resume the goal" });
    }
    current = String(commit.stdout).trim();
  }
  return ok(current);
}
