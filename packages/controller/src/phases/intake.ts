/**
 * Intake: inspect the repository, classify the goal, and form its oracle.
 * Pure and repeatable, so a resumed run recomputes it (the plan and the
 * frozen oracle are what the log keeps). One step is not pure: when the
 * keyword classifier is unsure and the engine offers an `intake` session,
 * the engine is asked once (settleIntake) and its decision is recorded as
 * `intake_decided`; readIntake() then reads the goal through that decision,
 * and a resumed run reuses it for the same text instead of asking again.
 * The reading is done once per run and kept in `ctx.intake`: here, or by the
 * driver when a run resumes past this phase (driver/walk.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AskIntake, askEngineIntake, buildCommandFor, inspectRepository, intake, testCommandFor } from "@omk/planner";
import { buildOracle, type OracleBuild } from "@omk/oracle";
import type { IntakeDecision } from "@omk/state";
import { scopeFromPaths } from "@omk/wire";
import type { GoalIntake, GoalRun, IntakeBlocked } from "../context.js";
import { perTestEvidenceBlocks, gateDescriptors } from "@omk/proof";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { budgetMeter, sessionCap } from "../internal/session-budget.js";
import type { ControllerProblem } from "../types.js";
import { end, type Failure, next, type Step } from "./step.js";
import { sessionFailure } from "@omk/sessions";
import { knownSecretsIn } from "@omk/sessions";
import { runSession } from "@omk/sessions";

/** The engine's decision for this text: recorded in the goal's log, or (a dry run) the one given. */
function decisionFor(ctx: GoalRun, text: string, given?: IntakeDecision): IntakeDecision | undefined {
  const decided = given ?? ctx.goal.intake;
  return decided?.text === text ? decided : undefined;
}

/** The port the intake asks through: one read-only engine session; `cut` learns when the session was stopped (Ctrl-C, pause, budget). */
function askIntakeFor(ctx: GoalRun, runDir: string, record: boolean, cut: { short: boolean }): AskIntake {
  return async (prompt) => {
    const meter = record ? budgetMeter(ctx, "intake") : undefined;
    const signal = meter?.signal ?? ctx.signal;
    const outcome = await runSession({
      provider: ctx.engine,
      purpose: { kind: "intake" },
      cwd: ctx.repo,
      runDir,
      prompt,
      scope: scopeFromPaths({ write: [] }),
      env: ctx.env,
      secrets: ctx.secrets,
      ...(signal === undefined ? {} : { signal }),
      ...(meter === undefined ? {} : { onUsage: meter.onUsage }),
    });
    if (meter !== undefined) {
      await meter.settle(outcome.spend);
      await ctx.recordSessionSpend("intake", outcome.spend, sessionCap({ kind: "intake" }));
      if (meter.stopped) {
        cut.short = true;
        throw new Error(`the intake session was stopped: ${meter.reason}`);
      }
    }
    if (!outcome.ok && signal?.aborted === true) cut.short = true;
    if (!outcome.ok) throw sessionFailure(outcome.problem);
    return { text: outcome.text, final: outcome.final };
  };
}

/** What settling the intake came to: go on (with the decision, when there is one), the session was cut short, or a failure to record. */
export type Settled = { readonly decision?: IntakeDecision } | { readonly cutShort: true } | { readonly failure: Failure };

/**
 * When the keyword reading is unsure and the engine offers an intake
 * session, ask it once and record what was decided and why (intake_decided).
 * The deterministic reading stays the fallback: an engine that fails or
 * answers garbage leaves it standing (recorded too). A session cut short
 * (Ctrl-C, pause, budget) records nothing: the caller lets the driver's stop
 * check end the run. A dry run (`record: false`) records nothing and gets the
 * decision back, for readIntake.
 */
export async function settleIntake(ctx: GoalRun, options: { readonly record: boolean } = { record: true }): Promise<Settled> {
  const text = goalTextWithAnswers(ctx);
  if (decisionFor(ctx, text) !== undefined || !ctx.engine.offers({ kind: "intake" })) return {};
  const inspection = inspectRepository(ctx.repo);
  const reading = intake({ text, constraints: ctx.goal.constraints, inspection });
  const runDir = options.record ? path.join(ctx.goalDir, "intake", "session") : mkdtempSync(path.join(os.tmpdir(), "omk-dry-intake-"));
  const cut = { short: false };
  let decision: IntakeDecision | undefined;
  try {
    decision = await askEngineIntake(reading, inspection, askIntakeFor(ctx, runDir, options.record, cut));
  } finally {
    if (!options.record) rmSync(runDir, { recursive: true, force: true });
  }
  if (decision === undefined) return {};
  // An intake decision holding a secret the run knows is never recorded (the log would carry it): the goal ends naming it.
  const leaked = knownSecretsIn(ctx.env, ctx.secrets, decision);
  if (leaked.length > 0 && !options.record) {
    ctx.emit({ type: "note", level: "warn", message: `intake: the engine's answer holds the secret ${leaked.join(", ")}; it is not used` });
    return {};
  }
  if (leaked.length > 0) {
    return {
      failure: {
        status: "not_ready",
        cause: {
          code: "scope_violation",
          message: `the engine's intake answer holds the secret ${leaked.join(", ")} of the run's environment or engine configuration; it was not recorded: rotate the secret and run the goal again`,
          details: { secrets: leaked, where: "intake" },
        },
      },
    };
  }
  if (decision.engine.outcome === "failed" && cut.short) return { cutShort: true };
  ctx.emit({ type: "note", level: decision.decidedBy === "engine" ? "info" : "warn", message: `intake: ${decision.reason}` });
  if (!options.record) return { decision };
  const recorded = await ctx.append([{ type: "intake_decided", actor: ctx.actor, data: decision }]);
  if (!recorded.ok) throw new Error(`recording the intake decision: ${recorded.error.message}`);
  return {};
}

