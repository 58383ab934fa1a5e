/**
 * The names OMK gives to branches, refs and folders. Ids are validated with
 * @omk/state's id rules plus what git's ref-name rules add (a component may
 * not end in `.lock`, a ref may not end in `.`).
 */
import path from "node:path";
import { goalPaths, idProblem, InvalidIdError } from "@omk/state";
import { type InvalidInput, invalidInput } from "./errors.js";

/** A task id that would collide with the integration branch name. */
const RESERVED_TASK_IDS: readonly string[] = ["integration"];

/** Why `id` cannot name a goal or task in a ref, or undefined when it can. */
export function refIdProblem(id: string): string | undefined {
  const problem = idProblem(id);
  if (problem !== undefined) return problem;
  if (id.endsWith(".lock")) return 'ends with ".lock", which git does not allow in a ref name';
  if (id.endsWith(".")) return 'ends with ".", which git does not allow in a ref name';
  return undefined;
}

export function checkGoalId(goalId: string): InvalidInput | undefined {
  const problem = refIdProblem(goalId);
  if (problem === undefined) return undefined;
  return invalidInput(`goal id ${JSON.stringify(goalId)} ${problem}`, "pass the goal's id as @omk/state created it");
}

export function checkTaskId(taskId: string): InvalidInput | undefined {
  const problem = refIdProblem(taskId);
  if (problem !== undefined) {
    return invalidInput(`task id ${JSON.stringify(taskId)} ${problem}`, "give the task an id of letters, digits, '.', '-' and '_'");
  }
  if (RESERVED_TASK_IDS.includes(taskId)) {
    return invalidInput(
      `task id ${JSON.stringify(taskId)} is reserved: its branch would be the goal's integration branch`,
      "rename the task (e.g. integration-1)",
    );
  }
  return undefined;
}

/** `omk/<goal-id>/<task-id>`: the branch a task works on. */
export function taskBranch(goalId: string, taskId: string): string {
  return `omk/${goalId}/${taskId}`;
}

/** `omk/<goal-id>/integration`: where accepted task branches are merged. */
export function integrationBranch(goalId: string): string {
  return `omk/${goalId}/integration`;
}

/** `refs/omk/attempts/<goal>/<task>/`: the prefix under which a task's attempts are kept. */
export function attemptRefPrefix(goalId: string, taskId: string): string {
  return `refs/omk/attempts/${goalId}/${taskId}/`;
}

/** `refs/omk/attempts/<goal>/<task>/<n>`. */
export function attemptRef(goalId: string, taskId: string, attempt: number): string {
  return `${attemptRefPrefix(goalId, taskId)}${attempt}`;
}

/**
 * `<state root>/checkouts/<goal>`: the goal's task checkouts, outside the
 * goal's folder (`goals/<goal>`), so no relative path from a checkout
 * (`../../events.jsonl`) lands in OMK's records; see docs/decisions/worktree.md 17.
 */
export function goalCheckoutsDir(stateRoot: string, goalId: string): string {
  const problem = checkGoalId(goalId);
  if (problem !== undefined) throw new InvalidIdError(problem.message);
  return path.join(stateRoot, "checkouts", goalId);
}

/**
 * The default folder of a task's checkout: `<state root>/checkouts/<goal>/<task>`
 * (its git dir is `<that>/.git`, a folder of its own).
 * The controller decides; createTaskWorktree takes the folder as a parameter.
 */
export function taskWorktreeDir(stateRoot: string, goalId: string, taskId: string): string {
  const problem = checkTaskId(taskId);
  if (problem !== undefined) throw new InvalidIdError(problem.message);
  return path.join(goalCheckoutsDir(stateRoot, goalId), taskId);
}

/** Where a task's checkout was before issue 14 (a `git worktree add` inside the goal's folder): resume looks there for leftovers. */
function _legacyTaskWorktreeDir(stateRoot: string, goalId: string, taskId: string): string {
  const problem = checkTaskId(taskId);
  if (problem !== undefined) throw new InvalidIdError(problem.message);
  return path.join(goalPaths(stateRoot, goalId).dir, "worktrees", taskId);
}

/**
 * Where the goal's fixed checkouts go (baseline, verification, review):
 * `<state root>/checkouts/<goal>/_evidence/<name>`, outside the goal's folder
 * (a relative write from there cannot land in the goal's records), beside
 * the task checkouts (`_` starts no task id). Resume removes the folder
 * (sweepGoalCheckouts).
 */
export function evidenceCheckoutDir(goalDir: string, name: string): string {
  return path.join(evidenceCheckoutsRoot(goalDir), name);
}

/**
 * `<state root>/checkouts/<goal>/_evidence` of the goal whose folder is
 * `goalDir` (`<state root>/goals/<goal>`); a goal folder elsewhere (a test's
 * `<dir>/goal`) gets `<dir>/checkouts/<goal>/_evidence`.
 */
export function evidenceCheckoutsRoot(goalDir: string): string {
  const resolved = path.resolve(goalDir);
  const goalId = path.basename(resolved);
  const parent = path.dirname(resolved);
  const root = path.basename(parent) === "goals" ? path.dirname(parent) : parent;
  return path.join(root, "checkouts", goalId, "_evidence");
}
