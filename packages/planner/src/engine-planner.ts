/**
 * The engine-assisted planner: asks an agent for the plan as JSON through a
 * port the controller fills (no engine is imported here). The answer is
 * validated with zod and by graph validation; an invalid answer is asked
 * again with the errors appended to the prompt, up to `maxAttempts`, then
 * rejected with every attempt and its errors as evidence.
 */
import { GateDescriptorSchema, SCHEMA_VERSION } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { z } from "zod";
import { extractAnswer, oneLine, type SessionAnswer, schemaIssues } from "./answer.js";
import { formatIssues, MAX_PLAN_TASKS, validateGraph } from "./graph.js";
import { buildPlanPrompt, retryPrompt } from "./internal/prompt.js";
import { CLASS_LABELS } from "./internal/signals.js";
import { checkPlanInput, type Plan, type PlanAttempt, type Planned, type PlanInput, type Planner, type PlanRejected, titleOf } from "./plan.js";

/** The JSON an engine must answer with. Tasks are checked by graph validation, which names each task's issues. */
export const EnginePlanAnswerSchema = z.object({
  summary: z.string().min(1),
  approach: z.array(z.string().min(1)).min(1),
  risks: z.array(z.string()).default([]),
  outOfScope: z.array(z.string()).default([]),
  decisions: z.array(z.object({ decision: z.string().min(1), rationale: z.string().min(1), constraints: z.array(z.string()).default([]) })).default([]),
  tasks: z
    .array(z.unknown())
    .min(1)
    .max(MAX_PLAN_TASKS, { message: `a plan has at most ${MAX_PLAN_TASKS} tasks (MAX_PLAN_TASKS): plan fewer, larger tasks` }),
});
type EnginePlanAnswer = z.infer<typeof EnginePlanAnswerSchema>;

/** The port: send a prompt to the planning agent, get its answer (the turn's text, or its text and final message after the last tool call). */
export type AskPlan = (prompt: string, context: { readonly attempt: number; readonly maxAttempts: number }) => Promise<string | SessionAnswer>;

export type PlannerEvent =
  | { readonly type: "plan_attempt_started"; readonly attempt: number }
  | { readonly type: "plan_attempt_rejected"; readonly attempt: number; readonly errors: readonly string[] }
  | { readonly type: "plan_accepted"; readonly attempt: number };

export type EnginePlannerOptions = {
  readonly askPlan: AskPlan;
  /** Answers asked for at most (default 3). */
  readonly maxAttempts?: number;
  readonly onEvent?: (event: PlannerEvent) => void;
};

/** The JSON object of an answer (see extractAnswer), or what was wrong as one line. */
export function extractJson(answer: string | SessionAnswer): Result<unknown, string> {
  const json = extractAnswer(answer);
  return json.ok ? json : err(json.error.message);
}

function check(answer: string | SessionAnswer, input: PlanInput): Result<{ answer: EnginePlanAnswer; plan: Plan }, string[]> {
  const json = extractAnswer(answer);
  if (!json.ok) return err([json.error.message]);
  const parsed = EnginePlanAnswerSchema.safeParse(json.value);
  if (!parsed.success) return err(schemaIssues(parsed.error));
  const graph = validateGraph({ schemaVersion: SCHEMA_VERSION, tasks: parsed.data.tasks }, { criteria: input.oracle.criteria.map((c) => c.id) });
  if (!graph.ok) return err(formatIssues(graph.error).map(oneLine));
  const a = parsed.data;
  const intake = input.intake;
  const plan: Plan = {
    goalClass: intake.goalClass,
    classes: [...intake.classes],
    strategy: "engine",
    title: titleOf(intake.normalizedText),
    goal: intake.normalizedText,
    summary: a.summary,
    approach: a.approach,
    risks: a.risks,
    outOfScope: a.outOfScope,
    constraints: [...intake.constraints],
    signals: [...intake.signals],
    inspection: input.inspection,
    gates: z.array(GateDescriptorSchema).parse(input.gates),
    decisions: [
      {
        id: "classification",
        decision: `the goal is a ${intake.classes.map((c) => CLASS_LABELS[c]).join(" and ")} goal`,
        rationale: `signals: ${
          intake.signals
            .filter((s) => s.class !== null)
            .map((s) => `"${s.match}" (${s.source}, ${s.class})`)
            .join("; ") || "none"
        }`,
        constraints: [...intake.constraints],
      },
      {
        id: "strategy",
        decision: "plan with the engine-assisted planner",
        rationale: "an engine is configured for planning; its answer passed schema and graph validation",
        constraints: [...intake.constraints],
      },
      ...a.decisions.map((d, i) => ({ id: `engine-${i + 1}`, ...d })),
    ],
    graph: graph.value,
  };
  return ok({ answer: a, plan });
}

export function createEnginePlanner(options: EnginePlannerOptions): Planner {
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const emit = options.onEvent ?? (() => {});
  return {
    strategy: "engine",
    async plan(input: PlanInput): Promise<Result<Planned, PlanRejected>> {
      const problems = checkPlanInput(input);
      if (problems.length > 0) return err({ code: "invalid_input", message: `the plan input is invalid: ${problems.join("; ")}`, issues: problems });
      const base = buildPlanPrompt(input);
      const attempts: PlanAttempt[] = [];
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const prompt = attempts.length === 0 ? base : retryPrompt(base, attempts);
        emit({ type: "plan_attempt_started", attempt });
        const reply = await options.askPlan(prompt, { attempt, maxAttempts });
        const answer = typeof reply === "string" ? reply : reply.text;
        const checked = check(reply, input);
        if (checked.ok) {
          attempts.push({ attempt, prompt, answer, errors: [] });
          emit({ type: "plan_accepted", attempt });
          return ok({ plan: checked.value.plan, attempts });
        }
        attempts.push({ attempt, prompt, answer, errors: checked.error });
        emit({ type: "plan_attempt_rejected", attempt, errors: checked.error });
      }
      const last = attempts.at(-1)?.errors ?? [];
      return err({
        code: "engine_answers_rejected",
        message: `the engine's plan was rejected ${attempts.length} time(s); last errors: ${last.slice(0, 5).join("; ")}`,
        attempts,
      });
    },
  };
}
