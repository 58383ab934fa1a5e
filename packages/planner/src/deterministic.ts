/**
 * The deterministic planner: a plan from the goal's class, the repository
 * inspection, the gates and the oracle, with no engine. Used when no engine
 * is configured and in tests; the same input always gives the same plan.
 */
import { type GateDescriptor, GateDescriptorSchema, type GoalClass, SCHEMA_VERSION, type Task } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { z } from "zod";
import { validateGraph } from "./graph.js";
import { CLASS_LABELS } from "./internal/signals.js";
import { buildStages, STAGE_TASK, type StageTask } from "./internal/stages.js";
import { budgetFor, checkPlanInput, type Plan, type PlanDecision, type Planned, type PlanInput, type Planner, type PlanRejected, titleOf } from "./plan.js";

type Concrete = Exclude<GoalClass, "mixed">;

const RISKS: Readonly<Record<Concrete, string>> = {
  bugfix: "the fix may hide the symptom instead of removing the cause; the regression test must reproduce the reported failure",
  feature: "scope creep beyond what the acceptance tests specify",
  greenfield: "building more than the acceptance tests ask for before they pass",
  rewrite: "behaviour drift in paths the tests do not cover",
  refactor: "an accidental behaviour change in code the tests do not cover",
  hardening: "a fix that blocks the attack but also breaks legitimate input",
  performance: "benchmark noise on a shared machine (base and head are measured in the same run), and a speed-up that trades away correctness",
  docs: "documentation that drifts from the code it describes",
};

const OUT_OF_SCOPE: Readonly<Record<Concrete, string>> = {
  bugfix: "new features and refactoring beyond the fix",
  feature: "changes to unrelated behaviour",
  greenfield: "features the goal does not name",
  rewrite: "new features during the rewrite",
  refactor: "behaviour changes",
  hardening: "unrelated refactoring",
  performance: "behaviour changes",
  docs: "code changes",
};

function describeStage(stage: StageTask, input: PlanInput): string {
  const criteria = input.oracle.criteria.filter((c) => stage.acceptance.includes(c.id));
  const tags = criteria.flatMap((c) => (c.kind === "test_case" && c.mustFailOnBase ? [c.run.case.name] : []));
  const lines = [`Goal: ${input.intake.normalizedText}`, ...stage.instructions];
  if (stage.stage === "tests" && tags.length > 0)
    lines.push(`Each new test's name must hold its tag, so the oracle finds it in the JUnit report: ${tags.join(", ")}.`);
  if (stage.stage === "review" || stage.stage === "security-review") {
    for (const c of criteria) if (c.kind === "review") lines.push(...c.run.checklist.map((item) => `Check: ${item}.`));
  }
  lines.push("Done when:", ...criteria.map((c) => `- ${c.id}: ${c.description}`));
  return lines.join("\n");
}

function toTasks(stages: readonly StageTask[], input: PlanInput): Task[] {
  const work = stages.filter((s) => s.stage !== "review" && s.stage !== "security-review");
  const lastWork = work.at(-1);
  return stages.map((stage): Task => {
    const meta = STAGE_TASK[stage.stage];
    const index = work.indexOf(stage);
    const previous = index > 0 ? work[index - 1] : undefined;
    const dependsOn: StageTask | undefined = index === -1 ? lastWork : previous;
    return {
      id: meta.id,
      title: meta.title,
      description: describeStage(stage, input),
      role: meta.role,
      dependencies: dependsOn === undefined ? [] : [STAGE_TASK[dependsOn.stage].id],
      reads: [...stage.reads],
      writes: [...stage.writes],
      acceptance: [...stage.acceptance],
      budget: budgetFor(meta.role, input.budgets),
      priority: 0,
      retries: 0,
      maxRetries: 2,
      lease: null,
      status: "pending",
      evidence: [],
    };
  });
}

