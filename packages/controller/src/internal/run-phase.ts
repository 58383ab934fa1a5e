/** Moving between phases: phase_changed in the log, phase_started and phase_finished for the live view. */
import type { Phase } from "@omk/state";
import type { GoalRun } from "../context.js";
import type { PhaseOutcome } from "../types.js";

/** Record the move into `phase` (nothing when the goal is in it already: a resumed phase). */
export async function enterPhase(ctx: GoalRun, phase: Phase, detail?: string): Promise<void> {
  const resumed = ctx.goal.phase === phase;
  if (!resumed) {
    const moved = await ctx.append((goal) => [{ type: "phase_changed", actor: ctx.actor, data: { from: goal?.phase ?? null, to: phase } }]);
    if (!moved.ok) throw new Error(`entering phase ${phase}: ${moved.error.message}`);
  }
  ctx.openPhase = phase;
  ctx.emit({ type: "phase_started", phase, round: ctx.round, ...(detail !== undefined ? { detail } : resumed ? { detail: "resumed" } : {}) });
}

export function finishPhase(ctx: GoalRun, phase: Phase, outcome: PhaseOutcome, detail?: string): void {
  if (ctx.openPhase === phase) ctx.openPhase = null;
  ctx.emit({ type: "phase_finished", phase, round: ctx.round, outcome, ...(detail === undefined ? {} : { detail }) });
}
