import { OmkError } from "@omk/core";

/**
 * Errors of @omk/wire: subclasses of the one base, @omk/core's OmkError (a
 * stable `code` (OMK_WIRE_*), a one-line `fix`, a `cause`; style.md §6);
 * wire stays standalone, as @omk/core depends on nothing. The CLI maps these
 * codes to messages and exit codes. Expected failures (a timeout, a crash,
 * auth required) are returned as values (`{ ok: false, error }`) carrying
 * one of these classes.
 */
export class WireError extends OmkError {}

/** The engine's command could not be started (not installed, not executable). */
export class EngineSpawnError extends WireError {
  readonly command: string;
  constructor(command: string, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super("OMK_WIRE_SPAWN_FAILED", `could not start ${command}: ${message}`, options);
    this.command = command;
  }
}

/**
 * What an engine reports about itself in its handshake: name and version, and
 * for ACP its `agentCapabilities` (as sent) and the names of its auth methods.
 */
export interface AgentInfo {
  name?: string;
  version?: string;
  capabilities?: Record<string, unknown>;
  authMethods?: string[];
}

/** Facts about how an engine process ended. */
export interface ExitFacts {
  exitCode: number | null;
  signal: string | null;
  /** The last lines the engine wrote to stderr (redacted). */
  stderrTail: string;
}

/** The engine process exited, was killed, or closed the connection while OMK still expected answers. */
export class EngineCrashedError extends WireError implements ExitFacts {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(engine: string, facts: ExitFacts, detail = "", options: { cause?: unknown } = {}) {
    const how = facts.signal !== null ? `signal ${facts.signal}` : facts.exitCode !== null ? `exit code ${facts.exitCode}` : "connection closed";
    const tail = facts.stderrTail.trim() === "" ? "" : `; stderr tail:\n${facts.stderrTail.trimEnd()}`;
    super("OMK_WIRE_ENGINE_CRASHED", `engine ${engine} ended unexpectedly (${how})${detail === "" ? "" : `: ${detail}`}${tail}`, {
      cause: options.cause,
      fix: "look at the stderr tail and the session transcript; re-run the turn",
    });
    this.exitCode = facts.exitCode;
    this.signal = facts.signal;
    this.stderrTail = facts.stderrTail;
  }
}

/** Which deadline expired. */
export type DeadlineKind = "handshake" | "request" | "turn_inactivity" | "turn_total" | "close";

/** A deadline expired; the engine was cancelled and, when it did not stop in time, killed. */
export class EngineTimeoutError extends WireError {
  readonly deadline: DeadlineKind;
  readonly ms: number;
  /** How the engine was stopped: it honoured the protocol cancel, or its process group was killed. */
  readonly stoppedBy: "cancel" | "kill";
  constructor(engine: string, deadline: DeadlineKind, ms: number, stoppedBy: "cancel" | "kill", detail = "") {
    super(
      "OMK_WIRE_TIMEOUT",
      `engine ${engine}: ${deadline.replace("_", " ")} deadline of ${ms} ms expired${detail === "" ? "" : ` (${detail})`}; stopped by ${stoppedBy === "cancel" ? "protocol cancel" : "killing its process group"}`,
      {
        fix: "raise the deadline in the engine config, or look at the transcript for where the engine stalled",
      },
    );
    this.deadline = deadline;
    this.ms = ms;
    this.stoppedBy = stoppedBy;
  }
}

/** The engine needs a login before it can open a session or run a prompt (ACP -32000, Wire -32004). */
export class EngineAuthRequiredError extends WireError {
  readonly engine: string;
  readonly login: string;
  /** What the engine said about itself before it asked for a login (ACP initialize, Wire initialize), when known. */
  readonly agent: AgentInfo | undefined;
  constructor(engine: string, login: string, detail = "", options: { cause?: unknown; agent?: AgentInfo } = {}) {
    super("OMK_WIRE_AUTH_REQUIRED", `engine needs authentication: ${engine}${detail === "" ? "" : ` (${detail})`}; ${login}`, {
      cause: options.cause,
      fix: login,
    });
    this.engine = engine;
    this.login = login;
    this.agent = options.agent;
  }
}