function decisions(input: PlanInput, classes: readonly Concrete[], stages: readonly StageTask[], gates: readonly GateDescriptor[]): PlanDecision[] {
  const constraints = input.intake.constraints;
  const signals = input.intake.signals.filter((s) => s.class !== null).map((s) => `"${s.match}" (${s.source}, ${s.class}, weight ${s.weight})`);
  const stageLine = (s: StageTask) =>
    `${STAGE_TASK[s.stage].id} (${STAGE_TASK[s.stage].role}) writes ${s.writes.length === 0 ? "nothing" : s.writes.join(", ")}`;
  return [
    {
      id: "classification",
      decision: `the goal is a ${classes.map((c) => CLASS_LABELS[c]).join(" and ")} goal${input.intake.goalClass === "mixed" ? " (mixed)" : ""}`,
      rationale: `signals: ${signals.join("; ") || "none"}${input.intake.strength === "weak" ? "; only weak signals, and no other class" : ""}`,
      constraints,
    },
    {
      id: "strategy",
      decision: "plan with the deterministic planner",
      rationale: "no engine is configured for planning, or the deterministic plan was asked for; the same input always gives the same plan",
      constraints,
    },
    {
      id: "task-shape",
      decision: `tasks: ${stages.map((s) => STAGE_TASK[s.stage].id).join(" → ")}`,
      rationale: `the ${classes.join("/")} shape: ${stages.map(stageLine).join("; ")}; each task waits for the one before it, so no two tasks touch overlapping paths at once`,
      constraints,
    },
    {
      id: "oracle",
      decision: `done means ${input.oracle.criteria.length} criteria: ${input.oracle.criteria.map((c) => c.id).join(", ")}`,
      rationale: "the oracle is built for the class before planning and frozen before execution; every task names the criteria it serves",
      constraints,
    },
    {
      id: "budgets",
      decision: `task budgets by role: ${[...new Set(stages.map((s) => STAGE_TASK[s.stage].role))].map((role) => `${role} ${JSON.stringify(budgetFor(role, input.budgets))}`).join(", ")}`,
      rationale: "caps are reserved from the goal budget before dispatch; a slice of the goal budget stays for verification",
      constraints,
    },
    {
      id: "gates",
      decision:
        gates.length === 0 ? "no gates were detected" : `gates: ${gates.map((g) => `${g.name} (${g.kind}${g.required ? ", required" : ""})`).join(", ")}`,
      rationale: "gates come from @omk/gates through the controller; required gates are oracle criteria",
      constraints,
    },
  ];
}

/** The deterministic plan for an input, or the reasons it cannot be made (never a guess). */
export function planDeterministic(input: PlanInput): Result<Plan, PlanRejected> {
  const problems = checkPlanInput(input);
  if (problems.length > 0) return err({ code: "invalid_input", message: `the plan input is invalid: ${problems.join("; ")}`, issues: problems });
  const gates = z.array(GateDescriptorSchema).parse(input.gates);
  const classes = input.intake.classes as Concrete[];
  const noNewDependencies = input.intake.constraints.some((c) => /\b(?:no|without|avoid)\b.*\b(?:dependenc|deps|packages|libraries)/iu.test(c));
  const stages = buildStages({ classes, oracle: input.oracle, inspection: input.inspection, gates, noNewDependencies });
  const graph = validateGraph({ schemaVersion: SCHEMA_VERSION, tasks: toTasks(stages, input) }, { criteria: input.oracle.criteria.map((c) => c.id) });
  if (!graph.ok) return err({ code: "invalid_plan", message: "the deterministic plan failed graph validation (a planner bug)", issues: graph.error });
  const label = classes.map((c) => CLASS_LABELS[c]).join(" and ");
  return ok({
    goalClass: input.intake.goalClass,
    classes,
    strategy: "deterministic",
    title: titleOf(input.intake.normalizedText),
    goal: input.intake.normalizedText,
    summary: `A ${label} goal: ${input.intake.normalizedText}`,
    approach: stages.map(
      (s) => `${STAGE_TASK[s.stage].title} (${STAGE_TASK[s.stage].id}): ${s.instructions.join(" ") || `check the change against ${s.acceptance.join(", ")}`}`,
    ),
    risks: [...classes.map((c) => RISKS[c]), ...(input.inspection?.testFrameworks.length === 0 ? ["no test framework was detected in the repository"] : [])],
    outOfScope: [...new Set(classes.map((c) => OUT_OF_SCOPE[c]))],
    constraints: [...input.intake.constraints],
    signals: [...input.intake.signals],
    inspection: input.inspection,
    gates,
    decisions: decisions(input, classes, stages, gates),
    graph: graph.value,
  });
}

export function createDeterministicPlanner(): Planner {
  return {
    strategy: "deterministic",
    async plan(input: PlanInput): Promise<Result<Planned, PlanRejected>> {
      const plan = planDeterministic(input);
      return plan.ok ? ok({ plan: plan.value, attempts: [] }) : plan;
    },
  };
}
