import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { dirtyTreeMessage } from "@omk/controller";
import { uncommittedFiles } from "@omk/worktree";
import type { Goal } from "@omk/state";
import { repoHead } from "@omk/worktree";
import { DEFAULT_MAX_AGENTS, parseLimits, parseMaxAgents } from "../args.js";
import { type Context, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { terminalSafe } from "../render/safe.js";

export type CreateOptions = {
  budgetTime?: string;
  budgetTokens?: string;
  budgetUsd?: string;
  maxAgents?: string;
  repo?: string;
  constraint?: string[];
  doneWhen?: string[];
  json?: boolean;
};

/**
 * The git top level of --repo (else the current directory), which a goal
 * needs with at least one commit (a run works from its base commit): else a
 * usage error (exit 2) naming which is missing and the command that fixes it,
 * before any engine is looked at, so every command says the same.
 */
export function requireGitCommit(ctx: Context, repo: string | undefined): string {
  return requireGitBase(ctx, repo).root;
}

function requireGitBase(ctx: Context, repo: string | undefined): { root: string; head: string } {
  const dir = path.resolve(ctx.cwd, repo ?? ".");
  if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`, "pass --repo the folder of a git clone (or run omk inside one)");
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`, "pass --repo the folder of a git clone (or run omk inside one)");
  const git = repoHead(dir);
  if (git === undefined) {
    throw new UsageError(
      `${dir} is not a git repository: a goal works from a commit of one`,
      "run it inside a git clone, or pass --repo DIR; for a new project: git init && git commit --allow-empty -m init",
    );
  }
  if (git.head === null) {
    throw new UsageError(`${git.root} has no commit yet: a goal works from a commit`, "make a first commit: git commit --allow-empty -m init");
  }
  return { root: git.root, head: git.head };
}

/** The create flags, checked: the text (non-empty), the budgets, the number of agents. */
export type CheckedCreate = { limits: ReturnType<typeof parseLimits>; maxAgents: number };

/**
 * Check what the user typed (the goal text, the budget and agent flags)
 * before anything about the machine is looked at (git, the engine): a
 * mistake in the command line is named first. Shared by create, run and plan.
 */
export function checkCreateInput(text: string, opts: CreateOptions, command: "create" | "run" | "plan" = "create"): CheckedCreate {
  if (text.trim() === "") throw new UsageError("the goal text is empty", `describe the goal, e.g. omk goal ${command} "Add a --json flag to report"`);
  const limits = parseLimits(opts);
  const maxAgents = opts.maxAgents === undefined ? DEFAULT_MAX_AGENTS : parseMaxAgents(opts.maxAgents);
  return { limits, maxAgents };
}

/**
 * Validate the create flags and record a new goal (status created) in a git
 * repository with a commit (else exit 2, nothing recorded). Shared by
 * `goal create`, `goal run` and `goal plan`.
 */
export async function createGoalRecord(ctx: Context, text: string, opts: CreateOptions): Promise<Goal> {
  const { limits, maxAgents } = checkCreateInput(text, opts);
  const git = requireGitBase(ctx, opts.repo);
  const result = await ctx.store.createGoal({
    text,
    repoRoot: git.root,
    baseCommit: git.head,
    constraints: opts.constraint ?? [],
    terminalCriteria: opts.doneWhen ?? [],
    limits,
    maxAgents,
  });
  if (!result.ok) throw new UsageError(result.error.message, result.error.fix);
  return result.value;
}

export async function goalCreate(ctx: Context, text: string, opts: CreateOptions): Promise<number> {
  const goal = await createGoalRecord(ctx, text, opts);
  // A run of the goal starts from its base commit: uncommitted work is named now (not an error).
  const dirty = goal.baseCommit === null ? undefined : await uncommittedFiles(goal.repoRoot);
  if (dirty !== undefined && goal.baseCommit !== null) ctx.stderr(`omk: warning: ${dirtyTreeMessage(dirty, goal.baseCommit)}\n`);
  if (opts.json === true) printJson(ctx, goal);
  else ctx.stdout(`${goal.id}\ncreated goal ${goal.id}: ${terminalSafe(goal.normalizedText)}\nnext: ${printable(`omk goal status ${goal.id}`)}\n`);
  return EXIT.ok;
}
