/**
 * The plan: what the artifacts under plan/ are rendered from, and the one
 * interface both planning strategies implement. The oracle is an input: the
 * controller builds it (@omk/oracle) from the intake before planning, so
 * tasks can name the criteria they serve and test-spec.md can state them.
 */
import { GateDescriptorSchema, GoalClassSchema, type Oracle, OracleSchema, type TaskBudget, TaskGraphSchema, type TaskRole } from "@omk/state";
import type { Result } from "@omk/core";
import { z } from "zod";
import type { GraphIssue } from "./graph.js";
import { type ClassifiedIntake, SignalSchema } from "./intake.js";
import { type RepoInspection, RepoInspectionSchema } from "./inspection.js";

const PlanDecisionSchema = z.object({
  id: z.string().min(1),
  decision: z.string().min(1),
  rationale: z.string().min(1),
  constraints: z.array(z.string()),
});
export type PlanDecision = z.infer<typeof PlanDecisionSchema>;

export const PlanSchema = z.object({
  goalClass: GoalClassSchema,
  classes: z.array(GoalClassSchema).min(1),
  strategy: z.enum(["deterministic", "engine"]),
  title: z.string().min(1),
  goal: z.string().min(1),
  summary: z.string().min(1),
  approach: z.array(z.string().min(1)).min(1),
  risks: z.array(z.string()),
  outOfScope: z.array(z.string()),
  constraints: z.array(z.string()),
  signals: z.array(SignalSchema),
  inspection: RepoInspectionSchema.nullable(),
  gates: z.array(GateDescriptorSchema),
  decisions: z.array(PlanDecisionSchema),
  graph: TaskGraphSchema,
});
export type Plan = z.infer<typeof PlanSchema>;

export type PlanInput = {
  readonly intake: ClassifiedIntake;
  readonly inspection: RepoInspection | null;
  readonly gates: readonly z.input<typeof GateDescriptorSchema>[];
  readonly oracle: Oracle;
  /** Per-role task budgets; roles not named get DEFAULT_TASK_BUDGETS. */
  readonly budgets?: Partial<Record<TaskRole, TaskBudget>>;
};

/** One answer asked of an engine, and why it was refused (empty when accepted). */
export type PlanAttempt = { readonly attempt: number; readonly prompt: string; readonly answer: string; readonly errors: readonly string[] };

export type PlanRejected =
  | { readonly code: "invalid_input"; readonly message: string; readonly issues: readonly string[] }
  | { readonly code: "invalid_plan"; readonly message: string; readonly issues: readonly GraphIssue[] }
  | { readonly code: "engine_answers_rejected"; readonly message: string; readonly attempts: readonly PlanAttempt[] };

export type Planned = { readonly plan: Plan; readonly attempts: readonly PlanAttempt[] };

/** Both strategies: the deterministic planner and the engine-assisted one. */
export type Planner = {
  readonly strategy: "deterministic" | "engine";
  plan(input: PlanInput): Promise<Result<Planned, PlanRejected>>;
};

const minutes = (n: number) => n * 60_000;

/** Default caps per task, by role: reserved from the goal budget before dispatch. */
export const DEFAULT_TASK_BUDGETS: Readonly<Record<TaskRole, TaskBudget>> = {
  implementer: { timeMs: minutes(45), tokens: 1_500_000, usd: 4 },
  tester: { timeMs: minutes(30), tokens: 800_000, usd: 2 },
  docs: { timeMs: minutes(20), tokens: 400_000, usd: 1 },
  reviewer: { timeMs: minutes(15), tokens: 300_000, usd: 1 },
  "security-reviewer": { timeMs: minutes(20), tokens: 400_000, usd: 1.5 },
  integrator: { timeMs: minutes(15), tokens: 200_000, usd: 0.5 },
};

export function budgetFor(role: TaskRole, budgets: PlanInput["budgets"]): TaskBudget {
  return { ...(budgets?.[role] ?? DEFAULT_TASK_BUDGETS[role]) };
}

/** Checks the parts of a plan input that are not typed by construction (parse at the edge). */
export function checkPlanInput(input: PlanInput): string[] {
  const problems: string[] = [];
  if (input.intake.status !== "classified") problems.push("the intake is not classified: a blocked goal is not planned");
  const oracle = OracleSchema.safeParse(input.oracle);
  if (!oracle.success) problems.push(...oracle.error.issues.map((i) => `oracle: ${i.path.join(".")}: ${i.message}`));
  const gates = z.array(GateDescriptorSchema).safeParse(input.gates);
  if (!gates.success) problems.push(...gates.error.issues.map((i) => `gates: ${i.path.join(".")}: ${i.message}`));
  return problems;
}

/** A short title from the goal's first sentence. */
export function titleOf(text: string): string {
  const sentence = text.split(/(?<=[.!?])\s/u)[0] ?? text;
  const clean = sentence.replace(/[.!?]+$/u, "");
  return clean.length > 80 ? `${clean.slice(0, 77).trimEnd()}...` : clean;
}
