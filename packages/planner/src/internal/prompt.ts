import { TaskRoleSchema } from "@omk/state";
import type { ClassifiedIntake } from "../intake.js";
import { describeInspection } from "../inspection.js";
import { DEFAULT_TASK_BUDGETS, type PlanAttempt, type PlanInput } from "../plan.js";
import { CLASS_LABELS } from "./signals.js";

const SHAPE = `{
  "summary": "one paragraph: what will change and why",
  "approach": ["step", "..."],
  "risks": ["..."],
  "outOfScope": ["..."],
  "decisions": [{ "decision": "...", "rationale": "...", "constraints": ["..."] }],
  "tasks": [{
    "id": "implement",
    "title": "...",
    "description": "what the agent must do, and how it knows it is done",
    "role": "implementer",
    "dependencies": ["ids of tasks that must finish first"],
    "reads": ["src/"],
    "writes": ["src/parser.ts"],
    "acceptance": ["ids of the oracle criteria this task serves"],
    "budget": { "timeMs": 2700000, "tokens": 1500000, "usd": 4 }
  }]
}`;

/** What the goal names (paths, identifiers, ...), so the plan's reads and writes can start from them. */
function namedInGoal(facts: ClassifiedIntake["facts"]): string[] {
  const named = Object.entries(facts).filter(([, v]) => v.length > 0);
  return named.length === 0 ? [] : ["Named in the goal:", ...named.map(([k, v]) => `- ${k}: ${v.join(", ")}`)];
}

/** The planning prompt: the goal, its class and signals, the repository, the gates, the oracle, the rules and the JSON shape. */
export function buildPlanPrompt(input: PlanInput): string {
  const intake = input.intake;
  const signals = intake.signals.filter((s) => s.class !== null).map((s) => `"${s.match}" (${s.class})`);
  const lines = [
    "You are planning a software change for OMK. Answer with ONE JSON object and nothing else.",
    "",
    `Goal: ${intake.normalizedText}`,
    `Class: ${intake.classes.map((c) => CLASS_LABELS[c]).join(" and ")}${signals.length > 0 ? ` (signals: ${signals.join(", ")})` : ""}`,
    ...(intake.constraints.length > 0 ? ["Constraints:", ...intake.constraints.map((c) => `- ${c}`)] : []),
    ...namedInGoal(intake.facts),
    "",
    "Repository:",
    ...describeInspection(input.inspection).map((l) => `- ${l}`),
    "",
    "Gates (checks run on every result):",
    ...(input.gates.length === 0
      ? ["- none"]
      : input.gates.map((g) => `- ${g.name} (${g.kind}${g.required === false ? "" : ", required"}): ${g.command.join(" ")}`)),
    "",
    'Oracle criteria (what done means; every task lists in "acceptance" the ids it serves, and every criterion is served by at least one task):',
    ...input.oracle.criteria.map((c) => `- ${c.id} (${c.kind}${c.mustFailOnBase ? ", must fail on the base commit first" : ""}): ${c.description}`),
    "",
    "Rules:",
    "- ids: letters, digits, '.', '-' and '_', starting with a letter or digit; unique.",
    `- role: one of ${TaskRoleSchema.options.join(", ")}.`,
    '- reads and writes: repository-relative paths; a folder ends with "/" and covers what it holds; globs like "src/**/*.ts" are allowed; never an absolute path, "..", "~" or ".git".',
    "- Two tasks conflict when one writes a path the other reads or writes; conflicting tasks must be ordered by dependencies (directly or through other tasks).",
    "- No dependency cycles; dependencies name tasks of this plan.",
    `- budget: timeMs, tokens and usd, each > 0 (defaults by role: ${Object.entries(DEFAULT_TASK_BUDGETS)
      .map(([role, b]) => `${role} ${b.timeMs}/${b.tokens}/${b.usd}`)
      .join(", ")}).`,
    "- A new test's name holds the tag of the criterion it serves (e.g. [oracle:regression-test]).",
    "",
    "JSON shape:",
    SHAPE,
  ];
  return lines.join("\n");
}

/** The prompt again, with the errors of every earlier answer appended. */
export function retryPrompt(base: string, attempts: readonly PlanAttempt[]): string {
  const rejected = attempts.map((a) => [`Answer ${a.attempt} was rejected:`, ...a.errors.map((e) => `- ${e}`)].join("\n"));
  return [base, "", ...rejected, "", "Answer again with the corrected JSON object: put it last in your final message, or alone in one ```json block."].join(
    "\n",
  );
}
