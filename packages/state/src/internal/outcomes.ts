import { promises as fsp } from "node:fs";
import { budgetReport } from "../budget.js";
import { buildFailure } from "../outcome.js";
import type { GoalPaths } from "../paths.js";
import type { Result } from "../result.js";
import type { NewEvent } from "../schemas/event.js";
import type { BudgetDimension } from "../schemas/budget.js";
import type { Goal } from "../schemas/goal.js";
import { type FailureCause, FailureSchema, type Proof, ProofSchema } from "../schemas/outcome.js";
import { isTerminalStatus } from "../schemas/status.js";
import { sha256, writeFileAtomic } from "./fs.js";
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
export async function recordOutcomeInLock(
  tx: Locked,
  goal: Goal,
  options: { cause?: FailureCause; evidence?: string[]; proof?: Proof },
): Promise<Goal> {
  if (!isTerminalStatus(goal.status)) return goal;
  let file: "proof.json" | "failure.json";
  let body: string;
  if (goal.status === "ready") {
    const proof = ProofSchema.parse({ ...options.proof, goalId: goal.id, lastSeq: goal.lastSeq, ...(goal.chainHead === undefined ? {} : { logHead: goal.chainHead }) });
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
  return recorded.value;
}
