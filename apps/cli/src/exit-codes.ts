import type { GoalStatus } from "@omk/state";

/** Exit codes of `omk` (architecture: exit codes). Stable: scripts depend on them. */
export const EXIT = {
  ok: 0,
  notReady: 1,
  usage: 2,
  blockedOnHuman: 3,
  needsMoreBudget: 4,
  blockedOnExternal: 5,
  failedInfra: 6,
  cancelled: 7,
  paused: 8,
  /** This machine cannot confine agents (no bwrap, no user namespaces) and --unconfined was not passed. */
  cannotConfine: 9,
  internal: 70,
} as const;

/** The exit code that reports a goal's status (used by verdict commands such as `proof`). */
export function exitCodeForStatus(status: GoalStatus): number {
  switch (status) {
    case "ready":
      return EXIT.ok;
    case "not_ready":
    case "created":
    case "running":
      return EXIT.notReady;
    case "blocked_on_human":
      return EXIT.blockedOnHuman;
    case "needs_more_budget":
      return EXIT.needsMoreBudget;
    case "blocked_on_external":
      return EXIT.blockedOnExternal;
    case "failed_infra":
      return EXIT.failedInfra;
    case "cancelled":
      return EXIT.cancelled;
    case "paused":
      return EXIT.paused;
  }
}
