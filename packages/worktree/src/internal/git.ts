import { appendFileSync } from "node:fs";
import { execa } from "execa";
import { GitCommandError } from "../errors.js";

/**
 * Variables that would point git at another repository, index or object
 * store, or leak dates into our commits, when OMK itself runs inside a git
 * hook or a shell that set them. Every command gets its repository from `cwd`.
 */
const STRIPPED_ENV = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  "GIT_QUARANTINE_PATH",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_COMMITTER_DATE",
];

let baseEnv: NodeJS.ProcessEnv | undefined;

/** The environment OMK runs git with: repository-locating variables removed, no prompts. */
export function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  if (baseEnv === undefined) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of STRIPPED_ENV) delete env[name];
    // Never wait for a password; stable messages for the few we read (no command of ours opens an editor).
    env["GIT_TERMINAL_PROMPT"] = "0";
    env["LC_ALL"] = "C";
    baseEnv = env;
  }
  return extra === undefined ? baseEnv : { ...baseEnv, ...extra };
}

/**
 * Config every OMK git command runs with: hooks off (OMK's bookkeeping must
 * not be blocked or altered by a user's hook; see docs/decisions/worktree.md),
 * no fsmonitor program (a task can write one into its checkout's config), no
 * signing prompts, no pager.
 */
const QUIET_CONFIG = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "commit.gpgSign=false", "--no-pager"];

export type GitOptions = {
  /** Exit codes that are answers rather than failures (e.g. 1 for merge-tree conflicts). */
  readonly allow?: readonly number[];
  readonly env?: Record<string, string>;
  readonly input?: string;
  /** Run the user's hooks (only `git push`). */
  readonly hooks?: boolean;
  readonly maxBuffer?: number;
};

export type GitRun = { readonly stdout: string; readonly stderr: string; readonly exitCode: number; readonly truncated: boolean };

/** Debug trace: with OMK_WORKTREE_TRACE=<file>, every git command is appended there with its duration. */
const TRACE = process.env["OMK_WORKTREE_TRACE"];

/** Runs `git <args>` in `cwd` (never through a shell); throws GitCommandError on an exit code not allowed. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitRun> {
  const fullArgs = options.hooks === true ? ["--no-pager", ...args] : [...QUIET_CONFIG, ...args];
  const started = TRACE === undefined ? 0 : performance.now();
  const result = await execa("git", fullArgs, {
    cwd,
    env: gitEnv(options.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    ...(options.maxBuffer === undefined ? {} : { maxBuffer: options.maxBuffer }),
  });
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  const exitCode = result.exitCode ?? -1;
  if (TRACE !== undefined) appendFileSync(TRACE, `${JSON.stringify({ ms: Math.round(performance.now() - started), cwd, args, exitCode })}\n`);
  const truncated = result.isMaxBuffer === true;
  if (truncated) return { stdout, stderr, exitCode: 0, truncated };
  const allowed = options.allow ?? [0];
  if (result.failed && (result.exitCode === undefined || !allowed.includes(exitCode))) {
    throw new GitCommandError(args, cwd, exitCode, stderr.trim() || (result.message ?? "failed"), result);
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
