import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type SessionConfinement, SessionConfinementSchema } from "./confine.js";
import { EngineCrashedError, EngineProtocolMismatchError, WireConfigError, type WireError } from "./errors.js";
import { AcpSession } from "./internal/acp/session.js";
import type { SessionContext } from "./internal/base-session.js";
import { EngineProcess } from "./internal/engine-process.js";
import { findCommand } from "./internal/find-command.js";
import { engineEnv, isolationDirs, removeSessionHome, userHomeOf } from "./internal/isolation.js";
import { KIMI_CODE, type KimiBinary, kimiBinaryFromPath } from "./internal/kimi-binary.js";
import { prepareQwenSession } from "./internal/qwen-settings.js";
import { TranscriptTap } from "./internal/transcript.js";
import { UsageMeter } from "./internal/usage-meter.js";
import { WireSession, wireArgs } from "./internal/wire/session.js";
import { defaultPermissionPolicy, type PermissionPolicy } from "./policy.js";
import { createRedactor, err, ok, type Result } from "@omk/core";
import { DeadlinesSchema, type DeadlinesInput, type EngineSpec, EngineSpecSchema, type EngineSpecInput } from "./schemas/engine.js";
import type { WireEvent, WireEventInput } from "./schemas/event.js";
import type { PriceTable } from "./schemas/usage.js";
import { allowAllInRoot, type ScopeCheck } from "./scope.js";
import type { EngineSession } from "./session-types.js";
import { DEFAULT_PRICE_TABLE, mergePriceTables } from "./usage.js";

export type OpenSessionOptions = {
  /** The engine: a preset's spec (see `enginePreset`) or a custom one. */
  engine: EngineSpecInput;
  /** The session root: the engine works here, and OMK confines its file and terminal access to it. */
  cwd: string;
  /**
   * Base environment of the engine (default: this process's). Its HOME is the
   * user's home, where the engine's login files are copied from. HOME, TMPDIR
   * and the XDG dirs are replaced by the session's own under `runDir` (removed
   * when the session closes) unless `isolate` is false.
   */
  env?: Record<string, string | undefined>;
  /** Folder for the engine's per-run files: TMPDIR, and the session HOME and XDG dirs (default: a new temporary folder). */
  runDir?: string;
  /** false: the engine gets `env` plus the spec's variables as they are, nothing replaced (default true: as the spec's `home` says). */
  isolate?: boolean;
  /** The caller's rule for which paths inside the root may be read and written (default: all of the root). */
  scope?: ScopeCheck;
  /** Answers permission requests (default: allow inside the scope, reject outside). */
  permissions?: PermissionPolicy;
  /** Aborting it cancels the running turn and closes the session. */
  signal?: AbortSignal;
  /** Where to write the raw transcript (JSON lines); none when absent. */
  transcriptPath?: string;
  /** Overrides of the engine's deadlines. */
  deadlines?: DeadlinesInput;
  /** Prices used when the engine reports tokens but no cost (merged over the defaults). */
  priceTable?: PriceTable;
  /**
   * The sandboxes of the engine process and of each command OMK runs for it
   * through its terminal (see confine.ts). Absent: both run unconfined (the
   * caller decided so, e.g. the user passed --unconfined).
   */
  confinement?: SessionConfinement;
  /**
   * The environment of each command OMK runs for the engine, from the
   * engine's own (default: the engine's, unchanged). The controller passes
   * @omk/gates' allowlist rule, so agent commands get what gates get.
   */
  commandEnv?: (engineEnv: Record<string, string>) => Record<string, string>;
  /** Literal secrets to redact from transcripts and stderr, on top of secret-looking env values. */
  secrets?: readonly string[];
  /**
   * Sees each whole JSON-RPC line the engine writes (`out`) and OMK writes to
   * it (`in`), before it is redacted into the transcript: the caller looks
   * for secrets the agent put in its output (a command's output reaches the
   * engine `in`). Called whether or not a transcript is written; never stderr.
   */
  inspectLine?: (dir: "in" | "out", line: string) => void;
  /** A second redaction pass over transcript lines and stderr, after the wire's own (the controller's encoded forms of known secrets). */
  redactAlso?: (text: string) => string;
  /** Receives every event as it happens (besides `session.events`). */
  onEvent?: (event: WireEvent) => void;
};