/** The goal text with the answers given since (amendments). */
function goalTextWithAnswers(ctx: GoalRun): string {
  const answers = ctx.goal.amendments.flatMap((a) => (a.answer === undefined ? [] : [a.answer]));
  return answers.length === 0 ? ctx.goal.text : `${ctx.goal.text}\n\n${answers.join("\n")}`;
}

/** Inspection, intake, gates and the oracle build: the caller keeps it in `ctx.intake` (once per run). `decision`: a dry run's unrecorded one. */
export function readIntake(ctx: GoalRun, decision?: IntakeDecision): GoalIntake | IntakeBlocked {
  // A broken gates config stops the run here, with its position and fix (never a silent fall back to no gates).
  const described = gateDescriptors(ctx.repo, ctx.options.gatesConfig);
  const broken = described.ok ? undefined : configBroken(described.error);
  if (broken !== undefined) return broken;
  const inspection = inspectRepository(ctx.repo);
  const text = goalTextWithAnswers(ctx);
  const decided = decisionFor(ctx, text, decision);
  const byEngine = decided?.decidedBy === "engine" && decided.status === "classified" ? { engine: { classes: decided.classes, reason: decided.reason } } : {};
  const classified = intake({ text, constraints: ctx.goal.constraints, inspection, ...byEngine });
  let result: GoalIntake | IntakeBlocked;
  if (decided?.decidedBy === "engine" && decided.status === "blocked_on_human") {
    const question = decided.engine.question ?? "What should this goal achieve, and how will we know it is done?";
    const others = classified.status === "blocked_on_human" ? classified.questions : [];
    result = { blocked: true, questions: [...new Set([question, ...others])], message: `the goal is ambiguous: ${decided.reason}` };
  } else if (classified.status === "blocked_on_human") {
    result = { blocked: true, questions: classified.questions, message: `the goal is ambiguous: ${classified.reasons.map((r) => r.message).join("; ")}` };
  } else {
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
  return result;
}

/** The run's intake reading (ctx.intake); the driver reads it before a resumed planning or oracle phase. */
export function intakeOf(ctx: GoalRun): GoalIntake | IntakeBlocked {
  if (ctx.intake === null) throw new Error("the goal was not read: the intake phase (or the driver, on a resume) sets ctx.intake first");
  return ctx.intake;
}

/** A formed oracle whose test criteria can never get per-test cases is blocked now, with the config line that fixes it (no round is spent on it). */
function withPerTestEvidence(oracle: OracleBuild, root: string, gatesConfig: string | undefined): OracleBuild {
  if (oracle.status !== "formed") return oracle;
  const blocks = perTestEvidenceBlocks(root, oracle.oracle.criteria, gatesConfig);
  if (blocks.length === 0) return oracle;
  return { status: "blocked", reasons: blocks.map((b) => ({ class: null, ...b })), questions: [...new Set(blocks.map((b) => b.question))] };
}

/** blocked_on_human with the questions that unblock the goal (or the cause, when it is not a question). */
export function blockedOnHuman(blocked: IntakeBlocked): Failure {
  return {
    status: "blocked_on_human",
    cause: blocked.cause ?? { code: "needs_answer", message: blocked.message, details: { questions: [...blocked.questions] } },
  };
}

/**
 * A gates config that does not parse or fails its schema: blocked on the
 * person who owns it (config_invalid, with the file, line:col, schema path
 * and fix). `omk` refuses such a config before a goal starts (exit 2); this
 * is the controller's own guard (the API, or a config broken since).
 */
function configBroken(problem: ControllerProblem): IntakeBlocked | undefined {
  if (problem.code !== "gates_config") return undefined;
  const details = { fix: problem.fix, ...(problem.details ?? {}) };
  return {
    blocked: true,
    questions: [],
    message: `the gates config is broken: ${problem.message}`,
    cause: { code: "config_invalid", message: `the gates config is broken: ${problem.message}`, details },
  };
}

export async function intakePhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "intake");
  const settled = await settleIntake(ctx);
  if ("failure" in settled) return end(settled.failure);
  if ("cutShort" in settled) {
    return end({
      status: "failed_infra",
      cause: { code: "infra_error", message: "the intake session was cut short" },
      stoppable: true,
      detail: "the intake session was cut short",
    });
  }
  ctx.intake = readIntake(ctx);
  const result = ctx.intake;
  if ("blocked" in result) {
    finishPhase(ctx, "intake", "failed", result.message);
    return end(blockedOnHuman(result));
  }
  finishPhase(ctx, "intake", "passed", `${result.intake.goalClass} goal`);
  return next("planning");
}
