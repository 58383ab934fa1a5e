import { promises as fsp } from "node:fs";
import { z } from "zod";
import { budgetReport } from "../budget.js";
import { buildFailure } from "../outcome.js";
import type { GoalPaths } from "../paths.js";
import { type Result, sha256 } from "@omk/core";
import type { NewEvent } from "../schemas/event.js";
import type { BudgetDimension } from "../schemas/budget.js";
import type { Goal } from "../schemas/goal.js";
import { type FailureCause, FailureCauseSchema, FailureSchema, type Proof, ProofSchema } from "../schemas/outcome.js";
import { GoalStatusSchema, isTerminalStatus } from "../schemas/status.js";
import { readFileOrUndefined, writeFileAtomic } from "./fs.js";
import { readLog } from "./log.js";

/** The store's write primitive and clock, handed over while the append mutex is held. */
export type Locked = {
  paths: GoalPaths;
  now: () => Date;
  commit: (goal: Goal, build: (goal: Goal | undefined) => NewEvent[]) => Promise<Result<Goal, { message: string }>>;
};

/** Move a running or paused goal whose budget is exhausted to needs_more_budget (with failure.json). */
export async function enforceBudgetInLock(tx: Locked, goal: Goal, actor: string): Promise<Goal> {
  if (goal.status !== "running" && goal.status !== "paused") return goal;
  const report = budgetReport(goal, tx.now());
  if (report.exhausted.length === 0) return goal;
  // The dimension that ran out first named, with its overrun (resumeAdvice extends it by at least twice that).
  const dimension = report.exhausted[0] as BudgetDimension;
  const limit = dimension === "time" ? report.limits.timeMs : report.limits[dimension];
  const overrun = Math.max(0, report.used[dimension === "time" ? "timeMs" : dimension] - (limit ?? 0));
  const cause: FailureCause = {
    code: "budget_exhausted",
    message: `budget exhausted: ${report.exhausted.join(", ")}`,
    details: { exhausted: report.exhausted, used: report.used, limits: report.limits, dimension, overrun },
  };
  const result = await tx.commit(goal, (g) => [{ type: "status_changed", actor, data: { from: (g as Goal).status, to: "needs_more_budget", cause } }]);
  if (!result.ok) throw new Error(`budget enforcement: ${result.error.message}`);
  return recordOutcomeInLock(tx, result.value, { cause });
}

/** Write proof.json (ready) or failure.json (other terminal statuses), then record its digest as an event. */
export async function recordOutcomeInLock(tx: Locked, goal: Goal, options: { cause?: FailureCause; evidence?: string[]; proof?: Proof }): Promise<Goal> {
  if (!isTerminalStatus(goal.status)) return goal;
  let file: "proof.json" | "failure.json";
  let body: string;
  if (goal.status === "ready") {
    const proof = ProofSchema.parse({
      ...options.proof,
      goalId: goal.id,
      lastSeq: goal.lastSeq,
      ...(goal.chainHead === undefined ? {} : { logHead: goal.chainHead }),
    });
    file = "proof.json";
    body = `${JSON.stringify(proof, null, 2)}\n`;
    await writeFileAtomic(tx.paths.proof, body);
    await fsp.rm(tx.paths.failure, { force: true });
  } else {
    const cause = options.cause ?? goal.statusCause ?? { code: "infra_error" as const, message: goal.statusReason ?? goal.status };
    const log = await readLog(tx.paths.events);
    const sessions = log.events.flatMap((e) => (e.type === "session_spend_recorded" ? [e.data] : []));
    const failure = FailureSchema.parse(buildFailure(goal, cause, options.evidence ?? [], tx.now(), sessions));
    file = "failure.json";
    body = `${JSON.stringify(failure, null, 2)}\n`;
    await writeFileAtomic(tx.paths.failure, body);
  }
  const recorded = await tx.commit(goal, () => [{ type: "outcome_recorded", actor: "system", data: { file, sha256: sha256(body) } }]);
  if (!recorded.ok) throw new Error(`recording ${file}: ${recorded.error.message}`);
  await fsp.rm(tx.paths.outcomePending, { force: true });
  return recorded.value;
}

/**
 * outcome.pending.json: what a terminal transition will record, written
 * (durably) before its status_changed event, so a crash between that event
 * and outcome_recorded loses nothing: the proof record exists nowhere else.
 * `seq` is the seq the status_changed event gets.
 */
const PendingOutcomeSchema = z.object({
  kind: z.literal("omk.outcome-pending"),
  status: GoalStatusSchema,
  seq: z.number().int().positive(),
  proof: ProofSchema.optional(),
  cause: FailureCauseSchema.optional(),
  evidence: z.array(z.string()).optional(),
});
export type PendingOutcome = z.infer<typeof PendingOutcomeSchema>;

export async function writePendingOutcome(paths: GoalPaths, pending: Omit<PendingOutcome, "kind">): Promise<void> {
  await writeFileAtomic(paths.outcomePending, `${JSON.stringify({ kind: "omk.outcome-pending", ...pending })}\n`);
}

/** The pending outcome; undefined when there is none or it is damaged (a damaged one cannot be trusted). */
async function readPendingOutcome(paths: GoalPaths): Promise<PendingOutcome | undefined> {
  const text = await readFileOrUndefined(paths.outcomePending);
  if (text === undefined) return undefined;
  try {
    return PendingOutcomeSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The reason recorded when a ready goal lost its proof record and runs again to rebuild it. */
const PROOF_LOST_REASON = "ready without its proof.json (the controller stopped before writing it): running again to rebuild the proof";

/**
 * Finish what a crash interrupted, on the next open of the goal (the append
 * mutex held):
 *  - a terminal goal without its outcome file gets it: the proof or cause
 *    and evidence come from outcome.pending.json when it belongs to the
 *    goal's last status_changed; a failure falls back to the event's cause;
 *  - a ready goal with no proof record to write is never left ready: it runs
 *    again (ready -> running, a new run) so resume rebuilds the proof;
 *  - a pending outcome whose status_changed never made it into the log is
 *    dropped (the controller decides again on resume).
 */
export async function repairOutcomeInLock(tx: Locked, goal: Goal): Promise<Goal> {
  const pending = await readPendingOutcome(tx.paths);
  if (!isTerminalStatus(goal.status) || goal.outcome !== null) {
    if (pending !== undefined || (await readFileOrUndefined(tx.paths.outcomePending)) !== undefined) await fsp.rm(tx.paths.outcomePending, { force: true });
    return goal;
  }
  let matches = false;
  if (pending !== undefined && pending.status === goal.status) {
    const events = (await readLog(tx.paths.events)).events;
    matches = events.findLast((e) => e.type === "status_changed")?.seq === pending.seq;
  }
  if (goal.status === "ready") {
    if (matches && pending?.proof !== undefined)
      return recordOutcomeInLock(tx, goal, { proof: pending.proof, ...(pending.evidence === undefined ? {} : { evidence: pending.evidence }) });
    const again = await tx.commit(goal, () => [
      { type: "status_changed", actor: "system", data: { from: "ready", to: "running", reason: PROOF_LOST_REASON, newRun: true } },
    ]);
    if (!again.ok) throw new Error(`reopening a ready goal without its proof: ${again.error.message}`);
    await fsp.rm(tx.paths.outcomePending, { force: true });
    return again.value;
  }
  const from = matches && pending !== undefined ? pending : undefined;
  return recordOutcomeInLock(tx, goal, {
    ...(from?.cause === undefined ? {} : { cause: from.cause }),
    ...(from?.evidence === undefined ? {} : { evidence: from.evidence }),
  });
}
