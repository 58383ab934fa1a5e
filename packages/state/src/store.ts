/**
 * GoalStore, the one class callers use to create, read and change goals
 * (docs/decisions/state-store.md). Its methods check their input and take
 * the goal's append mutex; what a write does under it (the log key, the
 * writer's view of a goal, stamping and appending events, goal.json) is in
 * internal/writer.ts, setting aside a forged log tail in
 * internal/quarantine.ts, the types of its options and reports in
 * ./store-types.ts.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { err, ok, type Result } from "@omk/core";
import { GoalNotFoundError } from "./errors.js";
import { idProblem, newGoalId, parseId } from "./ids.js";
import { clearDeadLeases, deadLeaseFiles } from "./internal/dead-leases.js";
import { diffGoals, foldEvents, foldGoal, readSnapshot } from "./internal/fold.js";
import { exists, isErrno, removeStaleTemps } from "./internal/fs.js";
import { logKeyFile } from "./internal/log-key.js";
import { readLog } from "./internal/log.js";
import { withLeaseMutex } from "./internal/mutex.js";
import { writePendingOutcome } from "./internal/outcomes.js";
import { quarantineForgedTail } from "./internal/quarantine.js";
import { GoalWriter, type Loaded } from "./internal/writer.js";
import { type GoalPaths, goalPaths, resolveStateRoot, type StateRootSource } from "./paths.js";
import { normalizeGoalText } from "./reduce.js";
import type { BudgetExtension, TokenUsage } from "./schemas/budget.js";
import type { GoalEvent, NewEvent } from "./schemas/event.js";
import { type Goal, type GoalSpec, GoalSpecSchema } from "./schemas/goal.js";
import { type GoalStatus, isTerminalStatus, type Phase } from "./schemas/status.js";
import type { TaskGraph } from "./schemas/task.js";
import type { CreateGoalInput, InputError, QuarantineReport, ReplayReport, StoreError, StoreOptions, TransitionOptions } from "./store-types.js";
import { TAIL_BYTES, tailEventsOf } from "./tail.js";

/**
 * The event-sourced goal store. `events.jsonl` is the source of truth;
 * `goal.json` is a snapshot folded from it. Writers serialize on a per-goal
 * append mutex; readers never lock and ignore a torn last line.
 */
export class GoalStore {
  readonly root: string;
  readonly rootSource: StateRootSource | "option";
  private readonly now: () => Date;
  private readonly mutexWaitMs: number;
  /** Everything a write does under the append mutex (internal/writer.ts). */
  private readonly writer: GoalWriter;

  constructor(options: StoreOptions = {}) {
    if (options.root !== undefined) {
      this.root = path.resolve(options.root);
      this.rootSource = "option";
    } else {
      const resolved = resolveStateRoot(options.env ?? process.env);
      this.root = resolved.root;
      this.rootSource = resolved.source;
    }
    this.now = options.now ?? (() => new Date());
    this.mutexWaitMs = options.mutexWaitMs ?? 15_000;
    this.writer = new GoalWriter(this.root, this.now);
  }

  paths(goalId: string): GoalPaths {
    return goalPaths(this.root, goalId);
  }

  // ---------------------------------------------------------------- create

  async createGoal(input: CreateGoalInput): Promise<Result<Goal, InputError>> {
    const normalizedText = normalizeGoalText(input.text);
    if (normalizedText === "") {
      return err({ code: "invalid_input", message: "the goal text is empty", fix: 'describe the goal, e.g. omk goal create "Add a --json flag to report"' });
    }
    await fsp.mkdir(path.join(this.root, "goals"), { recursive: true });
    let id = "";
    for (let attempt = 0; ; attempt++) {
      id = newGoalId(this.now().getTime());
      try {
        await fsp.mkdir(this.paths(id).dir);
        break;
      } catch (error) {
        if (!isErrno(error, "EEXIST") || attempt > 5) throw error;
      }
    }
    const spec = GoalSpecSchema.safeParse({
      id,
      text: input.text,
      normalizedText,
      repoRoot: path.resolve(input.repoRoot),
      baseCommit: input.baseCommit ?? null,
      constraints: input.constraints ?? [],
      terminalCriteria: input.terminalCriteria ?? [],
      limits: input.limits,
      maxAgents: input.maxAgents,
    } satisfies GoalSpec);
    if (!spec.success) {
      await fsp.rm(this.paths(id).dir, { recursive: true, force: true });
      const issue = spec.error.issues[0];
      return err({ code: "invalid_input", message: `${issue?.path.join(".")}: ${issue?.message}`, fix: "correct that value and create the goal again" });
    }
    const created = await this.append(id, () => [{ type: "goal_created", actor: input.actor ?? "user", data: { goal: spec.data } }], { allowNew: true });
    if (!created.ok) throw new Error(`creating goal ${id}: ${created.error.message}`);
    return ok(created.value);
  }

