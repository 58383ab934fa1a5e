/**
 * keepAttempt: keep a task attempt's commits under
 * `refs/omk/attempts/<goal>/<task>/<n>` before anything is removed or
 * restarted. Idempotent: a head that is kept already is not kept twice.
 */
import { ok, type Result } from "@omk/core";
import { type ConcurrentUpdate, type InvalidInput, type MissingBranch, type ProtectedRef, problem, type SyncFailed } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { exists } from "./internal/fs.js";
import { listRefs, resolveCommit, updateRef } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";
import { syncBack } from "./internal/scratch-clone.js";
import { attemptRef, attemptRefPrefix, checkGoalId, checkTaskId, taskBranch } from "./names.js";
import type { RefPolicy } from "./policy.js";
import type { WorktreeMode } from "./schemas.js";

/** Which task's work: a TaskWorktree fits; mode and path matter for a scratch clone. */
export type TaskLocator = {
  readonly repo: string;
  readonly goalId: string;
  readonly taskId: string;
  readonly mode?: WorktreeMode;
  readonly path?: string;
};

export type KeptAttempt = { readonly ref: string; readonly attempt: number; readonly commit: string; readonly created: boolean };

export type KeepAttemptOptions = {
  /** The commit to keep (default: the task branch head). */
  readonly commit?: string;
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
};

export type KeepAttemptError = InvalidInput | NotARepository | MissingBranch | SyncFailed | ProtectedRef | ConcurrentUpdate;

/** The kept attempts of a task, by attempt number. */
export async function listAttempts(repo: string, goalId: string, taskId: string): Promise<KeptAttempt[]> {
  const prefix = attemptRefPrefix(goalId, taskId);
  const refs = await listRefs(repo, [prefix]);
  const attempts: KeptAttempt[] = [];
  for (const [ref, commit] of refs) {
    const n = Number(ref.slice(prefix.length));
    if (Number.isInteger(n) && n > 0) attempts.push({ ref, attempt: n, commit, created: false });
  }
  return attempts.sort((a, b) => a.attempt - b.attempt);
}

const MAX_RACES = 8;

export async function keepAttempt(task: TaskLocator, options: KeepAttemptOptions = {}): Promise<Result<KeptAttempt, KeepAttemptError>> {
  const badId = checkGoalId(task.goalId) ?? checkTaskId(task.taskId);
  if (badId !== undefined) return { ok: false, error: badId };
  const repo = await openRepo(task.repo);
  if (!repo.ok) return repo;
  const root = repo.value.root;
  const policy = options.policy ?? {};
  const branch = taskBranch(task.goalId, task.taskId);
  if (task.mode === "clone" && task.path !== undefined && (await exists(task.path))) {
    const synced = await syncBack(root, task.path, branch, policy);
    if (!synced.ok) return synced;
  }
  const commit = await resolveCommit(root, options.commit ?? `refs/heads/${branch}`);
  if (commit === null) {
    return {
      ok: false,
      error: problem("missing_branch", `nothing to keep: ${options.commit ?? branch} names no commit`, "capture the task's changes first", { branch }),
    };
  }
  for (let race = 0; race < MAX_RACES; race++) {
    const attempts = await listAttempts(root, task.goalId, task.taskId);
    const same = attempts.find((a) => a.commit === commit);
    if (same !== undefined) return ok(same);
    const n = (attempts[attempts.length - 1]?.attempt ?? 0) + 1;
    const ref = attemptRef(task.goalId, task.taskId, n);
    const made = await updateRef(root, ref, commit, null, policy, `omk: keep attempt ${n} of task ${task.taskId}`);
    if (made.ok) {
      emit(options.onEvent, { type: "attempt_kept", goalId: task.goalId, taskId: task.taskId, ref, commit, created: true });
      return ok({ ref, attempt: n, commit, created: true });
    }
    if (made.error.code !== "concurrent_update") return made;
  }
  return {
    ok: false,
    error: problem("concurrent_update", `could not claim an attempt number for task ${task.taskId}`, "retry", {
      ref: attemptRefPrefix(task.goalId, task.taskId),
    }),
  };
}
