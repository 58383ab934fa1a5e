/**
 * Intake: inspect the repository, classify the goal, and form its oracle.
 * Pure and repeatable, so a resumed run recomputes it (the plan and the
 * frozen oracle are what the log keeps).
 */
import { buildCommandFor, type ClassifiedIntake, inspectRepository, intake, type RepoInspection, testCommandFor } from "@omk/planner";
import { buildOracle, type OracleBuild } from "@omk/oracle";
import type { FailureCause, GateDescriptor } from "@omk/state";
import type { RunContext } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { gateDescriptors } from "../internal/run-deps.js";
import { endWithFailure } from "../outcome.js";
import type { ControllerProblem, RunGoalResult } from "../types.js";

export type Prepared = {
  readonly inspection: RepoInspection;
  readonly intake: ClassifiedIntake;
  readonly gates: GateDescriptor[];
  readonly oracle: OracleBuild;
};

export type Blocked = {
  readonly blocked: true;
  readonly questions: readonly string[];
  readonly message: string;
  /** The cause to record when it is not a question (a broken gates config: config_invalid). */
  readonly cause?: FailureCause;
};

const prepared = new WeakMap<RunContext, Prepared | Blocked>();

/** The goal text with the answers given since (amendments). */
export function goalTextWithAnswers(ctx: RunContext): string {
  const answers = ctx.goal.amendments.flatMap((a) => (a.answer === undefined ? [] : [a.answer]));
  return answers.length === 0 ? ctx.goal.text : `${ctx.goal.text}\n\n${answers.join("\n")}`;
}

/** Inspection, intake, gates and the oracle build; computed once per run. */
export function prepare(ctx: RunContext): Prepared | Blocked {
  const known = prepared.get(ctx);
  if (known !== undefined) return known;
  // A broken gates config stops the run here, with its position and fix (never a silent fall back to no gates).
  const described = gateDescriptors(ctx.repo, ctx.options.gatesConfig);
  const broken = described.ok ? undefined : configBroken(described.error);
  if (broken !== undefined) {
    prepared.set(ctx, broken);
    return broken;
  }
  const inspection = inspectRepository(ctx.repo);
  const text = goalTextWithAnswers(ctx);
  const classified = intake({ text, constraints: ctx.goal.constraints, inspection });
  let result: Prepared | Blocked;
  if (classified.status === "blocked_on_human") {
    result = { blocked: true, questions: classified.questions, message: `the goal is ambiguous: ${classified.reasons.map((r) => r.message).join("; ")}` };
  } else {
    const gates = described.ok ? described.value : [];
    const oracle = buildOracle({
      goalClass: classified.goalClass,
      ...(classified.goalClass === "mixed" ? { classes: classified.classes } : {}),
      goalText: text,
      gates,
      testCommand: testCommandFor({ inspection, gates, goalText: text }),
      buildCommand: buildCommandFor(gates),
      terminalCriteria: ctx.goal.terminalCriteria,
    });
    result = { inspection, intake: classified, gates, oracle };
  }
  prepared.set(ctx, result);
  return result;
}

/** blocked_on_human with the questions that unblock the goal (or the cause, when it is not a question). */
export function endBlocked(ctx: RunContext, blocked: Blocked): Promise<RunGoalResult> {
  return endWithFailure(ctx, "blocked_on_human", blocked.cause ?? { code: "needs_answer", message: blocked.message, details: { questions: [...blocked.questions] } });
}

/**
 * A gates config that does not parse or fails its schema: blocked on the
 * person who owns it (config_invalid, with the file, line:col, schema path
 * and fix). `omk` refuses such a config before a goal starts (exit 2); this
 * is the controller's own guard (the API, or a config broken since).
 */
function configBroken(problem: ControllerProblem): Blocked | undefined {
  if (problem.code !== "gates_config") return undefined;
  const details = { fix: problem.fix, ...(problem.details ?? {}) };
  return { blocked: true, questions: [], message: `the gates config is broken: ${problem.message}`, cause: { code: "config_invalid", message: `the gates config is broken: ${problem.message}`, details } };
}

export async function intakePhase(ctx: RunContext): Promise<RunGoalResult | null> {
  await enterPhase(ctx, "intake");
  const result = prepare(ctx);
  if ("blocked" in result) {
    finishPhase(ctx, "intake", "failed", result.message);
    return endBlocked(ctx, result);
  }
  finishPhase(ctx, "intake", "passed", `${result.intake.goalClass} goal`);
  return null;
}
