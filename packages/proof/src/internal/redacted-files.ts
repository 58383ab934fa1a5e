/**
 * The one way the controller writes a file under the goal's state dir
 * (runs/, reviews/, gates/, proof inputs, verdicts, setup.jsonl): every text
 * passes through the run's redactor first, so no call site can forget that a
 * diff, a prompt or a record may carry a secret (docs/decisions/controller.md).
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRedactor, type Redactor } from "@omk/core";
import { writeFileAtomicSync } from "@omk/state";

export type RedactedFiles = {
  /** Writes `text` redacted (atomically when asked); returns what was written (to hash it). */
  write(file: string, text: string, options?: { atomic?: boolean }): string;
  /** Writes `value` as pretty JSON with every string redacted; returns what was written. */
  writeJson(file: string, value: unknown, options?: { atomic?: boolean }): string;
  /** Appends `text` redacted (JSON lines: one whole line per call). */
  append(file: string, text: string): void;
  readonly redactor: Redactor;
};

export function redactedFiles(redactor: Redactor): RedactedFiles {
  const put = (file: string, text: string, atomic: boolean | undefined): string => {
    mkdirSync(path.dirname(file), { recursive: true });
    if (atomic === true) writeFileAtomicSync(file, text);
    else writeFileSync(file, text);
    return text;
  };
  return {
    redactor,
    write: (file, text, options) => put(file, redactor.redact(text), options?.atomic),
    writeJson: (file, value, options) => put(file, `${JSON.stringify(redactor.redactDeep(value), null, 2)}\n`, options?.atomic),
    append(file, text) {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, redactor.redact(text));
    },
  };
}

/** The files of a run that knows `env` and literal `secrets` (the same redactor as GoalRun.redactor). */
export function redactedFilesFor(env: Readonly<Record<string, string | undefined>>, secrets: readonly string[] = []): RedactedFiles {
  return redactedFiles(createRedactor({ env: { ...env }, values: secrets }));
}
