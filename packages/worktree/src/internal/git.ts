import { gitEnv as baseGitEnv, type GitResult, git as runGit } from "@omk/git";
import { GitCommandError } from "../errors.js";

/**
 * The environment OMK runs git with (from @omk/git): repository-locating
 * variables removed, program-naming ones made inert, no prompts.
 */
export function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  return baseGitEnv(extra === undefined ? {} : { extra });
}

export type GitOptions = {
  /** Exit codes that are answers rather than failures (e.g. 1 for merge-tree conflicts). */
  readonly allow?: readonly number[];
  readonly env?: Record<string, string>;
  readonly input?: string;
  /** Run as the user's own git: their hooks and repository config apply (only `git push`). */
  readonly hooks?: boolean;
  readonly maxBuffer?: number;
};

export type GitRun = { readonly stdout: string; readonly stderr: string; readonly exitCode: number; readonly truncated: boolean };

/**
 * Runs `git <args>` in `cwd` through @omk/git's runner (hooks, fsmonitor,
 * filters, textconv and the repository's program-running config off; see
 * docs/decisions/git.md); throws GitCommandError on an exit code not allowed.
 */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitRun> {
  const result: GitResult = await runGit(cwd, args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.maxBuffer === undefined ? {} : { maxBuffer: options.maxBuffer }),
    asUser: options.hooks === true,
  });
  const { stdout, stderr, exitCode, truncated } = result;
  if (truncated) return { stdout, stderr, exitCode: 0, truncated };
  const allowed = options.allow ?? [0];
  if (exitCode !== 0 && !allowed.includes(exitCode)) {
    throw new GitCommandError(args, cwd, exitCode, stderr.trim() || "failed", result);
  }
  return { stdout, stderr, exitCode, truncated };
}

/** The output of a git command that prints one line (sha, path, name), trimmed. */
export async function gitLine(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await git(cwd, args, options)).stdout.trim();
}

/** Splits NUL-separated output, dropping the empty tail. */
export function splitNul(text: string): string[] {
  const parts = text.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Git identity and date of a commit OMK makes. */
export type CommitIdentity = { readonly name: string; readonly email: string };

export const DEFAULT_IDENTITY: CommitIdentity = { name: "omk", email: "omk@localhost" };

/** Environment that sets author and committer explicitly (no global git identity needed). */
export function commitEnv(identity: CommitIdentity, date: Date | number | undefined): Record<string, string> {
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
  if (date !== undefined) {
    const seconds = typeof date === "number" ? date : Math.floor(date.getTime() / 1000);
    env["GIT_AUTHOR_DATE"] = `${seconds} +0000`;
    env["GIT_COMMITTER_DATE"] = `${seconds} +0000`;
  }
  return env;
}
