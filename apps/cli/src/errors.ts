import { OmkError } from "@omk/core";
import { EXIT } from "./exit-codes.js";
import { printable } from "./invocation.js";
import { terminalSafe } from "./render/safe.js";

/** Bad argv or input: exit 2 with one line naming the problem and the fix. */
export class UsageError extends OmkError {
  constructor(message: string, fix: string) {
    super("OMK_CLI_USAGE", message, { fix });
  }
}

/** A command failed in an expected way; carries the exit code to use. */
export class CommandFailed extends OmkError {
  readonly exitCode: number;
  constructor(exitCode: number, message: string, fix?: string) {
    super("OMK_CLI_FAILED", message, fix === undefined ? {} : { fix });
    this.exitCode = exitCode;
  }
}

const CODE_EXITS: Record<string, number> = {
  OMK_CLI_USAGE: EXIT.usage,
  OMK_STATE_INVALID_ID: EXIT.usage,
  OMK_STATE_GOAL_NOT_FOUND: EXIT.usage,
  OMK_STATE_CORRUPT: EXIT.failedInfra,
  OMK_STATE_SCHEMA_TOO_NEW: EXIT.failedInfra,
  OMK_STATE_BUSY: EXIT.failedInfra,
  // The event log fails its hash chain or MAC: a verdict on the goal's record (not ready), not a broken machine.
  OMK_STATE_LOG_TAMPERED: EXIT.notReady,
  OMK_STATE_LOG_KEY_MISSING: EXIT.failedInfra,
  OMK_STATE_LOG_KEY_INVALID: EXIT.failedInfra,
};

/** Only the CLI maps errors to exit codes and messages (style.md §6). */
export function describeError(error: unknown): { exitCode: number; lines: string[] } {
  if (error instanceof CommandFailed) {
    return { exitCode: error.exitCode, lines: [oneLine(error.message, error.fix)] };
  }
  if (error instanceof OmkError) {
    const exitCode = CODE_EXITS[error.code] ?? EXIT.internal;
    return { exitCode, lines: [oneLine(error.message, error.fix)] };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    exitCode: EXIT.internal,
    lines: [`omk: internal error: ${message}`, "fix: this is a bug in omk; please report it with the command you ran"],
  };
}

/** `omk: <problem> — fix: <what to do>` on one line (details of a multi-line problem follow it). */
function oneLine(message: string, fix: string | undefined): string {
  const [first, ...rest] = message.split("\n");
  const head = `omk: ${first}${fix === undefined ? "" : ` — fix: ${printable(fix)}`}`;
  // A message may carry an engine's or agent's words: its lines keep their breaks, control characters are shown escaped.
  return [head, ...rest].map(terminalSafe).join("\n");
}
