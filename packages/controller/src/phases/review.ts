/**
 * Review: the reviewer and security passes (engine sessions) and the
 * deterministic checks no engine can waive, on the integrated diff; each
 * record becomes review_recorded; the oracle's review criteria are judged
 * from the records (oracle_evaluated again, with the reviews).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type EvidenceSet, sha256Hex } from "@omk/oracle";
import { type Criterion, writeFileAtomicSync } from "@omk/state";
import type { RunContext } from "../context.js";
import { diffOf } from "../internal/run-checkout.js";
import { evaluateRound, runReview } from "../internal/run-deps.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { causeOf, type FailingItem, type RoundVerdict } from "../internal/run-verdict.js";
import { endWithFailure } from "../outcome.js";
import { BLOCKING_SEVERITIES, type ReviewFinding, type RunGoalResult } from "../types.js";
import { REVIEW_ROLES } from "./execution.js";
import { frozenOracle } from "./oracle.js";
import { oracleEvaluatedEvent, type Verified } from "./verification.js";

const isBlocking = (f: ReviewFinding) => (BLOCKING_SEVERITIES as readonly string[]).includes(f.severity);
const DETERMINISTIC: ReadonlySet<string> = new Set(["tamper", "dependency", "secret", "scope"]);

export type Reviewed = { readonly verdict: RoundVerdict; readonly followUps: readonly unknown[] };

function planRationale(ctx: RunContext): string[] {
  try {
    return readFileSync(path.join(ctx.goalDir, "plan", "decisions.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
  } catch {
    return [];
  }
}

export async function reviewPhase(ctx: RunContext, verified: Verified): Promise<{ end: RunGoalResult } | { reviewed: Reviewed }> {
  await enterPhase(ctx, "review");
  const frozen = await frozenOracle(ctx);
  const head = verified.headCommit;
  const { diff, files } = await diffOf(ctx.repo, ctx.baseCommit, head);
  const events = await ctx.store.readEvents(ctx.goalId);
  const scopeViolations = events.flatMap((e) => (e.type === "scope_violation_recorded" ? [{ taskId: e.data.taskId, path: e.data.path, kind: e.data.kind }] : []));
  const reviewCriteria = frozen.oracle.criteria.filter((c): c is Extract<Criterion, { kind: "review" }> => c.kind === "review");
  const tasks = ctx.goal.taskGraph?.tasks ?? [];
  const outcome = await runReview({
    goalId: ctx.goalId,
    goalText: ctx.goal.text,
    round: ctx.round,
    goalDir: ctx.goalDir,
    repo: ctx.repo,
    baseCommit: ctx.baseCommit,
    headCommit: head,
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
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    onEvent: ctx.emit,
  });
  if (!outcome.ok) {
    finishPhase(ctx, "review", "failed", outcome.error.message);
    return { end: await endWithFailure(ctx, "failed_infra", { code: "infra_error", message: `review: ${outcome.error.message} (fix: ${outcome.error.fix})` }) };
  }
  const review = outcome.value;
  await ctx.recordSpend("review", review.spend);
  const sourceOf = (f: ReviewFinding) => (DETERMINISTIC.has(f.source) ? "deterministic" : f.source);
  await ctx.append(
    review.records.map((r) => {
      const mine = review.findings.filter((f) => sourceOf(f) === r.pass);
      return {
        type: "review_recorded" as const,
        actor: ctx.actor,
        data: { round: ctx.round, pass: r.pass, verdict: r.verdict, findings: mine.length, blocking: mine.filter(isBlocking).length, record: { path: r.file, sha256: r.sha256 } },
      };
    }),
  );
  const failing: FailingItem[] = [];
  for (const f of review.findings.filter(isBlocking)) {
    const key = `${f.source === "tamper" ? "tamper" : f.source === "scope" ? "scope" : f.source}:${f.file ?? ""}:${f.message.slice(0, 120)}`;
    failing.push({ kind: "finding", key, detail: `${f.source} ${f.severity}: ${f.message}${f.file === undefined ? "" : ` (${f.file}${f.line === undefined ? "" : `:${f.line}`})`}` });
  }
  // The review criteria, judged from the records.
  const failedCriteria = [...verified.verdict.failedCriteria];
  const evidence = [...verified.verdict.evidence, ...review.records.map((r) => r.file)];
  if (verified.headSet !== null) {
    const withReviews: EvidenceSet = { ...verified.headSet, reviews: [...review.reviewResults] };
    const rel = `evidence/r${ctx.round}-head-reviewed.json`;
    const text = `${JSON.stringify(withReviews, null, 2)}\n`;
    writeFileAtomicSync(path.join(ctx.goalDir, rel), text);
    const evaluated = evaluateRound(frozen, verified.baseSet, withReviews, { baseCommit: ctx.baseCommit, headCommit: head });
    if (evaluated.ok) {
      await ctx.append([oracleEvaluatedEvent(ctx, evaluated.value, [{ path: rel, sha256: sha256Hex(text) }])]);
      for (const c of evaluated.value.criteria) {
        if (c.verdict === "passed") continue;
        if (!failedCriteria.includes(c.id)) failedCriteria.push(c.id);
        if (c.kind === "review") failing.push({ kind: "finding", key: `review-criterion:${c.id}`, detail: `review criterion ${c.id} ${c.verdict}: ${c.reason}` });
      }
      evidence.push(rel);
    }
  }
  const ready = failing.length === 0 && review.verdict === "passed";
  if (ready) await markReviewTasks(ctx, review.records.map((r) => r.file));
  const verdict: RoundVerdict = { ...verified.verdict, ready, cause: ready ? null : causeOf(failing), failing, evidence, failedCriteria };
  finishPhase(ctx, "review", ready ? "passed" : "failed", ready ? `${review.records.length} records` : `${failing.length} blocking`);
  return { reviewed: { verdict, followUps: review.followUps } };
}

/** The graph's reviewer tasks are performed by this phase: once it passes, they are recorded done with the review records as evidence. */
async function markReviewTasks(ctx: RunContext, records: readonly string[]): Promise<void> {
  const open = (ctx.goal.taskGraph?.tasks ?? []).filter((t) => REVIEW_ROLES.has(t.role) && (t.status === "pending" || t.status === "ready"));
  if (open.length === 0) return;
  const now = new Date().toISOString();
  const worker = "review-phase";
  const zero = { tokens: 0, usd: 0, usdUnknown: false };
  const marked = await ctx.append(
    open.flatMap((t) => [
      { type: "task_dispatched" as const, actor: ctx.actor, data: { taskId: t.id, attempt: 1, worker, lease: { worker, acquiredAt: now, expiresAt: now }, reservation: t.budget } },
      { type: "task_succeeded" as const, actor: ctx.actor, data: { taskId: t.id, attempt: 1, worker, durationMs: 0, usage: zero, evidence: [...records] } },
    ]),
  );
  if (!marked.ok) ctx.emit({ type: "note", level: "warn", message: `could not mark the reviewer tasks done: ${marked.error.message}` });
}
