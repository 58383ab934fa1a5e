/** Proof: proof.json from what the log recorded for this round (gates, evaluation, reviews), then ready. */
import type { RunContext } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { buildProof, endReady, endWithFailure } from "../outcome.js";
import type { RunGoalResult } from "../types.js";

export async function proofPhase(ctx: RunContext): Promise<RunGoalResult> {
  await enterPhase(ctx, "proof");
  const head = ctx.goal.headCommit;
  const oracleHash = ctx.goal.oracle?.hash;
  const events = await ctx.store.readEvents(ctx.goalId);
  const verification = events.findLast((e) => e.type === "verification_recorded" && e.data.commit === head);
  const evaluation = events.findLast((e) => e.type === "oracle_evaluated" && e.data.round === ctx.round && e.data.headCommit === head);
  if (head === undefined || oracleHash === undefined || verification?.type !== "verification_recorded" || evaluation?.type !== "oracle_evaluated" || !evaluation.data.ready) {
    finishPhase(ctx, "proof", "failed", "no verified head for this round");
    return endWithFailure(ctx, "failed_infra", { code: "infra_error", message: "the proof phase found no verified, ready evaluation of the integrated head for this round" });
  }
  const reviews = events.flatMap((e) =>
    e.type === "review_recorded" && e.data.round === ctx.round ? [{ kind: e.data.pass, verdict: e.data.verdict, record: e.data.record.path, sha256: e.data.record.sha256 }] : [],
  );
  const knownGaps: string[] = [];
  if (!reviews.some((r) => r.kind === "break-it")) knownGaps.push("no break-it pass ran (the engine does not offer one)");
  const skipped = verification.data.gates.filter((g) => g.outcome === "skipped").map((g) => g.name);
  if (skipped.length > 0) knownGaps.push(`gates skipped: ${skipped.join(", ")}`);
  const failedTasks = (ctx.goal.taskGraph?.tasks ?? []).filter((t) => t.status === "failed" || t.status === "blocked").map((t) => t.id);
  if (failedTasks.length > 0) knownGaps.push(`tasks not integrated (the oracle passed without them): ${failedTasks.join(", ")}`);
  const proof = await buildProof(ctx, {
    oracleHash,
    headCommit: head,
    gates: verification.data.gates,
    criteria: evaluation.data.criteria,
    reviews,
    knownGaps,
  });
  finishPhase(ctx, "proof", "passed", `${proof.criteria.length} criteria passed`);
  return endReady(ctx, proof, `every criterion of oracle ${oracleHash.slice(0, 12)} passed on ${head.slice(0, 12)}`);
}
