import { type EventData, type Goal, SCHEMA_VERSION, type Task, type TaskStatus } from "@omk/state";
import PQueue from "p-queue";
import { BudgetLedger, budgetBaseFromGoal, type Spend } from "../budget.js";
import { SchedulerAbortError } from "../errors.js";
import { dependentsOf, dispatchOrder } from "../graph.js";
import { decideFailure, LEASE_EXPIRED_SIGNATURE, LOST_SIGNATURE, selectDispatch, type TaskState, tasksConflict, tasksToBlock } from "../policy.js";
import { type Clock, type SchedulerEvent, type SchedulerPorts, systemClock } from "../ports.js";
import { initialTaskState, type RecoveredRun } from "../recovery.js";
import type { ResolvedOptions, RunOutcome, RunReport } from "../schemas.js";
import { Attempt, type Settlement } from "./attempt.js";
import { EventChain } from "./event-chain.js";
import { checkFollowUps, ValidationsInFlight } from "./follow-ups.js";
import { GoalWatcher } from "./goal-watch.js";
import { failureOf, memoizePairs, messageOf, STOP_RANK, type StopKind, type StopRequest } from "./outcomes.js";
import { goalPoolSpent, runReport, statusCounts, tasksNow } from "./run-report.js";
import { AttemptSupervisor } from "./supervisor.js";
import { WorkerPool } from "./workers.js";

const TERMINAL: ReadonlySet<TaskStatus> = new Set(["done", "failed", "blocked", "cancelled"]);
/** Statuses that keep a task's dependents from ever running. */
const BLOCKING: ReadonlySet<TaskStatus> = new Set(["failed", "blocked", "cancelled"]);
const GOAL_READ_FAILURES_TOLERATED = 25;
const iso = (ms: number) => new Date(ms).toISOString();
const STOPPING = "the run is stopping";

/** One run of a task graph: the executor around the pure policy. */
export class GraphRun {
  private readonly states = new Map<string, TaskState>();
  private order: TaskState[] = [];
  private dependents = new Map<string, string[]>();
  private readonly live = new Map<string, Attempt>();
  private readonly stagnated = new Set<string>();
  private readonly refusedOnce = new Set<string>();
  /** tasksConflict, remembered per pair (tasks do not change during a run). */
  private readonly conflicts = memoizePairs(tasksConflict);
  private refusedNow: string[] = [];
  private readonly clock: Clock;
  private readonly events: EventChain;
  private workers = new WorkerPool(["worker-1"]);
  private queue = new PQueue({ concurrency: 1 });
  private ledger: BudgetLedger | undefined;
  private concurrency = 1;
  private watcher: GoalWatcher | undefined;
  private detachSignal: (() => void) | undefined;
  private paused = false;
  private stopRequest: StopRequest | undefined;
  private finishing = false;
  /** Follow-up validations in flight; a stop releases them at once (their late answers are ignored). */
  private readonly validations = new ValidationsInFlight();
  private dispatches = 0;
  private goalReadFailures = 0;
  private wake: { at: number; cancel: () => void } | undefined;
  private resolveReport: (report: RunReport) => void = () => {};
  private rejectReport: (error: unknown) => void = () => {};
  private readonly report = new Promise<RunReport>((resolve, reject) => {
    this.resolveReport = resolve;
    this.rejectReport = reject;
  });
  private readonly supervisor: AttemptSupervisor;

  constructor(
    private readonly tasks: readonly Task[],
    private readonly ports: SchedulerPorts,
    private readonly options: ResolvedOptions,
    private readonly recovered: RecoveredRun | undefined,
  ) {
    this.clock = ports.clock ?? systemClock;
    this.supervisor = new AttemptSupervisor({
      clock: this.clock,
      leaseMs: options.leaseMs,
      abortGraceMs: options.abortGraceMs,
      runTask: ports.runTask,
      emit: (type, data) => this.emit(type, data),
      ledger: () => this.ledger as BudgetLedger,
      quarantine: (worker) => this.workers.quarantine(worker),
      settle: (attempt, outcome) => this.settle(attempt, outcome),
      finishing: () => this.finishing,
    });
    const sink = ports.onEvents === undefined ? { one: ports.onEvent } : { batch: ports.onEvents };
    this.events = new EventChain(sink, (error) =>
      this.stop({ kind: "event_log_failed", outcome: "failed_infra", reason: `the goal's event log refused an event: ${messageOf(error)}` }),
    );
  }

