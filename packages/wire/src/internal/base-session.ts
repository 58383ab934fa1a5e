import { type RefusalWatch, sandboxRefusals } from "../refusals.js";
import type { ConfinementPolicy } from "../confine.js";
import { type AgentInfo, EngineAbortedError, EngineCrashedError, EngineTimeoutError, SessionStateError, type WireError } from "../errors.js";
import type { PathJudge, PermissionPolicy } from "../policy.js";
import { err, ok, type Result } from "@omk/core";
import type { Deadlines, EngineProtocol, EngineSpec } from "../schemas/engine.js";
import type { CommandRun, TurnResult, WireEvent, WireEventInput } from "../schemas/event.js";
import { checkInRoot, type ScopeAccess, type ScopeCheck } from "../scope.js";
import type { CloseReport, EngineSession, PromptOptions } from "../session-types.js";
import { InactivityTimer, within } from "./deadline.js";
import type { EngineProcess } from "./engine-process.js";
import { EventQueue } from "./event-queue.js";
import { removeSessionHome } from "./isolation.js";
import type { TranscriptTap } from "./transcript.js";
import { disposeTurn, type PromptOutcome, type StopTrigger, TurnState } from "./turn.js";
import type { UsageMeter } from "./usage-meter.js";

/** Everything a protocol session needs from openSession. */
export type SessionContext = {
  spec: EngineSpec;
  deadlines: Deadlines;
  /** The session root, symlinks resolved. */
  root: string;
  scope: ScopeCheck;
  policy: PermissionPolicy;
  redact: (text: string) => string;
  tap: TranscriptTap;
  meter: UsageMeter;
  env: Record<string, string>;
  /** The environment of each command OMK runs for the engine through its terminal. */
  commandEnv: Record<string, string>;
  /** The sandbox of each such command; none: unconfined. */
  commandConfinement: ConfinementPolicy | undefined;
  /** What a refused write named in a command's output or a failed tool call is judged against; none: unconfined. */
  refusalWatch?: RefusalWatch | undefined;
  runDir: string;
  /** The session HOME and XDG dirs under runDir are OMK's (isolated): removed when the session closes, with the login files copied in. */
  ownsHome?: boolean | undefined;
  /** Why every turn may have model calls the engine does not report (its own side calls the user's settings keep on), if so. */
  usageGap?: string | undefined;
  signal: AbortSignal | undefined;
  onEvent: ((event: WireEvent) => void) | undefined;
};

/** How long to wait for a killed engine's pending request to settle before closing the connection by force. */
const SETTLE_AFTER_KILL_MS = 3_000;

/**
 * The protocol-independent half of a session: events, turns, deadlines,
 * cancel/kill escalation, crash mapping, close. ACP and Kimi Wire sessions
 * fill in the protocol operations.
 */
export abstract class BaseSession implements EngineSession {
  abstract readonly protocol: EngineProtocol;
  abstract get sessionId(): string;
  agent: AgentInfo = {};
  readonly engine: string;
  readonly pid: number;
  private readonly queue = new EventQueue<WireEvent>();
  protected turn: TurnState | undefined;
  private turnCount = 0;
  private last: TurnResult | undefined;
  private closing: Promise<CloseReport> | undefined;
  /** The engine process is gone or being killed: no more prompts. */
  protected dead = false;
  private turnSettled: Promise<unknown> = Promise.resolve();
  private readonly onSessionAbort = () => void this.close();

  constructor(
    protected readonly ctx: SessionContext,
    protected readonly proc: EngineProcess,
  ) {
    this.engine = ctx.spec.name;
    this.pid = proc.pid;
    ctx.signal?.addEventListener("abort", this.onSessionAbort, { once: true });
    void proc.closed.then(() => {
      this.dead = true;
    });
  }

  // ------------------------------------------------------------ protocol hooks

  /** Sends the prompt; resolves when the turn ends. Must never reject. */
  protected abstract sendPrompt(text: string, turn: TurnState): Promise<PromptOutcome>;
  /** Sends the protocol's cancel for the running turn (fire and forget). */
  protected abstract sendCancel(): void;
  /** Closes the protocol connection: every pending request settles. */
  protected abstract shutdownProtocol(reason: string): void;
  /** Kills what the session runs for the engine (terminals) on cancel or close. */
  protected abstract stopAuxiliary(why: "cancel" | "close"): Promise<void>;
  /** Called at the start and end of a turn (usage log readers). */
  protected onTurnStart(_turn: TurnState): void {}
  protected async onTurnEnd(_turn: TurnState): Promise<void> {}

  // ------------------------------------------------------------ events and bookkeeping

  get events(): AsyncIterable<WireEvent> {
    return this.queue;
  }