/** The engine broke the protocol in a way OMK cannot continue from (bad handshake, invalid response). */
export class ProtocolError extends WireError {
  constructor(engine: string, message: string, options: { cause?: unknown } = {}) {
    super("OMK_WIRE_PROTOCOL", `engine ${engine}: ${message}`, {
      cause: options.cause,
      fix: "check that the engine version is supported; the session transcript has the raw exchange",
    });
  }
}

/** The engine answered a request with an error OMK does not map to a more precise class. */
export class EngineRequestError extends WireError {
  readonly rpcCode: number;
  readonly data: unknown;
  constructor(engine: string, method: string, rpcCode: number, message: string, data?: unknown) {
    super("OMK_WIRE_REQUEST_FAILED", `engine ${engine}: ${method} failed (${rpcCode}): ${message}`);
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

/** The model asked for (`EngineSpec.model`, `--model`) is not one the engine offers, or names several. */
export class ModelNotOfferedError extends WireError {
  readonly engine: string;
  readonly requested: string;
  /** The models the engine offers, as a user would type them (name, with the id when it differs). */
  readonly available: string[];
  constructor(engine: string, requested: string, available: string[], options: { ambiguous?: string[]; example?: string } = {}) {
    const what = options.ambiguous === undefined ? "is not offered" : `matches several models (${options.ambiguous.join(", ")})`;
    const list = available.length === 0 ? "it lists none" : `available: ${available.join(", ")}`;
    super("OMK_WIRE_MODEL_NOT_OFFERED", `engine ${engine}: model "${requested}" ${what}; ${list}`, {
      fix:
        available.length === 0
          ? `configure the model in ${engine}'s own config first, or drop the model setting to use its default`
          : `choose a model by its name or id (e.g. --model "${options.example ?? available[0]}"), or configure "${requested}" in ${engine}'s own config first`,
    });
    this.engine = engine;
    this.requested = requested;
    this.available = available;
  }
}

/** The command found speaks another protocol than the engine spec says (e.g. `kimi-wire` on Kimi Code 2.x, which has no `--wire`). */
export class EngineProtocolMismatchError extends WireError {
  readonly engine: string;
  readonly command: string;
  /** What the command really speaks. */
  readonly speaks: "acp" | "kimi-wire";
  constructor(engine: string, command: string, wanted: "acp" | "kimi-wire", speaks: "acp" | "kimi-wire", description: string, fix: string) {
    super("OMK_WIRE_PROTOCOL_MISMATCH", `engine ${engine} speaks ${wanted === "acp" ? "ACP" : "Kimi Wire"}, but ${command} is ${description}`, { fix });
    this.engine = engine;
    this.command = command;
    this.speaks = speaks;
  }
}

/** The caller's AbortSignal fired; the engine was stopped. */
export class EngineAbortedError extends WireError {
  readonly stoppedBy: "cancel" | "kill";
  constructor(engine: string, stoppedBy: "cancel" | "kill", options: { cause?: unknown } = {}) {
    super(
      "OMK_WIRE_ABORTED",
      `engine ${engine}: aborted by the caller; stopped by ${stoppedBy === "cancel" ? "protocol cancel" : "killing its process group"}`,
      options,
    );
    this.stoppedBy = stoppedBy;
  }
}

/** The session was used after close, or a second prompt was sent while one was running. */
export class SessionStateError extends WireError {
  constructor(message: string) {
    super("OMK_WIRE_SESSION_STATE", message, { fix: "await the running prompt and do not use a session after close()" });
  }
}

/** A config or scenario file failed its schema, or a preset/command is unusable. */
export class WireConfigError extends WireError {
  readonly file: string | undefined;
  constructor(message: string, options: { cause?: unknown; file?: string; fix?: string } = {}) {
    super("OMK_WIRE_CONFIG", options.file === undefined ? message : `${options.file}: ${message}`, {
      cause: options.cause,
      fix: options.fix ?? "fix the file so it matches its JSON Schema in docs/schemas/",
    });
    this.file = options.file;
  }
}
