/**
 * integrate: merge accepted task branches into `omk/<goal>/integration`.
 *
 * - Order: integrationOrder (topological, ties by id), so the result does not
 *   depend on the order tasks finished in.
 * - Each merge is `git merge-tree --write-tree` (the pre-check and the merge
 *   in one, no checkout touched, no strategy option ever) followed by
 *   `commit-tree` with both parents. Merge commits are dated from their
 *   parents (the later committer time) unless a date is given, so the same
 *   inputs give the same commit shas.
 * - All-or-nothing: the branch moves once, by compare-and-swap, after every
 *   merge succeeded. A conflict is returned as a value naming the files and
 *   the tasks involved, and the branch is left exactly as it was.
 * - Tasks whose head is already on the integration branch are skipped, so a
 *   repeated call (e.g. after a crash) changes nothing.
 */
import { ok, type Result } from "@omk/core";
import { type ConcurrentUpdate, type InvalidInput, type MissingBranch, type Problem, type ProtectedRef, problem } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { type CommitIdentity, commitEnv, DEFAULT_IDENTITY, git, gitLine, splitNul } from "./internal/git.js";
import { mergeTree } from "./internal/merge-tree.js";
import { commitTimes, refInfo, resolveCommit, updateRef } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";
import { checkGoalId, integrationBranch, taskBranch } from "./names.js";
import { type GraphTask, integrationOrder, type OrderError } from "./order.js";
import { checkWritableRef, type RefPolicy } from "./policy.js";
import type { Integration, IntegrationConflict, MergedTask } from "./schemas.js";

export type IntegrateOptions = {
  readonly repo: string;
  readonly goalId: string;
  /** The goal's base commit: where the integration branch starts. */
  readonly base: string;
  /** The task graph (ids and dependencies). */
  readonly tasks: readonly GraphTask[];
  /** Ids of the tasks to integrate, in any order. */
  readonly accepted: readonly string[];
  readonly identity?: CommitIdentity;
  /** Date of the merge commits (default: the later committer time of the two parents). */
  readonly date?: Date | number;
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
};

export type IntegrateError =
  | InvalidInput
  | NotARepository
  | OrderError
  | ProtectedRef
  | ConcurrentUpdate
  | MissingBranch
  | Problem<"conflict", IntegrationConflict>
  | Problem<"base_not_found", { readonly base: string }>
  | Problem<"integration_diverged", { readonly head: string }>
  | Problem<"integration_checked_out", { readonly path: string }>;

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function mergeMessage(goalId: string, taskId: string): string {
  return `omk: merge task ${taskId} into ${integrationBranch(goalId)}\n\nOMK-Goal: ${goalId}\nOMK-Task: ${taskId}\n`;
}

/** The later committer time of the two parents (known from the ref listing, else asked of git). */
async function mergeDate(cwd: string, times: ReadonlyMap<string, number>, ours: string, theirs: string): Promise<number> {
  const a = times.get(ours);
  const b = times.get(theirs);
  if (a !== undefined && b !== undefined) return Math.max(a, b);
  return Math.max(...(await commitTimes(cwd, [ours, theirs])));
}

/** Task ids named by the OMK-Task trailer of merges on the integration branch since the base. */
async function mergedTaskIds(cwd: string, base: string, head: string): Promise<Set<string>> {
  if (head === base) return new Set();
  const out = await gitLine(cwd, ["log", "--merges", "--format=%(trailers:key=OMK-Task,valueonly,separator=%x00)", `${base}..${head}`]);
  return new Set(
    out
      .split(/[\0\n]/)
      .map((id) => id.trim())
      .filter((id) => id !== ""),
  );
}

