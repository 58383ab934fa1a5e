/**
 * Errors of @omk/gates. The package is L0 and standalone, so it has its own
 * base class (not @omk/state's OmkError) with the same shape: a stable
 * `code` (`OMK_GATES_*`), a one-line `fix`, and a `cause`. Expected failures
 * (a gate failed, nothing detected, a bad config file) are returned as
 * values; these classes are what those values carry, and what is thrown for
 * aborts and broken environments.
 */
export class GatesError extends Error {
  readonly code: string;
  /** A one-line instruction telling the user how to fix the problem. */
  readonly fix: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = options.fix;
  }
}

/** `.omk/gates.yaml` is unreadable, not YAML, or fails the schema. */
export class GatesConfigError extends GatesError {
  readonly file: string | undefined;
  readonly issues: string[];
  constructor(file: string | undefined, message: string, issues: string[] = [], options: { cause?: unknown } = {}) {
    super("OMK_GATES_CONFIG", file === undefined ? message : `${file}: ${message}`, {
      ...options,
      fix: "correct the gates config (see docs/schemas/gates-config.schema.json)",
    });
    this.file = file;
    this.issues = issues;
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

/** A git command the runner needs failed (bad ref, not a repository, worktree trouble). */
export class GatesGitError extends GatesError {
  constructor(message: string, options: { cause?: unknown; fix?: string } = {}) {
    super("OMK_GATES_GIT", message, { fix: options.fix ?? "check the repository and the ref you passed", ...(options.cause === undefined ? {} : { cause: options.cause }) });
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
