/**
 * The task's worktree for one attempt. Attempt 1 starts from the base (or
 * resumes the branch as it is, after a crash). A later attempt first keeps
 * what the previous one left (its uncommitted leftovers committed, the head
 * kept under refs/omk/attempts) and then restarts the branch at the base.
 */
import { existsSync } from "node:fs";
import type { Task } from "@omk/state";
import {
  type ContentScreen,
  captureChanges,
  cleanup,
  createTaskWorktree,
  discardCheckout,
  keepAttempt,
  resolveCommit,
  type TaskWorktree,
  taskBranch,
  taskWorktreeDir,
} from "@omk/worktree";
import type { SessionProblem } from "../types.js";
import { type CheckoutDeps, setUpCheckout, setupProducts } from "@omk/proof";

export type TaskWorktreeInput = {
  readonly repo: string;
  readonly stateRoot: string;
  readonly goalId: string;
  readonly task: Task;
  readonly attempt: number;
  readonly base: string;
  readonly copyUntracked?: readonly string[];
  /** How the worktree gets the project's dependencies before the agent starts (a private copy: the agent may write into it). */
  readonly deps?: CheckoutDeps;
  /** The run's secret screen (task-runner secretScreen): a previous attempt's leftovers are screened before they are kept. */
  readonly screen?: ContentScreen;
};

/**
 * The worktree with the setup products (node_modules, .venv) counted as
 * copies: captureChanges never commits them and cleanup does not take them
 * for the agent's work, even when an agent removed the .gitignore they carry.
 */
function withProducts(worktree: TaskWorktree, products: readonly string[]): TaskWorktree {
  const extra = products.filter((p) => !worktree.copied.includes(p));
  return extra.length === 0 ? worktree : { ...worktree, copied: [...worktree.copied, ...extra] };
}

type Failed = { ok: false; problem: SessionProblem };
type Prepared = { ok: true; worktree: TaskWorktree; kept: string | null } | Failed;

function problemOf(step: string, error: { code: string; message: string; fix: string }): Failed {
  return { ok: false, problem: { code: `worktree_${error.code}`, message: `${step}: ${error.message}`, fix: error.fix } };
}

async function branchHead(repo: string, branch: string): Promise<string | null> {
  return resolveCommit(repo, `refs/heads/${branch}`);
}

/** Opens the task's existing checkout (its branch as it stands), with the same copies the attempt had. */
function reopenCheckout(input: Omit<TaskWorktreeInput, "attempt">, dir: string) {
  return createTaskWorktree({
    repo: input.repo,
    goalId: input.goalId,
    taskId: input.task.id,
    base: input.base,
    dir,
    existingBranch: "resume",
    ...(input.copyUntracked === undefined ? {} : { copyUntracked: input.copyUntracked }),
  });
}

/** Keeps the previous attempt's work (committing its leftovers first) so the branch may restart at the base. */
async function keepPrevious(input: TaskWorktreeInput, dir: string): Promise<{ ok: true; kept: string | null } | Failed> {
  const { repo, goalId, task, base } = input;
  if (!existsSync(dir)) {
    const head = await branchHead(repo, taskBranch(goalId, task.id));
    if (head === null || head === base) return { ok: true, kept: null };
    const keep = await keepAttempt({ repo, goalId, taskId: task.id });
    return keep.ok ? { ok: true, kept: keep.value.ref } : problemOf("keeping the previous attempt", keep.error);
  }
  // The same copies as the attempt had, so they are neither committed nor taken for leftovers.
  const existing = await reopenCheckout(input, dir);
  if (!existing.ok) {
    return problemOf("opening the previous attempt's worktree", existing.error);
  }
  const products = input.deps === undefined ? [] : setupProducts(existing.value.path, input.deps);
  const captured = await captureChanges(withProducts(existing.value, products), {
    message: `${task.title} (left by an earlier attempt)`,
    ...(input.screen === undefined ? {} : { screen: input.screen }),
  });
  if (!captured.ok && captured.error.code === "content_refused") {
    // Never kept: the checkout (the only copy) goes, and the task fails for good naming the files.
    await discardCheckout(existing.value);
    return problemOf("keeping the previous attempt's leftovers", captured.error);
  }
  if (!captured.ok) {
    return problemOf("committing the previous attempt's leftovers", captured.error);
  }
  let kept: string | null = null;
  const head = await branchHead(repo, taskBranch(goalId, task.id));
  if (head !== null && head !== base) {
    const keep = await keepAttempt(existing.value);
    if (!keep.ok) {
      return problemOf("keeping the previous attempt", keep.error);
    }
    kept = keep.value.ref;
  }
  const removed = await cleanup(existing.value);
  if (!removed.ok) {
    return problemOf("removing the previous attempt's worktree", removed.error);
  }
  return { ok: true, kept };
}

export async function prepareTaskWorktree(input: TaskWorktreeInput): Promise<Prepared> {
  const { repo, stateRoot, goalId, task, attempt, base } = input;
  const dir = taskWorktreeDir(stateRoot, goalId, task.id);
  let kept: string | null = null;
  if (attempt > 1) {
    const previous = await keepPrevious(input, dir);
    if (!previous.ok) return previous;
    kept = previous.kept;
  }
  const made = await createTaskWorktree({
    repo,
    goalId,
    taskId: task.id,
    base,
    dir,
    existingBranch: attempt > 1 ? "restart" : "resume",
    ...(input.copyUntracked === undefined ? {} : { copyUntracked: input.copyUntracked }),
  });
  if (!made.ok) return problemOf(`creating the worktree of task ${task.id}`, made.error);
  if (input.deps === undefined) return { ok: true, worktree: made.value, kept };
  const setup = await setUpCheckout(input.deps, made.value.path, `task ${task.id}#${attempt}`, "copy");
  if (!setup.ok) return { ok: false, problem: setup.error };
  return { ok: true, worktree: withProducts(made.value, setupProducts(made.value.path, input.deps)), kept };
}

/**
 * Removes an integrated task's checkout when nothing would be lost: its
 * leftovers and copies are looked at, its commits must be on a kept ref (the
 * integration branch, its attempts) — @omk/worktree cleanup. A checkout an
 * older OMK made with `git worktree add` goes the same way. Returns whether
 * it was removed; a refusal leaves it in place (it is reported, not fatal).
 */
export async function removeTaskWorktree(input: Omit<TaskWorktreeInput, "attempt">): Promise<{ removed: boolean; problem?: SessionProblem }> {
  const { stateRoot, goalId, task } = input;
  const dir = taskWorktreeDir(stateRoot, goalId, task.id);
  if (!existsSync(dir)) return { removed: false };
  const existing = await reopenCheckout(input, dir);
  if (!existing.ok) return { removed: false, problem: problemOf(`opening the checkout of task ${task.id}`, existing.error).problem };
  const products = input.deps === undefined ? [] : setupProducts(existing.value.path, input.deps);
  const removed = await cleanup(withProducts(existing.value, products));
  if (!removed.ok) return { removed: false, problem: problemOf(`removing the checkout of task ${task.id}`, removed.error).problem };
  return { removed: removed.value.removed };
}
