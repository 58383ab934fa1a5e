import { existsSync } from "node:fs";
import path from "node:path";
import { type Goal, type GoalStatus, isTerminalStatus, nextSteps, readFailureAdvice } from "@omk/state";
import type { Context } from "../context.js";
import { printable, shellWord } from "../invocation.js";
import { nextStepLines } from "../render/next-steps.js";
import { terminalSafe } from "../render/safe.js";
import type { DriveOptions } from "./drive-setup.js";

/**
 * The outcome of a run, last: `status: …`, then the proof or failure file,
 * then what to do next (nextSteps, from failure.json's advice; every command
 * with the run's prefix, so it runs as printed).
 */
export function reportOutcome(
  ctx: Context,
  say: (t: string) => void,
  goal: Goal,
  status: GoalStatus,
  reason: string,
  outcomeFile: string | null,
  options: DriveOptions,
): void {
  const paths = ctx.store.paths(goal.id);
  const omk = (command: string) => printable(command, { prefix: options.commandPrefix });
  const lines = [`status: ${status}${reason === "" ? "" : ` — ${omk(reason)}`}`];
  const outcome =
    outcomeFile ??
    (existsSync(paths.proof) && status === "ready"
      ? paths.proof
      : existsSync(paths.failure) && isTerminalStatus(status) && status !== "ready"
        ? paths.failure
        : null);
  if (outcome !== null) lines.push(`${path.basename(outcome) === "proof.json" ? "proof" : "failure"}: ${outcome}`);
  const failure = outcome !== null && path.basename(outcome) === "failure.json" ? readFailureAdvice(outcome) : undefined;
  const steps = nextSteps({
    goalId: goal.id,
    status,
    text: goal.normalizedText,
    proofFile: outcome ?? paths.proof,
    failure,
    stopAfter: options.stopAfter,
    quote: shellWord,
  });
  lines.push(...nextStepLines(steps, omk));
  // Reasons, questions and hints come from the engine or an agent: each shown as one line, escapes visible.
  say(`${lines.map(terminalSafe).join("\n")}\n`);
}