  get lastTurn(): TurnResult | undefined {
    return this.last;
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  emit(event: WireEventInput): void {
    const stamped = { at: new Date().toISOString(), ...event } as WireEvent;
    this.queue.push(stamped);
    try {
      this.ctx.onEvent?.(stamped);
    } catch {
      // a throwing sink must not break the session
    }
  }

  /** Any sign of life from the engine during a turn (bytes, command output). */
  protected touch(): void {
    this.inactivity?.touch();
  }
  private inactivity: InactivityTimer | undefined;

  /** Inside the root (symlinks resolved) and allowed by the caller's scope? */
  readonly judge: PathJudge = (target: string, access: ScopeAccess) => {
    const inRoot = checkInRoot(this.ctx.root, target);
    if (!inRoot.inside) return { allowed: false, reason: inRoot.reason };
    const verdict = this.ctx.scope(inRoot.rel, access);
    return verdict.allowed ? { allowed: true, rel: inRoot.rel, real: inRoot.real } : { allowed: false, reason: verdict.reason };
  };

  recordWrite(rel: string, absolute: string, bytes: number | undefined, via: "client" | "agent"): void {
    this.turn?.addFile(rel);
    this.emit({ type: "file_write", path: absolute, rel, via, ...(bytes === undefined ? {} : { bytes }) });
  }

  recordScope(access: "read" | "write" | "command", target: string, reason: string, enforced: boolean): void {
    if (this.turn !== undefined && access !== "read") this.turn.scopeViolations++;
    this.emit({ type: "scope", access, path: target, allowed: false, reason, enforced });
  }

  /**
   * Scope events for the writes the sandbox refused that `text` (a command's
   * output, a failed tool call's result) names, paths resolved against `cwd`;
   * each path once per session.
   */
  noteRefusals(text: string, cwd: string): void {
    const watch = this.ctx.refusalWatch;
    if (watch === undefined || text === "") return;
    for (const refusal of sandboxRefusals(text, cwd, watch)) {
      if (this.refusedBySandbox.has(refusal.path)) continue;
      this.refusedBySandbox.add(refusal.path);
      if (this.turn !== undefined) this.turn.scopeViolations++;
      this.emit({ type: "scope", access: "write", path: refusal.path, allowed: false, reason: refusal.message, enforced: true, source: "sandbox" });
    }
  }
  private readonly refusedBySandbox = new Set<string>();

  recordCommand(run: CommandRun): void {
    this.turn?.commands.push(run);
    this.emit({ type: "command_run", ...run });
  }

  /** The usage event for the current totals. */
  emitUsage(
    source: Extract<WireEventInput, { type: "usage" }>["source"],
    extra: { delta?: import("../schemas/usage.js").Usage; contextUsed?: number; contextSize?: number } = {},
  ): void {
    this.emit({ type: "usage", source, turnUsage: this.ctx.meter.usage(), turnCost: this.ctx.meter.cost(), ...extra });
  }

  // ------------------------------------------------------------ turns

  async prompt(text: string, options: PromptOptions = {}): Promise<Result<TurnResult, WireError>> {
    if (this.closing !== undefined) return err(new SessionStateError(`session with ${this.engine} is closed`));
    if (this.dead) return err(new EngineCrashedError(this.engine, this.proc.facts(), "the engine process is no longer running"));
    if (this.turn !== undefined) return err(new SessionStateError(`a prompt is already running in the session with ${this.engine}`));
    const turn = new TurnState(++this.turnCount);
    this.turn = turn;
    const settled = this.runTurn(turn, text, options);
    this.turnSettled = settled;
    return await settled;
  }

  private async runTurn(turn: TurnState, text: string, options: PromptOptions): Promise<Result<TurnResult, WireError>> {
    const { deadlines } = this.ctx;
    this.ctx.meter.startTurn();
    this.emit({ type: "turn_started", turn: turn.n });
    this.onTurnStart(turn);
    this.inactivity = new InactivityTimer(deadlines.turnInactivityMs, () =>
      turn.requestStop({ kind: "deadline", deadline: "turn_inactivity", ms: deadlines.turnInactivityMs }),
    );
    const total = setTimeout(() => turn.requestStop({ kind: "deadline", deadline: "turn_total", ms: deadlines.turnTotalMs }), deadlines.turnTotalMs);
    const onAbort = () => turn.requestStop({ kind: "abort", reason: "aborted by the caller" });
    const signals = [options.signal, this.ctx.signal].filter((s): s is AbortSignal => s !== undefined);
    for (const signal of signals) {
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }

    let outcome: PromptOutcome | undefined;
    let stoppedBy: "cancel" | "kill" | undefined;
    let trigger: StopTrigger | undefined;
    try {
      const request = this.sendPrompt(text, turn);
      const first = await Promise.race([
        request.then((o) => ({ from: "request" as const, o })),
        turn.stopRequested().then((t) => ({ from: "stop" as const, t })),
      ]);
      if (first.from === "request") {
        outcome = first.o;
      } else {
        trigger = first.t;
        if (trigger.kind === "deadline") this.emit({ type: "deadline", deadline: trigger.deadline, ms: trigger.ms, action: "cancel" });
        turn.cancelling = true;
        this.sendCancel();
        await this.stopAuxiliary("cancel");
        const graced = await within(request, deadlines.cancelGraceMs);
        if (graced.done) {
          outcome = graced.value;
          stoppedBy = "cancel";
        } else {
          if (trigger.kind === "deadline") this.emit({ type: "deadline", deadline: trigger.deadline, ms: trigger.ms, action: "kill" });
          await this.kill(`${trigger.kind === "deadline" ? trigger.deadline : "abort"}: the engine did not stop after a protocol cancel`);
          const late = await within(request, SETTLE_AFTER_KILL_MS);
          outcome = late.done ? late.value : { kind: "closed", detail: "killed" };
          stoppedBy = "kill";
        }
      }
    } finally {
      this.inactivity?.stop();
      this.inactivity = undefined;
      clearTimeout(total);
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
    }
    await this.onTurnEnd(turn);

    let result: Result<TurnResult, WireError>;
    if (trigger?.kind === "deadline") {
      result = err(new EngineTimeoutError(this.engine, trigger.deadline, trigger.ms, stoppedBy ?? "kill"));
    } else if (trigger?.kind === "abort") {
      result =
        stoppedBy === "cancel" && outcome?.kind === "stop"
          ? ok(this.turnResult(turn, outcome.stopReason, outcome.steps))
          : err(new EngineAbortedError(this.engine, stoppedBy ?? "kill"));
    } else if (outcome?.kind === "stop") {
      result = ok(this.turnResult(turn, outcome.stopReason, outcome.steps));
    } else if (outcome?.kind === "error") {
      if (outcome.fatal) await this.kill(outcome.error.message);
      result = err(outcome.error);
    } else {
      result = err(await this.crashError(outcome?.detail ?? "connection closed"));
    }
    this.last = result.ok ? result.value : this.turnResult(turn, "cancelled", undefined);
    this.emit({
      type: "turn_finished",
      turn: turn.n,
      ...(result.ok ? { stopReason: result.value.stopReason } : { error: `${result.error.code}: ${result.error.message}` }),
    });
    disposeTurn(turn);
    this.turn = undefined;
    return result;
  }

  private turnResult(turn: TurnState, stopReason: TurnResult["stopReason"], steps: number | undefined): TurnResult {
    return {
      turn: turn.n,
      stopReason,
      usage: this.ctx.meter.usage(),
      usageQuality: this.ctx.meter.quality(),
      cost: this.ctx.meter.cost(),
      durationMs: Date.now() - turn.startedAt,
      filesWritten: [...turn.files],
      commandsRun: [...turn.commands],
      scopeViolations: turn.scopeViolations,
      ...(steps === undefined ? {} : { steps }),
    };
  }

  /** A crash error with the exit facts, once the process has ended (killing it if it lingers). */
  protected async crashError(detail: string): Promise<EngineCrashedError> {
    const exited = await within(this.proc.closed, 2_000);
    if (!exited.done) await this.kill(detail);
    return new EngineCrashedError(this.engine, this.proc.facts(), detail);
  }

  /** Ends the engine: protocol closed, terminals killed, process group SIGTERM then SIGKILL. */
  protected async kill(why: string): Promise<void> {
    this.dead = true;
    this.ctx.tap.meta("kill", { why });
    this.shutdownProtocol(why);
    await this.stopAuxiliary("close");
    await this.proc.stop(this.ctx.deadlines.killGraceMs);
  }

  async cancel(): Promise<void> {
    const turn = this.turn;
    if (turn === undefined) return;
    turn.requestStop({ kind: "abort", reason: "cancel() called" });
    await this.turnSettled;
  }

  close(): Promise<CloseReport> {
    if (this.closing === undefined) this.closing = this.doClose();
    return this.closing;
  }

  /** Protocol-specific polite goodbye before the process group is ended (close stdin, etc.). */
  protected async goodbye(): Promise<void> {}

  private async doClose(): Promise<CloseReport> {
    this.ctx.signal?.removeEventListener("abort", this.onSessionAbort);
    const turn = this.turn;
    if (turn !== undefined) {
      turn.requestStop({ kind: "abort", reason: "session closed" });
      await within(this.turnSettled, this.ctx.deadlines.cancelGraceMs + this.ctx.deadlines.killGraceMs + SETTLE_AFTER_KILL_MS + 2_000);
    }
    await this.stopAuxiliary("close");
    const wasRunning = this.proc.exit === undefined;
    if (wasRunning) {
      await this.goodbye();
      await within(this.proc.closed, Math.min(1_000, this.ctx.deadlines.killGraceMs));
    }
    this.shutdownProtocol("session closed");
    await this.proc.stop(this.ctx.deadlines.killGraceMs);
    this.dead = true;
    const exit = this.proc.exit ?? { exitCode: null, signal: null };
    const report: CloseReport = { exitCode: exit.exitCode, signal: exit.signal, killed: this.proc.wasKilled };
    this.emit({ type: "session_closed", exitCode: report.exitCode, signal: report.signal, killed: report.killed });
    this.queue.end();
    this.ctx.tap.close();
    // The engine is gone: its session HOME (copied login files, whatever it wrote there) goes too. OMK read the Kimi usage log during the turns.
    if (this.ctx.ownsHome === true) removeSessionHome(this.ctx.runDir);
    return report;
  }
}
