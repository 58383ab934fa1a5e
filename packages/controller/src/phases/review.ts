/**
 * Review: the reviewer and security passes (engine sessions) and the
 * deterministic checks no engine can waive, on the integrated diff; each
 * record becomes review_recorded; the oracle's review criteria are judged
 * from the records (oracle_evaluated again, with the reviews).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import type { EvidenceSet } from "@omk/oracle";
import { budgetReport, type Criterion } from "@omk/state";
import type { GoalRun } from "../context.js";
import { evaluateRound, isSetupProblem, setupFailedCause } from "@omk/proof";
import { engineAnswerInvalid } from "../internal/answer-invalid.js";
import { diffOf } from "@omk/worktree";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { frozenOracle, oracleEvaluatedEvent, scopeViolationsByRound } from "../internal/run-records.js";
import { REVIEW_ROLES } from "@omk/proof";
import { causeOf, type FailingItem, type RoundVerdict, writeVerdict } from "../internal/run-verdict.js";
import { isBlocking, readKeptReviews } from "@omk/review";
import { budgetMeter, sessionCap } from "../internal/session-budget.js";
import type { ControllerProblem, ReviewFinding } from "../types.js";
import { end, next, type Step } from "./step.js";
import { isEngineSetupProblem } from "@omk/sessions";
import { engineSetupCause } from "../internal/engine-setup-cause.js";
import { ZERO_SPEND } from "@omk/sessions";
import { REVIEW_ANSWER_ATTEMPTS, runReview } from "@omk/review";

function planRationale(ctx: GoalRun): string[] {
  try {
    return readFileSync(path.join(ctx.goalDir, "plan", "decisions.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
  } catch {
    return [];
  }
}

/** Whether the goal may spend on another review pass: a problem when it is not running or its budget is exhausted (the store then stops it). */
async function budgetLeft(ctx: GoalRun): Promise<ControllerProblem | null> {
  await ctx.refresh();
  if (ctx.goal.status === "running" && budgetReport(ctx.goal, new Date()).exhausted.length > 0) await ctx.store.enforceBudget(ctx.goalId, ctx.actor);
  await ctx.refresh();
  if (ctx.goal.status === "running") return null;
  return {
    code: "review_stopped",
    message: `the review stopped before its next pass: the goal is ${ctx.goal.status}${ctx.goal.statusReason === null ? "" : ` (${ctx.goal.statusReason})`}`,
    fix: "resume the goal (after omk goal budget-add when the budget ran out)",
  };
}

