import type { DeadlineKind } from "../errors.js";
import type { CommandRun, StopReason } from "../schemas/event.js";

export type StopTrigger = { kind: "deadline"; deadline: DeadlineKind; ms: number } | { kind: "abort"; reason: string };

/** What the protocol layer reports at the end of a prompt. Never a rejection. */
export type PromptOutcome =
  | { kind: "stop"; stopReason: StopReason; steps?: number }
  | { kind: "error"; error: import("../errors.js").WireError; fatal: boolean }
  | { kind: "closed"; detail: string };

/** Bookkeeping of one prompt turn. */
export class TurnState {
  readonly startedAt = Date.now();
  readonly files: string[] = [];
  private readonly fileSet = new Set<string>();
  readonly commands: CommandRun[] = [];
  scopeViolations = 0;
  /** Set once a cancel was sent: permission requests are then answered "cancelled". */
  cancelling = false;
  trigger: StopTrigger | undefined;
  private stopListeners: Array<(trigger: StopTrigger) => void> = [];

  constructor(readonly n: number) {}

  addFile(rel: string): boolean {
    if (this.fileSet.has(rel)) return false;
    this.fileSet.add(rel);
    this.files.push(rel);
    return true;
  }

  hasFile(rel: string): boolean {
    return this.fileSet.has(rel);
  }

  /** Asks the turn to stop; only the first request counts. */
  requestStop(trigger: StopTrigger): void {
    if (this.trigger !== undefined) return;
    this.trigger = trigger;
    for (const listener of this.stopListeners.splice(0)) listener(trigger);
  }

  /** Resolves with the first stop request. */
  stopRequested(): Promise<StopTrigger> {
    if (this.trigger !== undefined) return Promise.resolve(this.trigger);
    return new Promise((resolve) => this.stopListeners.push(resolve));
  }
}

/** Drops pending stop listeners at the end of a turn. */
export function disposeTurn(turn: TurnState): void {
  turn.requestStop({ kind: "abort", reason: "turn over" });
}
