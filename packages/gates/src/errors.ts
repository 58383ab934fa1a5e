import path from "node:path";

import { OmkError } from "@omk/core";

/**
 * Errors of @omk/gates: subclasses of the one base, @omk/core's OmkError (a
 * stable `code` (`OMK_GATES_*`), a one-line `fix`, and a `cause`); gates
 * stays standalone, as @omk/core depends on nothing. Expected failures (a
 * gate failed, nothing detected, a bad config file) are returned as values;
 * these classes are what those values carry, and what is thrown for aborts
 * and broken environments.
 */
export class GatesError extends OmkError {}

/** Where in a config file a problem is: 1-based line and column (from the YAML parser), and the schema path when the schema refused it. */
export type ConfigPosition = { line: number; col: number; path?: string };

/** `.omk/gates.yaml` is unreadable, not YAML, or fails the schema. The message reads `FILE:LINE:COL: problem` when the position is known. */
export class GatesConfigError extends GatesError {
  readonly file: string | undefined;
  readonly issues: string[];
  readonly position: ConfigPosition | undefined;
  constructor(file: string | undefined, message: string, issues: string[] = [], options: { cause?: unknown; position?: ConfigPosition } = {}) {
    const { position, ...rest } = options;
    const where =
      file === undefined
        ? position === undefined
          ? ""
          : `line ${position.line}:${position.col}: `
        : `${file}${position === undefined ? "" : `:${position.line}:${position.col}`}: `;
    super("OMK_GATES_CONFIG", `${where}${message}`, {
      ...rest,
      fix: `correct ${file === undefined ? "the gates config" : path.basename(file)}${position === undefined ? "" : ` at line ${position.line}`} (fields: docs/schemas/gates-config.schema.json), or move it aside to use detection (omk-gates detect shows what it finds)`,
    });
    this.file = file;
    this.issues = issues;
    this.position = position;
  }
}

/** No config and no recognizable project: there is nothing to verify (never an empty pass). */
export class NoGatesDetectedError extends GatesError {
  readonly checked: string[];
  constructor(dir: string, checked: string[]) {
    super("OMK_GATES_NOTHING_DETECTED", `no gates found in ${dir}: no .omk/gates.yaml and no recognizable project (${checked.join(", ")})`, {
      fix: "add .omk/gates.yaml listing the checks to run, or run from the project's root",
    });
    this.checked = checked;
  }
}

/**
 * A git command the runner needs failed. `reason` says whose problem it is:
 * `bad_ref` (the ref passed names no commit) and `no_repo` (not a git
 * repository, or one with no commit yet) are the user's input (exit 2);
 * `git_failed` (a worktree could not be added, a diff failed) is the
 * environment's (exit 6). docs/cli.md has the table.
 */
export type GitProblem = "bad_ref" | "no_repo" | "git_failed";
export class GatesGitError extends GatesError {
  readonly reason: GitProblem;
  constructor(message: string, options: { cause?: unknown; fix?: string; reason?: GitProblem } = {}) {
    super("OMK_GATES_GIT", message, {
      fix: options.fix ?? "check the repository and the ref you passed",
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reason = options.reason ?? "git_failed";
  }
}

/** The run was aborted (AbortSignal); every gate process group was killed. Carries what finished. */
export class GatesAbortedError extends GatesError {
  readonly partial: unknown;
  constructor(partial: unknown) {
    super("OMK_GATES_ABORTED", "the gate run was aborted; running gates were killed", { fix: "run again when ready" });
    this.partial = partial;
  }
}

/** The options passed to the API do not make sense (a bug in the caller). */
export class GatesUsageError extends GatesError {
  constructor(message: string, fix: string) {
    super("OMK_GATES_USAGE", message, { fix });
  }
}
