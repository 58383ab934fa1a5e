import path from "node:path";
import { dirtyTreeMessage, uncommittedFiles } from "@omk/controller";
import { gitSync } from "@omk/git";
import type { Goal } from "@omk/state";
import { DEFAULT_MAX_AGENTS, parseLimits, parseMaxAgents } from "../args.js";
import { type Context, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { printable } from "../invocation.js";

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

/** The git top level and HEAD of `dir`, or undefined when it is not a git checkout. */
export function gitBase(dir: string): { root: string; head: string | null } | undefined {
  const top = gitSync(dir, ["rev-parse", "--show-toplevel"]);
  if (top.exitCode !== 0) return undefined;
  const head = gitSync(dir, ["rev-parse", "--verify", "HEAD"]);
  // A repository with no commits yet has no HEAD.
  return { root: top.stdout.trim(), head: head.exitCode === 0 ? head.stdout.trim() : null };
}

/**
 * The git top level of --repo (else the current directory), which a goal run
 * needs with at least one commit: else a usage error (exit 2), before any
 * engine is looked at, so every command says the same.
 */
export function requireGitCommit(ctx: Context, repo: string | undefined): string {
  const dir = path.resolve(ctx.cwd, repo ?? ".");
  const git = gitBase(dir);
  if (git === undefined || git.head === null) {
    throw new UsageError(`${dir} is not a git repository with a commit: a goal run works on commits`, "run it inside a git clone with at least one commit, or pass --repo DIR");
  }
  return git.root;
}

/** Validate the create flags and record a new goal (status created). Shared by `goal create`, `goal run` and `goal plan`. */
export async function createGoalRecord(ctx: Context, text: string, opts: CreateOptions, requireCommit = false): Promise<Goal> {
  if (text.trim() === "") throw new UsageError("the goal text is empty", 'describe the goal, e.g. omk goal create "Add a --json flag to report"');
  const limits = parseLimits(opts);
  const maxAgents = opts.maxAgents === undefined ? DEFAULT_MAX_AGENTS : parseMaxAgents(opts.maxAgents);
  const dir = path.resolve(ctx.cwd, opts.repo ?? ".");
  const git = gitBase(dir);
  if (requireCommit) requireGitCommit(ctx, opts.repo);
  if (git === undefined) ctx.stderr(`omk: note: ${dir} is not a git repository; the goal records no base commit\n`);
  const result = await ctx.store.createGoal({
    text,
    repoRoot: git?.root ?? dir,
    baseCommit: git?.head ?? null,
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
  else ctx.stdout(`${goal.id}\ncreated goal ${goal.id}: ${goal.normalizedText}\nnext: ${printable(`omk goal status ${goal.id}`)}\n`);
  return EXIT.ok;
}
