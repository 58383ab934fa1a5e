/**
 * Errors: one base class with a stable string code and a cause (style.md §6).
 * Expected failures are returned as values (`StateResult`); these classes are
 * thrown only for bugs, corrupt files and broken environments.
 */
export class OmkError extends Error {
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

/** An id from argv or a file is not a safe goal/task id. */
export class InvalidIdError extends OmkError {
  constructor(message: string) {
    super("OMK_STATE_INVALID_ID", message, {
      fix: "pass an id as printed by `omk goal list` (letters, digits, '-', '_', '.')",
    });
  }
}

/** No goal with that id under the state root. */
export class GoalNotFoundError extends OmkError {
  constructor(id: string, root: string) {
    super("OMK_STATE_GOAL_NOT_FOUND", `no goal "${id}" under ${root}`, {
      fix: "run `omk goal list` to see the goals, or set OMK_STATE_DIR to the state root that holds it",
    });
  }
}

/** A state file is unreadable: bad JSON, failed schema, or a log line that is not the torn tail. */
export class CorruptStateError extends OmkError {
  readonly file: string;
  constructor(file: string, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super("OMK_STATE_CORRUPT", `${file}: ${message}`, {
      cause: options.cause,
      fix:
        options.fix ??
        "restore the file from a backup, or remove the bad part by hand and run `omk goal replay --verify`",
    });
    this.file = file;
  }
}

/** A state file was written by a newer omk than this one. */
export class UnsupportedSchemaVersionError extends OmkError {
  constructor(file: string, found: number, supported: number) {
    super(
      "OMK_STATE_SCHEMA_TOO_NEW",
      `${file} has schema version ${found}; this omk reads versions up to ${supported}`,
      { fix: "upgrade omk (npm i -g omk@latest) to read this state" },
    );
  }
}

/** Another process held the goal's append mutex for longer than the wait allows. */
export class StateBusyError extends OmkError {
  constructor(file: string, holder: string) {
    super("OMK_STATE_BUSY", `${file} is held by ${holder} and did not free up in time`, {
      fix: "retry; if that process is gone, its lock is taken over automatically once stale",
    });
  }
}
