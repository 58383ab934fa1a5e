import * as acp from "@agentclientprotocol/sdk";
import {
  EngineAbortedError,
  EngineAuthRequiredError,
  EngineRequestError,
  EngineTimeoutError,
  ModelNotOfferedError,
  ProtocolError,
  type WireError,
} from "../../errors.js";
import { isAuthFailure, withAgentDetail } from "../agent-error.js";
import { err, ok, type Result } from "@omk/core";
import { StopReasonSchema } from "../../schemas/event.js";
import type { Usage } from "../../schemas/usage.js";
import { normalizeUsage, totalTokens } from "../../usage.js";
import { WIRE_VERSION } from "../../version.js";
import { BaseSession, type SessionContext } from "../base-session.js";
import { delay } from "../deadline.js";
import type { EngineProcess } from "../engine-process.js";
import { textOf } from "../engine-text.js";
import { KimiUsageLog, kimiCodeHome } from "../kimi-usage-log.js";
import { describeModel, type ModelChoice, matchModel, typedModel } from "../model-choice.js";
import type { PromptOutcome, TurnState } from "../turn.js";
import { filterStream } from "./filter.js";
import { readTextFile, writeTextFile } from "./fs.js";
import type { AcpHost } from "./host.js";
import { choosePermission } from "./permission.js";
import { TerminalManager } from "./terminals.js";
import { UpdateNormalizer } from "./updates.js";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);

const AUTH_REQUIRED = -32000;

/** An ACP session over the official SDK's client builder. */
export class AcpSession extends BaseSession implements AcpHost {
  readonly protocol = "acp" as const;
  private id = "";
  private readonly conn: acp.ClientConnection;
  private readonly terminals: TerminalManager;
  private readonly updates: UpdateNormalizer;
  private readonly usageLog: KimiUsageLog | undefined;
  private authMethods: string[] = [];

  constructor(ctx: SessionContext, proc: EngineProcess) {
    super(ctx, proc);
    this.terminals = new TerminalManager(this, ctx.root, ctx.commandEnv, ctx.deadlines.killGraceMs, ctx.commandConfinement);
    this.updates = new UpdateNormalizer({
      judge: this.judge,
      emit: (e) => this.emit(e),
      recordWrite: (...a) => this.recordWrite(...a),
      recordScope: (...a) => this.recordScope(...a),
      recordCommand: (r) => this.recordCommand(r),
      noteRefusals: (text, cwd) => this.noteRefusals(text, cwd),
      root: ctx.root,
      activity: () => this.touch(),
      meter: ctx.meter,
      emitUsage: (source, extra) => this.emitUsage(source, extra),
      wroteThisTurn: (rel) => this.turn?.hasFile(rel) ?? false,
      modelChanged: (model) => ctx.meter.setModel(ctx.spec.priceModel ?? model),
    });
    if (ctx.spec.usageLog === "kimi_session_log") {
      this.usageLog = new KimiUsageLog(
        kimiCodeHome(ctx.env),
        () => this.id,
        (usage) => {
          ctx.meter.addDelta(usage);
          this.emitUsage("kimi_session_log", { delta: usage });
        },
        (detail) => this.emit({ type: "anomaly", kind: "usage_log", detail }),
      );
    }
    const m = acp.methods.client;
    const app = acp
      .client({ name: "omk" })
      .onRequest(m.session.requestPermission, ({ params }) => this.onPermission(params))
      .onRequest(m.fs.readTextFile, ({ params }) => readTextFile(this, params))
      .onRequest(m.fs.writeTextFile, ({ params }) => writeTextFile(this, params))
      .onRequest(m.terminal.create, ({ params }) => this.terminals.create(params))
      .onRequest(m.terminal.output, ({ params }) => this.terminals.output(params.terminalId))
      .onRequest(m.terminal.waitForExit, ({ params, signal }) => this.terminals.waitForExit(params.terminalId, signal))
      .onRequest(m.terminal.kill, async ({ params }) => {
        await this.terminals.kill(params.terminalId);
        return {};
      })
      .onRequest(m.terminal.release, async ({ params }) => {
        await this.terminals.release(params.terminalId);
        return {};
      })
      .onNotification(m.session.update, ({ params }) => this.updates.handle(params.update as unknown as Rec));
    const stream = filterStream(acp.ndJsonStream(proc.input, proc.output, { maxMessageBytes: ctx.spec.maxMessageBytes }), {
      anomaly: (kind, detail) => this.emit({ type: "anomaly", kind, detail }),
      unknownUpdate: () => {},
    });
    this.conn = app.connect(stream);
  }

