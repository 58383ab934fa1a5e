import { z } from "zod";

const ACTIVE_STATUSES = ["created", "running", "paused"] as const;
export const TERMINAL_STATUSES = ["ready", "not_ready", "blocked_on_human", "blocked_on_external", "needs_more_budget", "failed_infra", "cancelled"] as const;
export const GOAL_STATUSES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES] as const;

export const GoalStatusSchema = z.enum(GOAL_STATUSES);
export type GoalStatus = z.infer<typeof GoalStatusSchema>;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(status: GoalStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Phases of a run, in order (architecture: goal lifecycle). */
export const PHASES = ["intake", "planning", "oracle", "baseline", "execution", "verification", "review", "integration", "delivery", "proof"] as const;
export const PhaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof PhaseSchema>;
