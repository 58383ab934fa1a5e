import { OmkError } from "@omk/core";

/** Why the scheduler aborted a running task (the `reason` of its AbortSignal). */
export type AbortKind = "paused" | "cancelled" | "goal_stopped" | "shutdown" | "no_live_workers" | "event_log_failed" | "budget_exceeded" | "lease_expired";

/** The reason of a task's AbortSignal: a runner stops its work when it sees it. */
export class SchedulerAbortError extends OmkError {
  readonly kind: AbortKind;
  constructor(kind: AbortKind, message: string) {
    super("OMK_SCHEDULER_ABORTED", message);
    this.kind = kind;
  }
}