  async run(): Promise<RunReport> {
    let goal: Goal | undefined;
    let readError: unknown;
    if (this.ports.readGoal !== undefined) {
      try {
        goal = await this.ports.readGoal();
      } catch (error) {
        readError = error ?? new Error("unknown error");
      }
    }
    const now = this.clock.now();
    this.concurrency = this.options.concurrency ?? goal?.budget.maxAgents ?? this.options.workers?.length ?? 4;
    this.workers = new WorkerPool(this.options.workers ?? Array.from({ length: this.concurrency }, (_, i) => `worker-${i + 1}`));
    this.queue = new PQueue({ concurrency: this.concurrency });
    const limits = this.options.budget ?? { timeMs: null, tokens: null, usd: null };
    const base =
      goal === undefined
        ? { limits, usedBefore: { tokens: 0, usd: 0 }, deadline: limits.timeMs === null ? null : now + limits.timeMs }
        : budgetBaseFromGoal(goal, now);
    this.ledger = new BudgetLedger(base, this.options.verificationReserve);
    for (const task of this.tasks) this.states.set(task.id, initialTaskState(task, this.recovered?.history[task.id]));
    this.reindex();
    this.emit("task_run_started", {
      tasks: this.tasks.length,
      concurrency: this.concurrency,
      workers: this.workers.ids,
      recovered: this.recovered !== undefined,
    });
    if (readError !== undefined) {
      this.finish("failed_infra", `the goal could not be read: ${messageOf(readError)}`);
      return this.report;
    }
    this.recoverLost();
    for (const state of [...this.states.values()]) if (BLOCKING.has(state.status)) this.blockDependents(state.task.id);
    if (this.ports.readGoal !== undefined) {
      this.watcher = new GoalWatcher(
        this.ports.readGoal,
        this.clock,
        this.options.pollMs,
        (g) => this.observe(g),
        (error) => this.onGoalReadError(error),
      );
      this.watcher.start();
    }
    const signal = this.options.signal;
    if (signal !== undefined) {
      const onAbort = () => this.stop({ kind: "shutdown", outcome: "interrupted", reason: `the run was stopped: ${messageOf(signal.reason)}` });
      signal.addEventListener("abort", onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener("abort", onAbort);
      if (signal.aborted) onAbort();
    }
    if (goal !== undefined) this.observe(goal);
    else this.pump();
    return this.report;
  }

  // ---------------------------------------------------------------- state

  private reindex(): void {
    const tasks = [...this.states.values()].map((s) => s.task);
    this.order = dispatchOrder(tasks).map((t) => this.states.get(t.id) as TaskState);
    this.dependents = dependentsOf(tasks);
  }

  private tasksNow(): Task[] {
    return tasksNow(this.states, this.live);
  }

  /**
   * Tasks that were running when the log ends run once more, however often
   * they were lost before: the controller stopped (a kill, a crash, a
   * reboot), which is not the task's failure, and only a person's resume
   * restarts a controller, so a loss cannot loop unattended.
   */
  private recoverLost(): void {
    for (const state of this.states.values()) {
      if (state.status !== "running") continue;
      const worker = this.recovered?.history[state.task.id]?.worker ?? "unknown";
      state.signatures.push(LOST_SIGNATURE);
      this.emit("task_recovered", { taskId: state.task.id, attempt: Math.max(1, state.attempts), worker, decision: "retry" });
      state.status = "pending";
    }
  }

  private blockDependents(taskId: string): void {
    for (const { taskId: id, blockedBy } of tasksToBlock(taskId, this.states, this.dependents)) {
      const state = this.states.get(id) as TaskState;
      state.status = "blocked";
      this.emit("task_blocked", { taskId: id, blockedBy });
    }
  }

  // ---------------------------------------------------------------- dispatch

  /** Start whatever may start now; finish the run when nothing more can happen. */
  private pump(): void {
    if (this.finishing) return;
    if (this.stopRequest === undefined && !this.paused) {
      if (this.workers.aliveCount() === 0) {
        this.stop({ kind: "no_live_workers", outcome: "failed_infra", reason: `no live worker left: ${this.workers.dead().join(", ")} were written off` });
        return;
      }
      const now = this.clock.now();
      const ledger = this.ledger as BudgetLedger;
      const plan = selectDispatch({
        order: this.order,
        isDone: (id) => this.states.get(id)?.status === "done",
        running: [...this.live.values()].map((a) => a.state.task),
        slots: Math.max(0, Math.min(this.concurrency - this.live.size, this.workers.freeCount())),
        now,
        room: ledger.room(),
        conflicts: this.conflicts,
      });
      for (const state of plan.dispatch) this.dispatch(state, now);
      this.refusedNow = plan.refused.map((r) => r.state.task.id);
      for (const { state, fit } of plan.refused) {
        if (this.refusedOnce.has(state.task.id)) continue;
        this.refusedOnce.add(state.task.id);
        this.emit("task_budget_refused", { taskId: state.task.id, dimension: fit.dimension, needed: fit.needed, available: fit.available });
      }
      this.setWake(plan.wakeAt);
    }
    this.maybeFinish();
  }

  private dispatch(state: TaskState, now: number): void {
    const worker = this.workers.take();
    if (worker === undefined) throw new Error("scheduler bug: dispatch without a free worker");
    state.status = "running";
    state.attempts += 1;
    state.retryAt = 0;
    const lease = { worker: worker.id, acquiredAt: iso(now), expiresAt: iso(now + this.options.leaseMs) };
    const attempt = new Attempt(state, state.attempts, worker, lease);
    this.live.set(state.task.id, attempt);
    (this.ledger as BudgetLedger).reserve(attempt.key, state.task.budget);
    this.dispatches += 1;
    const written = this.emit("task_dispatched", { ...attempt.ref, lease, reservation: state.task.budget });
    this.queue.add(() => this.supervisor.execute(attempt, written)).catch((error: unknown) => this.crash(error));
  }

  // ---------------------------------------------------------------- outcomes of attempts

  private settle(attempt: Attempt, outcome: Settlement): void {
    if (!attempt.close()) return;
    this.live.delete(attempt.taskId);
    if (attempt.worker.alive) this.workers.release(attempt.worker);
    const spend = (this.ledger as BudgetLedger).release(attempt.key);
    const kind = attempt.abortKind;
    const stopKind = kind !== undefined && kind in STOP_RANK ? (kind as StopKind) : undefined;
    if (outcome.kind === "result" && outcome.result.ok && (kind === undefined || stopKind !== undefined)) {
      this.succeed(attempt, outcome.result, spend);
    } else if (kind === "budget_exceeded" && this.goalPoolSpent(attempt.breach)) {
      // Over its cap because the goal has nothing left (its cap was what the goal had): the goal's budget ran out, not the task.
      // The task goes back to pending and the run ends needs_more_budget, so a budget-add and a resume run it again.
      const b = attempt.breach as NonNullable<typeof attempt.breach>;
      this.interrupt(attempt, "goal_stopped");
      this.stop({
        kind: "goal_stopped",
        outcome: "needs_more_budget",
        reason: `the goal's ${b.dimension} budget ran out during task ${attempt.taskId} (${b.used} used of its ${b.limit} cap)`,
      });
    } else if (kind === "budget_exceeded") {
      const b = attempt.breach;
      this.fail(
        attempt,
        { signature: `budget_exceeded:${b?.dimension ?? "unknown"}`, message: `over its ${b?.dimension} cap: ${b?.used} > ${b?.limit}`, retryable: false },
        spend,
      );
    } else if (kind === "lease_expired") {
      this.fail(
        attempt,
        { signature: LEASE_EXPIRED_SIGNATURE, message: `no heartbeat from ${attempt.worker.id} within ${this.options.leaseMs} ms`, retryable: true },
        spend,
      );
    } else if (stopKind !== undefined) {
      this.interrupt(attempt, this.stopRequest?.kind ?? stopKind);
    } else {
      this.fail(attempt, failureOf(outcome), spend);
    }
    this.pump();
  }

  /**
   * Whether this run's pool (what the goal had for tasks) is spent in the
   * breached dimension: whether another attempt with the same cap would no
   * longer fit in what is left (for time, end before the goal's deadline,
   * less the reserve).
   */
  private goalPoolSpent(breach: Attempt["breach"]): boolean {
    return goalPoolSpent(this.ledger as BudgetLedger, breach, () => this.clock.now());
  }

  private succeed(attempt: Attempt, result: { evidence: string[]; followUps: unknown[] }, spend: Spend): void {
    attempt.state.status = "done";
    const durationMs = Math.max(0, Math.round(this.clock.now() - attempt.startedAt));
    this.emit("task_succeeded", { ...attempt.ref, durationMs, usage: spend, evidence: result.evidence });
    if (result.followUps.length > 0) this.proposeFollowUps(attempt.state.task, result.followUps);
  }

  private fail(attempt: Attempt, failure: { signature: string; message: string; retryable: boolean }, spend: Spend): void {
    const state = attempt.state;
    const decided = decideFailure(state, failure, this.options.retry, this.clock.now());
    state.signatures.push(failure.signature);
    this.emit("task_failed", {
      ...attempt.ref,
      signature: failure.signature,
      message: failure.message.slice(0, 2000),
      retryable: failure.retryable,
      decision: decided.decision,
      ...(decided.decision === "retry" ? { retryAt: iso(decided.retryAt) } : {}),
      usage: spend,
    });
    if (decided.decision === "retry") {
      state.status = "pending";
      state.retries += 1;
      state.retryAt = decided.retryAt;
      return;
    }
    state.status = "failed";
    if (decided.decision === "stagnated") this.stagnated.add(state.task.id);
    this.blockDependents(state.task.id);
  }

  private interrupt(attempt: Attempt, kind: StopKind): void {
    if (kind === "cancelled") {
      attempt.state.status = "cancelled";
      this.emit("task_cancelled", { taskId: attempt.taskId, attempt: attempt.number, reason: this.stopRequest?.reason ?? "the goal was cancelled" });
    } else {
      attempt.state.status = "pending";
      this.emit("task_interrupted", { ...attempt.ref, reason: kind });
    }
  }

  /**
   * Follow-ups join the graph only through the planner's validation, as a
   * task_graph_mutated event. A validation does not hold up a stop: when the
   * run begins to stop, a pending one is rejected at once (releaseValidations)
   * and its answer, whenever it comes, is ignored.
   */
  private proposeFollowUps(proposer: Task, proposals: unknown[]): void {
    if (this.stopRequest !== undefined || this.finishing) {
      this.emit("task_followups_rejected", { proposedBy: proposer.id, count: proposals.length, reason: STOPPING });
      return;
    }
    const pending = this.validations.start(proposer.id, proposals.length);
    const graph = { schemaVersion: SCHEMA_VERSION, tasks: this.tasksNow() } as const;
    checkFollowUps(this.ports.validateFollowUps, graph, proposer, proposals, pending.controller.signal)
      .then((checked) => {
        if (!this.validations.isOpen(pending)) return; // released by a stop: a late answer changes nothing
        const stopping = this.stopRequest !== undefined || this.finishing;
        if (!checked.ok || stopping) {
          this.emit("task_followups_rejected", { proposedBy: proposer.id, count: proposals.length, reason: checked.ok ? STOPPING : checked.reason });
          return;
        }
        this.emit("task_graph_mutated", { proposedBy: proposer.id, reason: `follow-ups proposed by task ${proposer.id}`, added: checked.added });
        for (const task of checked.added) this.states.set(task.id, initialTaskState(task, undefined));
        this.reindex();
      })
      .finally(() => {
        if (this.validations.close(pending)) this.pump();
      })
      .catch((error: unknown) => this.crash(error));
  }

  // ---------------------------------------------------------------- goal, stop, finish

  private observe(goal: Goal): void {
    this.goalReadFailures = 0;
    if (this.finishing) return;
    (this.ledger as BudgetLedger).rebase(budgetBaseFromGoal(goal, this.clock.now()));
    if (goal.status === "running") {
      this.paused = false;
      this.pump();
    } else if (goal.status === "paused") {
      this.pause();
    } else if (goal.status === "cancelled") {
      this.stop({ kind: "cancelled", outcome: "cancelled", reason: goal.statusReason ?? "the goal was cancelled" });
    } else {
      this.stop({
        kind: "goal_stopped",
        outcome: "stopped",
        reason: `the goal is ${goal.status}${goal.statusReason === null ? "" : `: ${goal.statusReason}`}`,
      });
    }
  }

  private onGoalReadError(error: unknown): void {
    this.goalReadFailures += 1;
    if (this.goalReadFailures < GOAL_READ_FAILURES_TOLERATED) return;
    this.stop({
      kind: "goal_stopped",
      outcome: "failed_infra",
      reason: `the goal could not be read ${this.goalReadFailures} times in a row: ${messageOf(error)}`,
    });
  }

  private pause(): void {
    if (this.options.onPause === "return") {
      this.stop({ kind: "paused", outcome: "paused", reason: "the goal was paused" });
      return;
    }
    if (this.paused || this.stopRequest !== undefined) return;
    this.paused = true;
    this.setWake(null);
    for (const attempt of this.live.values()) this.supervisor.abort(attempt, "paused", "the goal was paused");
  }

  private stop(request: StopRequest): void {
    if (this.finishing) return;
    if (this.stopRequest !== undefined && STOP_RANK[this.stopRequest.kind] >= STOP_RANK[request.kind]) return;
    this.stopRequest = request;
    this.setWake(null);
    for (const attempt of this.live.values()) this.supervisor.abort(attempt, request.kind, request.reason);
    // Pending follow-up validations are rejected now and no longer keep the run open.
    for (const pending of this.validations.releaseAll(new SchedulerAbortError(request.kind, request.reason))) {
      this.emit("task_followups_rejected", { proposedBy: pending.proposedBy, count: pending.count, reason: STOPPING });
    }
    this.maybeFinish();
  }

  private setWake(at: number | null): void {
    if (this.wake !== undefined && this.wake.at === at) return;
    this.wake?.cancel();
    this.wake = undefined;
    if (at === null) return;
    const cancel = this.clock.setTimer(at - this.clock.now(), () => {
      this.wake = undefined;
      this.pump();
    });
    this.wake = { at, cancel };
  }

  private maybeFinish(): void {
    if (this.finishing || this.live.size > 0 || this.validations.size > 0) return;
    if (this.stopRequest !== undefined) {
      this.finish(this.stopRequest.outcome, this.stopRequest.reason);
      return;
    }
    if (this.paused) return;
    const open = [...this.states.values()].filter((s) => !TERMINAL.has(s.status));
    if (open.length === 0) this.finish("completed", "every task reached a terminal status");
    else if (this.wake !== undefined) return;
    else if (this.refusedNow.length > 0) this.finish("needs_more_budget", `the caps of ${this.refusedNow.join(", ")} do not fit in the remaining budget`);
    else this.finish("failed_infra", `no task can start: ${open.map((s) => s.task.id).join(", ")}`);
  }

  private finish(outcome: RunOutcome, reason: string): void {
    if (this.finishing) return;
    if (outcome === "cancelled") {
      for (const state of this.states.values()) {
        if (state.status !== "pending") continue;
        state.status = "cancelled";
        this.emit("task_cancelled", { taskId: state.task.id, attempt: null, reason });
      }
    }
    this.emit("task_run_finished", { outcome, reason, counts: statusCounts(this.states) });
    this.teardown();
    this.events.drain().then(() => this.resolveReport(this.buildReport(outcome, reason)), this.rejectReport);
  }

  private buildReport(outcome: RunOutcome, reason: string): RunReport {
    return runReport(outcome, reason, {
      states: this.states,
      live: this.live,
      stagnated: this.stagnated,
      deadWorkers: this.workers.dead(),
      spent: (this.ledger as BudgetLedger).spent(),
      dispatches: this.dispatches,
    });
  }

  /** Stop watching the goal, the clock and the caller's signal; nothing new starts after this. */
  private teardown(): void {
    this.finishing = true;
    this.setWake(null);
    this.watcher?.stop();
    this.detachSignal?.();
  }

  /** A bug in the scheduler: stop everything and reject the run. */
  private crash(error: unknown): void {
    if (this.finishing) return;
    this.teardown();
    for (const attempt of this.live.values()) attempt.controller.abort(new SchedulerAbortError("shutdown", "the scheduler failed"));
    this.validations.releaseAll(new SchedulerAbortError("shutdown", "the scheduler failed"));
    this.rejectReport(error);
  }

  private emit<T extends SchedulerEvent["type"]>(type: T, data: EventData<T>): Promise<boolean> {
    return this.events.emit({ type, actor: this.options.actor, data } as SchedulerEvent);
  }
}
