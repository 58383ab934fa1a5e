import { testTag } from "@omk/oracle";
import type { Criterion, Task } from "@omk/state";

function bullets(items: readonly string[], empty: string): string {
  return items.length === 0 ? `- ${empty}` : items.map((item) => `- ${item}`).join("\n");
}

function criterionLine(criterion: Criterion): string {
  const tag = criterion.kind === "test_case" ? ` — name the new test so its name contains \`${testTag(criterion.id)}\`` : "";
  const base = criterion.mustFailOnBase ? " (it must fail on the base commit and pass with your change)" : "";
  return `\`${criterion.id}\` (${criterion.kind}): ${criterion.description}${base}${tag}`;
}

/**
 * The prompt of a task's engine session: the goal, the task, the acceptance
 * criteria it serves (with the test tag a new test must carry), its write
 * and read sets, and the rules. Pure: the same task gives the same text.
 */
export function taskPrompt(task: Task, criteria: readonly Criterion[], goalText: string): string {
  const byId = new Map(criteria.map((c) => [c.id, c]));
  const accepted = task.acceptance.map((id) => {
    const criterion = byId.get(id);
    return criterion === undefined ? `\`${id}\`` : criterionLine(criterion);
  });
  return [
    `# Task ${task.id}: ${task.title}`,
    "",
    `You are the ${task.role} of one task of a larger goal. Work in the current directory (a git worktree of the repository).`,
    "",
    "## Goal",
    "",
    goalText.trim(),
    "",
    "## Task",
    "",
    task.description.trim() === "" ? task.title : task.description.trim(),
    "",
    "## Acceptance criteria",
    "",
    "The goal is checked against these criteria by running them, not by reading your answer:",
    "",
    bullets(accepted, "none named for this task: the project's gates decide"),
    "",
    "## Write set: the only paths you may change",
    "",
    bullets(
      task.writes.map((w) => `\`${w}\``),
      "nothing: this task may not change files",
    ),
    "",
    "## Read set: where to look first",
    "",
    bullets(
      task.reads.map((r) => `\`${r}\``),
      "the whole repository",
    ),
    "",
    "## Rules",
    "",
    "- Change only files in the write set. A write anywhere else is refused, and a change found outside it afterwards fails the task.",
    "- Do not delete, skip, disable or weaken existing tests, and do not edit test expectations to make them pass.",
    "- Do not add a dependency unless the task needs it; say why in your answer when you do.",
    "- Do not commit, push or switch branches: OMK commits your changes to the task branch.",
    "- Do not claim the task is done: the gates and the acceptance criteria decide. End with a short summary of what you changed.",
    "",
  ].join("\n");
}
