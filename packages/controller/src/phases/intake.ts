/**
 * Intake: inspect the repository, classify the goal, and form its oracle.
 * Pure and repeatable, so a resumed run recomputes it (the plan and the
 * frozen oracle are what the log keeps). One step is not pure: when the
 * keyword classifier is unsure and the engine offers an `intake` session,
 * the engine is asked once (settleIntake) and its decision is recorded as
 * `intake_decided`; prepare() then reads the goal through that decision,
 * and a resumed run reuses it for the same text instead of asking again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AskIntake, askEngineIntake, buildCommandFor, type ClassifiedIntake, inspectRepository, intake, type RepoInspection, testCommandFor } from "@omk/planner";
import { buildOracle, type OracleBuild } from "@omk/oracle";
import type { FailureCause, GateDescriptor, IntakeDecision } from "@omk/state";
import { scopeFromPaths } from "@omk/wire";
import type { RunContext } from "../context.js";
import { perTestEvidenceBlocks } from "../evidence/oracle-evidence.js";
import { enterPhase, finishPhase, pausedIfStopped } from "../internal/run-phase.js";
import { gateDescriptors, runSession } from "../internal/run-deps.js";
import { sessionFailure } from "../internal/engine-setup.js";
import { knownSecretsIn } from "../internal/known-secrets.js";
import { budgetMeter, sessionCap } from "../internal/session-budget.js";
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
/** A dry run's intake decision: used like a recorded one, never written to the log. */
const unrecorded = new WeakMap<RunContext, IntakeDecision>();

/** The engine's decision for this text: recorded in the goal's log, or a dry run's. */
function decisionFor(ctx: RunContext, text: string): IntakeDecision | undefined {
  const decided = unrecorded.get(ctx) ?? ctx.goal.intake;
  return decided?.text === text ? decided : undefined;
}

/** The port the intake asks through: one read-only engine session. */
function askIntakeFor(ctx: RunContext, runDir: string, record: boolean): AskIntake {
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
      if (meter.stopped) throw new Error(`the intake session was stopped: ${meter.reason}`);
    }
    if (!outcome.ok) throw sessionFailure(outcome.problem);
    return { text: outcome.text, final: outcome.final };
  };
}

/**
 * When the keyword reading is unsure and the engine offers an intake
 * session, ask it once and record what was decided and why (intake_decided).
 * The deterministic reading stays the fallback: an engine that fails or
 * answers garbage leaves it standing (recorded too). Returns a result only
 * when the run was stopped meanwhile (Ctrl-C, pause).
 */
export async function settleIntake(ctx: RunContext, options: { readonly record: boolean } = { record: true }): Promise<RunGoalResult | null> {
  const text = goalTextWithAnswers(ctx);
  if (decisionFor(ctx, text) !== undefined || !ctx.engine.offers({ kind: "intake" })) return null;
  const inspection = inspectRepository(ctx.repo);
  const reading = intake({ text, constraints: ctx.goal.constraints, inspection });
  const runDir = options.record ? path.join(ctx.goalDir, "intake", "session") : mkdtempSync(path.join(os.tmpdir(), "omk-dry-intake-"));
  let decision: IntakeDecision | undefined;
  try {
    decision = await askEngineIntake(reading, inspection, askIntakeFor(ctx, runDir, options.record));
  } finally {
    if (!options.record) rmSync(runDir, { recursive: true, force: true });
  }
  if (decision === undefined) return null;
  // An intake decision holding a secret the run knows is never recorded (the log would carry it): the goal ends naming it.
  const leaked = knownSecretsIn(ctx.env, ctx.secrets, decision);
  if (leaked.length > 0 && !options.record) {
    ctx.emit({ type: "note", level: "warn", message: `intake: the engine's answer holds the secret ${leaked.join(", ")}; it is not used` });
    return null;
  }
  if (leaked.length > 0) {
    return endWithFailure(ctx, "not_ready", {
      code: "scope_violation",
      message: `the engine's intake answer holds the secret ${leaked.join(", ")} of the run's environment or engine configuration; it was not recorded: rotate the secret and run the goal again`,
      details: { secrets: leaked, where: "intake" },
    });
  }
  if (decision.engine.outcome === "failed") {
    const stop = await pausedIfStopped(ctx);
    if (stop !== null) return stop;
  }
  ctx.emit({ type: "note", level: decision.decidedBy === "engine" ? "info" : "warn", message: `intake: ${decision.reason}` });
  if (!options.record) {
    unrecorded.set(ctx, decision);
    return null;
  }
  const recorded = await ctx.append([{ type: "intake_decided", actor: ctx.actor, data: decision }]);
  if (!recorded.ok) throw new Error(`recording the intake decision: ${recorded.error.message}`);
  return null;
}

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
  const decided = decisionFor(ctx, text);
  const byEngine = decided?.decidedBy === "engine" && decided.status === "classified" ? { engine: { classes: decided.classes, reason: decided.reason } } : {};
  const classified = intake({ text, constraints: ctx.goal.constraints, inspection, ...byEngine });
  let result: Prepared | Blocked;
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
  const stopped = await settleIntake(ctx);
  if (stopped !== null) {
    finishPhase(ctx, "intake", "stopped", ctx.goal.status);
    return stopped;
  }
  const result = prepare(ctx);
  if ("blocked" in result) {
    finishPhase(ctx, "intake", "failed", result.message);
    return endBlocked(ctx, result);
  }
  finishPhase(ctx, "intake", "passed", `${result.intake.goalClass} goal`);
  return null;
}
