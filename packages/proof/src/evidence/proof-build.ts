/**
 * proof.json's body, assembled from the log and the evidence: the store
 * writes it when the goal ends ready (internal/run-end.ts endReady).
 */
import { budgetReport, type GateEvidence, type Goal, type GoalEvent, type Proof, ProofSchema, SCHEMA_VERSION, type SessionSpend } from "@omk/state";
import { ok, type Result, err } from "@omk/core";
import { taskBranch } from "@omk/worktree";
import { REVIEW_ROLES } from "../internal/roles.js";
import { integratedTasks } from "../internal/superseded.js";
import type { ProofProblem, RunConfinement } from "../types.js";
import { gatePasses } from "./proof-claims.js";

export type ProofInput = {
  readonly oracleHash: string;
  readonly headCommit: string;
  readonly gates: readonly GateEvidence[];
  readonly criteria: readonly { id: string; verdict: "passed" | "failed" | "not_run" | "vacuous"; evidence: readonly string[] }[];
  readonly reviews: readonly { kind: string; verdict: "passed" | "blocked"; record: string; sha256?: string }[];
  readonly knownGaps: readonly string[];
};

/** The goal the proof is of, as plain data (the controller reads it fresh from the log just before). */
export type ProofRun = {
  readonly goalId: string;
  readonly baseCommit: string;
  /** The goal as it stands now (its task graph, usage, confinement so far, lastSeq). */
  readonly goal: Goal;
  /** The goal's event log: captures, successes, usage and session spend per task. */
  readonly events: readonly GoalEvent[];
  /** This run's confinement (absent: unconfined). */
  readonly confinement?: RunConfinement;
  /** Where proof.json goes: named in its recheck commands. */
  readonly proofFile: string;
};

/**
 * proof.json's body: every claim names evidence that can be re-checked. A
 * proof is refused (a problem) unless every criterion passed: ready is never
 * claimed with a criterion failed, vacuous or not run, nor with a required
 * gate that did not pass (skipped included).
 */
export function buildProof(ctx: ProofRun, input: ProofInput): Result<Proof, ProofProblem> {
  const open = input.criteria.filter((c) => c.verdict !== "passed");
  const gates = input.gates.filter((g) => g.required && !gatePasses(g.outcome));
  if (gates.length > 0) {
    return err({
      code: "proof_refused",
      message: `no proof: required gates not passed: ${gates.map((g) => `${g.name} (${g.outcome})`).join(", ")}`,
      fix: "resume the goal: another round fixes and verifies the head again",
    });
  }
  if (open.length > 0 || input.criteria.length === 0) {
    return err({
      code: "proof_refused",
      message: `no proof: ${open.length === 0 ? "the oracle has no criterion" : `criteria not passed: ${open.map((c) => `${c.id} (${c.verdict})`).join(", ")}`}`,
      fix: "resume the goal: another round verifies and reviews the head again",
    });
  }
  const events = ctx.events;
  const integrated = integratedTasks(events);
  const graph = ctx.goal.taskGraph?.tasks ?? [];
  const captured = new Map<string, Extract<GoalEvent, { type: "attempt_captured" }>["data"]>();
  const succeeded = new Map<string, number>();
  const usage = new Map<string, { input: number; cacheRead: number; cacheWrite: number; output: number; usd: number | null }>();
  const sessions: SessionSpend[] = [];
  for (const event of events) {
    if (event.type === "session_spend_recorded") sessions.push(event.data);
    if (event.type === "attempt_captured") captured.set(`${event.data.taskId}#${event.data.attempt}`, event.data);
    if (event.type === "task_succeeded") succeeded.set(event.data.taskId, event.data.attempt);
    if (event.type === "usage_recorded" && event.data.taskId !== undefined) {
      const u = usage.get(event.data.taskId) ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, usd: 0 };
      const t = event.data.tokens;
      usage.set(event.data.taskId, {
        input: u.input + t.input,
        cacheRead: u.cacheRead + t.cacheRead,
        cacheWrite: u.cacheWrite + t.cacheWrite,
        output: u.output + t.output,
        usd: u.usd === null || event.data.usd === undefined ? null : u.usd + event.data.usd,
      });
    }
  }
  const tasks: Proof["tasks"] = [];
  for (const task of graph) {
    // Only work that is in the head: a superseded task (its integration conflicted) is a known gap, not a task of the proof.
    if (REVIEW_ROLES.has(task.role) || task.status !== "done" || !integrated.has(task.id)) continue;
    const attempt = succeeded.get(task.id);
    const capture = attempt === undefined ? undefined : captured.get(`${task.id}#${attempt}`);
    if (capture === undefined) continue;
    const u = usage.get(task.id) ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, usd: 0 };
    tasks.push({
      id: task.id,
      branch: capture.branch || taskBranch(ctx.goalId, task.id),
      commit: capture.commit,
      changedFiles: [...capture.changedFiles],
      usage: { input: u.input, cacheRead: u.cacheRead, cacheWrite: u.cacheWrite, output: u.output },
      usd: u.usd,
    });
  }
  const gaps = [...input.knownGaps];
  if (ctx.goal.usage.usdUnknownRecords > 0) gaps.push(`the cost of ${ctx.goal.usage.usdUnknownRecords} usage record(s) is unknown: spend.usd is a lower bound`);
  // The goal is still running: its time includes the open running interval, up to the proof's createdAt.
  const createdAt = new Date();
  // Each session's spend says how far it can be trusted; the total is the weakest (no session at all: nothing was spent, exactly).
  const weak = sessions.filter((s) => s.quality !== "exact");
  if (weak.length > 0) {
    const named = weak.slice(0, 5).map((s) => `${s.session} (${s.quality})`);
    gaps.push(
      `the usage of ${weak.length} engine session(s) is not exact: ${named.join(", ")}${weak.length > 5 ? ", ..." : ""}; spend.tokens is a lower bound`,
    );
  }
  const spend = { ...ctx.goal.usage, timeMs: budgetReport(ctx.goal, createdAt).used.timeMs, quality: ctx.goal.usage.quality ?? "exact" };
  return ok(
    ProofSchema.parse({
      schemaVersion: SCHEMA_VERSION,
      kind: "omk.proof",
      goalId: ctx.goalId,
      status: "ready",
      oracleHash: input.oracleHash,
      baseCommit: ctx.baseCommit,
      headCommit: input.headCommit,
      tasks,
      gates: [...input.gates],
      criteria: input.criteria.map((c) => ({ id: c.id, verdict: c.verdict, evidence: [...c.evidence] })),
      reviews: [...input.reviews],
      knownGaps: gaps,
      spend,
      sessions,
      // The least confined run of the goal: this one (no confinement given: unconfined) or one recorded before.
      confinement: ctx.goal.confinement === "unconfined" || (ctx.confinement?.mode ?? "unconfined") === "unconfined" ? "unconfined" : "bwrap",
      recheck: [`omk proof verify ${ctx.proofFile}`, `omk goal verify ${ctx.goalId}`],
      lastSeq: ctx.goal.lastSeq,
      createdAt: createdAt.toISOString(),
    } satisfies Proof),
  );
}
