import type { AgentInfo, WireError } from "./errors.js";
import type { Result } from "@omk/core";
import type { EngineProtocol } from "./schemas/engine.js";
import type { TurnResult, WireEvent } from "./schemas/event.js";

export type PromptOptions = {
  /** Aborting it cancels the turn (protocol cancel, then kill after the grace). */
  signal?: AbortSignal;
};

export type CloseReport = { exitCode: number | null; signal: string | null; killed: boolean };

/** An open engine session: one engine process, one protocol session, one prompt at a time. */
export interface EngineSession {
  readonly engine: string;
  readonly protocol: EngineProtocol;
  /** The protocol session id (ACP) or the id OMK passed with `--session` (Wire). */
  readonly sessionId: string;
  /** Pid (and process group id) of the engine process. */
  readonly pid: number;
  /** What the engine reported about itself in the handshake (name, version; ACP: capabilities and auth methods). */
  readonly agent: AgentInfo;
  /** Every normalized event since the session opened, for one `for await` reader; ends after close. */
  readonly events: AsyncIterable<WireEvent>;
  /** The last turn's bookkeeping, also when it ended in an error (then with stop reason `cancelled`). */
  readonly lastTurn: TurnResult | undefined;
  readonly isClosed: boolean;
  /**
   * Runs one turn. Resolves (never rejects) with the turn result, or with an
   * error value: EngineTimeoutError, EngineAbortedError, EngineCrashedError,
   * EngineAuthRequiredError, ProtocolError, EngineRequestError, SessionStateError.
   */
  prompt(text: string, options?: PromptOptions): Promise<Result<TurnResult, WireError>>;
  /** Cancels the running turn (if any) and resolves once it has settled. */
  cancel(): Promise<void>;
  /** Ends the session and always the engine's whole process group. Idempotent. */
  close(): Promise<CloseReport>;
}
