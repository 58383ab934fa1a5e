/**
 * What to do next after a run of a goal: a pure function of the goal's
 * status and its failure.json (read through FailureSchema), so every caller
 * (the CLI's run outcome, `omk goal status`) gives the same advice. The CLI
 * renders it (apps/cli/src/render/). docs/decisions/state-store.md.
 */
import { readFileSync } from "node:fs";
import { type Failure, FailureSchema } from "./schemas/outcome.js";
import type { GoalStatus } from "./schemas/status.js";

/** failure.json's resume advice (the exact command and a hint) and the open questions of its cause. */
export type FailureAdvice = { readonly resume: Failure["resume"]; readonly questions: readonly string[] };

/** The advice in a failure record's text; undefined when it is not a failure record. */
export function failureAdvice(text: string): FailureAdvice | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = FailureSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const questions = parsed.data.cause.details?.["questions"];
  return { resume: parsed.data.resume, questions: Array.isArray(questions) ? questions.filter((q): q is string => typeof q === "string") : [] };
}

/** failure.json's advice, when the file is there and is a failure record. */
export function readFailureAdvice(file: string): FailureAdvice | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return failureAdvice(text);
}

/** One command to run next, with why (`# …` when printed). */
type NextCommand = { readonly command: string; readonly note?: string };

/**
 * The next steps after a run: the commands in order (the first is the one
 * to run), the questions to answer first (blocked_on_human), and whether the
 * goal is over for good (`final`: cancelled, start a new goal) or only
 * stopped after a phase (`stoppedAfter`).
 */
export type NextSteps = {
  readonly commands: readonly NextCommand[];
  readonly questions: readonly string[];
  readonly final?: true;
  readonly stoppedAfter?: string;
};

export type NextStepsInput = {
  readonly goalId: string;
  readonly status: GoalStatus;
  /** The goal's text (a cancelled goal's advice starts a new goal with it). */
  readonly text: string;
  /** The proof file to verify (ready). */
  readonly proofFile: string;
  /** The goal's failure.json advice, when it ended with one. */
  readonly failure: FailureAdvice | undefined;
  /** The phase the run was told to stop after, if any. */
  readonly stopAfter?: string | undefined;
  /** Quotes one shell word (a path, the goal's text) so the command runs as printed. */
  readonly quote: (word: string) => string;
};

/** What to do next after a run that left the goal in `status`. */
export function nextSteps(input: NextStepsInput): NextSteps {
  const { goalId: id, failure } = input;
  const advice = failure?.resume;
  const resume = `omk goal resume ${id}`;
  const steps = (commands: NextCommand[], questions: readonly string[] = []): NextSteps => ({ commands, questions });
  switch (input.status) {
    case "ready":
      return steps([{ command: `omk proof verify ${input.quote(input.proofFile)}` }, { command: `omk goal accept ${id}` }]);
    case "paused":
      return steps([{ command: resume }]);
    case "not_ready":
      return steps([{ command: resume, note: "plans follow-up tasks from the failing evidence and runs them" }]);
    case "needs_more_budget":
      return steps([{ command: advice?.command ?? `omk goal budget-add ${id} --time 30m && ${resume}` }]);
    case "blocked_on_human":
      return steps([{ command: `omk goal amend ${id} --answer "<answer>" && ${resume}` }], failure?.questions ?? []);
    case "blocked_on_external":
    case "failed_infra":
      return steps([{ command: advice?.command ?? resume, ...(advice === undefined ? {} : { note: advice.hint }) }]);
    case "cancelled":
      // Cancelled is final: never suggest resuming it. `--`: a text such as `-v` is the goal's text, not a flag.
      return { ...steps([{ command: `omk goal run -- ${input.quote(input.text)}` }]), final: true };
    case "running":
    case "created":
      return input.stopAfter === undefined ? steps([]) : { ...steps([{ command: resume }]), stoppedAfter: input.stopAfter };
  }
}
