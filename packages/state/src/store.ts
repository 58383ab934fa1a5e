import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { GoalNotFoundError, LogKeyMissingError, LogTamperedError } from "./errors.js";
import { idProblem, newGoalId, parseId } from "./ids.js";
import { diffGoals, foldEvents, foldGoal, readSnapshot, snapshotMac } from "./internal/fold.js";
import { appendDurable, exists, isErrno, removeStaleTemps, truncateDurable, writeFileAtomic } from "./internal/fs.js";
import { ensureLogKey, logKeyFile, readLogKey } from "./internal/log-key.js";
import { GENESIS_PREV, type LogAuth, type LogChain, readLog, signedLine } from "./internal/log.js";
import { withLeaseMutex } from "./internal/mutex.js";
import { crashPoint } from "./internal/crash-point.js";
import { clearDeadLeases, deadLeaseFiles } from "./internal/dead-leases.js";
import { enforceBudgetInLock, type Locked, recordOutcomeInLock, repairOutcomeInLock, writePendingOutcome } from "./internal/outcomes.js";
import { type GoalPaths, goalPaths, resolveStateRoot, type StateRootSource } from "./paths.js";
import { normalizeGoalText, type ReduceError, reduce } from "./reduce.js";
import { err, ok, type Result, sha256 } from "@omk/core";
import type { BudgetExtension, BudgetLimits, TokenUsage } from "./schemas/budget.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import { EventSchema, type GoalEvent, type NewEvent } from "./schemas/event.js";
import { type Goal, type GoalSpec, GoalSpecSchema } from "./schemas/goal.js";
import type { FailureCause, Proof } from "./schemas/outcome.js";
import { type GoalStatus, isTerminalStatus, type Phase } from "./schemas/status.js";
import { TAIL_BYTES, tailEventsOf } from "./tail.js";
import type { TaskGraph } from "./schemas/task.js";

export type StoreOptions = {
  /** State root; default from the environment (`resolveStateRoot`). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** How long a writer waits for another writer's append mutex. */
  mutexWaitMs?: number;
};

export type CreateGoalInput = {
  text: string;
  repoRoot: string;
  baseCommit?: string | null;
  constraints?: string[];
  terminalCriteria?: string[];
  limits: BudgetLimits;
  maxAgents: number;
  actor?: string;
};

export type InputError = { code: "invalid_input"; message: string; fix: string };
export type StoreError = ReduceError | InputError;

export type TransitionOptions = {
  actor?: string;
  reason?: string;
  /** Required for terminal statuses other than ready: why the goal ended. */
  cause?: FailureCause;
  /** Evidence paths (relative to the goal dir) behind the cause. */
  evidence?: string[];
  /** Required to become ready: the proof record. */
  proof?: Proof;
  newRun?: boolean;
};

export type ReplayReport = {
  goal: Goal;
  events: GoalEvent[];
  snapshot: Goal | undefined;
  /** Fields where goal.json differs from the fold of events.jsonl (empty: they agree). */
  differences: string[];
  tornTailBytes: number;
  /** The hash chain as read: every chained line's prev checked, and its MAC when this machine has the key. */
  chain: LogChain & { head: string | undefined; keyFile: string };
};

export type QuarantineReport = { fromLine: number; droppedBytes: number; savedTo: string; reason: string; goal: Goal };

