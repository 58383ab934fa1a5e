/**
 * Proof: proof.json from what the log recorded for this round (gates,
 * evaluation, reviews), then ready. The evaluation must be the one with the
 * reviews (every criterion passed): when the review phase could not record it
 * (its re-evaluation failed, or a resume found no head evidence), it is
 * formed again from the head evidence and the round's review records, and
 * when that cannot be done the goal ends not_ready with the cause, never
 * ready with a criterion that did not pass.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256, err, ok, type Result } from "@omk/core";
import { EvidenceSetSchema, type EvidenceSet } from "@omk/oracle";
import type { Criterion, GoalEvent } from "@omk/state";
import { taskBranch } from "@omk/worktree";
import type { GoalRun } from "../context.js";
import { evaluateRound, buildProof, integratedTasks } from "@omk/proof";
import { endReady } from "../internal/run-end.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { frozenOracle, oracleEvaluatedEvent, recordedBaseline, scopeViolationsByRound } from "../internal/run-records.js";
import { REVIEW_ROLES } from "@omk/proof";
import { writeVerdict } from "../internal/run-verdict.js";
import { readKeptReviews, reviewResultsOf } from "@omk/review";
import { end, type Step } from "./step.js";

type Evaluated = Extract<GoalEvent, { type: "oracle_evaluated" }>["data"];

const notPassed = (data: Evaluated) => data.criteria.filter((c) => c.verdict !== "passed");

function readSet(file: string): EvidenceSet | null {
  try {
    return EvidenceSetSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return null;
  }
}

/** The round's evaluation with its reviews, formed again from the head evidence and the review records; the reason when it cannot be. */
async function reevaluate(ctx: GoalRun, head: string, events: readonly GoalEvent[]): Promise<Result<Evaluated, string>> {
  const frozen = await frozenOracle(ctx);
  const headRel = `evidence/r${ctx.round}-head.json`;
  const headSet = readSet(path.join(ctx.goalDir, headRel));
  if (headSet === null || headSet.commit !== head)
    return err(`the head evidence ${headRel} of round ${ctx.round} is missing or not about ${head.slice(0, 12)}`);
  const recordedSha = events
    .flatMap((e) => (e.type === "oracle_evaluated" && e.data.round === ctx.round ? e.data.evidence : []))
    .findLast((f) => f.path === headRel)?.sha256;
  if (recordedSha !== undefined && recordedSha !== sha256(readFileSync(path.join(ctx.goalDir, headRel), "utf8"))) {
    return err(`the head evidence ${headRel} was changed after it was recorded`);
  }
  const baseSet = readSet(path.join(ctx.goalDir, `evidence/r${ctx.round}-base.json`)) ?? (await recordedBaseline(ctx));
  const criteria = frozen.oracle.criteria.filter((c): c is Extract<Criterion, { kind: "review" }> => c.kind === "review");
  const kept = readKeptReviews({ goalDir: ctx.goalDir, events, round: ctx.round, baseCommit: ctx.baseCommit, headCommit: head });
  const missing = [...new Set(["deterministic", ...criteria.map((c) => c.run.reviewer)])].filter((p) => !kept.has(p as never));
  if (missing.length > 0) return err(`round ${ctx.round} has no intact review record of ${missing.join(", ")} for ${head.slice(0, 12)}`);
  const refs = new Map([...kept].map(([pass, k]) => [pass, k.ref]));
  const withReviews: EvidenceSet = { ...headSet, reviews: reviewResultsOf(criteria, refs) };
  const rel = `evidence/r${ctx.round}-head-reviewed.json`;
  const text = ctx.files.writeJson(path.join(ctx.goalDir, rel), withReviews, { atomic: true });
  const evaluated = evaluateRound(frozen, baseSet, withReviews, { baseCommit: ctx.baseCommit, headCommit: head });
  if (!evaluated.ok) return err(`the oracle could not judge the head: ${evaluated.error.message}`);
  const event = oracleEvaluatedEvent(ctx, evaluated.value, [{ path: rel, sha256: sha256(text) }]);
  const recorded = await ctx.append([event]);
  if (!recorded.ok) return err(`recording the evaluation: ${recorded.error.message}`);
  return ok(event.data);
}

/** What proof.json reports beyond the criteria: earlier rounds' scope violations, superseded tasks, skipped gates, missing passes. */
function gapsOf(ctx: GoalRun, events: readonly GoalEvent[], reviews: readonly { kind: string }[], skipped: readonly string[]): string[] {
  const gaps: string[] = [];
  if (!reviews.some((r) => r.kind === "break-it")) gaps.push("no break-it pass ran (the engine does not offer one)");
  if (skipped.length > 0) gaps.push(`gates skipped: ${skipped.join(", ")}`);
  const tasks = (ctx.goal.taskGraph?.tasks ?? []).filter((t) => !REVIEW_ROLES.has(t.role));
  const failedTasks = tasks.filter((t) => t.status === "failed" || t.status === "blocked").map((t) => t.id);
  if (failedTasks.length > 0) gaps.push(`tasks not integrated (the oracle passed without them): ${failedTasks.join(", ")}`);
  const integrated = integratedTasks(events);
  for (const e of events) {
    if (e.type !== "integration_recorded" || e.data.outcome !== "conflict" || integrated.has(e.data.taskId)) continue;
    gaps.push(
      `round ${e.data.round}: task ${e.data.taskId} conflicted at integration in ${e.data.files.join(", ")} and was superseded (not integrated; its work stays on ${taskBranch(ctx.goalId, e.data.taskId)})`,
    );
  }
  for (const v of scopeViolationsByRound(events, ctx.baseCommit)) {
    if (v.round >= ctx.round) continue;
    gaps.push(
      v.kind === "secret_in_output"
        ? `round ${v.round}: ${v.message} (that attempt was never integrated)`
        : v.atWrite
          ? `round ${v.round}: task ${v.taskId} tried to write ${v.path} outside its write set (refused)`
          : `round ${v.round}: task ${v.taskId} changed ${v.path} outside its write set (${v.kind}; that attempt was kept aside and never integrated)`,
    );
  }
  return [...new Set(gaps)];
}