  // ---------------------------------------------------------------- read

  /** Ids of all goals, oldest first (ids sort by creation time). */
  async listGoalIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(this.root, "goals"));
    } catch (error) {
      if (isErrno(error, "ENOENT")) return [];
      throw error;
    }
    return names.filter((n) => idProblem(n) === undefined).sort();
  }

  async latestGoalId(): Promise<string | undefined> {
    const ids = await this.listGoalIds();
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i] as string;
      if (await exists(this.paths(id).events)) return id;
    }
    return undefined;
  }

  /**
   * The current goal, without taking any lock: the snapshot when it is
   * fresh, plus any events appended after it; a torn last line is ignored.
   */
  async readGoal(goalId: string): Promise<Goal> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    const { goal } = await foldGoal(paths, { auth: await this.writer.readAuth(paths) });
    return goal;
  }

  async readEvents(goalId: string): Promise<GoalEvent[]> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return (await readLog(paths.events, { auth: await this.writer.readAuth(paths) })).events;
  }

  /**
   * The last events of the goal's log (the complete lines of its last
   * `bytes`, each parsed by the event schema; partial or damaged lines
   * skipped). O(bytes), not O(log): for display (`omk goal status`).
   */
  async tailEvents(goalId: string, bytes = TAIL_BYTES): Promise<GoalEvent[]> {
    return tailEventsOf(this.paths(parseId(goalId, "goal id")).events, bytes);
  }

  /** Fold every event from scratch and compare with goal.json. */
  async replay(goalId: string): Promise<ReplayReport> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    const log = await readLog(paths.events, { auth: await this.writer.readAuth(paths) });
    const goal = foldEvents(paths, log.events, log.validBytes, log.head);
    const snapshot = await readSnapshot(paths).catch(() => undefined);
    return {
      goal,
      events: log.events,
      snapshot,
      differences: diffGoals(goal, snapshot),
      tornTailBytes: log.tornTail?.length ?? 0,
      chain: { ...log.chain, head: log.head, keyFile: logKeyFile(this.root) },
    };
  }

  /**
   * Set aside the lines of a log that fail its chain or MAC (from the first
   * such line to the end) in `events.jsonl.forged-<offset>`, record
   * log_quarantined, and end a running goal not_ready with cause tampering.
   * Returns undefined when the log is intact.
   */
  async quarantineForgedTail(goalId: string, actor = "user"): Promise<QuarantineReport | undefined> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return quarantineForgedTail(this.writer, paths, this.mutexWaitMs, actor);
  }

  /**
   * Open a goal and finish what a crash left behind (the next open of a goal
   * completes it): a torn tail or a goal.json behind the log, a terminal
   * status without its outcome file (internal/outcomes.ts), a pending
   * outcome, and the lease files of a dead controller. Takes the append
   * mutex only when something needs repair; returns the goal as it stands.
   */
  async openGoal(goalId: string): Promise<Goal> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    const folded = await foldGoal(paths, { auth: await this.writer.readAuth(paths) });
    // Temp files of a writer killed mid-write (a lock's, goal.json's): never the real file, gone at once.
    await removeStaleTemps(paths.dir, Number.POSITIVE_INFINITY);
    const dead = await deadLeaseFiles(paths);
    const broken =
      !folded.snapshotFresh ||
      folded.tornTail !== undefined ||
      (await exists(paths.outcomePending)) ||
      (isTerminalStatus(folded.goal.status) && folded.goal.outcome === null);
    if (!broken && dead.length === 0) return folded.goal;
    let goal = await withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      this.writer.forget(paths.dir); // no fast path: repair whatever is there
      return (await this.writer.loadForWrite(paths)).goal;
    });
    if (dead.some((file) => file !== paths.appendMutex)) {
      await clearDeadLeases(this, goalId);
      goal = await this.readGoal(goalId);
    }
    return goal;
  }

  /** Rewrite goal.json from the log (it is derived data, so this loses nothing). */
  async rebuildSnapshot(goalId: string): Promise<Goal> {
    const paths = this.paths(parseId(goalId, "goal id"));
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      const log = await readLog(paths.events, { auth: await this.writer.readAuth(paths) });
      const goal = foldEvents(paths, log.events, log.validBytes, log.head);
      await this.writer.writeSnapshot(paths, goal);
      return goal;
    });
  }

  // ---------------------------------------------------------------- write

  /**
   * Append events built from the current goal, atomically as a batch: every
   * event is checked by the reducer first; if any is illegal nothing is
   * written and the error is returned.
   */
  async append(
    goalId: string,
    build: (goal: Goal | undefined) => NewEvent[] | Result<NewEvent[], StoreError>,
    options: { allowNew?: boolean } = {},
  ): Promise<Result<Goal, StoreError>> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (options.allowNew !== true && !(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      let current: Loaded | undefined;
      if (options.allowNew === true && !(await exists(paths.events))) await this.writer.ensureKey();
      else current = await this.writer.loadForWrite(paths);
      return this.writer.commit(paths, current?.goal, build);
    });
  }

  async transition(goalId: string, to: GoalStatus, options: TransitionOptions = {}): Promise<Result<Goal, StoreError>> {
    if (to === "ready" && options.proof === undefined) {
      return err({ code: "invalid_input", message: "ready needs a proof record", fix: "pass the proof built from the verified evidence" });
    }
    if (isTerminalStatus(to) && to !== "ready" && options.cause === undefined) {
      return err({ code: "invalid_input", message: `${to} needs a typed cause`, fix: "pass cause: { code, message }" });
    }
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      const current = await this.writer.loadForWrite(paths);
      if (isTerminalStatus(to)) {
        // Durable before the log says terminal: what outcome_recorded will record (the proof exists nowhere else).
        await writePendingOutcome(paths, {
          status: to,
          seq: current.goal.lastSeq + 1,
          ...(options.proof === undefined ? {} : { proof: options.proof }),
          ...(options.cause === undefined ? {} : { cause: options.cause }),
          ...(options.evidence === undefined ? {} : { evidence: options.evidence }),
        });
      }
      const result = await this.writer.commit(paths, current.goal, (goal) => [
        {
          type: "status_changed",
          actor: options.actor ?? "user",
          data: {
            from: (goal as Goal).status,
            to,
            ...(options.reason === undefined ? {} : { reason: options.reason }),
            ...(options.cause === undefined ? {} : { cause: options.cause }),
            ...(options.newRun === true ? { newRun: true } : {}),
          },
        },
      ]);
      if (!result.ok) return result;
      return ok(await this.writer.recordOutcome(paths, result.value, options));
    });
  }

  async setPhase(goalId: string, to: Phase, actor = "controller"): Promise<Result<Goal, StoreError>> {
    return this.append(goalId, (goal) => [{ type: "phase_changed", actor, data: { from: goal?.phase ?? null, to } }]);
  }

  async setTaskGraph(goalId: string, graph: TaskGraph, actor = "controller"): Promise<Result<Goal, StoreError>> {
    return this.append(goalId, () => [{ type: "task_graph_set", actor, data: { graph } }]);
  }

  async amend(goalId: string, change: { text?: string; answer?: string }, actor = "user"): Promise<Result<Goal, StoreError>> {
    if (change.text !== undefined && normalizeGoalText(change.text) === "") {
      return err({ code: "invalid_input", message: "the amended goal text is empty", fix: "pass the new goal text" });
    }
    return this.append(goalId, () => [{ type: "goal_amended", actor, data: change }]);
  }

  async extendBudget(goalId: string, add: BudgetExtension, actor = "user"): Promise<Result<Goal, StoreError>> {
    return this.append(goalId, (goal) =>
      goal?.status === "cancelled"
        ? err({ code: "invalid_input", message: "the goal is cancelled", fix: "cancelled is final; create a new goal" })
        : [{ type: "budget_extended", actor, data: { add } }],
    );
  }

  /**
   * Record usage as it arrives. When a running goal's budget is exhausted
   * by it, the goal becomes needs_more_budget at once (with failure.json).
   */
  async recordUsage(
    goalId: string,
    usage: { source: string; taskId?: string; tokens: TokenUsage; usd?: number },
    actor = "controller",
  ): Promise<Result<Goal, StoreError>> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      const current = await this.writer.loadForWrite(paths);
      const result = await this.writer.commit(paths, current.goal, () => [{ type: "usage_recorded", actor, data: usage }]);
      if (!result.ok) return result;
      return ok(await this.writer.enforceBudgetLocked(paths, result.value, actor));
    });
  }

  /**
   * Move a running or paused goal whose budget is exhausted to
   * needs_more_budget. Returns the goal as it stands afterwards.
   */
  async enforceBudget(goalId: string, actor = "controller"): Promise<Goal> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      const current = await this.writer.loadForWrite(paths);
      return this.writer.enforceBudgetLocked(paths, current.goal, actor);
    });
  }
}

export function openStore(options: StoreOptions = {}): GoalStore {
  return new GoalStore(options);
}
