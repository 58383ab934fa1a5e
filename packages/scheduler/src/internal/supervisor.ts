import { type EventData, totalTokens } from "@omk/state";
import type { Breach, BudgetLedger } from "../budget.js";
import { SchedulerAbortError } from "../errors.js";
import type { Clock, SchedulerEvent, TaskContext, TaskRunner } from "../ports.js";
import { TaskResultSchema, UsageReportSchema } from "../schemas.js";
import type { Attempt, Settlement } from "./attempt.js";
import type { WorkerSlot } from "./workers.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** What the supervisor needs from the run it works for. */
export type SupervisorHost = {
  readonly clock: Clock;
  readonly leaseMs: number;
  readonly abortGraceMs: number;
  readonly runTask: TaskRunner;
  emit<T extends SchedulerEvent["type"]>(type: T, data: EventData<T>): Promise<boolean>;
  ledger(): BudgetLedger;
  quarantine(worker: WorkerSlot): void;
  /** The scheduler is done with the attempt: record its outcome and free its slot. */
  settle(attempt: Attempt, outcome: Settlement): void;
  finishing(): boolean;
};

/**
 * Watches over running attempts: calls the runner, keeps its lease (renewed
 * by heartbeats and usage reports), reconciles usage with its reservation,
 * aborts it on a breach, and writes off its worker when the lease expires or
 * an abort is ignored. Decisions about the task are the run's (settle).
 */
export class AttemptSupervisor {
  constructor(private readonly host: SupervisorHost) {}

  /** The p-queue job of one attempt: ends when the scheduler is done with it, even if the runner never answers. */
  async execute(attempt: Attempt, written: Promise<boolean>): Promise<void> {
    const accepted = await written;
    if (attempt.settled) return;
    if (!accepted || attempt.controller.signal.aborted) {
      this.host.settle(attempt, { kind: "not_started" });
      return;
    }
    attempt.started = true;
    attempt.startedAt = this.host.clock.now();
    attempt.expiresAt = attempt.startedAt + this.host.leaseMs;
    this.armLease(attempt);
    const cap = attempt.state.task.budget.timeMs;
    attempt.setTimer(
      "time",
      this.host.clock.setTimer(cap, () => this.onBreach(attempt, { dimension: "time", limit: cap, used: this.host.clock.now() - attempt.startedAt })),
    );
    const running = this.callRunner(attempt);
    const first = await Promise.race([running, attempt.released.then(() => undefined)]);
    if (first !== undefined) {
      this.host.settle(attempt, first);
      return;
    }
    void running.then((late) => {
      if (this.host.finishing()) return;
      this.host.emit("task_late_result_ignored", { ...attempt.ref, result: late.kind === "result" && late.result.ok ? "succeeded" : "failed" });
    });
  }

  private callRunner(attempt: Attempt): Promise<Settlement> {
    const context: TaskContext = {
      signal: attempt.controller.signal,
      attempt: attempt.number,
      worker: attempt.worker.id,
      lease: attempt.lease,
      reservation: attempt.state.task.budget,
      heartbeat: () => this.heartbeat(attempt),
      reportUsage: (usage) => this.onUsage(attempt, usage),
    };
    try {
      return Promise.resolve(this.host.runTask(attempt.state.task, context)).then(
        (value): Settlement => {
          const parsed = TaskResultSchema.safeParse(value);
          if (parsed.success) return { kind: "result", result: parsed.data };
          return { kind: "invalid", message: `the runner returned an invalid result: ${parsed.error.issues[0]?.message ?? "unknown"}` };
        },
        (error: unknown): Settlement => ({ kind: "threw", error }),
      );
    } catch (error) {
      return Promise.resolve({ kind: "threw", error });
    }
  }

  private heartbeat(attempt: Attempt): boolean {
    if (attempt.settled || this.host.finishing()) return false;
    attempt.expiresAt = this.host.clock.now() + this.host.leaseMs;
    return true;
  }

  private armLease(attempt: Attempt): void {
    const delay = Math.max(0, attempt.expiresAt - this.host.clock.now());
    attempt.setTimer(
      "lease",
      this.host.clock.setTimer(delay, () => {
        if (attempt.settled) return;
        if (this.host.clock.now() < attempt.expiresAt) this.armLease(attempt);
        else this.expire(attempt);
      }),
    );
  }

  /** No heartbeat in time: the worker is written off, the attempt abandoned, and the task retried on another worker. */
  private expire(attempt: Attempt): void {
    if (attempt.abortKind !== undefined) return;
    attempt.abortKind = "lease_expired";
    attempt.controller.abort(new SchedulerAbortError("lease_expired", `the lease of ${attempt.worker.id} on task ${attempt.taskId} expired`));
    this.writeOff(attempt, "lease_expired");
  }

  private writeOff(attempt: Attempt, reason: "lease_expired" | "abort_ignored"): void {
    this.host.quarantine(attempt.worker);
    const at = reason === "lease_expired" ? attempt.expiresAt : this.host.clock.now();
    this.host.emit("task_worker_dead", { ...attempt.ref, reason, expiredAt: iso(at) });
    this.host.settle(attempt, { kind: "abandoned" });
  }

  private onUsage(attempt: Attempt, usage: unknown): void {
    const report = UsageReportSchema.parse(usage);
    if (this.host.finishing()) return;
    this.heartbeat(attempt);
    this.host.emit("usage_recorded", {
      source: attempt.worker.id,
      taskId: attempt.taskId,
      tokens: report.tokens,
      ...(report.usd === undefined ? {} : { usd: report.usd }),
    });
    const breach = this.host.ledger().report(attempt.key, { tokens: totalTokens(report.tokens), usd: report.usd });
    if (breach !== undefined) this.onBreach(attempt, breach);
  }

  /** Over a cap: abort the attempt at once. */
  private onBreach(attempt: Attempt, breach: Breach): void {
    if (attempt.settled || attempt.abortKind !== undefined) return;
    attempt.breach = breach;
    this.host.emit("task_budget_breached", { taskId: attempt.taskId, attempt: attempt.number, ...breach });
    this.abort(attempt, "budget_exceeded", `task ${attempt.taskId} went over its ${breach.dimension} cap (${breach.used} > ${breach.limit})`);
  }

  /** Abort an attempt (the first reason stands); a runner that does not stop within the grace period is written off. */
  abort(attempt: Attempt, kind: NonNullable<Attempt["abortKind"]>, message: string): void {
    if (attempt.settled || attempt.abortKind !== undefined) return;
    attempt.abortKind = kind;
    attempt.controller.abort(new SchedulerAbortError(kind, message));
    if (!attempt.started) return; // execute() settles it once its dispatch is written
    attempt.setTimer(
      "grace",
      this.host.clock.setTimer(this.host.abortGraceMs, () => {
        if (!attempt.settled) this.writeOff(attempt, "abort_ignored");
      }),
    );
  }
}