/** The tasks among `candidates` whose own changes (base..head) touch any of `files`. */
async function tasksTouching(cwd: string, base: string, candidates: ReadonlyMap<string, string>, files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const pathspecs = files.map((f) => `:(literal)${f}`);
  const touching: string[] = [];
  for (const [taskId, head] of candidates) {
    const run = await git(cwd, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", base, head, "--", ...pathspecs]);
    if (splitNul(run.stdout).length > 0) touching.push(taskId);
  }
  return touching;
}

export async function integrate(options: IntegrateOptions): Promise<Result<Integration, IntegrateError>> {
  const badId = checkGoalId(options.goalId);
  if (badId !== undefined) return { ok: false, error: badId };
  const order = integrationOrder(options.tasks, options.accepted);
  if (!order.ok) return order;
  const repo = await openRepo(options.repo);
  if (!repo.ok) return repo;
  const root = repo.value.root;
  const policy = options.policy ?? {};
  const branch = integrationBranch(options.goalId);
  const ref = `refs/heads/${branch}`;
  const refused = checkWritableRef(ref, policy);
  if (refused !== undefined) return { ok: false, error: refused };
  // One listing: the integration branch and every task branch, with commit, committer time and the checkout holding it.
  const prefix = `refs/heads/omk/${options.goalId}/`;
  const refs = await refInfo(root, [prefix]);
  const integration = refs.get(ref);
  if (integration !== undefined && integration.worktree !== null) {
    return {
      ok: false,
      error: problem(
        "integration_checked_out",
        `${branch} is checked out in ${integration.worktree}; OMK moves it only when no checkout holds it`,
        "switch that checkout to another branch",
        { path: integration.worktree },
      ),
    };
  }
  const previous = integration?.sha ?? null;
  const base = FULL_SHA.test(options.base) && previous !== null ? options.base : await resolveCommit(root, options.base);
  const noBase = problem("base_not_found", `the base ${JSON.stringify(options.base)} names no commit`, "pass the goal's base commit sha", {
    base: options.base,
  });
  if (base === null) return { ok: false, error: noBase };
  let current = previous ?? base;
  // Side by side: does the integration branch still hold the base, and which task branches does it hold.
  const [ancestry, mergedRefs] = await Promise.all([
    previous === null ? Promise.resolve(null) : git(root, ["merge-base", "--is-ancestor", base, previous], { allow: [1, 128] }),
    git(root, ["for-each-ref", "--merged", current, "--format=%(refname)", prefix]),
  ]);
  if (ancestry?.exitCode === 128) return { ok: false, error: noBase };
  if (ancestry?.exitCode === 1) {
    return {
      ok: false,
      error: problem("integration_diverged", `${branch} does not contain the base commit ${base}`, "use the goal's base commit, or another goal", {
        head: previous ?? base,
      }),
    };
  }
  const onBranch = new Set(mergedRefs.stdout.split("\n").filter((line) => line !== ""));
  const times = new Map<string, number>([...refs.values()].map((r) => [r.sha, r.time]));
  const heads = new Map<string, string>();
  const mergedBefore: string[] = []; // integrated, then their branch was deleted by cleanup
  let recorded: Set<string> | undefined;
  for (const taskId of order.value) {
    const head = refs.get(`${prefix}${taskId}`)?.sha;
    if (head !== undefined) {
      heads.set(taskId, head);
      continue;
    }
    recorded ??= await mergedTaskIds(root, base, current);
    if (recorded.has(taskId)) {
      mergedBefore.push(taskId);
      continue;
    }
    const missing = taskBranch(options.goalId, taskId);
    return { ok: false, error: problem("missing_branch", `task ${taskId} has no branch ${missing}`, "capture the task's changes first", { branch: missing }) };
  }

  const integrated = new Map<string, string>(); // task id -> head, on the integration side
  for (const [taskId, head] of heads) if (onBranch.has(`${prefix}${taskId}`)) integrated.set(taskId, head);
  const alreadyIntegrated = order.value.filter((id) => integrated.has(id) || mergedBefore.includes(id));
  const merged: MergedTask[] = [];
  for (const [taskId, head] of heads) {
    if (integrated.has(taskId)) continue;
    const result = await mergeTree(root, current, head);
    if (!result.clean) {
      const conflictsWith = await tasksTouching(root, base, integrated, result.files);
      emit(options.onEvent, { type: "integration_conflict", goalId: options.goalId, taskId, files: result.files });
      return {
        ok: false,
        error: problem(
          "conflict",
          `merging task ${taskId} into ${branch} conflicts in ${result.files.join(", ")}${conflictsWith.length > 0 ? ` (changed by ${conflictsWith.join(", ")})` : ""}; ${branch} is unchanged`,
          "order the conflicting tasks by a dependency, or give the conflict to a follow-up task; OMK never resolves it by picking a side",
          { task: taskId, files: result.files, conflictsWith, messages: result.messages },
        ),
      };
    }
    const date = options.date ?? (await mergeDate(root, times, current, head));
    const mergeCommit = await gitLine(root, ["commit-tree", "--no-gpg-sign", result.tree, "-p", current, "-p", head], {
      env: commitEnv(options.identity ?? DEFAULT_IDENTITY, date),
      input: mergeMessage(options.goalId, taskId),
    });
    merged.push({ taskId, commit: head, mergeCommit });
    times.set(mergeCommit, date instanceof Date ? Math.floor(date.getTime() / 1000) : date);
    integrated.set(taskId, head);
    current = mergeCommit;
  }

  if (current !== previous) {
    const moved = await updateRef(root, ref, current, previous, policy, `omk: integrate ${merged.map((m) => m.taskId).join(", ") || "base"}`);
    if (!moved.ok) return moved;
  }
  for (const m of merged) emit(options.onEvent, { type: "task_merged", goalId: options.goalId, ...m });
  return ok({ branch, base, head: current, previousHead: previous, order: order.value, merged, alreadyIntegrated });
}