export async function proofPhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "proof");
  const head = ctx.goal.headCommit;
  const oracleHash = ctx.goal.oracle?.hash;
  const events = await ctx.store.readEvents(ctx.goalId);
  const verification = events.findLast((e) => e.type === "verification_recorded" && e.data.commit === head);
  if (head === undefined || oracleHash === undefined || verification?.type !== "verification_recorded") {
    finishPhase(ctx, "proof", "failed", "no verified head for this round");
    return end({
      status: "failed_infra",
      cause: { code: "infra_error", message: "the proof phase found no verification of the integrated head for this round" },
    });
  }
  const last = events.findLast((e) => e.type === "oracle_evaluated" && e.data.round === ctx.round && e.data.headCommit === head);
  let evaluation: Evaluated | undefined = last?.type === "oracle_evaluated" ? last.data : undefined;
  if (evaluation === undefined || !evaluation.ready || notPassed(evaluation).length > 0) {
    // Not the evaluation with the reviews (or none): never fall back to one where review criteria are not_run.
    const again = await reevaluate(ctx, head, events);
    const open = again.ok ? notPassed(again.value) : evaluation === undefined ? [] : notPassed(evaluation);
    if (!again.ok || !again.value.ready || open.length > 0) {
      const why = !again.ok ? again.error : "the oracle did not pass on the head";
      const list = open.map((c) => `${c.id} (${c.verdict})`).join(", ");
      const message = `no proof for ${head.slice(0, 12)}: ${why}${list === "" ? "" : `; criteria not passed: ${list}`}; resuming the goal runs another round that verifies and reviews the head again`;
      const failing = open.map((c) => ({
        kind: "criterion" as const,
        key: `criterion:${c.id}`,
        detail: ctx.redactor.redact(`criterion ${c.id} ${c.verdict}: ${c.reason}`),
      }));
      writeVerdict(ctx.files, ctx.goalDir, {
        round: ctx.round,
        headCommit: head,
        ready: false,
        cause: "oracle_failed",
        failing: failing.length > 0 ? failing : [{ kind: "criterion", key: "criterion:review-evidence", detail: message }],
        evidence: ["events.jsonl"],
        failedCriteria: open.map((c) => c.id),
      });
      finishPhase(ctx, "proof", "failed", message);
      return end({
        status: "not_ready",
        cause: {
          code: "oracle_failed",
          message,
          details: { round: ctx.round, headCommit: head, notPassed: open.map((c) => ({ id: c.id, verdict: c.verdict })) },
        },
        evidence: ["events.jsonl"],
      });
    }
    evaluation = again.value;
  }
  // One review per pass: the last record of each (a resumed review may have recorded a pass again).
  const byPass = new Map<string, { kind: string; verdict: "passed" | "blocked"; record: string; sha256: string }>();
  for (const e of events) {
    if (e.type === "review_recorded" && e.data.round === ctx.round)
      byPass.set(e.data.pass, { kind: e.data.pass, verdict: e.data.verdict, record: e.data.record.path, sha256: e.data.record.sha256 });
  }
  const reviews = [...byPass.values()];
  const skipped = verification.data.gates.filter((g) => g.outcome === "skipped").map((g) => g.name);
  await ctx.refresh();
  const proofRun = {
    goalId: ctx.goalId,
    baseCommit: ctx.baseCommit,
    goal: ctx.goal,
    events: await ctx.store.readEvents(ctx.goalId),
    ...(ctx.options.confinement === undefined ? {} : { confinement: ctx.options.confinement }),
    proofFile: ctx.store.paths(ctx.goalId).proof,
  };
  const proof = buildProof(proofRun, {
    oracleHash,
    headCommit: head,
    gates: verification.data.gates,
    criteria: evaluation.criteria,
    reviews,
    knownGaps: gapsOf(ctx, events, reviews, skipped),
  });
  if (!proof.ok) {
    finishPhase(ctx, "proof", "failed", proof.error.message);
    return end({ status: "not_ready", cause: { code: "oracle_failed", message: proof.error.message }, evidence: ["events.jsonl"] });
  }
  finishPhase(ctx, "proof", "passed", `${proof.value.criteria.length} criteria passed`);
  return end(await endReady(ctx, proof.value, `every criterion of oracle ${oracleHash.slice(0, 12)} passed on ${head.slice(0, 12)}`));
}
