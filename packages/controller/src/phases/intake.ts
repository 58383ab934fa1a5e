/**
 * Intake: inspect the repository, classify the goal, and form its oracle.
 * Pure and repeatable, so a resumed run recomputes it (the plan and the
 * frozen oracle are what the log keeps).
 */
import { buildCommandFor, type ClassifiedIntake, inspectRepository, intake, type RepoInspection, testCommandFor } from "@omk/planner";
import { buildOracle, type OracleBuild } from "@omk/oracle";
import type { GateDescriptor } from "@omk/state";
import type { RunContext } from "../context.js";
import { perTestEvidenceBlocks } from "../evidence/oracle-evidence.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { gateDescriptors } from "../internal/run-deps.js";
import { endWithFailure } from "../outcome.js";
import type { RunGoalResult } from "../types.js";

export type Prepared = {
  readonly inspection: RepoInspection;
  readonly intake: ClassifiedIntake;
  readonly gates: GateDescriptor[];
  readonly oracle: OracleBuild;
};

export type Blocked = { readonly blocked: true; readonly questions: readonly string[]; readonly message: string };

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
  const inspection = inspectRepository(ctx.repo);
  const text = goalTextWithAnswers(ctx);
  const classified = intake({ text, constraints: ctx.goal.constraints, inspection });
  let result: Prepared | Blocked;
  if (classified.status === "blocked_on_human") {
    result = { blocked: true, questions: classified.questions, message: `the goal is ambiguous: ${classified.reasons.map((r) => r.message).join("; ")}` };
  } else {
    const described = gateDescriptors(ctx.repo, ctx.options.gatesConfig);
    const gates = described.ok ? described.value : [];
    const built = buildOracle({
      goalClass: classified.goalClass,
      ...(classified.goalClass === "mixed" ? { classes: classified.classes } : {}),
      goalText: text,
      gates,
      testCommand: testCommandFor({ inspection, gates, goalText: text }),
      buildCommand: buildCommandFor(gates),
      terminalCriteria: ctx.goal.terminalCriteria,
    });
    const oracle = withPerTestEvidence(built, ctx.repo, ctx.options.gatesConfig);
    result = { inspection, intake: classified, gates, oracle };
  }
  prepared.set(ctx, result);
  return result;
}

/** A formed oracle whose test criteria can never get per-test cases is blocked now, with the config line that fixes it (no round is spent on it). */
function withPerTestEvidence(oracle: OracleBuild, root: string, gatesConfig: string | undefined): OracleBuild {
  if (oracle.status !== "formed") return oracle;
  const blocks = perTestEvidenceBlocks(root, oracle.oracle.criteria, gatesConfig);
  if (blocks.length === 0) return oracle;
  return { status: "blocked", reasons: blocks.map((b) => ({ class: null, ...b })), questions: [...new Set(blocks.map((b) => b.question))] };
}

/** blocked_on_human with the questions that unblock the goal. */
export function endBlocked(ctx: RunContext, blocked: Blocked): Promise<RunGoalResult> {
  return endWithFailure(ctx, "blocked_on_human", { code: "needs_answer", message: blocked.message, details: { questions: [...blocked.questions] } });
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