/**
 * Starts an engine process and opens a protocol session with it (ACP
 * handshake and session/new, or Kimi Wire), within the handshake deadline.
 * Failures are values: WireConfigError, EngineSpawnError, EngineTimeoutError,
 * EngineAuthRequiredError, EngineCrashedError, ProtocolError, EngineAbortedError.
 */
export async function openSession(options: OpenSessionOptions): Promise<Result<EngineSession, WireError>> {
  const parsedSpec = EngineSpecSchema.safeParse(options.engine);
  if (!parsedSpec.success)
    return err(new WireConfigError(`invalid engine spec: ${parsedSpec.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`));
  const spec = parsedSpec.data;
  const parsedDeadlines = DeadlinesSchema.safeParse({ ...spec.deadlines, ...options.deadlines });
  if (!parsedDeadlines.success)
    return err(new WireConfigError(`invalid deadlines: ${parsedDeadlines.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`));
  let confinement: SessionConfinement | undefined;
  if (options.confinement !== undefined) {
    const parsed = SessionConfinementSchema.safeParse(options.confinement);
    if (!parsed.success)
      return err(
        new WireConfigError(`invalid confinement: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, {
          fix: "build the policy with sandboxPolicy",
        }),
      );
    confinement = parsed.data;
  }
  let root: string;
  try {
    root = realpathSync(path.resolve(options.cwd));
    if (!statSync(root).isDirectory()) throw new Error("not a directory");
  } catch (cause) {
    return err(new WireConfigError(`session root ${options.cwd} is not a directory`, { cause, fix: "pass an existing folder as cwd" }));
  }
  if (spec.protocol === "kimi-wire") {
    // `kimi --wire` on Kimi Code 2.x ends with "unknown option '--wire'": say which program it is and what to use instead.
    const found = findCommand(spec.command, options.env ?? process.env);
    const binary = found === undefined ? undefined : kimiBinaryFromPath(found, spec.args);
    if (found !== undefined && binary !== undefined && binary.speaks !== "kimi-wire") return err(protocolMismatch(spec, found, binary));
  }
  const runDir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), "omk-engine-"));
  const base = options.env ?? process.env;
  const built = engineEnv(base, runDir, spec, options.isolate !== false);
  if (!built.ok) {
    if (options.isolate !== false) removeSessionHome(runDir);
    return built;
  }
  let env = built.value;
  let usageGap: string | undefined;
  if (spec.unreportedCalls === "qwen_code" && options.isolate !== false) {
    try {
      mkdirSync(runDir, { recursive: true });
      const prepared = prepareQwenSession(env, runDir, root);
      env = prepared.env;
      // The gap names the settings file the user can change (their own), not the session HOME's copy of it.
      const userQwen = base["QWEN_HOME"] !== undefined && path.isAbsolute(base["QWEN_HOME"]) ? base["QWEN_HOME"] : path.join(userHomeOf(base), ".qwen");
      usageGap = prepared.gap?.replaceAll(path.join(isolationDirs(runDir).home, ".qwen"), userQwen);
    } catch (cause) {
      removeSessionHome(runDir);
      return err(
        new WireConfigError(`cannot write Qwen Code's settings layer in ${runDir}: ${(cause as Error).message}`, {
          cause,
          fix: "check that the run folder is writable",
        }),
      );
    }
  }
  const own = createRedactor({ env: { ...base, ...env }, ...(options.secrets === undefined ? {} : { values: options.secrets }) });
  const redactOwn = (text: string): string => own.redact(text);
  const redactAlso = options.redactAlso;
  const redact = redactAlso === undefined ? redactOwn : (text: string) => redactAlso(redactOwn(text));
  const tap = new TranscriptTap(options.transcriptPath, redact, undefined, options.inspectLine);
  const meter = new UsageMeter(spec.name, spec.priceModel ?? spec.model, mergePriceTables(DEFAULT_PRICE_TABLE, options.priceTable));
  const ctx: SessionContext = {
    spec,
    deadlines: parsedDeadlines.data,
    root,
    scope: options.scope ?? allowAllInRoot,
    policy: options.permissions ?? defaultPermissionPolicy,
    redact,
    tap,
    meter,
    env,
    commandEnv: options.commandEnv === undefined ? env : options.commandEnv({ ...env }),
    commandConfinement: confinement?.commands,
    refusalWatch: confinement?.watch,
    runDir,
    ownsHome: options.isolate !== false,
    usageGap,
    signal: options.signal,
    onEvent: options.onEvent,
  };
  const hooks = {
    activity: () => {},
    line: (_l: Buffer, _d: number) => {},
    stderr: (_l: string) => {},
    lineError: (_s: "stdout" | "stderr", _e: unknown) => {},
  };
  const wireId = randomUUID();
  const started = await EngineProcess.start({
    command: spec.command,
    args: spec.protocol === "kimi-wire" ? wireArgs(spec, root, wireId) : spec.args,
    cwd: root,
    env,
    confine: confinement?.engine,
    tap,
    redact,
    maxLineBytes: spec.maxMessageBytes,
    onActivity: () => hooks.activity(),
    onStdoutLine: (line, dropped) => hooks.line(line, dropped),
    onStderrLine: (line) => hooks.stderr(line),
    onLineError: (stream, error) => hooks.lineError(stream, error),
  });
  if (!started.ok) {
    tap.close();
    if (options.isolate !== false) removeSessionHome(runDir);
    return started;
  }
  const session = spec.protocol === "kimi-wire" ? new WireSession(ctx, started.value, wireId) : new AcpSession(ctx, started.value);
  hooks.activity = () => session.activity();
  hooks.line =
    session instanceof WireSession
      ? (line, dropped) => session.line(line, dropped)
      : (line, dropped) => inspectLine(session, line, dropped, spec.maxMessageBytes, redact);
  hooks.stderr = (line) => session.emit({ type: "stderr", line });
  hooks.lineError = (stream, error) =>
    session.emit({
      type: "anomaly",
      kind: "invalid_message",
      detail: `a ${stream} line OMK could not handle: ${redact(error instanceof Error ? error.message : "unknown error")}`,
    });
  const handshake = await session.handshake();
  if (!handshake.ok) {
    await session.close();
    // A wrapper the path check could not see through: Kimi Code 2.x's own answer to `--wire`.
    if (spec.protocol === "kimi-wire" && handshake.error instanceof EngineCrashedError && handshake.error.stderrTail.includes("unknown option '--wire'")) {
      return err(protocolMismatch(spec, spec.command, KIMI_CODE));
    }
    return handshake;
  }
  session.emit({
    type: "session_started",
    engine: spec.name,
    pid: session.pid,
    sessionId: session.sessionId,
    protocol: session.protocol,
    ...(session.agent.name === undefined ? {} : { agentName: session.agent.name }),
    ...(session.agent.version === undefined ? {} : { agentVersion: session.agent.version }),
  });
  return ok(session);
}

