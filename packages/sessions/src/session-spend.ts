import { type BudgetLimits, type NewEvent, type TokenUsage, weakestQuality } from "@omk/state";
import {
  EngineAbortedError,
  EngineAuthRequiredError,
  EngineCrashedError,
  EngineRequestError,
  EngineSpawnError,
  EngineTimeoutError,
  ProtocolError,
  type WireError,
  EngineProtocolMismatchError,
  ModelNotOfferedError,
} from "@omk/wire";
import type { SessionProblem, SpendReport } from "./types.js";

export const ZERO_TOKENS: TokenUsage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
export const ZERO_SPEND: SpendReport = { tokens: ZERO_TOKENS, usd: null };

function addTokens(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite, output: a.output + b.output };
}

/** Increments of one session added: an update that carries no cost does not make the session's known cost unknown (USD is null only when no increment knew it). */
export function addSpend(a: SpendReport, b: SpendReport): SpendReport {
  return { tokens: addTokens(a.tokens, b.tokens), usd: a.usd === null && b.usd === null ? null : (a.usd ?? 0) + (b.usd ?? 0) };
}

/** Whole sessions added: one session of unknown cost makes the total unknown (never taken as zero). */
export function addSessionSpends(a: SpendReport, b: SpendReport): SpendReport {
  const quality = weakestQuality(a.quality, b.quality);
  return { tokens: addTokens(a.tokens, b.tokens), usd: a.usd === null || b.usd === null ? null : a.usd + b.usd, ...(quality === undefined ? {} : { quality }) };
}

/**
 * A wire error as a problem the user can act on, and whether running the
 * session again may help: a login, a missing command, a bad config or a
 * protocol mismatch will not change by retrying; a crash, a timeout, an
 * abort or a failed request may.
 */
export function problemOfWireError(error: WireError, engine: string): { problem: SessionProblem; retryable: boolean } {
  const fix = error.fix ?? "look at the session transcript and re-run";
  if (error instanceof EngineAuthRequiredError) {
    return { problem: { code: "engine_auth_required", message: `the engine ${engine} needs a login: ${error.message}`, fix: error.login }, retryable: false };
  }
  // The user's setup, not this machine: the wire error's own fix (the choices offered, the engine to use instead).
  if (error instanceof ModelNotOfferedError) return { problem: { code: "engine_model_not_offered", message: error.message, fix }, retryable: false };
  if (error instanceof EngineProtocolMismatchError) return { problem: { code: "engine_protocol_mismatch", message: error.message, fix }, retryable: false };
  if (error instanceof EngineSpawnError) {
    return {
      problem: { code: "engine_not_started", message: error.message, fix: error.fix ?? `install ${error.command} or pick another engine (omk doctor)` },
      retryable: false,
    };
  }
  if (error instanceof EngineCrashedError) return { problem: { code: "engine_crashed", message: error.message, fix }, retryable: true };
  if (error instanceof EngineTimeoutError) return { problem: { code: "engine_timeout", message: error.message, fix }, retryable: true };
  if (error instanceof EngineAbortedError)
    return { problem: { code: "engine_aborted", message: error.message, fix: "resume the goal (omk goal resume)" }, retryable: true };
  if (error instanceof EngineRequestError) return { problem: { code: "engine_request_failed", message: error.message, fix }, retryable: true };
  if (error instanceof ProtocolError) return { problem: { code: "engine_protocol", message: error.message, fix }, retryable: false };
  return { problem: { code: "engine_failed", message: error.message, fix }, retryable: false };
}

/** What a session that reported no usage is charged: its cap (an upper-bound estimate). */
export type SpendEstimate = { readonly tokens: number; readonly usd: number };

/**
 * The estimate to charge for a whole session, or undefined: only a session
 * whose usage is `unknown`, and only when the goal has a token or USD limit
 * (without one there is nothing to keep hard). A `partial` session is charged
 * what it reported (docs/decisions/controller.md, budgets).
 */
export function unknownSpendEstimate(spend: SpendReport, cap: SpendEstimate, limits: BudgetLimits): SpendEstimate | undefined {
  if ((spend.quality ?? "unknown") !== "unknown") return undefined;
  if (limits.tokens === null && limits.usd === null) return undefined;
  return { tokens: cap.tokens, usd: cap.usd };
}

/** An estimate as tokens: counted as uncached input (the budget adds all four kinds; which kind is not known). */
export function estimateTokens(estimate: SpendEstimate): TokenUsage {
  return { input: estimate.tokens, cacheRead: 0, cacheWrite: 0, output: 0 };
}

/** A whole session's spend for the log (session_spend_recorded): tokens, USD when known, how far they can be trusted, and the estimate charged in place of unreported usage. */
export function sessionSpendEvent(session: string, spend: SpendReport, actor: string, taskId?: string, estimate?: SpendEstimate): NewEvent {
  return {
    type: "session_spend_recorded",
    actor,
    data: {
      session,
      ...(taskId === undefined ? {} : { taskId }),
      tokens: spend.tokens,
      ...(spend.usd === null ? {} : { usd: spend.usd }),
      quality: spend.quality ?? "unknown",
      ...(estimate === undefined ? {} : { estimate: { tokens: estimate.tokens, usd: estimate.usd } }),
    },
  };
}

/** The warning, given once per run, that an engine reports no usage. */
export function unknownUsageWarning(engine: string): string {
  return `engine ${engine} reports no usage: budgets are enforced by charging each such session its cap (an upper-bound estimate, marked as such in proof.json)`;
}