  get sessionId(): string {
    return this.id;
  }

  activity(): void {
    this.touch();
  }

  // ------------------------------------------------------------ handshake

  /** initialize, session/new, model choice; all within the handshake deadline. */
  async handshake(): Promise<Result<void, WireError>> {
    const { deadlines, spec, root } = this.ctx;
    const until = Date.now() + deadlines.handshakeMs;
    const left = () => ({ kind: "handshake" as const, ms: deadlines.handshakeMs, left: Math.max(1, until - Date.now()) });
    const init = await this.call<acp.InitializeResponse>(
      acp.methods.agent.initialize,
      {
        protocolVersion: acp.PROTOCOL_VERSION,
        clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true },
        clientInfo: { name: "omk", version: WIRE_VERSION },
      },
      left(),
    );
    if (!init.ok) return init;
    if (!isRec(init.value) || typeof init.value.protocolVersion !== "number")
      return err(new ProtocolError(spec.name, "initialize answered without a protocolVersion"));
    const info = init.value.agentInfo;
    this.authMethods = (init.value.authMethods ?? [])
      .map((a) => (isRec(a) && typeof a["name"] === "string" ? a["name"] : textOf(a?.id)))
      .filter((n) => n !== "");
    this.agent = {
      ...(isRec(info) && typeof info.name === "string" ? { name: info.name } : {}),
      ...(isRec(info) && typeof info.version === "string" ? { version: info.version } : {}),
      ...(isRec(init.value.agentCapabilities) ? { capabilities: init.value.agentCapabilities as Rec } : {}),
      authMethods: this.authMethods,
    };