/** The error for an engine spec whose command speaks the other protocol, with the engine to use instead. */
export function protocolMismatch(spec: EngineSpec, command: string, binary: KimiBinary): EngineProtocolMismatchError {
  const fix =
    binary.speaks === "acp"
      ? `use --engine kimi (ACP through \`kimi acp\`); kimi-wire needs the Python kimi CLI (\`kimi --wire\`)`
      : "use --engine kimi-wire (Kimi Wire through `kimi --wire`), or install Kimi Code 2.x (npm i -g @moonshot-ai/kimi-code) for --engine kimi";
  return new EngineProtocolMismatchError(spec.name, command, spec.protocol, binary.speaks, binary.description, fix);
}

/** Stdout lines the SDK would drop silently (not JSON) or refuse (too long) become anomalies. */
function inspectLine(session: { emit: (e: WireEventInput) => void }, line: Buffer, dropped: number, max: number, redact: (text: string) => string): void {
  if (dropped > 0) {
    session.emit({ type: "anomaly", kind: "oversized_message", detail: `a stdout line of ${line.length + dropped} bytes exceeds the ${max}-byte limit` });
    return;
  }
  const text = line.toString("utf8").trim();
  if (text === "") return;
  let json = text.startsWith("{") && text.endsWith("}");
  if (json && text.length <= 65_536) {
    try {
      JSON.parse(text);
    } catch {
      json = false;
    }
  }
  if (!json) session.emit({ type: "anomaly", kind: "unparsable_line", detail: `not a JSON-RPC line: ${redact(text.slice(0, 200))}` });
}