/** The review of `ctx.verified` (a ready head); its verdict goes to rounds/r<n>.json and `ctx.verdict`, its proposals to `ctx.followUps`. */
export async function reviewPhase(ctx: GoalRun): Promise<Step> {
  const verified = ctx.verified;
  if (verified === null) throw new Error(`round ${ctx.round}: review without the round's verification`);
  await enterPhase(ctx, "review");
  const frozen = await frozenOracle(ctx);
  const head = verified.headCommit;
  const { diff, files } = await diffOf(ctx.repo, ctx.baseCommit, head);
  const events = await ctx.store.readEvents(ctx.goalId);
  const scopeViolations = scopeViolationsByRound(events, ctx.baseCommit)
    .filter((v) => v.round === ctx.round)
    .map((v) => ({ taskId: v.taskId, path: v.path, kind: v.kind, atWrite: v.atWrite, message: v.message }));
  const reviewCriteria = frozen.oracle.criteria.filter((c): c is Extract<Criterion, { kind: "review" }> => c.kind === "review");
  const tasks = ctx.goal.taskGraph?.tasks ?? [];
  // A resumed review keeps the passes this round already recorded for this head (they are not run, nor charged, again).
  const reuse = readKeptReviews({ goalDir: ctx.goalDir, events, round: ctx.round, baseCommit: ctx.baseCommit, headCommit: head });
  if (reuse.size > 0)
    ctx.emit({ type: "note", level: "info", message: `review: keeping the recorded ${[...reuse.keys()].join(", ")} pass(es) of round ${ctx.round}` });
  const meter = budgetMeter(ctx, "review");
  const outcome = await runReview({
    goalId: ctx.goalId,
    goalText: ctx.goal.text,
    round: ctx.round,
    goalDir: ctx.goalDir,
    repo: ctx.repo,
    baseCommit: ctx.baseCommit,
    headCommit: head,
    deps: ctx.deps,
    diff,
    changedFiles: files,
    tasks,
    gates: verified.gates,
    evaluation: verified.evaluation,
    scopeViolations,
    dependencyRationale: [...planRationale(ctx), ...tasks.map((t) => `${t.title}\n${t.description}`)],
    reviewCriteria,
    provider: ctx.engine,
    env: ctx.env,
    secrets: ctx.secrets,
    signal: meter.signal,
    onUsage: (_purpose, increment) => meter.onUsage(increment),
    onSessionSpend: (session, spend, purpose) => ctx.recordSessionSpend(session, spend, purpose.kind === "review" ? sessionCap(purpose) : undefined),
    onEvent: ctx.emit,
    reuse,
    beforePass: () => budgetLeft(ctx),
    onRecord: async (ref, findings) => {
      const recorded = await ctx.append([
        {
          type: "review_recorded",
          actor: ctx.actor,
          data: {
            round: ctx.round,
            pass: ref.pass,
            verdict: ref.verdict,
            findings: findings.length,
            blocking: findings.filter((f) => isBlocking(f.severity)).length,
            record: { path: ref.file, sha256: ref.sha256 },
          },
        },
      ]);
      if (!recorded.ok) throw new Error(`recording the ${ref.pass} review: ${recorded.error.message}`);
    },
  });
  // What the sessions used is recorded as it arrived, also when the review stopped.
  await meter.settle(outcome.ok ? outcome.value.spend : ZERO_SPEND);
  if (!outcome.ok) {
    const detail = outcome.error.message;
    // The project's dependencies would not install: an environment problem for the user, not a finding (no follow-up round).
    if (isSetupProblem(outcome.error))
      return end({
        status: "blocked_on_external",
        cause: setupFailedCause("review", outcome.error, (s) => ctx.redactor.redact(s)),
        evidence: ["setup.jsonl"],
        stoppable: true,
        detail,
      });
    return end({
      status: "failed_infra",
      cause: { code: "infra_error", message: `review: ${outcome.error.message} (fix: ${outcome.error.fix})` },
      stoppable: true,
      detail,
    });
  }
  const review = outcome.value;
  const setup = review.problems.find((p) => isEngineSetupProblem(p.code));
  if (setup !== undefined) {
    // A login, a key, a model only the user can fix: nothing was judged, so no follow-up round; the goal waits for the user.
    finishPhase(ctx, "review", "failed", setup.message);
    return end({ status: "blocked_on_external", cause: engineSetupCause(ctx, "review", setup), evidence: review.records.map((r) => r.file), stoppable: true });
  }
  const invalid = review.problems.find((p) => p.code === "engine_answer_invalid");
  if (invalid !== undefined) {
    // The model could not be read, so the change was not judged: that is no finding to fix in code (no follow-up round), but a model to change.
    finishPhase(ctx, "review", "failed", invalid.message);
    const cause = { ...engineAnswerInvalid(ctx, "review", REVIEW_ANSWER_ATTEMPTS, [invalid.message]), message: ctx.redactor.redact(invalid.message) };
    return end({ status: "blocked_on_external", cause, evidence: review.records.map((r) => r.file), stoppable: true });
  }
  const failing: FailingItem[] = [];
  for (const f of review.findings.filter((f) => isBlocking(f.severity))) {
    // Reviewers may quote secrets: keys and details are redacted before they go anywhere.
    const said = ctx.redactor.redact(f.message);
    const key = `${f.source === "tamper" ? "tamper" : f.source === "scope" ? "scope" : f.source}:${f.file ?? ""}:${said.slice(0, 120)}`;
    failing.push({
      kind: "finding",
      key,
      detail: `${f.source} ${f.severity}: ${said}${f.file === undefined ? "" : ` (${f.file}${f.line === undefined ? "" : `:${f.line}`})`}`,
    });
  }
  // The review criteria, judged from the records.
  const failedCriteria = [...verified.verdict.failedCriteria];
  const evidence = [...verified.verdict.evidence, ...review.records.map((r) => r.file)];
  if (verified.headSet !== null) {
    const withReviews: EvidenceSet = { ...verified.headSet, reviews: [...review.reviewResults] };
    const rel = `evidence/r${ctx.round}-head-reviewed.json`;
    const text = ctx.files.writeJson(path.join(ctx.goalDir, rel), withReviews, { atomic: true });
    const evaluated = evaluateRound(frozen, verified.baseSet, withReviews, { baseCommit: ctx.baseCommit, headCommit: head });
    if (evaluated.ok) {
      await ctx.append([oracleEvaluatedEvent(ctx, evaluated.value, [{ path: rel, sha256: sha256(text) }])]);
      for (const c of evaluated.value.criteria) {
        if (c.verdict === "passed") continue;
        if (!failedCriteria.includes(c.id)) failedCriteria.push(c.id);
        if (c.kind === "review")
          failing.push({ kind: "finding", key: `review-criterion:${c.id}`, detail: `review criterion ${c.id} ${c.verdict}: ${c.reason}` });
      }
      evidence.push(rel);
    }
  }
  const ready = failing.length === 0 && review.verdict === "passed";
  if (ready)
    await markReviewTasks(
      ctx,
      review.records.map((r) => r.file),
    );
  const verdict: RoundVerdict = { ...verified.verdict, ready, cause: ready ? null : causeOf(failing), failing, evidence, failedCriteria };
  finishPhase(ctx, "review", ready ? "passed" : "failed", ready ? `${review.records.length} records` : `${failing.length} blocking`);
  writeVerdict(ctx.files, ctx.goalDir, verdict);
  ctx.verdict = verdict;
  ctx.followUps = review.followUps;
  return next(ready ? "integration" : "round-end");
}

/** The graph's reviewer tasks are performed by this phase: once it passes, they are recorded done with the review records as evidence. */
async function markReviewTasks(ctx: GoalRun, records: readonly string[]): Promise<void> {
  const open = (ctx.goal.taskGraph?.tasks ?? []).filter((t) => REVIEW_ROLES.has(t.role) && (t.status === "pending" || t.status === "ready"));
  if (open.length === 0) return;
  const now = new Date().toISOString();
  const worker = "review-phase";
  const zero = { tokens: 0, usd: 0, usdUnknown: false };
  const marked = await ctx.append(
    open.flatMap((t) => [
      {
        type: "task_dispatched" as const,
        actor: ctx.actor,
        data: { taskId: t.id, attempt: 1, worker, lease: { worker, acquiredAt: now, expiresAt: now }, reservation: t.budget },
      },
      { type: "task_succeeded" as const, actor: ctx.actor, data: { taskId: t.id, attempt: 1, worker, durationMs: 0, usage: zero, evidence: [...records] } },
    ]),
  );
  if (!marked.ok) ctx.emit({ type: "note", level: "warn", message: `could not mark the reviewer tasks done: ${marked.error.message}` });
}