    const created = await this.call<acp.NewSessionResponse & Rec>(acp.methods.agent.session.new, { cwd: root, mcpServers: [] }, left());
    if (!created.ok) return created;
    if (typeof created.value.sessionId !== "string") return err(new ProtocolError(spec.name, "session/new answered without a sessionId"));
    this.id = created.value.sessionId;
    return await this.chooseModel(created.value);
  }

  /**
   * Model choice: the `model` config option, else the older `models` +
   * session/set_model. The spec's model may be the engine's id, the display
   * name or (where the engine shows it) the underlying model name; see matchModel.
   */
  private async chooseModel(created: acp.NewSessionResponse & Rec): Promise<Result<void, WireError>> {
    const { spec, deadlines, meter } = this.ctx;
    const options = Array.isArray(created.configOptions) ? created.configOptions : [];
    const modelOption = options.find((o) => isRec(o) && o.category === "model" && o.type === "select") as
      | (acp.SessionConfigOption & { type: "select" })
      | undefined;
    const legacy = isRec(created["models"]) ? (created["models"] as Rec) : undefined;
    const current =
      modelOption !== undefined
        ? textOf(modelOption.currentValue)
        : typeof legacy?.["currentModelId"] === "string"
          ? (legacy["currentModelId"] as string)
          : undefined;
    meter.setModel(spec.priceModel ?? spec.model ?? current);
    if (spec.model === undefined || spec.model === current) return ok(undefined);
    const request = { kind: "request" as const, ms: deadlines.requestMs, left: deadlines.requestMs };
    let choices: ModelChoice[] | undefined;
    if (modelOption !== undefined) {
      choices = modelOption.options
        .flatMap((o) => ("options" in o ? o.options : [o]))
        .map((o) => ({
          id: textOf(o.value),
          name: typeof o.name === "string" ? o.name : undefined,
          description: typeof o.description === "string" ? o.description : undefined,
        }));
    } else if (legacy !== undefined && Array.isArray(legacy["availableModels"])) {
      choices = (legacy["availableModels"] as unknown[]).filter(isRec).map((m) => ({
        id: textOf(m["modelId"]),
        name: typeof m["name"] === "string" ? m["name"] : undefined,
        description: typeof m["description"] === "string" ? m["description"] : undefined,
      }));
    }
    if (choices === undefined) {
      this.emit({ type: "anomaly", kind: "no_model_choice", detail: `${spec.name} offers no model choice; "${spec.model}" was not applied` });
      return ok(undefined);
    }
    let id = spec.model;
    if (choices.length > 0 || modelOption !== undefined) {
      const match = matchModel(spec.model, choices);
      if (!("found" in match)) {
        const available = choices.map(describeModel);
        const example = choices[0] === undefined ? undefined : typedModel(choices[0], choices);
        return err(
          new ModelNotOfferedError(spec.name, spec.model, available, {
            ...("ambiguous" in match ? { ambiguous: match.ambiguous.map(describeModel) } : {}),
            ...(example === undefined ? {} : { example }),
          }),
        );
      }
      id = match.found.id;
    }
    if (id === current) return ok(undefined);
    const set =
      modelOption !== undefined
        ? await this.call(acp.methods.agent.session.setConfigOption, { sessionId: this.id, configId: modelOption.id, value: id }, request)
        : await this.call("session/set_model", { sessionId: this.id, modelId: id }, request);
    return set.ok ? ok(undefined) : set;
  }

  /** One request with a deadline; on expiry the engine is killed (a stuck handshake cannot be cancelled). */
  private async call<T>(method: string, params: unknown, deadline: { kind: "handshake" | "request"; ms: number; left: number }): Promise<Result<T, WireError>> {
    const settled = (this.conn.agent.request(method, params) as Promise<T>).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const timer = delay(deadline.left);
    const signal = this.ctx.signal;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<"aborted">((resolve) => {
      onAbort = () => resolve("aborted");
      if (signal?.aborted) resolve("aborted");
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
    const first = await Promise.race([settled, timer.promise.then(() => "timeout" as const), aborted]);
    timer.clear();
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    if (first === "timeout" || first === "aborted") {
      if (first === "timeout") this.emit({ type: "deadline", deadline: deadline.kind, ms: deadline.ms, action: "kill" });
      await this.kill(`${method}: ${first}`);
      await settled;
      return err(
        first === "timeout" ? new EngineTimeoutError(this.engine, deadline.kind, deadline.ms, "kill", method) : new EngineAbortedError(this.engine, "kill"),
      );
    }
    if (first.ok) return ok(first.value);
    return err(await this.mapError(method, first.error));
  }

  private async mapError(method: string, error: unknown): Promise<WireError> {
    const outcome = await this.classify(method, error);
    if (outcome.kind === "error") {
      if (outcome.fatal) await this.kill(outcome.error.message);
      return outcome.error;
    }
    return await this.crashError(outcome.kind === "closed" ? outcome.detail : "");
  }

  private loginHint(): string {
    const methods = this.authMethods.length === 0 ? "" : ` (it offers: ${this.authMethods.join(", ")})`;
    return `${this.ctx.spec.login}${methods}`;
  }

  /** Maps a failed request to an outcome: auth, oversized message, closed connection, or a plain error answer. */
  private async classify(method: string, error: unknown): Promise<Exclude<PromptOutcome, { kind: "stop" }>> {
    if (error instanceof acp.MessageTooLargeError) {
      this.emit({ type: "anomaly", kind: "oversized_message", detail: error.message });
      return {
        kind: "error",
        error: new ProtocolError(this.engine, `a message exceeded the ${error.maxMessageBytes}-byte limit`, { cause: error }),
        fatal: true,
      };
    }
    if (error instanceof acp.RequestError) {
      // The agent's own reason may only be in `data` (Qwen Code: -32603 "Internal error" with the provider's 401 in data.details).
      const said = withAgentDetail(error.message, error.data);
      if (error.code === AUTH_REQUIRED || isAuthFailure(error.code, error.message, error.data)) {
        return {
          kind: "error",
          error: new EngineAuthRequiredError(this.engine, this.loginHint(), `${method}: ${said}`, { cause: error, agent: this.agent }),
          fatal: false,
        };
      }
      return { kind: "error", error: new EngineRequestError(this.engine, method, error.code, said, error.data), fatal: false };
    }
    return { kind: "closed", detail: `${method}: ${error instanceof Error ? error.message : String(error)}` };
  }

  // ------------------------------------------------------------ turns

  protected async sendPrompt(text: string, _turn: TurnState): Promise<PromptOutcome> {
    try {
      const response = (await this.conn.agent.request(acp.methods.agent.session.prompt, {
        sessionId: this.id,
        prompt: [{ type: "text", text }],
      })) as acp.PromptResponse & Rec;
      // The SDK resolves a response before the handlers of the notifications that
      // preceded it on the wire have run; let them run first so the turn is complete.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.readResponseUsage(response);
      const stop = StopReasonSchema.safeParse(isRec(response) ? response.stopReason : undefined);
      if (!stop.success)
        return {
          kind: "error",
          error: new ProtocolError(
            this.engine,
            `session/prompt answered with an unknown stopReason ${JSON.stringify(isRec(response) ? response.stopReason : response)}`,
          ),
          fatal: false,
        };
      if (this.ctx.usageGap !== undefined) this.ctx.meter.noteMissing(this.ctx.usageGap);
      return { kind: "stop", stopReason: stop.data };
    } catch (error) {
      return await this.classify("session/prompt", error);
    }
  }

  private readResponseUsage(response: Rec): void {
    const { meter } = this.ctx;
    const fromResponse = normalizeUsage(response["usage"]);
    const meta = isRec(response["_meta"]) ? response["_meta"] : undefined;
    const fromMeta = fromResponse === undefined ? normalizeUsage(meta?.["usage"]) : undefined;
    const cost = meta?.["cost"];
    if (isRec(cost) && typeof cost["amount"] === "number" && textOf(cost["currency"]).toUpperCase() === "USD") meter.addTurnCost(cost["amount"]);
    const reported = fromResponse ?? fromMeta;
    // claude-agent-acp: `usage` is Claude Code's main loop; `_meta.quota.model_usage` splits the turn by model and
    // also holds calls outside that loop (subagents, small-model side calls made within the turn). Take the larger.
    const byModel = modelUsageTotal(meta);
    const total = byModel !== undefined && (reported === undefined || totalTokens(byModel) > totalTokens(reported)) ? byModel : reported;
    if (total !== undefined) {
      const delta = meter.setTotal(total);
      this.emitUsage(fromResponse !== undefined ? "acp_prompt_response" : "acp_meta", { delta });
    }
  }

  protected sendCancel(): void {
    void this.conn.agent.notify(acp.methods.agent.session.cancel, { sessionId: this.id }).catch(() => {});
  }

  protected shutdownProtocol(reason: string): void {
    this.conn.close(new Error(`ACP connection closed by OMK: ${reason}`));
  }

  protected async stopAuxiliary(why: "cancel" | "close"): Promise<void> {
    await this.terminals.killAll(why);
  }

  protected override onTurnStart(): void {
    this.usageLog?.beginTurn();
  }

  protected override async onTurnEnd(turn: TurnState): Promise<void> {
    const { meter, deadlines } = this.ctx;
    const stopped = turn.trigger !== undefined;
    if (this.usageLog === undefined) {
      // Usage reported per model call (Qwen Code's `_meta.usage`) cannot cover a call the stop cut short.
      if (stopped && !meter.hasTotal) meter.noteMissing("the turn was stopped while a model call may have been running; such a call reports no usage");
    } else {
      // Kimi Code writes the turn's last usage record after the prompt response: read until the log says the turn ended.
      const end = await this.usageLog.waitForTurnEnd(stopped ? deadlines.cancelGraceMs : deadlines.requestMs, () => !this.dead && this.proc.exit === undefined);
      if (!end.found) {
        this.emit({
          type: "anomaly",
          kind: "usage_log",
          detail: `Kimi Code's session log was not found at ${this.usageLog.where}; set KIMI_CODE_HOME in the engine's environment if Kimi keeps its data elsewhere`,
        });
        meter.noteMissing("Kimi Code's session log was not found, so its model calls are not counted");
      } else if (!end.ended) meter.noteMissing("Kimi Code's session log did not record the end of the turn; its last model calls may be unreported");
      else if (end.requests > end.records)
        meter.noteMissing(`${end.requests - end.records} of ${end.requests} model calls in Kimi Code's session log have no usage record (cut short or failed)`);
    }
    for (const reason of meter.missingReasons()) this.emit({ type: "anomaly", kind: "usage_missing", detail: reason });
  }

  protected override async goodbye(): Promise<void> {
    this.proc.endInput();
  }

  private onPermission(params: acp.RequestPermissionRequest): acp.RequestPermissionResponse {
    return choosePermission(this, params, this.turn === undefined || this.turn.cancelling, this.ctx.policy);
  }
}

/** The sum of claude-agent-acp's `_meta.quota.model_usage[].token_count` (Anthropic counting: input excludes cache), if any. */
export function modelUsageTotal(meta: Rec | undefined): Usage | undefined {
  const quota = meta?.["quota"];
  const rows = isRec(quota) && Array.isArray(quota["model_usage"]) ? (quota["model_usage"] as unknown[]) : undefined;
  if (rows === undefined || rows.length === 0) return undefined;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
  const sum: Usage = { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  for (const row of rows) {
    const c = isRec(row) && isRec(row["token_count"]) ? row["token_count"] : undefined;
    if (c === undefined) continue;
    sum.inputUncached += n(c["inputTokens"]);
    sum.cacheRead += n(c["cachedInputTokens"]);
    sum.cacheWrite += n(c["cachedWriteTokens"]);
    sum.output += n(c["outputTokens"]);
  }
  return sum;
}
