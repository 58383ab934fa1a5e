/**
 * The vocabulary of GoalStore's methods: its options, the input of a new
 * goal, the typed errors a write returns, the options of a status change,
 * and the reports of a replay and of a quarantined log tail.
 */
import type { ReduceError } from "./reduce.js";
import type { BudgetLimits } from "./schemas/budget.js";
import type { GoalEvent } from "./schemas/event.js";
import type { Goal } from "./schemas/goal.js";
import type { FailureCause, Proof } from "./schemas/outcome.js";
import type { LogChain } from "./internal/log.js";

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
