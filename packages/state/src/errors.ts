/**
 * Errors of @omk/state: subclasses of the one base, @omk/core's OmkError (a
 * stable string code, a one-line fix, a cause; style.md §6). Expected
 * failures are returned as values (`Result`); these classes are thrown only
 * for bugs, corrupt files and broken environments.
 */
import { OmkError } from "@omk/core";

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
      fix: options.fix ?? "restore the file from a backup, or remove the bad part by hand and run `omk goal replay --verify`",
    });
    this.file = file;
  }
}

/** A state file was written by a newer omk than this one. */
export class UnsupportedSchemaVersionError extends OmkError {
  constructor(file: string, found: number, supported: number) {
    super("OMK_STATE_SCHEMA_TOO_NEW", `${file} has schema version ${found}; this omk reads versions up to ${supported}`, {
      fix: "upgrade omk (npm i -g omk@latest) to read this state",
    });
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

/**
 * The event log fails its hash chain or its MAC from `line` on: it was
 * changed outside omk (an edited, inserted or appended line). The store
 * refuses to fold it; `omk goal replay <id> --quarantine` sets the lines from
 * `offset` on aside.
 */
export class LogTamperedError extends OmkError {
  readonly file: string;
  readonly line: number;
  /** Byte offset where the first unauthentic line starts. */
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, goalId: string, line: number, offset: number, reason: string) {
    super("OMK_STATE_LOG_TAMPERED", `${file} line ${line} ${reason}: the log was changed outside omk`, {
      fix: `if you did not edit it, something else did (an agent?): keep the file for inspection, then set lines ${line}.. aside and end the run not_ready with omk goal replay ${goalId} --quarantine`,
    });
    this.file = file;
    this.line = line;
    this.offset = offset;
    this.reason = `line ${line} ${reason}`;
  }
}

/** The log's lines carry MACs, but the key that made them is not on this machine. */
export class LogKeyMissingError extends OmkError {
  constructor(keyFile: string, goalId: string) {
    super("OMK_STATE_LOG_KEY_MISSING", `the event log of goal ${goalId} is signed, but its key ${keyFile} is missing`, {
      fix: `restore ${keyFile} from the state root the goal came from (it is 32 random bytes in hex, mode 0600); without it the goal can be read but not continued`,
    });
  }
}
