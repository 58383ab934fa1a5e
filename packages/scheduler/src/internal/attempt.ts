import type { Lease } from "@omk/state";
import type { Breach } from "../budget.js";
import type { AbortKind } from "../errors.js";
import type { TaskState } from "../policy.js";
import type { TaskResultSchema } from "../schemas.js";
import type { WorkerSlot } from "./workers.js";

/** How an attempt ended, as the executor saw it. */
export type Settlement =
  | { kind: "result"; result: ReturnType<typeof TaskResultSchema.parse> }
  | { kind: "invalid"; message: string }
  | { kind: "threw"; error: unknown }
  /** Given up on: lease expired or the abort was ignored; its result, if any, is late. */
  | { kind: "abandoned" }
  /** Stopped before its runner was called. */
  | { kind: "not_started" };

/** One dispatch of a task to a worker. */
export class Attempt {
  readonly key: string;
  readonly controller = new AbortController();
  /** Lease expiry (ms since the epoch), moved by heartbeats. */
  expiresAt: number;
  startedAt = 0;
  started = false;
  settled = false;
  /** Why the scheduler aborted it; the first reason stands. */
  abortKind: AbortKind | undefined;
  breach: Breach | undefined;
  private readonly timers = new Map<string, () => void>();
  private releaseSlot: () => void = () => {};
  /** Resolves when the scheduler is done with the attempt: its p-queue slot is free. */
  readonly released = new Promise<void>((resolve) => {
    this.releaseSlot = resolve;
  });

  constructor(
    readonly state: TaskState,
    readonly number: number,
    readonly worker: WorkerSlot,
    readonly lease: Lease,
  ) {
    this.key = `${state.task.id}#${number}`;
    this.expiresAt = Date.parse(lease.expiresAt);
  }

  get taskId(): string {
    return this.state.task.id;
  }

  /** The fields every task event of this attempt carries. */
  get ref(): { taskId: string; attempt: number; worker: string } {
    return { taskId: this.taskId, attempt: this.number, worker: this.worker.id };
  }

  setTimer(name: string, cancel: () => void): void {
    this.timers.get(name)?.();
    this.timers.set(name, cancel);
  }

  /** Stop its timers and free its slot; returns false when it was already settled. */
  close(): boolean {
    if (this.settled) return false;
    this.settled = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.releaseSlot();
    return true;
  }
}
