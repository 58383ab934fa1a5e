import type { Goal } from "@omk/state";
import type { Clock } from "../ports.js";

/**
 * Reads the goal every `pollMs` (after the previous read finished), so a
 * pause, cancel or budget-add written by another process is seen within
 * about one period.
 */
export class GoalWatcher {
  private cancelTimer: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly read: () => Promise<Goal>,
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly onGoal: (goal: Goal) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimer(this.pollMs, () => {
      this.read()
        .then(
          (goal) => {
            if (!this.stopped) this.onGoal(goal);
          },
          (error: unknown) => {
            if (!this.stopped) this.onError(error);
          },
        )
        .finally(() => this.schedule());
    });
  }
}
