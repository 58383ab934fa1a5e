import type { NextSteps } from "@omk/state";

/**
 * Next steps as printed after a run: the questions first, then `next: CMD  # note`
 * (further commands indented under it); a final goal says so, a stopped one
 * says after which phase. `omk` renames each `omk …` command (printable, with the run's prefix).
 */
export function nextStepLines(steps: NextSteps, omk: (text: string) => string): string[] {
  const lines: string[] = [];
  if (steps.questions.length > 0) lines.push("questions:", ...steps.questions.map((q) => `  - ${q}`));
  const [first, ...rest] = steps.commands;
  if (first === undefined) return lines;
  const command = `${omk(first.command)}${first.note === undefined ? "" : `  # ${omk(first.note)}`}`;
  if (steps.final === true) lines.push(`cancelled is final; to try again, start a new goal: ${command}`);
  else if (steps.stoppedAfter !== undefined) lines.push(`stopped after ${steps.stoppedAfter}; continue: ${command}`);
  else lines.push(`next: ${command}`);
  for (const more of rest) lines.push(`      ${omk(more.command)}`);
  return lines;
}