type Loaded = { goal: Goal; paths: GoalPaths };

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
  /** The goal this process last wrote, per goal dir; valid while neither file changed since. */
  private readonly written = new Map<string, { goal: Goal; logSize: number; snapSize: number; snapMtimeMs: number }>();
  /** The log key once read or created (docs/decisions/state-store.md, "chained log"). */
  private key: Buffer | undefined;

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
    const { goal } = await foldGoal(paths, { auth: await this.readAuth(paths) });
    return goal;
  }

  async readEvents(goalId: string): Promise<GoalEvent[]> {
    const paths = this.paths(parseId(goalId, "goal id"));
    if (!(await exists(paths.events))) throw new GoalNotFoundError(goalId, this.root);
    return (await readLog(paths.events, { auth: await this.readAuth(paths) })).events;
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
    const log = await readLog(paths.events, { auth: await this.readAuth(paths) });
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
    return withLeaseMutex(paths.appendMutex, this.mutexWaitMs, async () => {
      let forged: LogTamperedError;
      try {
        await readLog(paths.events, { auth: await this.readAuth(paths) });
        return undefined;
      } catch (error) {
        if (!(error instanceof LogTamperedError)) throw error;
        forged = error;
      }
      const bytes = await fsp.readFile(paths.events);
      const dropped = bytes.subarray(forged.offset);
      const savedTo = `events.jsonl.forged-${forged.offset}`;
      await writeFileAtomic(path.join(paths.dir, savedTo), dropped);
      await truncateDurable(paths.events, forged.offset);
      this.written.delete(paths.dir);
      const reason = forged.reason;
      const current = await this.loadForWrite(paths);
      const recorded = await this.commit(paths, current.goal, () => [
        { type: "log_quarantined", actor, data: { fromLine: forged.line, droppedBytes: dropped.length, sha256: sha256(dropped), savedTo, reason } },
      ]);
      if (!recorded.ok) throw new Error(`recording the quarantine: ${recorded.error.message}`);
      let goal = recorded.value;
      if (goal.status === "running") {
        const cause = {
          code: "tampering" as const,
          message: `the event log was changed outside omk from line ${forged.line} on (set aside in ${savedTo})`,
          details: { savedTo, fromLine: forged.line },
        };
        const ended = await this.commit(paths, goal, (g) => [{ type: "status_changed", actor, data: { from: (g as Goal).status, to: "not_ready", cause } }]);
        if (!ended.ok) throw new Error(`ending the goal: ${ended.error.message}`);
        goal = await this.recordOutcome(paths, ended.value, { cause, evidence: [savedTo] });
      }
      return { fromLine: forged.line, droppedBytes: dropped.length, savedTo, reason, goal };
    });
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
    const folded = await foldGoal(paths, { auth: await this.readAuth(paths) });
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
      this.written.delete(paths.dir); // no fast path: repair whatever is there
      return (await this.loadForWrite(paths)).goal;
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
      const log = await readLog(paths.events, { auth: await this.readAuth(paths) });
      const goal = foldEvents(paths, log.events, log.validBytes, log.head);
      await this.writeSnapshot(paths, goal);
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
      if (options.allowNew === true && !(await exists(paths.events))) this.key ??= await ensureLogKey(this.root);
      else current = await this.loadForWrite(paths);
      return this.commit(paths, current?.goal, build);
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
      const current = await this.loadForWrite(paths);
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
      const result = await this.commit(paths, current.goal, (goal) => [
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
      return ok(await this.recordOutcome(paths, result.value, options));
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
      const current = await this.loadForWrite(paths);
      const result = await this.commit(paths, current.goal, () => [{ type: "usage_recorded", actor, data: usage }]);
      if (!result.ok) return result;
      return ok(await this.enforceBudgetLocked(paths, result.value, actor));
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
      const current = await this.loadForWrite(paths);
      return this.enforceBudgetLocked(paths, current.goal, actor);
    });
  }

  // ---------------------------------------------------------------- internals

  /** goal.json, then goal.json.mac (a reader that finds them out of step folds the whole log instead). */
  private async writeSnapshot(paths: GoalPaths, goal: Goal): Promise<void> {
    const text = `${JSON.stringify(goal, null, 2)}\n`;
    await writeFileAtomic(paths.snapshot, text);
    if (this.key === undefined) return;
    // Replaced by rename but not fsynced: a MAC lost in a crash only sends readers to a full fold.
    const mac = `${paths.snapshot}.mac`;
    const tmp = `${path.dirname(mac)}/.goal.json.mac.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await fsp.writeFile(tmp, `${snapshotMac(this.key, path.basename(paths.dir), text)}\n`);
    await fsp.rename(tmp, mac);
  }

  /** What readers check MACs with: the key when this state root has one (readers never create it). */
  private async readAuth(paths: GoalPaths): Promise<LogAuth> {
    this.key ??= await readLogKey(this.root);
    return { goalId: path.basename(paths.dir), key: this.key };
  }

  private enforceBudgetLocked(paths: GoalPaths, goal: Goal, actor: string): Promise<Goal> {
    return enforceBudgetInLock(this.locked(paths), goal, actor);
  }

  private recordOutcome(paths: GoalPaths, goal: Goal, options: TransitionOptions): Promise<Goal> {
    return recordOutcomeInLock(this.locked(paths), goal, options);
  }

  /** What the outcome helpers may do while this process holds the goal's append mutex. */
  private locked(paths: GoalPaths): Locked {
    return { paths, now: this.now, commit: (goal, build) => this.commit(paths, goal, build) };
  }

  /** Stamp, check and durably append events; then write the snapshot. Caller holds the mutex. */
  private async commit(
    paths: GoalPaths,
    goal: Goal | undefined,
    build: (goal: Goal | undefined) => NewEvent[] | Result<NewEvent[], StoreError>,
  ): Promise<Result<Goal, StoreError>> {
    const built = build(goal);
    const drafts = Array.isArray(built) ? built : built.ok ? built.value : undefined;
    if (drafts === undefined) return built as { ok: false; error: StoreError };
    const key = this.key;
    if (key === undefined) throw new Error("bug: commit before the log key was loaded");
    const auth = { goalId: path.basename(paths.dir), key };
    let state = goal;
    let seq = goal?.lastSeq ?? 0;
    let prev = goal === undefined ? GENESIS_PREV : (goal.chainHead ?? GENESIS_PREV);
    const ts = this.now().toISOString();
    const lines: string[] = [];
    for (const draft of drafts) {
      seq += 1;
      // Parse at the edge: what is written must read back as the same event.
      const parsed = EventSchema.safeParse({ v: SCHEMA_VERSION, seq, ts, ...draft, prev });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return err({
          code: "invalid_input",
          message: `${draft.type} event is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
          fix: "correct the value; nothing was written",
        });
      }
      const event = parsed.data;
      const next = reduce(state, event);
      if (!next.ok) return next;
      state = next.value;
      const line = signedLine(event, auth);
      lines.push(line);
      prev = sha256(line.slice(0, -1));
    }
    if (state === undefined || lines.length === 0) return err({ code: "invalid_input", message: "no events to append", fix: "" });
    const data = lines.join("");
    await appendDurable(paths.events, data);
    crashPoint(seq, drafts);
    state.logBytes = (goal?.logBytes ?? 0) + Buffer.byteLength(data);
    state.chainHead = prev;
    await this.writeSnapshot(paths, state);
    const snap = await fsp.stat(paths.snapshot);
    this.written.set(paths.dir, { goal: structuredClone(state), logSize: state.logBytes, snapSize: snap.size, snapMtimeMs: snap.mtimeMs });
    return ok(state);
  }

  /**
   * The writer's view: repair a torn tail (keeping the dropped bytes in a
   * side file and recording a log_repaired event), fold, and make sure
   * goal.json matches before anything new is appended.
   */
  private async loadForWrite(paths: GoalPaths): Promise<Loaded> {
    // Fast path: nothing changed since this process wrote the goal (no re-parse of goal.json).
    const last = this.written.get(paths.dir);
    if (last !== undefined) {
      const [log, snap] = await Promise.all([fsp.stat(paths.events), fsp.stat(paths.snapshot).catch(() => undefined)]);
      if (log.size === last.logSize && snap?.size === last.snapSize && snap.mtimeMs === last.snapMtimeMs) {
        return { goal: structuredClone(last.goal), paths };
      }
      this.written.delete(paths.dir);
    }
    // The whole log is read and its chain checked: goal.json is not signed, so a writer never trusts it.
    this.key ??= await readLogKey(this.root);
    const folded = await foldGoal(paths, { full: true, auth: { goalId: path.basename(paths.dir), key: this.key } });
    if (this.key === undefined) {
      if ((folded.chain?.chainedLines ?? 0) > 0) throw new LogKeyMissingError(logKeyFile(this.root), path.basename(paths.dir));
      this.key = await ensureLogKey(this.root);
    }
    let goal = folded.goal;
    if (folded.tornTail !== undefined) {
      const savedTo = `events.jsonl.torn-${folded.validBytes}`;
      // The dropped bytes exactly as they were (they may be cut inside a UTF-8 character): their sha256 is recorded.
      await writeFileAtomic(path.join(paths.dir, savedTo), folded.tornTail);
      await truncateDurable(paths.events, folded.validBytes);
      const repaired = await this.commit(paths, goal, () => [
        { type: "log_repaired", actor: "system", data: { droppedBytes: folded.tornTail?.length ?? 0, sha256: sha256(folded.tornTail as Buffer), savedTo } },
      ]);
      if (!repaired.ok) throw new Error(`repairing log: ${repaired.error.message}`);
      goal = repaired.value;
    } else if (!folded.snapshotFresh) {
      await this.writeSnapshot(paths, goal);
    }
    await removeStaleTemps(paths.dir);
    // A crash after a terminal status but before its outcome file: finish it now (internal/outcomes.ts).
    goal = await repairOutcomeInLock(this.locked(paths), goal);
    return { goal, paths };
  }
}

export function openStore(options: StoreOptions = {}): GoalStore {
  return new GoalStore(options);
}
