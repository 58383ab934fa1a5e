import type { RunOutcome } from "../schemas.js";
import { errorSignature } from "../policy.js";
import type { Settlement } from "./attempt.js";

/** Why a whole run stops; running tasks are aborted with the same kind. */
export type StopKind = "paused" | "cancelled" | "goal_stopped" | "shutdown" | "no_live_workers" | "event_log_failed";
export type StopRequest = { kind: StopKind; outcome: RunOutcome; reason: string };

/** A later stop request replaces an earlier one only when it ranks higher (a pause becomes a cancel, never the reverse). */
export const STOP_RANK: Readonly<Record<StopKind, number>> = {
  paused: 1,
  shutdown: 2,
  goal_stopped: 2,
  no_live_workers: 3,
  cancelled: 4,
  event_log_failed: 5,
};

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

/** The failure an attempt's own outcome stands for (when the scheduler did not abort it). */
export function failureOf(outcome: Settlement): { signature: string; message: string; retryable: boolean } {
  switch (outcome.kind) {
    case "result":
      if (outcome.result.ok) throw new Error("scheduler bug: a success is not a failure");
      return {
        signature: outcome.result.signature ?? errorSignature(outcome.result.message),
        message: outcome.result.message,
        retryable: outcome.result.retryable,
      };
    case "invalid":
      return { signature: "invalid_result", message: outcome.message, retryable: false };
    case "threw": {
      const message = messageOf(outcome.error);
      return { signature: errorSignature(message), message, retryable: true };
    }
    case "abandoned":
    case "not_started":
      return { signature: outcome.kind, message: `the attempt was ${outcome.kind.replace("_", " ")}`, retryable: true };
  }
}

/** A symmetric function of two objects, computed once per pair. */
export function memoizePairs<T extends object>(fn: (a: T, b: T) => boolean): (a: T, b: T) => boolean {
  const memo = new WeakMap<T, Map<T, boolean>>();
  const rowOf = (x: T): Map<T, boolean> => {
    let row = memo.get(x);
    if (row === undefined) {
      row = new Map();
      memo.set(x, row);
    }
    return row;
  };
  return (a, b) => {
    const known = rowOf(a).get(b);
    if (known !== undefined) return known;
    const value = fn(a, b);
    rowOf(a).set(b, value);
    rowOf(b).set(a, value);
    return value;
  };
}
